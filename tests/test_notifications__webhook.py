"""Webhook delivery (WeCom / DingTalk group robot) to a loopback HTTP receiver started here."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine

from tests.flows import apply
from workflows import clock
from workflows.errors import Forbidden
from workflows.notifications import deliver_pending
from workflows.notifications.admin import delivery_summary, list_deliveries


class Receiver:
    """Keeps every JSON body posted to it; answers with the queued replies, then ``{"errcode": 0}``."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.replies: list[tuple[int, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                status, reply = receiver.replies.pop(0) if receiver.replies else (200, {"errcode": 0, "errmsg": "ok"})
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=test"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_wecom_robot_gets_a_text_mentioning_the_person(sqlite_rt, receiver):
    sqlite_rt.settings = sqlite_rt.settings.model_copy(update={"webhook_url": receiver.url, "webhook_kind": "wecom"})
    apply(sqlite_rt)
    assert deliver_pending(sqlite_rt).sent == 2
    head = next(b for b in receiver.bodies if "张院长" in b["text"]["content"])
    assert head["msgtype"] == "text"
    assert head["text"]["content"].startswith("【工作群组审批·新待办】新待办：")
    assert head["text"]["mentioned_mobile_list"] == ["13800000000"]


def test_dingtalk_error_code_is_retried_with_backoff_and_visible(sqlite_rt, receiver):
    rt = sqlite_rt
    rt.settings = rt.settings.model_copy(update={"webhook_url": receiver.url, "webhook_kind": "dingtalk",
                                                 "notify_retry_seconds": 30, "notify_max_attempts": 3})
    receiver.replies = [(200, {"errcode": 310000, "errmsg": "keywords not in content"}), (502, {"error": "bad gateway"})] * 2
    with time_machine.travel(clock.now(), tick=False) as traveller:
        apply(rt)
        assert deliver_pending(rt).retrying == 2
        problems = list_deliveries(rt, "admin")["items"]
        assert sorted(p["last_error"][:30] for p in problems) == sorted(
            ["webhook 拒收：errcode=310000 keywords not in content"[:30], "webhook 返回 HTTP 502：{\"error\": \"bad gateway\"}"[:30]])
        traveller.shift(timedelta(seconds=29))
        assert deliver_pending(rt).retrying == 0  # backoff: 30 s after the first failure
        traveller.shift(timedelta(seconds=2))
        report = deliver_pending(rt)
        assert (report.sent, report.retrying) == (0, 2)  # both fail again; next wait doubles to 60 s
        traveller.shift(timedelta(seconds=61))
        assert deliver_pending(rt).sent == 2
    assert receiver.bodies[-1]["at"]["atMobiles"] == ["13800000000"]
    assert len(receiver.bodies) == 6
    assert delivery_summary(rt, "admin") == {"webhook": {"sent": 2}}
    with pytest.raises(Forbidden):
        list_deliveries(rt, "staff_cs")
