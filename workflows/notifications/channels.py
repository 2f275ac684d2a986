"""Delivery channels beyond the in-app notification: e-mail over SMTP and a group-robot webhook.

Each sender raises :class:`SendError` with a readable reason when the message was not accepted; nothing here
touches the database. Which channels apply comes from the settings (an SMTP host, a webhook URL).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

import httpx

from ..settings import Settings

EMAIL = "email"
WEBHOOK = "webhook"


class SendError(Exception):
    """A channel did not accept a message; the text says why (shown to administrators)."""


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str = ""
    mobile: str = ""


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    to: Recipient
    extra: dict[str, Any] = field(default_factory=dict)


def configured_channels(settings: Settings) -> list[str]:
    """Channels switched on by the settings, in delivery order."""
    found = []
    if settings.smtp_host:
        found.append(EMAIL)
    if settings.webhook_url:
        found.append(WEBHOOK)
    return found


def address_of(channel: str, to: Recipient) -> str | None:
    """Where ``channel`` would deliver to ``to``; None when the person cannot be reached that way."""
    if channel == EMAIL:
        return to.email or None
    if channel == WEBHOOK:
        return to.mobile or to.name
    raise ValueError(channel)


def send(settings: Settings, channel: str, message: Message) -> None:
    if channel == EMAIL:
        send_email(settings, message)
    elif channel == WEBHOOK:
        send_webhook(settings, message)
    else:
        raise SendError(f"未知的通知渠道 {channel}")


def send_email(settings: Settings, message: Message) -> None:
    """Send one e-mail (UTF-8; Chinese subjects are encoded per RFC 2047)."""
    if not settings.smtp_host:
        raise SendError("未配置 SMTP 服务器（GROUPGOV_SMTP_HOST）")
    if not message.to.email:
        raise SendError(f"{message.to.name} 没有登记电子邮箱")
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = settings.smtp_from
    mail["To"] = formataddr((message.to.name, message.to.email))
    mail["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2].strip("> ") or "localhost")
    mail.set_content(message.text)
    tls = (settings.smtp_tls or "none").lower()
    timeout = settings.smtp_timeout_seconds
    try:
        if tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with client:
            if tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password or "")
            refused = client.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"邮件发送失败（{settings.smtp_host}:{settings.smtp_port}）：{type(exc).__name__}: {exc}") from exc
    if refused:
        raise SendError(f"邮件服务器拒收：{refused}")


def webhook_payload(kind: str, message: Message) -> dict[str, Any]:
    """The robot message: WeCom (企业微信) or DingTalk (钉钉) ``text`` type, mentioning the person by mobile."""
    mobiles = [message.to.mobile] if message.to.mobile else []
    if kind == "dingtalk":
        return {"msgtype": "text", "text": {"content": message.text}, "at": {"atMobiles": mobiles, "isAtAll": False}}
    if kind == "wecom":
        return {"msgtype": "text", "text": {"content": message.text, "mentioned_mobile_list": mobiles}}
    raise SendError(f"未知的 webhook 类型 {kind}（应为 wecom 或 dingtalk）")


def send_webhook(settings: Settings, message: Message) -> None:
    """POST the robot message; a non-2xx answer or a non-zero ``errcode`` is a failure."""
    if not settings.webhook_url:
        raise SendError("未配置 webhook 地址（GROUPGOV_WEBHOOK_URL）")
    payload = webhook_payload(settings.webhook_kind.lower(), message)
    try:
        response = httpx.post(settings.webhook_url, json=payload, timeout=settings.webhook_timeout_seconds)
    except httpx.HTTPError as exc:
        raise SendError(f"webhook 请求失败：{type(exc).__name__}: {exc}") from exc
    if response.status_code // 100 != 2:
        raise SendError(f"webhook 返回 HTTP {response.status_code}：{response.text[:300]}")
    try:
        body = response.json()
    except ValueError:
        return  # a receiver that answers 2xx without JSON accepted the message
    if isinstance(body, dict) and body.get("errcode", 0) not in (0, "0"):
        raise SendError(f"webhook 拒收：errcode={body.get('errcode')} {body.get('errmsg', '')}")
