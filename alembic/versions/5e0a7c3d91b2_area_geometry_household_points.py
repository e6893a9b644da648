"""area geometry (GeoJSON text + bounding box + label point + roads), household points

Revision ID: 5e0a7c3d91b2
Revises: ddcb1cd937f4
Create Date: 2026-12-05 09:30:00

Coordinates are GCJ-02 (see rxapp/domain/geo/datum.py).  Plain columns and
B-tree indexes only: PostgreSQL needs no PostGIS, point-in-polygon runs in
shapely over the GeoJSON text.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '5e0a7c3d91b2'
down_revision: Union[str, Sequence[str], None] = 'h12_guess_counter'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.add_column(sa.Column('geometry', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('min_lon', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('min_lat', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('max_lon', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('max_lat', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('label_lon', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('label_lat', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('roads', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('geo_rev', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('ix_area_bbox_lon', ['min_lon', 'max_lon'], unique=False)
        batch_op.create_index('ix_area_bbox_lat', ['min_lat', 'max_lat'], unique=False)
        batch_op.create_index('ix_area_geo_rev', ['geo_rev'], unique=False)
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lon', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('lat', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_column('lat')
        batch_op.drop_column('lon')
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.drop_index('ix_area_geo_rev')
        batch_op.drop_index('ix_area_bbox_lat')
        batch_op.drop_index('ix_area_bbox_lon')
        batch_op.drop_column('geo_rev')
        batch_op.drop_column('roads')
        batch_op.drop_column('label_lat')
        batch_op.drop_column('label_lon')
        batch_op.drop_column('max_lat')
        batch_op.drop_column('max_lon')
        batch_op.drop_column('min_lat')
        batch_op.drop_column('min_lon')
        batch_op.drop_column('geometry')
