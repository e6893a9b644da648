"""Users and API keys from the command line (on the server, with database access).

    python -m rxapp.users create --username U --name N --role R
        [--scope-area-id ID | --scope "舟山市/普陀区/朱家尖街道"]
        [--department-code ENV] [--team-id ID] [--phone P] [--password P]
    python -m rxapp.users reset-password --username U [--password P]
    python -m rxapp.users disable --username U      (enable, unlock likewise)
    python -m rxapp.users list [--query Q] [--page N]
    python -m rxapp.users api-key create --name N [--rate-limit 600]
    python -m rxapp.users api-key revoke --id ID
    python -m rxapp.users api-key list

Without ``--password`` the password is asked twice (not echoed). The command
line is trusted: it acts as ``cli_actor()`` and the audit log records ``cli``.
Bad input prints one line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from rxapp.db import db_url, make_engine
from rxapp.domain import admin as A
from rxapp.domain.errors import DomainError

EXIT_USAGE = 2


class CliError(Exception):
    """A one-line message for stderr."""


def _ask_password(given: str | None) -> str:
    if given is not None:
        return given
    first = getpass.getpass("密码：")
    second = getpass.getpass("再输入一次：")
    if first != second:
        raise CliError("两次输入的密码不一致")
    return first


def _cmd_create(session: Session, args: argparse.Namespace) -> None:
    actor = A.cli_actor()
    scope_id = args.scope_area_id
    if args.scope:
        scope_id = A.resolve_area_path(session, args.scope).id
    dep_id = A.department_by_code(session, args.department_code).id if args.department_code else None
    data = {
        "username": args.username,
        "display_name": args.name,
        "role": args.role,
        "scope_area_id": scope_id,
        "team_id": args.team_id,
        "department_id": dep_id,
        "phone": args.phone or "",
        "password": _ask_password(args.password),
    }
    user = A.create_user(session, actor=actor, data=data)
    print(f"已创建用户 #{user.id} {user.username}（{user.display_name}，{A.ROLE_ZH.get(user.role, user.role)}）")


def _cmd_reset_password(session: Session, args: argparse.Namespace) -> None:
    actor = A.cli_actor()
    user = A.find_user(session, actor=actor, username=args.username)
    A.reset_password(session, actor=actor, user_id=user.id, new_password=_ask_password(args.password))
    print(f"已重置 {user.username} 的密码，并结束其全部登录会话")


def _set_active(active: bool) -> Callable[[Session, argparse.Namespace], None]:
    def run(session: Session, args: argparse.Namespace) -> None:
        actor = A.cli_actor()
        user = A.find_user(session, actor=actor, username=args.username)
        A.set_user_active(session, actor=actor, user_id=user.id, active=active, expected_version=user.version)
        print(f"已{'启用' if active else '停用'}用户 {user.username}")

    return run


def _cmd_unlock(session: Session, args: argparse.Namespace) -> None:
    actor = A.cli_actor()
    user = A.find_user(session, actor=actor, username=args.username)
    A.unlock_user(session, actor=actor, user_id=user.id)
    print(f"已解除 {user.username} 的锁定")


def _cmd_list(session: Session, args: argparse.Namespace) -> None:
    rows, total = A.list_users(session, actor=A.cli_actor(), query=args.query or "", page=args.page, page_size=A.MAX_PAGE_SIZE)
    for r in rows:
        where = r.team_name or r.department_name or r.scope_name
        status = "停用" if not r.active else ("锁定" if r.locked else "启用")
        print(f"{r.id:>5}  {r.username:<24} {r.display_name:<10} {r.role:<10} {status:<4} {where}")
    pages = max(1, -(-total // A.MAX_PAGE_SIZE))
    print(f"共 {total} 个用户（第 {args.page} / {pages} 页）")


def _cmd_key_create(session: Session, args: argparse.Namespace) -> None:
    key, plain = A.issue_api_key(session, actor=A.cli_actor(), name=args.name, rate_limit_per_minute=args.rate_limit)
    print(f"已签发 API 密钥 #{key.id}“{key.name}”（每分钟 {key.rate_limit_per_minute} 次）。密钥只显示这一次，请妥善保存：")
    print(plain)


def _cmd_key_revoke(session: Session, args: argparse.Namespace) -> None:
    key = A.revoke_api_key(session, actor=A.cli_actor(), key_id=args.id)
    print(f"已吊销 API 密钥 #{key.id}“{key.name}”（{key.prefix}…）")


def _cmd_key_list(session: Session, args: argparse.Namespace) -> None:
    rows = A.list_api_keys(session, actor=A.cli_actor())
    for k in rows:
        state = f"已吊销 {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "有效"
        print(f"{k.id:>4}  {k.prefix}…  {k.rate_limit_per_minute:>6}/分钟  {k.created_at:%Y-%m-%d %H:%M}  {state}  {k.name}")
    print(f"共 {len(rows)} 个密钥")


class _Parser(argparse.ArgumentParser):
    """argparse, but its usage errors are one line on stderr too."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m rxapp.users", description="网格服务平台：用户与 API 密钥管理")
    parser.add_argument("--db", help="数据库 URL（默认取 REFLEX_DB_URL）")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("create", help="新建用户")
    p.add_argument("--username", required=True)
    p.add_argument("--name", required=True, help="姓名")
    p.add_argument("--role", required=True, choices=list(A.ROLE_ZH))
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--scope-area-id", type=int)
    scope.add_argument("--scope", help="区域路径，如 舟山市/普陀区/朱家尖街道")
    p.add_argument("--department-code", help="部门代码（诉求类别代码，如 ENV）")
    p.add_argument("--team-id", type=int)
    p.add_argument("--phone")
    p.add_argument("--password", help="省略时交互输入")
    p.set_defaults(run=_cmd_create)

    p = sub.add_parser("reset-password", help="重置密码（并结束其登录会话、解除锁定）")
    p.add_argument("--username", required=True)
    p.add_argument("--password", help="省略时交互输入")
    p.set_defaults(run=_cmd_reset_password)

    for name, active, text in (("disable", False, "停用用户"), ("enable", True, "启用用户")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--username", required=True)
        p.set_defaults(run=_set_active(active))

    p = sub.add_parser("unlock", help="解除密码错误锁定")
    p.add_argument("--username", required=True)
    p.set_defaults(run=_cmd_unlock)

    p = sub.add_parser("list", help="列出用户")
    p.add_argument("--query", default="")
    p.add_argument("--page", type=int, default=1)
    p.set_defaults(run=_cmd_list)

    keys = sub.add_parser("api-key", help="Open311 API 密钥")
    ksub = keys.add_subparsers(dest="key_command", required=True, parser_class=_Parser)
    p = ksub.add_parser("create", help="签发密钥（只显示一次）")
    p.add_argument("--name", required=True)
    p.add_argument("--rate-limit", type=int, default=600, help="每分钟调用上限")
    p.set_defaults(run=_cmd_key_create)
    p = ksub.add_parser("revoke", help="吊销密钥")
    p.add_argument("--id", type=int, required=True)
    p.set_defaults(run=_cmd_key_revoke)
    p = ksub.add_parser("list", help="列出密钥")
    p.set_defaults(run=_cmd_key_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # usage errors (status 2) and --help (0)
        return int(exc.code or 0)
    engine = make_engine(args.db or db_url())
    run: Callable[[Session, Any], None] = args.run
    try:
        with Session(engine, expire_on_commit=False) as session:
            run(session, args)
    except (DomainError, CliError) as exc:
        message = exc.message if isinstance(exc, DomainError) else str(exc)
        print(f"错误：{message}", file=sys.stderr)
        return EXIT_USAGE
    except (OperationalError, ProgrammingError) as exc:
        print(f"错误：数据库不可用或尚未初始化（{type(exc.orig).__name__}）", file=sys.stderr)
        return EXIT_USAGE
    except (KeyboardInterrupt, EOFError):
        print("已取消", file=sys.stderr)
        return EXIT_USAGE
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
