"""a department-filtered ranking from the index alone

``ix_rollupteamfilter_department_month`` becomes a covering index: with the
team, its community and grid and the four counters beside (department,
month), a city-wide ranking filtered by department sums the index without a
lookup into the table per row (SQLite at 1M cases: 21.5 -> 9.3 ms a period).

Revision ID: h18c_team_filter_dept_cover
Revises: h18b_filtered_dashboard
Create Date: 2026-12-07 01:00:00.000000

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'h18c_team_filter_dept_cover'
down_revision: Union[str, Sequence[str], None] = 'h18b_filtered_dashboard'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NAME = 'ix_rollupteamfilter_department_month'
COVERED = ['department_id', 'month', 'team_id', 'community_id', 'grid_id', 'accepted', 'done', 'resolved', 'on_time']


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_index(NAME, table_name='rollupteamfilter')
    op.create_index(NAME, 'rollupteamfilter', COVERED, unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(NAME, table_name='rollupteamfilter')
    op.create_index(NAME, 'rollupteamfilter', ['department_id', 'month'], unique=False)
