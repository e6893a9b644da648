"""English names of the reference categories and departments, for databases
made before the UI used them: fills only names still empty (one set by hand
stays). The names are frozen here as they were shipped in rxapp/data/categories.csv.

Revision ID: h15en_reference_names_en
Revises: h18_dashboard_indexes
Create Date: 2026-12-05 23:45:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = 'h15en_reference_names_en'
down_revision: Union[str, Sequence[str], None] = 'h18_dashboard_indexes'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# category code -> English name
CATEGORIES = {
    'ECON': 'Economic development',
    'ENV': 'Environmental protection',
    'RELIEF': 'Hardship relief',
    'AGRI': 'Agricultural production',
    'DISPUTE': 'Neighbour disputes',
    'FISH': 'Fisheries and maritime safety',
    'JOBS': 'Employment and social security',
    'HEALTH': 'Health care',
    'EDU': 'Education culture and sports',
    'INFRA': 'Construction and infrastructure',
    'LAND': 'Land housing and relocation',
    'SAFETY': 'Public order and work safety',
    'LEGAL': 'Policy and legal advice',
    'OTHER': 'Other and suggestions',
}
# department Chinese name -> English name
DEPARTMENTS = {
    '经济和信息化局': 'Economy and Information Bureau',
    '生态环境局': 'Ecology and Environment Bureau',
    '民政局': 'Civil Affairs Bureau',
    '农业农村局': 'Agriculture and Rural Affairs Bureau',
    '司法局（人民调解）': 'Justice Bureau (mediation)',
    '海洋与渔业局': 'Ocean and Fisheries Bureau',
    '人力资源和社会保障局': 'Human Resources and Social Security Bureau',
    '卫生健康委员会': 'Health Commission',
    '教育局': 'Education Bureau',
    '住房和城乡建设局': 'Housing and Urban-Rural Development Bureau',
    '自然资源和规划局': 'Natural Resources and Planning Bureau',
    '公安局': 'Public Security Bureau',
    '司法局': 'Justice Bureau',
    '乡镇（街道）综合办': 'Township general office',
}


def _fill(table: str, key: str, names: dict[str, str]) -> None:
    stmt = sa.text(f"UPDATE {table} SET name_en = :en WHERE {key} = :key AND (name_en IS NULL OR name_en = '')")
    conn = op.get_bind()
    for k, en in names.items():
        conn.execute(stmt, {"en": en, "key": k})


def upgrade() -> None:
    _fill('category', 'code', CATEGORIES)
    _fill('department', 'name_zh', DEPARTMENTS)


def downgrade() -> None:
    # the names are data, not schema: leaving them does no harm to the older code
    pass
