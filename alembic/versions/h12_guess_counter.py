"""guess counters for throttling wrong logins, tracking guesses, OTP requests and api keys

Revision ID: h12_guess_counter
Revises: ddcb1cd937f4
Create Date: 2026-12-05 09:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

revision: str = 'h12_guess_counter'
down_revision: Union[str, Sequence[str], None] = 'e17a0c1f5b2d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'guesscounter',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column('window_start', sa.DateTime(), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade() -> None:
    op.drop_table('guesscounter')
