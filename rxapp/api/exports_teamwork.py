"""Excel exports of team work (logged in; each within the caller's scope):

* ``GET /api/export/teamwork/skills.xlsx?skill=焊工&area=<area id>`` — residents
  with a skill or specialty (job matching); masked for leaders as on the page;
* ``GET /api/export/teamwork/activity.xlsx?month=YYYY-MM&area=<area id>`` —
  per team: diaries, visits, households visited in the month;
* ``GET /api/export/teamwork/diaries.xlsx?month=YYYY-MM&area=&team=`` — the
  month's diaries.

The domain functions do every check (role, scope, arguments); a refusal is a
JSON error with the Chinese message."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from rxapp.api.deps import domain_error_response, require_actor, run_db, xlsx_response
from rxapp.domain import diaries as D
from rxapp.domain import households as H
from rxapp.domain.access import Actor
from rxapp.domain.clock import month_key, today
from rxapp.domain.errors import DomainError
from rxapp.domain.excel import Column, write_xlsx

router = APIRouter(prefix="/api/export/teamwork", tags=["exports"])

DIARY_EXPORT_LIMIT = 10_000


SKILL_COLUMNS = [
    Column("姓名", width=10),
    Column("性别", width=6),
    Column("出生年份", "int", width=9),
    Column("技能", width=20),
    Column("特长", width=16),
    Column("党员", "bool", width=6),
    Column("电话", width=14),
    Column("地址", width=30),
    Column("乡镇街道", width=12),
    Column("社区村", width=14),
    Column("网格", width=18),
    Column("服务团队（联系渠道）", width=24),
]


@router.get("/skills.xlsx", summary="技能查询导出")
async def export_skills(
    skill: str = Query("", max_length=40),
    area: str = Query("", max_length=12),
    actor: Actor = Depends(require_actor),
):
    try:
        rows, cut = await run_db(lambda s: H.skill_export(s, actor=actor, skill=skill, area_id=area or None))
    except DomainError as exc:
        return domain_error_response(exc)
    title = f"技能查询：{skill.strip()}（{today().isoformat()}导出，共{len(rows)}人{'，已截断' if cut else ''}）"
    data = write_xlsx(
        SKILL_COLUMNS,
        (
            (r.name, r.gender, r.birth_year, r.skills, r.specialties, r.party_member, r.phone, r.address, r.township_name, r.community_name, r.grid_name, r.team_name)
            for r in rows
        ),
        sheet_name="技能查询",
        title=title,
    )
    return xlsx_response(data, f"技能查询-{skill.strip()}-{today().isoformat()}.xlsx")


@router.get("/activity.xlsx", summary="团队走访统计导出")
async def export_activity(
    month: str = Query("", max_length=7),
    area: str = Query("", max_length=12),
    actor: Actor = Depends(require_actor),
):
    month = month or month_key(today())
    try:
        rows = await run_db(lambda s: D.activity_for(s, actor=actor, month=month, area_id=area or None))
    except DomainError as exc:
        return domain_error_response(exc)
    data = write_xlsx(
        [Column("服务团队", width=28), Column("网格", width=20), Column("走访次数", "int"), Column("日记篇数", "int"), Column("走访户数", "int")],
        ((r.team_name, r.grid_name, r.visits, r.diaries, r.households) for r in rows),
        sheet_name="走访统计",
        title=f"{month} 团队走访统计",
    )
    return xlsx_response(data, f"走访统计-{month}.xlsx")


@router.get("/diaries.xlsx", summary="民情日记导出")
async def export_diaries(
    month: str = Query("", max_length=7),
    area: str = Query("", max_length=12),
    team: str = Query("", max_length=12),
    actor: Actor = Depends(require_actor),
):
    month = month or month_key(today())

    def fetch(s):
        out = []
        page = 1
        while len(out) < DIARY_EXPORT_LIMIT:
            rows, total = D.list_diaries(s, actor=actor, month=month, area_id=area or None, team_id=team or None, page=page, page_size=100)
            out.extend(rows)
            if not rows or len(out) >= total:
                break
            page += 1
        return out[:DIARY_EXPORT_LIMIT]

    try:
        rows = await run_db(fetch)
    except DomainError as exc:
        return domain_error_response(exc)
    data = write_xlsx(
        [Column("日期", "date"), Column("记录人", width=10), Column("服务团队", width=26), Column("网格", width=18), Column("走访户数", "int"), Column("民情摘要", width=50), Column("领导点评", width=30)],
        ((r.day, r.author_name, r.team_name, r.grid_name, r.visits, r.excerpt, r.comment_excerpt) for r in rows),
        sheet_name="民情日记",
        title=f"{month} 民情日记",
    )
    return xlsx_response(data, f"民情日记-{month}.xlsx")


__all__ = ["router"]
