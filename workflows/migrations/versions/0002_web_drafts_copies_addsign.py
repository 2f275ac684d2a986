"""web app: drafts, copies (抄送), add-sign (加签) rows and urge time on human_task

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:39:02.404122
"""
from alembic import op
import sqlalchemy as sa
import workflows.models.base


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('copy_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', workflows.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', workflows.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['person.id'], name=op.f('fk_copy_record_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_copy_record_instance_id_process_instance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_copy_record_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], name=op.f('fk_copy_record_task_id_human_task'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_copy_record')),
    sa.UniqueConstraint('instance_id', 'person_id', name=op.f('uq_copy_record_instance_id_person_id'))
    )
    with op.batch_alter_table('copy_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_copy_record_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_copy_record_person_id'), ['person_id'], unique=False)

    op.create_table('draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('saved_at', workflows.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_draft_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], name=op.f('fk_draft_task_id_human_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft')),
    sa.UniqueConstraint('task_id', 'person_id', name=op.f('uq_draft_task_id_person_id'))
    )
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draft_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='task', nullable=False))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_urged_at', workflows.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_human_task_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_human_task_parent_id_human_task'), 'human_task', ['parent_id'], ['id'], ondelete='CASCADE')



def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_human_task_parent_id_human_task'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_human_task_parent_id'))
        batch_op.drop_column('last_urged_at')
        batch_op.drop_column('parent_id')
        batch_op.drop_column('kind')

    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draft_task_id'))

    op.drop_table('draft')
    with op.batch_alter_table('copy_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_copy_record_person_id'))
        batch_op.drop_index(batch_op.f('ix_copy_record_instance_id'))

    op.drop_table('copy_record')
