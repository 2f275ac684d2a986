"""dashboard indexes: instances newest first / by status / by process and version; open tasks overdue, per unit, per element; groups per unit

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 16:30:00
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_instance_started", "process_instance", ["started_at"]),
    ("ix_instance_status_started", "process_instance", ["status", "started_at"]),
    ("ix_instance_process_version", "process_instance", ["process_key", "version", "status"]),
    ("ix_task_state_due", "human_task", ["state", "due_at"]),
    ("ix_task_sla", "human_task", ["state", "unit_id", "due_at", "reminders_sent", "escalated"]),
    ("ix_task_element", "human_task", ["state", "process_key", "spec_id", "due_at"]),
    ("ix_group_unit_kind_status", "work_group", ["unit_id", "kind", "status"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
