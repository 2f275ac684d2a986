"""Notification texts: Jinja2 templates in ``templates/notifications/`` (zh-CN), one set per channel.

``email_subject.txt`` and ``email_body.txt`` for e-mail, ``webhook.txt`` for the group robot. Templates see
``notification`` (kind, title, body), ``person`` (name), ``instance`` (id, title, process_key or None),
``url`` (the task or instance page, or None), ``created_local`` and ``app_name``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..settings import Settings
from .channels import EMAIL, WEBHOOK

APP_NAME = "江苏理工学院 工作群组审批系统"


@dataclass(frozen=True)
class NoticeView:
    """What a template may show about one notification."""

    kind: str
    title: str
    body: str
    person_name: str
    created_at: Any
    task_id: int | None = None
    instance_id: int | None = None
    instance_title: str = ""
    process_key: str = ""


@lru_cache(maxsize=4)
def environment(directory: Path) -> Environment:
    return Environment(loader=FileSystemLoader(str(directory)), autoescape=False, undefined=StrictUndefined,
                       keep_trailing_newline=False, trim_blocks=False)


def base_url(settings: Settings) -> str:
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")


def context(settings: Settings, view: NoticeView) -> dict[str, Any]:
    url = None
    if view.task_id:
        url = f"{base_url(settings)}/tasks/{view.task_id}"
    elif view.instance_id:
        url = f"{base_url(settings)}/instances/{view.instance_id}"
    instance = ({"id": view.instance_id, "title": view.instance_title or view.process_key, "process_key": view.process_key}
                if view.instance_id else None)
    created = view.created_at.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M") if view.created_at else ""
    return {"notification": {"kind": view.kind, "title": view.title, "body": view.body}, "person": {"name": view.person_name},
            "instance": instance, "url": url, "created_local": created, "app_name": APP_NAME}


def render(settings: Settings, channel: str, view: NoticeView) -> tuple[str, str]:
    """``(subject, text)`` of ``view`` for ``channel`` (the webhook has no subject: its first line)."""
    env = environment(settings.templates_dir / "notifications")
    ctx = context(settings, view)
    if channel == EMAIL:
        subject = " ".join(env.get_template("email_subject.txt").render(ctx).split())
        return subject, env.get_template("email_body.txt").render(ctx).strip() + "\n"
    if channel == WEBHOOK:
        text = env.get_template("webhook.txt").render(ctx).strip()
        return text.splitlines()[0], text
    raise ValueError(channel)
