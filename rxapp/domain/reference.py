"""Reference data shipped with the project (``rxapp/data``): the 14 request
categories with their departments, and Zhoushan's districts and townships
(with their reference geometry, ``rxapp.domain.geo.land``).

``load_reference`` is idempotent: it creates what is missing and returns the
ids, so the seed, the tests and a real deployment share one loader."""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, select

from rxapp.models import Area, AreaLevel, Category, Department

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CITY_NAME = "舟山市"
CITY_CODE = "330900"
DISTRICT_NAMES = {"330902": "定海区", "330903": "普陀区", "330921": "岱山县", "330922": "嵊泗县"}


def read_csv(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass
class Reference:
    city_id: int
    district_ids: dict[str, int] = field(default_factory=dict)  # name -> id
    township_ids: dict[str, int] = field(default_factory=dict)  # name -> id
    township_district: dict[int, int] = field(default_factory=dict)  # township id -> district id
    category_ids: dict[str, int] = field(default_factory=dict)  # code -> id
    department_ids: dict[str, int] = field(default_factory=dict)  # category code -> department id


def add_area(session: Session, *, name: str, level: str, parent: Area | None, code: str = "", sort: int = 0) -> Area:
    area = Area(name=name, level=level, parent_id=parent.id if parent else None, code=code, sort=sort)
    session.add(area)
    session.flush()
    area.path = f"{parent.path if parent else '/'}{area.id}/"
    session.add(area)
    return area


def _get_or_add_area(session: Session, *, name: str, level: str, parent: Area | None, code: str = "", sort: int = 0) -> Area:
    stmt = select(Area).where(Area.name == name, Area.level == level)
    stmt = stmt.where(Area.parent_id == (parent.id if parent else None)) if parent else stmt.where(Area.parent_id.is_(None))
    found = session.exec(stmt).first()
    return found or add_area(session, name=name, level=level, parent=parent, code=code, sort=sort)


def load_reference(session: Session) -> Reference:
    from rxapp.domain.classify import DEFAULT_KEYWORDS, format_keywords
    from rxapp.domain.geo.land import fill_reference_geometry

    city = _get_or_add_area(session, name=CITY_NAME, level=AreaLevel.CITY, parent=None, code=CITY_CODE)
    ref = Reference(city_id=city.id)
    districts: dict[str, Area] = {}
    townships: dict[str, Area] = {}
    for i, row in enumerate(read_csv("zhoushan_townships.csv")):
        dcode = row["district_code"]
        if dcode not in districts:
            districts[dcode] = _get_or_add_area(
                session, name=row["district_zh"], level=AreaLevel.DISTRICT, parent=city, code=dcode, sort=len(districts)
            )
            ref.district_ids[row["district_zh"]] = districts[dcode].id
        township = _get_or_add_area(
            session, name=row["township_zh"], level=AreaLevel.TOWNSHIP, parent=districts[dcode], sort=i
        )
        ref.township_ids[row["township_zh"]] = township.id
        ref.township_district[township.id] = districts[dcode].id
        townships[row["township_zh"]] = township
    fill_reference_geometry(session, city, {a.name: a for a in districts.values()}, townships)

    departments: dict[str, Department] = {dep.name_zh: dep for dep in session.exec(select(Department)).all()}
    existing = {cat.code: cat for cat in session.exec(select(Category)).all()}
    for i, row in enumerate(read_csv("categories.csv")):
        dep = departments.get(row["department_zh"])
        if dep is None:
            dep = Department(code=row["code"], name_zh=row["department_zh"], name_en=row["department_en"])
            session.add(dep)
            session.flush()
            departments[dep.name_zh] = dep
        cat = existing.get(row["code"])
        if cat is None:
            cat = Category(
                code=row["code"],
                name_zh=row["name_zh"],
                name_en=row["name_en"],
                deadline_workdays=int(row["deadline_workdays"]),
                department_id=dep.id,
                keywords=format_keywords(DEFAULT_KEYWORDS.get(row["code"], [])),
                from_report=row["from_report"] == "yes",
                sort=i,
            )
            session.add(cat)
            session.flush()
        ref.category_ids[cat.code] = cat.id
        ref.department_ids[cat.code] = cat.department_id
    session.flush()
    return ref
