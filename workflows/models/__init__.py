"""All SQLAlchemy models; importing this package registers every table on ``Base.metadata``."""

from .base import Base
from .collab import CopyRecord, Draft
from .org import PartyOrg, Person, RoleAssignment, Unit
from .outbox import NotificationDelivery, TimerWakeup
from .process import (
    AuditEvent, CalendarDay, Document, HumanTask, Incident, Notification, ProcessDefinition, ProcessInstance, TimerDue,
)
from .seal import Seal
from .registry import GROUP_KINDS, GROUP_STATUSES, Filing, Membership, WorkGroup

__all__ = [
    "Base", "PartyOrg", "Person", "RoleAssignment", "Unit", "AuditEvent", "HumanTask", "Incident",
    "ProcessDefinition", "ProcessInstance", "TimerDue", "Notification", "CalendarDay", "Document", "GROUP_KINDS", "GROUP_STATUSES", "Filing",
    "Membership", "WorkGroup", "NotificationDelivery", "TimerWakeup", "CopyRecord", "Draft", "Seal",
]
