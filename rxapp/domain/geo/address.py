"""The address index: which grid an address names.

It knows every area below the city by name (district, township, community,
grid) and every grid's roads (``Area.roads``).  A lookup scans the address
once through a bigram table, whatever the number of areas, collects every
name found in it, and picks the candidate with the most of its own
ancestors also named (a road of 朱家尖街道 beats a namesake road elsewhere
when 朱家尖街道 is in the text), then the most specific (road, grid,
community, township, district), then the longer name, then the older area.

Built once per process and rebuilt when the areas change (``cache``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from rxapp.domain.geo.cache import AreaCache
from rxapp.models import Area, AreaLevel

ROAD = "road"
RANK = {lvl: i for i, lvl in enumerate(AreaLevel.ORDER)} | {ROAD: len(AreaLevel.ORDER)}
ROAD_SEPARATOR = "、"


@dataclass(frozen=True)
class AddressMatch:
    area_id: int  # the area the address names (for a road: its grid)
    level: str  # road, grid, community, township or district
    grid_id: int | None  # the grid it resolves to (a broader area: its first grid)
    name: str  # the name found in the text


class AddressIndex:
    def __init__(self, rows: list[tuple[int, str, str, str, int, str]]):
        """``rows``: (id, name, level, path, sort, roads) of every area below the city."""
        self.info = {aid: (name, level, [int(x) for x in path.strip("/").split("/") if x]) for aid, name, level, path, _, _ in rows}
        self.by_bigram: dict[str, list[tuple[str, int, str]]] = {}
        for aid, name, level, _path, _sort, roads in rows:
            self._add(name, aid, level)
            if level == AreaLevel.GRID:
                for road in (roads or "").split(ROAD_SEPARATOR):
                    self._add(road.strip(), aid, ROAD)
        # an area's grid: the first grid under it (sort, then id); a grid is its own
        self.grid_of: dict[int, int] = {}
        for aid, _name, level, _path, _sort, _roads in sorted(rows, key=lambda r: (r[4], r[0])):
            if level == AreaLevel.GRID:
                for ancestor in self.info[aid][2]:
                    self.grid_of.setdefault(ancestor, aid)

    def _add(self, name: str, aid: int, kind: str) -> None:
        if len(name) >= 2:
            self.by_bigram.setdefault(name[:2], []).append((name, aid, kind))

    @classmethod
    def build(cls, session: Session) -> AddressIndex:
        rows = session.exec(
            select(Area.id, Area.name, Area.level, Area.path, Area.sort, Area.roads).where(Area.level != AreaLevel.CITY).order_by(Area.id)
        ).all()
        return cls([tuple(r) for r in rows])

    def match(self, text: str) -> AddressMatch | None:
        """The best-named place in ``text`` (see the module docstring), or None."""
        if not text:
            return None
        found: list[tuple[str, int, str]] = []
        for i in range(len(text) - 1):
            for entry in self.by_bigram.get(text[i : i + 2], ()):
                if text.startswith(entry[0], i):
                    found.append(entry)
        if not found:
            return None
        named = {aid for _, aid, kind in found if kind != ROAD}
        best = None
        for name, aid, kind in found:
            if aid not in self.info:
                continue
            _, level, path = self.info[aid]
            ancestors = sum(1 for x in path if x in named and x != aid)
            key = (ancestors, RANK.get(kind if kind == ROAD else level, 0), len(name), -aid)
            if best is None or key > best[0]:
                best = (key, name, aid, kind if kind == ROAD else level)
        _, name, aid, level = best
        return AddressMatch(aid, level, self.grid_of.get(aid), name)

    def grid_id_for(self, text: str) -> int | None:
        """The grid an address names (None when it names no known place)."""
        found = self.match(text)
        return found.grid_id if found else None

    def contains(self, area_id: int, grid_id: int) -> bool:
        """Whether grid ``grid_id`` lies in area ``area_id`` (or is it)."""
        info = self.info.get(grid_id)
        return info is not None and area_id in info[2]


_indexes: AreaCache[AddressIndex] = AreaCache(AddressIndex.build)


def address_index(session: Session, mark: tuple | None = None) -> AddressIndex:
    """This process's address index of the session's database."""
    return _indexes.get(session, mark)
