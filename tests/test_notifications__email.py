"""E-mail delivery of notifications through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from tests.flows import apply
from workflows import clock
from workflows.db import unit_of_work
from workflows.models import NotificationDelivery
from workflows.notifications import deliver_pending
from workflows.notifications.admin import list_deliveries


def with_smtp(rt, smtp_server, **extra):
    rt.settings = rt.settings.model_copy(update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port,
                                                 "smtp_from": "审批系统 <groupgov@jsut.edu.cn>",
                                                 "public_url": "https://oa.jsut.edu.cn", **extra})
    return rt


def test_new_task_mail_has_chinese_subject_and_link(sqlite_rt, smtp_server):
    smtp_server.clear()
    rt = with_smtp(sqlite_rt, smtp_server)
    iid = apply(rt)  # the applicant's own form, then the unit head's review: two new tasks
    report = deliver_pending(rt)
    assert report.sent == 2 and report.failed == 0
    mail = next(m for m in smtp_server.wait_for(2) if m.rcpt_tos == ["head_cs@jsut.edu.cn"])
    assert mail.subject.startswith("【工作群组审批】新待办：")
    body = mail.message.get_content()
    assert "张院长，您好" in body and f"编号 {iid}" in body
    assert "https://oa.jsut.edu.cn/tasks/" in body
    assert deliver_pending(rt).sent == 0  # each notification is mailed once
    assert len(smtp_server.messages) == 2


def test_refused_connection_is_retried_then_visible_as_failed(sqlite_rt, smtp_server):
    smtp_server.clear()
    rt = with_smtp(sqlite_rt, smtp_server, smtp_port=1, notify_max_attempts=2, notify_retry_seconds=60)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        apply(rt)
        report = deliver_pending(rt)
        assert (report.sent, report.retrying) == (0, 2)
        problems = list_deliveries(rt, "admin")["items"]
        assert [(d["status"], d["attempts"]) for d in problems] == [("pending", 1)] * 2
        assert "邮件发送失败" in problems[0]["last_error"]
        assert deliver_pending(rt).retrying == 0  # not before its backoff
        traveller.shift(timedelta(seconds=61))
        assert deliver_pending(rt).failed == 2
        failed = [d for d in list_deliveries(rt, "admin", status="failed")["items"] if d["notification"]["person"] == "张院长"]
        assert failed[0]["attempts"] == 2
        # the administrator fixes the setting and retries: the mail goes out
        with_smtp(rt, smtp_server, notify_max_attempts=2)
        from workflows.notifications.admin import retry_delivery

        retry_delivery(rt, "admin", failed[0]["id"])
        assert deliver_pending(rt).sent == 1
    assert smtp_server.wait_for(1)[0].rcpt_tos == ["head_cs@jsut.edu.cn"]
    with unit_of_work(write=False, engine=rt.db) as s:
        assert sorted(s.scalars(select(NotificationDelivery.status)).all()) == ["failed", "sent"]
