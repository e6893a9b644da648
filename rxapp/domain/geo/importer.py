"""Import real area boundaries from a GeoJSON FeatureCollection
(``python -m rxapp.areas import FILE``).

Each feature names its area by ``properties``:

* ``"id"``: an existing area's id; or
* ``"path"``: names from the district down, ``/``-separated, e.g.
  ``"普陀区/朱家尖街道/白山社区/白山社区第2网格"`` (a leading ``舟山市`` is
  allowed).  When only the last name is new, the area is created one level
  below its parent (a parent created by an earlier feature of the same file
  counts).

Optional: ``"level"`` (must match), ``"roads"`` (a grid's road names, a list
or ``、``-separated) for the address index.

The geometry must be a valid Polygon or MultiPolygon in GCJ-02 lon/lat (or
WGS84 with ``datum="wgs84"``, converted on the way in).  Every feature is
checked before anything is written: a feature that names no area or the same
area as another, an invalid or empty geometry, coordinates outside China, or
two areas of the same level overlapping (the file's own or ones already
stored that the file does not replace) → ``ImportRefused`` listing each
problem by feature, and nothing written.  Otherwise, in the caller's
transaction: the geometry columns set, ``geo_rev`` moved up (every process
rebuilds its resolver), and one audit row per area keeping the geometry it
replaced (nothing is lost).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import func
from sqlmodel import Session, select

from rxapp.domain.access import Actor
from rxapp.domain.errors import DomainError
from rxapp.domain.geo.datum import outside_china, wgs84_to_gcj02
from rxapp.domain.geo.resolve import DATUMS, GCJ02, WGS84
from rxapp.domain.geo.shapes import to_km
from rxapp.domain.geo.store import set_geometry
from rxapp.domain.reference import add_area
from rxapp.models import Area, AreaLevel, Role

MAX_FEATURES = 20_000
MAX_REPORTED = 20
OVERLAP_KM2 = 1e-4  # 100 m²: below this, two outlines only touch (digitising slop)
OVERLAP_SHARE = 0.001  # and at most 0.1 % of the smaller area


class ImportRefused(DomainError):
    """The file was refused; ``errors`` names each problem by feature."""

    def __init__(self, errors: list[str]):
        shown = errors[:MAX_REPORTED]
        more = f"；另有{len(errors) - len(shown)}处问题" if len(errors) > len(shown) else ""
        super().__init__("导入被拒绝，未写入任何数据：" + "；".join(shown) + more, "file")
        self.errors = errors


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    rev: int = 0
    area_ids: list[int] = field(default_factory=list)


@dataclass
class _Item:
    index: int
    label: str
    geom: object
    area: Area | None = None  # an existing area
    names: tuple[str, ...] = ()  # a new area: its names from the district down
    parent: Area | None = None  # its existing parent (else one created by an earlier feature: names[:-1])
    name: str = ""
    level: str = ""
    roads: str | None = None


def _label(i: int, props: dict) -> str:
    named = props.get("path") or props.get("name") or (f"id {props['id']}" if props.get("id") not in (None, "") else "")
    return f"第{i + 1}个要素" + (f"（{str(named)[:60]}）" if named else "")


def _geometry(raw: object, datum: str) -> tuple[object | None, str | None]:
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        return None, "几何类型须为 Polygon 或 MultiPolygon"
    try:
        geom = shapely.geometry.shape(raw)
    except Exception as exc:  # malformed coordinates of any kind
        return None, f"坐标格式错误（{type(exc).__name__}）"
    if geom.is_empty:
        return None, "几何为空"
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        return None, "坐标含非数字"
    minx, miny, maxx, maxy = geom.bounds
    if outside_china(minx, miny) or outside_china(maxx, maxy):
        return None, f"坐标超出中国范围（{minx:.4f}, {miny:.4f} – {maxx:.4f}, {maxy:.4f}），应为经度、纬度"
    if not geom.is_valid:
        return None, f"几何无效：{shapely.is_valid_reason(geom)}"
    if datum == WGS84:
        geom = shapely.transform(geom, lambda c: np.array([wgs84_to_gcj02(x, y) for x, y in c]).reshape(-1, 2))
        if not geom.is_valid:
            return None, f"几何在坐标转换后无效：{shapely.is_valid_reason(geom)}"
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    if to_km(geom).area <= 0:
        return None, "几何面积为零"
    return geom, None


def _roads(value: object) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    names = value if isinstance(value, list) else re.split(r"[、,，;；]", value) if isinstance(value, str) else None
    if names is None or not all(isinstance(n, str) for n in names):
        return None, "roads 须为道路名称列表"
    names = [n.strip() for n in names if n.strip()]
    if any(len(n) > 32 for n in names) or len(names) > 200:
        return None, "roads 道路名称过长或过多"
    return "、".join(names), None


def _next_level(level: str) -> str | None:
    order = AreaLevel.ORDER
    return order[order.index(level) + 1] if level in order and level != AreaLevel.GRID else None


def import_areas(session: Session, collection: object, *, actor: Actor, datum: str = GCJ02) -> ImportReport:
    """Check every feature, then write them all (see the module docstring).  Administrators only."""
    if actor is None or getattr(actor, "role", None) != Role.ADMIN:
        raise DomainError("只有系统管理员可以导入区域边界", "file")
    if datum not in DATUMS:
        raise DomainError("坐标系须为 gcj02 或 wgs84", "datum")
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection" or not isinstance(collection.get("features"), list):
        raise ImportRefused(["文件须为 GeoJSON FeatureCollection"])
    features = collection["features"]
    if not features:
        raise ImportRefused(["文件中没有要素"])
    if len(features) > MAX_FEATURES:
        raise ImportRefused([f"要素过多（{len(features)}），一次最多导入{MAX_FEATURES}个"])

    areas = {a.id: a for a in session.exec(select(Area)).all()}
    children: dict[int | None, dict[str, Area]] = {}
    for a in areas.values():
        children.setdefault(a.parent_id, {})[a.name] = a
    city = next((a for a in areas.values() if a.level == AreaLevel.CITY), None)

    errors: list[str] = []
    items: list[_Item] = []
    claimed: dict[object, str] = {}  # area id or new path -> the feature that names it
    new_paths: dict[tuple[str, ...], str] = {}  # a new area's names -> its level
    for i, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            errors.append(f"第{i + 1}个要素：缺少 properties")
            continue
        label = _label(i, props)
        geom, problem = _geometry(feature.get("geometry"), datum)
        if problem:
            errors.append(f"{label}：{problem}")
            continue
        roads, problem = _roads(props.get("roads"))
        if problem:
            errors.append(f"{label}：{problem}")
            continue
        item = _Item(i, label, geom, roads=roads)
        if props.get("id") not in (None, ""):
            aid = props["id"]
            area = areas.get(aid) if isinstance(aid, int) and not isinstance(aid, bool) else None
            if area is None or area.level == AreaLevel.CITY:
                errors.append(f"{label}：区域 id {str(aid)[:20]} 不存在")
                continue
            item.area, key = area, area.id
        elif isinstance(props.get("path"), str) and props["path"].strip():
            names = [p.strip() for p in re.split(r"[/／>]", props["path"]) if p.strip()]
            if names and city is not None and names[0] == city.name:
                names = names[1:]
            parent: Area | None = city
            for name in names[:-1]:
                parent = children.get(parent.id, {}).get(name) if parent is not None else None
            # else a parent created by an earlier feature of this file
            new_parent = parent is None and tuple(names[:-1]) in new_paths
            if not names or (parent is None and not new_parent):
                errors.append(f"{label}：路径中的上级区域不存在")
                continue
            existing = children.get(parent.id, {}).get(names[-1]) if parent is not None else None
            if existing is not None:
                item.area, key = existing, existing.id
            else:
                level = _next_level(parent.level if parent is not None else new_paths[tuple(names[:-1])])
                if level is None:
                    errors.append(f"{label}：网格之下不能再建区域")
                    continue
                item.names, item.parent, item.name, item.level = tuple(names), parent, names[-1][:64], level
                key = item.names
                new_paths[key] = level
        else:
            errors.append(f"{label}：properties 须有 id（区域编号）或 path（区域路径）")
            continue
        level = item.area.level if item.area else item.level
        if props.get("level") not in (None, "", level):
            errors.append(f"{label}：level 为 {str(props['level'])[:16]}，但该区域是 {level}")
            continue
        if item.roads is not None and level != AreaLevel.GRID:
            errors.append(f"{label}：只有网格可以有 roads")
            continue
        if key in claimed:
            errors.append(f"{label}：与{claimed[key]}指向同一区域")
            continue
        claimed[key] = label
        items.append(item)

    errors.extend(_overlaps(items, areas))
    if errors:
        raise ImportRefused(errors)
    return _write(session, items, actor)


def _overlaps(items: list[_Item], areas: dict[int, Area]) -> list[str]:
    """Pairs of same-level areas that overlap (the file's, and stored ones it does not replace)."""
    replaced = {it.area.id for it in items if it.area is not None}
    errors = []
    for level in AreaLevel.ORDER[1:]:
        mine = [it for it in items if (it.area.level if it.area else it.level) == level]
        if not mine:
            continue
        kept = [a for a in areas.values() if a.level == level and a.geometry and a.id not in replaced]
        labels = [it.label for it in mine] + [f"已有区域“{a.name}”（id {a.id}）" for a in kept]
        geoms = [to_km(it.geom) for it in mine] + [to_km(shapely.from_geojson(a.geometry)) for a in kept]
        tree = STRtree(geoms)
        left, right = tree.query(geoms[: len(mine)], predicate="intersects")
        for i, j in zip(left, right):
            if j == i or (j < len(mine) and j < i):
                continue
            shared = geoms[i].intersection(geoms[j]).area
            if shared > OVERLAP_KM2 and shared > OVERLAP_SHARE * min(geoms[i].area, geoms[j].area):
                errors.append(f"{labels[i]}与{labels[j]}重叠约{shared * 1e6:,.0f}平方米")
    return errors


def _write(session: Session, items: list[_Item], actor: Actor) -> ImportReport:
    from rxapp.domain.admin import _audit

    rev = int(session.exec(select(func.max(Area.geo_rev))).one() or 0) + 1
    report = ImportReport(rev=rev)
    created: dict[tuple[str, ...], Area] = {}
    for it in sorted(items, key=lambda x: len(x.names)):  # existing areas first, then new ones parents-first
        area = it.area
        previous = area.geometry if area is not None else None
        if area is None:
            parent = it.parent if it.parent is not None else created[it.names[:-1]]
            area = add_area(session, name=it.name, level=it.level, parent=parent, sort=1000 + it.index)
            created[it.names] = area
            report.created += 1
        else:
            report.updated += 1
        set_geometry(area, it.geom, rev=rev)
        if it.roads is not None:
            area.roads = it.roads
        session.add(area)
        session.flush()
        _audit(session, actor, "area.geometry", area.path, {"area_id": area.id, "name": area.name, "rev": rev,
                                                              "created": it.area is None,
                                                              "previous_geometry": json.loads(previous) if previous else None})
        report.area_ids.append(area.id)
    return report

