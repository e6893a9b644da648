"""``python -m rxapp.seed --cases N [--db URL] [--reset | --if-empty] [--random-seed S] [--grids-per-township K] [--now T]``

Fills a GridDesk database with realistic Zhoushan demo data (see
``rxapp.domain.seed``). A progress bar goes to stderr; stdout gets one line::

    seeded <N> cases, <H> households, <G> grids, <U> users in <T>s

Exit status 2 with a one-line message on stderr, and nothing written, for bad
arguments, a malformed or unreachable database, or a database that already
has cases (unless ``--reset``; ``--if-empty`` then exits 0 without a word, so
``make run`` can "seed if empty" safely). ``--reset`` empties every GridDesk
table first — a developer tool, never for a real deployment.
"""

from __future__ import annotations

import argparse
import sys

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + error
        _fail(f"{self.prog}: error: {message}")


def _fail(message: str, status: int = EXIT_USAGE):
    print(" ".join(str(message).split()), file=sys.stderr)
    raise SystemExit(status)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m rxapp.seed", description="Seed GridDesk with realistic Zhoushan demo data.")
    p.add_argument("--cases", type=int, required=True, metavar="N", help="number of cases (诉求) over the last 24 months")
    p.add_argument("--db", metavar="URL", help="SQLAlchemy URL (default: $REFLEX_DB_URL or sqlite:///griddesk.db)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--reset", action="store_true", help="empty every GridDesk table first (developer tool)")
    group.add_argument("--if-empty", action="store_true", help="do nothing (exit 0) when the database already has data")
    p.add_argument("--random-seed", type=int, default=42, metavar="S", help="random seed (default 42)")
    p.add_argument("--grids-per-township", type=int, default=3, metavar="K", help="grids per township (default 3; full size ~55)")
    p.add_argument("--now", metavar="YYYY-MM-DDTHH:MM", help="anchor time (China time; default: now), for reproducible data")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _error_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from rxapp.domain.seed import MAX_CASES, MAX_GRIDS_PER_TOWNSHIP

    if not 0 <= args.cases <= MAX_CASES:
        _fail(f"--cases must be between 0 and {MAX_CASES}, got {args.cases}")
    if not 1 <= args.grids_per_township <= MAX_GRIDS_PER_TOWNSHIP:
        _fail(f"--grids-per-township must be between 1 and {MAX_GRIDS_PER_TOWNSHIP}, got {args.grids_per_township}")

    anchor = None
    if args.now:
        from datetime import datetime

        try:
            anchor = datetime.fromisoformat(args.now).replace(tzinfo=None)
        except ValueError:
            _fail(f"--now must be an ISO date-time such as 2026-11-27T10:00, got {args.now!r}")

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from rxapp.db import db_url, make_engine

    url = args.db or db_url()
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            _fail(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")
        if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            folder = Path(parsed.database).expanduser().resolve().parent
            if not folder.is_dir():
                _fail(f"cannot open database: folder {folder} does not exist")
        engine = make_engine(url)
    except ArgumentError as exc:
        _fail(f"malformed database URL: {_error_line(exc)}")
    except ImportError as exc:
        _fail(f"database driver missing: {_error_line(exc)}")

    # Probe before writing anything.
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as exc:
        _fail(f"cannot connect to database: {_error_line(exc)}")

    from rxapp.domain.seed import SeedRefused, count_cases, seed

    try:
        existing = count_cases(engine)
    except SQLAlchemyError as exc:
        _fail(f"cannot read database: {_error_line(exc)}")
    if existing and args.if_empty:
        return 0
    if existing and not args.reset:
        _fail(f"database already has {existing} cases; use --reset to replace them (or --if-empty to skip)")

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=args.quiet or not console.is_terminal,
        transient=False,
    )
    tasks: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=max(total, 1))
        bar.update(tasks[stage], completed=done, total=max(total, 1))

    try:
        with bar:
            stats = seed(
                engine,
                cases=args.cases,
                random_seed=args.random_seed,
                grids_per_township=args.grids_per_township,
                reset=args.reset,
                now=anchor,
                progress=progress,
            )
    except SeedRefused as exc:
        if args.if_empty:  # users / households but no cases: not empty either, leave it alone
            return 0
        _fail(str(exc))
    except ValueError as exc:
        _fail(str(exc))
    except SQLAlchemyError as exc:
        _fail(f"database error, nothing written: {_error_line(exc)}", 1)
    finally:
        engine.dispose()
    print(
        f"seeded {stats.cases} cases, {stats.households} households, {stats.grids} grids, "
        f"{stats.users} users in {stats.seconds:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
