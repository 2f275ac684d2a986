"""Notification delivery beyond the in-app rows: e-mail (SMTP) and a group-robot webhook (WeCom/DingTalk).

``delivery.deliver_pending(rt)`` is the pass the scheduler runs; ``admin`` holds the administrators' view;
texts are Jinja2 templates in ``templates/notifications/``.
"""

from .delivery import DeliveryReport, deliver_pending

__all__ = ["DeliveryReport", "deliver_pending"]
