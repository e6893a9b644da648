"""rollupoverdue: the due cohort (due, due_done) of the headline 办结率 (应办结)

Adds the two counters and fills them from the cases already there (per area
level, category, deadline day and department), so an existing database shows
the headline without a full rollup rebuild.

Revision ID: e15d0e5c0a1b
Revises: ddcb1cd937f4
Create Date: 2026-12-05 09:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = 'e15d0e5c0a1b'
down_revision: Union[str, Sequence[str], None] = '575e3494f227'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('rollupoverdue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('due_done', sa.Integer(), nullable=False, server_default='0'))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        day = "CAST(to_char(deadline, 'YYYYMMDD') AS INTEGER)"
    else:
        day = "CAST(replace(substr(deadline, 1, 10), '-', '') AS INTEGER)"
    done = "CASE WHEN status IN ('resolved', 'closed') THEN 1 ELSE 0 END"
    base = (
        f"SELECT {{area}} AS area_id, COALESCE(category_id, 0) AS category_id, {day} AS day, "
        f"COALESCE(department_id, 0) AS department_id, COUNT(*) AS due, SUM({done}) AS due_done FROM \"case\" "
        "WHERE accepted_at IS NOT NULL AND status NOT IN ('rejected', 'duplicate') AND deadline IS NOT NULL {where} "
        f"GROUP BY {{group}}COALESCE(category_id, 0), {day}, COALESCE(department_id, 0)"
    )
    for area, where, group in (
        ("0", "", ""),
        ("district_id", "AND district_id IS NOT NULL AND district_id <> 0", "district_id, "),
        ("township_id", "AND township_id IS NOT NULL AND township_id <> 0", "township_id, "),
    ):
        select = base.format(area=area, where=where, group=group)
        bind.exec_driver_sql(
            "INSERT INTO rollupoverdue (area_id, category_id, day, department_id, overdue_in, overdue_out, due, due_done) "
            f"SELECT area_id, category_id, day, department_id, 0, 0, due, due_done FROM ({select}) AS d WHERE true "
            "ON CONFLICT (area_id, category_id, day, department_id) DO UPDATE SET due = excluded.due, due_done = excluded.due_done"
        )
    with op.batch_alter_table('rollupoverdue', schema=None) as batch_op:
        batch_op.alter_column('due', server_default=None)
        batch_op.alter_column('due_done', server_default=None)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('rollupoverdue', schema=None) as batch_op:
        batch_op.drop_column('due_done')
        batch_op.drop_column('due')
