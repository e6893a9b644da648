"""Area boundaries from the command line (on the server, with database access).

    python -m rxapp.areas import FILE [--datum gcj02|wgs84] [--dry-run] [--db URL]

FILE is a GeoJSON FeatureCollection of Polygons / MultiPolygons whose
properties name the area (``id``, or ``path`` such as
``普陀区/朱家尖街道/白山社区/白山社区第2网格``; optional ``level``, ``roads``);
see ``rxapp.domain.geo.importer``.  Every feature is checked first: any
invalid or overlapping geometry, or a feature naming no area, prints one line
per problem on stderr, exits with status 2 and writes nothing.  ``--dry-run``
checks without writing.  The command line acts as ``cli_actor()`` (audited).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from rxapp.db import db_url, make_engine
from rxapp.domain.errors import DomainError
from rxapp.users import EXIT_USAGE, _Parser  # one-line usage errors, as every command here
MAX_FILE_BYTES = 200 * 1024 * 1024


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m rxapp.areas", description="网格服务平台：区域边界导入")
    parser.add_argument("--db", help="数据库 URL（默认取 REFLEX_DB_URL）")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("import", help="从 GeoJSON 导入区域边界（全部校验通过才写入）")
    p.add_argument("file", type=Path)
    p.add_argument("--datum", choices=("gcj02", "wgs84"), default="gcj02", help="文件坐标系（默认 gcj02，与底图一致）")
    p.add_argument("--dry-run", action="store_true", help="只校验，不写入")
    return parser


def _read(path: Path) -> object:
    if not path.is_file():
        raise DomainError(f"文件不存在：{path}", "file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DomainError(f"文件过大（超过{MAX_FILE_BYTES // 1024 // 1024} MB）", "file")
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DomainError(f"不是有效的 GeoJSON（JSON 解析失败：{exc}）", "file") from None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    from rxapp.domain.admin import cli_actor
    from rxapp.domain.geo.importer import ImportRefused, import_areas

    engine = make_engine(args.db or db_url())
    try:
        collection = _read(args.file)
        with Session(engine, expire_on_commit=False) as session:
            report = import_areas(session, collection, actor=cli_actor(), datum=args.datum)
            if args.dry_run:
                session.rollback()
                print(f"校验通过：将新建 {report.created} 个、更新 {report.updated} 个区域（未写入）")
                return 0
            session.commit()
        print(f"已导入 {report.created + report.updated} 个区域边界（新建 {report.created}，更新 {report.updated}；版本 {report.rev}）")
        return 0
    except ImportRefused as exc:
        print("错误：导入被拒绝，未写入任何数据", file=sys.stderr)
        for line in exc.errors:
            print(f"  {line}", file=sys.stderr)
        return EXIT_USAGE
    except DomainError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except (OperationalError, ProgrammingError) as exc:
        print(f"错误：数据库不可用或尚未初始化（{type(exc.orig).__name__}）", file=sys.stderr)
        return EXIT_USAGE
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
