"""forms are recorded in the approving transaction and rendered after it commits (issue 8)

``document.content`` becomes nullable: a form is recorded with its filled ``context`` and the ``seals`` that
apply (hashes into the new ``document_seal`` table, so a seal changed later does not change it) and rendered
by the scheduler or on first read. Existing documents keep their content and are not touched.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 10:00:00
"""
import sqlalchemy as sa
from alembic import op

from workflows.models.base import UTCDateTime


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_seal",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_document_seal")),
    )
    with op.batch_alter_table("document") as batch:
        batch.alter_column("content", existing_type=sa.LargeBinary(), nullable=True)
        batch.add_column(sa.Column("context", sa.JSON(none_as_null=True), nullable=True))
        batch.add_column(sa.Column("seals", sa.JSON(none_as_null=True), nullable=True))
        batch.add_column(sa.Column("rendered_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("render_attempts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("render_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("render_tried_at", UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_document_pending", "document", ["render_attempts", "id"], unique=False,
                    sqlite_where=sa.text("content IS NULL"), postgresql_where=sa.text("content IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_document_pending", table_name="document")
    pending = op.get_bind().execute(sa.text("SELECT count(*) FROM document WHERE content IS NULL")).scalar()
    if pending:  # they cannot exist without content, and deleting them would lose filed forms
        raise RuntimeError(f"{pending} document(s) are not rendered yet: let the scheduler render them, then downgrade")
    with op.batch_alter_table("document") as batch:
        batch.drop_column("render_tried_at")
        batch.drop_column("render_error")
        batch.drop_column("render_attempts")
        batch.drop_column("rendered_at")
        batch.drop_column("seals")
        batch.drop_column("context")
        batch.alter_column("content", existing_type=sa.LargeBinary(), nullable=False)
    op.drop_table("document_seal")
