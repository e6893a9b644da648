"""Every person's name the database knows, masked in public text.

The public scrub (``rxapp.domain.privacy.scrub_text``) knew only the case's
own requester, so a case quoting another case ("走访中彭国平反映…") published
the visited resident's full name.  ``public_scrub`` masks every name of a
resident, requester or household representative as a substring (two-character
names included: some over-masking is accepted), besides the phone, ID-number
and street-address patterns of ``scrub_text``.

One Aho–Corasick automaton (pyahocorasick) per process holds the names.
Before each use a cheap change marker (the largest resident, household and
case id) is read; new rows' names are fetched incrementally (``id >`` the last
seen) and the automaton rebuilt only when the set of names grew.  A name
edited in place is not seen until the process restarts, but the case's own
requester is always masked by ``scrub_text`` as before, and the old name stays
masked (over-masking, not a leak)."""

from __future__ import annotations

import threading

import ahocorasick
from sqlalchemy import func, union
from sqlmodel import Session, select

from rxapp.domain.privacy import MASK, scrub_text
from rxapp.models import Case, Household, Resident

MIN_NAME = 2


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    v = value.strip()
    return v if MIN_NAME <= len(v) <= 32 and MASK not in v else None


class KnownNames:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: set[str] = set()
        self._seen: tuple[int, int, int] = (0, 0, 0)
        self._db: str = ""
        self._automaton: ahocorasick.Automaton | None = None

    @staticmethod
    def _marker(session: Session) -> tuple[int, int, int]:
        # three scalar subqueries (each an index lookup), not one select over
        # the three tables, which would be their cross product
        row = session.exec(
            select(
                select(func.max(Resident.id)).scalar_subquery(),
                select(func.max(Household.id)).scalar_subquery(),
                select(func.max(Case.id)).scalar_subquery(),
            )
        ).one()
        return tuple(int(x or 0) for x in row)  # type: ignore[return-value]

    def _fetch(self, session: Session, since: tuple[int, int, int]) -> set[str]:
        """The names of the rows after ``since``: one query, each distinct
        name once (a UNION: a city repeats its names many times over), read
        as plain values."""
        r, h, c = since
        q = union(
            select(Resident.name).where(Resident.id > r),
            select(Household.representative).where(Household.id > h),
            select(Case.requester_name).where(Case.id > c, Case.requester_name != ""),
        )
        return {n for n in map(_clean, session.connection().execute(q).scalars()) if n}

    def automaton(self, session: Session) -> ahocorasick.Automaton | None:
        """The automaton of every known name, brought up to date."""
        bind = session.get_bind()
        db = str(getattr(bind, "engine", bind).url)
        marker = self._marker(session)
        with self._lock:
            if db != self._db:  # another database (tests): start again
                self._db, self._names, self._seen, self._automaton = db, set(), (0, 0, 0), None
            if marker != self._seen:
                since = tuple(min(a, b) for a, b in zip(self._seen, marker))
                new = self._fetch(session, since) - self._names
                self._seen = marker
                if new or self._automaton is None:
                    self._names |= new
                    self._automaton = self._build(self._names)
            return self._automaton

    @staticmethod
    def _build(names: set[str]) -> ahocorasick.Automaton | None:
        if not names:
            return None
        a = ahocorasick.Automaton()
        for name in names:
            a.add_word(name, len(name))
        a.make_automaton()
        return a


known_names = KnownNames()


def mask_known(text: str, automaton: ahocorasick.Automaton | None) -> str:
    """Every occurrence of a known name keeps its first character only
    (彭国平 → 彭**); overlapping names are masked as one span."""
    if not text or automaton is None:
        return text
    spans: list[list[int]] = []
    for end, length in automaton.iter(text):
        start = end - length + 1
        spans.append([start, end])
    if not spans:
        return text
    spans.sort()
    merged = [spans[0]]
    for s, e in spans[1:]:
        if s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    chars = list(text)
    for s, e in merged:
        for i in range(s + 1, e + 1):
            chars[i] = MASK
    return "".join(chars)


def public_scrub(session: Session, text: object, **secrets) -> str:
    """``scrub_text`` (patterns and the case's own requester) and then every
    known name.  ``secrets``: ``names`` / ``addresses`` / ``phones`` of the case."""
    out = scrub_text(text, **secrets)
    return mask_known(out, known_names.automaton(session))


def scrubber(session: Session):
    """``scrub(text, **secrets)`` bound to the automaton as it is now (one
    marker read for a whole page of answers)."""
    automaton = known_names.automaton(session)

    def scrub(text: object, **secrets) -> str:
        return mask_known(scrub_text(text, **secrets), automaton)

    return scrub
