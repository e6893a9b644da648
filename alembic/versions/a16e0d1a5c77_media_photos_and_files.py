"""media: photos and files on cases, visits and meeting items (issue 16)

Revision ID: a16e0d1a5c77
Revises: ddcb1cd937f4
Create Date: 2026-12-05 09:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

# revision identifiers, used by Alembic.
revision: str = 'a16e0d1a5c77'
down_revision: Union[str, Sequence[str], None] = 'ddcb1cd937f4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    S = sqlmodel.sql.sqltypes.AutoString
    op.create_table('media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', S(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('meeting_item_id', sa.Integer(), nullable=True),
    sa.Column('stage', S(length=12), nullable=False),
    sa.Column('kind', S(length=8), nullable=False),
    sa.Column('content_type', S(length=32), nullable=False),
    sa.Column('sha256', S(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('thumb_sha256', S(length=64), nullable=False),
    sa.Column('thumb_size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('original_size', sa.Integer(), nullable=False),
    sa.Column('filename', S(length=100), nullable=False),
    sa.Column('uploaded_by_user_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_label', S(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['meeting_item_id'], ['meetingitem.id'], ),
    sa.ForeignKeyConstraint(['uploaded_by_user_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.create_index('ix_media_case_public', ['case_id', 'public'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_meeting_item_id'), ['meeting_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_visit_id'), ['visit_id'], unique=False)

    op.create_table('mediaevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('action', S(length=12), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mediaevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mediaevent_media_id'), ['media_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mediaevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mediaevent_media_id'))
    op.drop_table('mediaevent')
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_visit_id'))
        batch_op.drop_index(batch_op.f('ix_media_sha256'))
        batch_op.drop_index(batch_op.f('ix_media_meeting_item_id'))
        batch_op.drop_index('ix_media_case_public')
    op.drop_table('media')
