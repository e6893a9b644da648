"""filtered dashboards: the handling histogram per category and department,
open cases counted from the index alone, a filtered percentile's bin

* ``rolluphandling`` gains ``category_id`` and ``department_id`` in its key (a
  filtered dashboard reads its histogram from the rollup instead of the
  handling rows); the table is rebuilt and refilled from ``casehandling``.
* the status / deadline indexes of ``case`` carry category, department and
  accept time (overdue now and the trend's not-yet-due count in one pass);
  the category / department submit-time indexes carry the other filter and
  the district and township (a filtered area's intake from the index alone).
* ``casehandling`` gets (category | department, bin, day, …, secs) for the
  exact percentile of a filtered view, and (community | grid, day, bin, …,
  secs) for those scopes' histogram and percentiles.
* the single-column case indexes on category, district, community and grid
  go: a composite index starts with each (PostgreSQL combined the bare
  category index with a community's in a bitmap AND, 13 ms of 15).
* ``rollupteamfilter``: the ranking counters per category, accept month,
  department and team, filled from the cases (a filtered city, district or
  township ranks its teams, grids and communities from it).

Revision ID: h18b_filtered_dashboard
Revises: h15en_reference_names_en
Create Date: 2026-12-06 22:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'h18b_filtered_dashboard'
down_revision: Union[str, Sequence[str], None] = 'h15en_reference_names_en'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CASE_INDEXES = {  # name: (before, after)
    'ix_case_status_deadline': (['status', 'deadline'], ['status', 'deadline', 'category_id', 'department_id', 'accepted_at']),
    'ix_case_district_status_deadline': (
        ['district_id', 'status', 'deadline', 'category_id', 'department_id'],
        ['district_id', 'status', 'deadline', 'category_id', 'department_id', 'accepted_at'],
    ),
    'ix_case_township_status_deadline': (
        ['township_id', 'status', 'deadline', 'category_id', 'department_id'],
        ['township_id', 'status', 'deadline', 'category_id', 'department_id', 'accepted_at'],
    ),
    'ix_case_category_submitted': (['category_id', 'submitted_at'], ['category_id', 'submitted_at', 'department_id', 'district_id', 'township_id']),
    'ix_case_department_submitted': (
        ['department_id', 'submitted_at'],
        ['department_id', 'submitted_at', 'category_id', 'district_id', 'township_id'],
    ),
}
HANDLING_INDEXES = {
    'ix_casehandling_category_bin': ['category_id', 'bin', 'day', 'department_id', 'district_id', 'township_id', 'secs'],
    'ix_casehandling_department_bin': ['department_id', 'bin', 'day', 'district_id', 'township_id', 'secs'],
    'ix_casehandling_community_day': ['community_id', 'day', 'bin', 'category_id', 'department_id', 'secs'],
    'ix_casehandling_grid_day': ['grid_id', 'day', 'bin', 'category_id', 'department_id', 'secs'],
}


def _histogram_table(keys: list[str]) -> None:
    op.create_table(
        'rolluphandling',
        *[sa.Column(k, sa.Integer(), autoincrement=False, nullable=False) for k in keys],
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*keys),
        sqlite_with_rowid=False,
    )


def _fill_histogram(dims: str) -> None:
    """The histogram from the handling rows: the city (0), each district, each township."""
    bind = op.get_bind()
    for area, where in (('0', ''), ('district_id', 'WHERE district_id <> 0'), ('township_id', 'WHERE township_id <> 0')):
        group = ', '.join(([area] if area != '0' else []) + ['day / 100', *([dims] if dims else []), 'bin'])
        bind.exec_driver_sql(
            f"INSERT INTO rolluphandling (area_id, month, {dims + ', ' if dims else ''}bin, n) "
            f"SELECT {area}, day / 100, {dims + ', ' if dims else ''}bin, count(*) FROM casehandling {where} GROUP BY {group}"
        )


TEAM_KEYS = ['category_id', 'month', 'department_id', 'team_id', 'grid_id', 'community_id', 'township_id', 'district_id']
TEAM_COLS = ['accepted', 'done', 'resolved', 'on_time']


def _team_filter_table() -> None:
    op.create_table(
        'rollupteamfilter',
        *[sa.Column(k, sa.Integer(), autoincrement=False, nullable=False) for k in TEAM_KEYS],
        *[sa.Column(c, sa.Integer(), nullable=False) for c in TEAM_COLS],
        sa.PrimaryKeyConstraint(*TEAM_KEYS),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_rollupteamfilter_department_month', 'rollupteamfilter', ['department_id', 'month'], unique=False)
    op.create_index(
        'ix_rollupteamfilter_district', 'rollupteamfilter', ['district_id', 'category_id', 'month', 'department_id', 'team_id', *TEAM_COLS]
    )
    op.create_index(
        'ix_rollupteamfilter_township',
        'rollupteamfilter',
        ['township_id', 'category_id', 'month', 'department_id', 'team_id', 'community_id', 'grid_id', *TEAM_COLS],
    )
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        month = "CAST(to_char(accepted_at, 'YYYYMM') AS INTEGER)"
    else:
        month = "CAST(strftime('%Y%m', accepted_at) AS INTEGER)"
    done_at = 'COALESCE(resolved_at, closed_at)'
    resolved = f"status IN ('resolved', 'closed') AND {done_at} IS NOT NULL"
    dims = ', '.join(f'COALESCE({k}, 0)' for k in TEAM_KEYS if k != 'month')
    bind.exec_driver_sql(
        f"INSERT INTO rollupteamfilter (month, {', '.join(k for k in TEAM_KEYS if k != 'month')}, {', '.join(TEAM_COLS)}) "
        f"SELECT {month}, {dims}, COUNT(*), SUM(CASE WHEN status IN ('resolved', 'closed') THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {resolved} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {resolved} AND (deadline IS NULL OR {done_at} <= deadline) THEN 1 ELSE 0 END) "
        "FROM \"case\" WHERE accepted_at IS NOT NULL AND status NOT IN ('rejected', 'duplicate') "
        f"GROUP BY {month}, {dims}"
    )


# single-column indexes that a composite one starting with the same column makes redundant
REDUNDANT = {'ix_case_category_id': 'category_id', 'ix_case_district_id': 'district_id', 'ix_case_community_id': 'community_id',
             'ix_case_grid_id': 'grid_id'}


def upgrade() -> None:
    """Upgrade schema."""
    for name in REDUNDANT:
        op.drop_index(name, table_name='case')
    for name, (_, after) in CASE_INDEXES.items():
        op.drop_index(name, table_name='case')
        op.create_index(name, 'case', after, unique=False)
    for name, columns in HANDLING_INDEXES.items():
        op.create_index(name, 'casehandling', columns, unique=False)
    op.drop_table('rolluphandling')
    _histogram_table(['area_id', 'month', 'category_id', 'department_id', 'bin'])
    _fill_histogram('category_id, department_id')
    _team_filter_table()


def downgrade() -> None:
    """Downgrade schema."""
    for name in ('ix_rollupteamfilter_department_month', 'ix_rollupteamfilter_district', 'ix_rollupteamfilter_township'):
        op.drop_index(name, table_name='rollupteamfilter')
    op.drop_table('rollupteamfilter')
    op.drop_table('rolluphandling')
    _histogram_table(['area_id', 'month', 'bin'])
    _fill_histogram('')
    for name in HANDLING_INDEXES:
        op.drop_index(name, table_name='casehandling')
    for name, (before, _) in CASE_INDEXES.items():
        op.drop_index(name, table_name='case')
        op.create_index(name, 'case', before, unique=False)
    for name, column in REDUNDANT.items():
        op.create_index(name, 'case', [column], unique=False)
