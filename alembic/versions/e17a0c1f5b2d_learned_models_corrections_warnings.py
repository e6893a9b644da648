"""learned models (classifier, early warning), classifier corrections, warning reminders

Revision ID: e17a0c1f5b2d
Revises: ddcb1cd937f4
Create Date: 2026-12-05 09:55:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

revision: str = 'e17a0c1f5b2d'
down_revision: Union[str, Sequence[str], None] = 'a16e0d1a5c77'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('learnedmodel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('trained_rows', sa.Integer(), nullable=False),
    sa.Column('corrections', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('accuracy', sa.Float(), nullable=True),
    sa.Column('precision', sa.Float(), nullable=True),
    sa.Column('coverage', sa.Float(), nullable=True),
    sa.Column('metrics_json', sa.Text(), nullable=False),
    sa.Column('blob', sa.LargeBinary(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('activated_at', sa.DateTime(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'version')
    )
    with op.batch_alter_table('learnedmodel', schema=None) as batch_op:
        batch_op.create_index('ix_learnedmodel_kind_active', ['kind', 'active'], unique=False)

    op.create_table('classifiercorrection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('suggested_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('chosen_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('model_version', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('classifiercorrection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_classifiercorrection_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_classifiercorrection_created_at'), ['created_at'], unique=False)

    op.create_table('warningreminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('model_version', sa.Integer(), nullable=True),
    sa.Column('sms_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['sms_id'], ['sms.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id')
    )

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('classifier_version', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_column('classifier_version')
    op.drop_table('warningreminder')
    with op.batch_alter_table('classifiercorrection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_classifiercorrection_created_at'))
        batch_op.drop_index(batch_op.f('ix_classifiercorrection_case_id'))
    op.drop_table('classifiercorrection')
    with op.batch_alter_table('learnedmodel', schema=None) as batch_op:
        batch_op.drop_index('ix_learnedmodel_kind_active')
    op.drop_table('learnedmodel')
