"""Waiting for a server we started (the web app, the Prefect API) to answer.

One loop for every caller: poll ``GET url`` until it answers 200, while the process that should answer is
alive. The callers decide what a failure means (an error to raise, a figure not measured, a failed test).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

import httpx

Outcome = Literal["ok", "exited", "stopped", "timeout"]


def wait_until_ok(url: str, timeout: float, *, alive: Callable[[], bool] | None = None, stop: threading.Event | None = None,
                  interval: float = 0.3, request_timeout: float = 2.0) -> Outcome:
    """Poll ``url`` until it answers 200 (``"ok"``). Gives up with ``"exited"`` as soon as ``alive()`` says the
    server's process is gone, ``"stopped"`` when ``stop`` is set, ``"timeout"`` after ``timeout`` seconds.
    Connection errors and other statuses just mean "not yet"."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=request_timeout) as client:
        while True:
            if stop is not None and stop.is_set():
                return "stopped"
            if alive is not None and not alive():
                return "exited"
            try:
                if client.get(url).status_code == 200:
                    return "ok"
            except httpx.HTTPError:
                pass
            if time.monotonic() + interval > deadline:
                return "timeout"
            time.sleep(interval)
