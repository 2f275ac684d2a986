"""open tasks by candidate role: ix_task_open_candidates also covers assignee_id (unassigned tasks of a role)

With planner statistics (ANALYZE on SQLite, autovacuum on PostgreSQL) the three-column index lost to
ix_task_open_assignee for "unassigned tasks of role R in scope S", turning a task list into a scan of every
unassigned open task (38 ms instead of 9 ms p95 with 10,000 open tasks).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 17:10:00
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_task_open_candidates", table_name="human_task")
    op.create_index("ix_task_open_candidates", "human_task", ["state", "candidate_role", "candidate_scope", "assignee_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_task_open_candidates", table_name="human_task")
    op.create_index("ix_task_open_candidates", "human_task", ["state", "candidate_role", "candidate_scope"], unique=False)
