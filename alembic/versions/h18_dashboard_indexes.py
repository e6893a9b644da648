"""dashboard indexes: every filtered dashboard view fast at a million cases (issue 18)

Covering indexes for a category or department filter over a period (the
team and area rankings read them without touching the table), the received
flow of a filter, community / grid scopes by accept time, the live overdue
count of a district / township, and a handling-time percentile's bin read
from the index alone.

Revision ID: h18_dashboard_indexes
Revises: e15d0e5c0a1b
Create Date: 2026-12-05 23:55:00.000000

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'h18_dashboard_indexes'
down_revision: Union[str, Sequence[str], None] = 'e15d0e5c0a1b'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

RANK_COLS = ['status', 'district_id', 'township_id', 'team_id', 'deadline', 'resolved_at', 'closed_at']
INDEXES = {
    'ix_case_category_accepted': ['category_id', 'accepted_at', 'department_id', *RANK_COLS],
    'ix_case_department_accepted': ['department_id', 'accepted_at', 'category_id', *RANK_COLS],
    'ix_case_category_submitted': ['category_id', 'submitted_at'],
    'ix_case_department_submitted': ['department_id', 'submitted_at'],
    'ix_case_community_accepted': ['community_id', 'accepted_at'],
    'ix_case_grid_accepted': ['grid_id', 'accepted_at'],
    'ix_case_district_status_deadline': ['district_id', 'status', 'deadline', 'category_id', 'department_id'],
    'ix_case_township_status_deadline': ['township_id', 'status', 'deadline', 'category_id', 'department_id'],
}
HANDLING_INDEXES = {'ix_casehandling_bin_day': ['bin', 'day', 'secs']}


def upgrade() -> None:
    """Upgrade schema."""
    for name, columns in INDEXES.items():
        op.create_index(name, 'case', columns, unique=False)
    for name, columns in HANDLING_INDEXES.items():
        op.create_index(name, 'casehandling', columns, unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    for name in HANDLING_INDEXES:
        op.drop_index(name, table_name='casehandling')
    for name in reversed(INDEXES):
        op.drop_index(name, table_name='case')
