"""seal images of units and Party organisations (issue 5: 盖章)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 17:30:00
"""
import sqlalchemy as sa
from alembic import op

from workflows.models.base import UTCDateTime


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seal",
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("scope"),
    )


def downgrade() -> None:
    op.drop_table("seal")
