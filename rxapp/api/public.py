"""Public HTTP routes (no login), aggregates and masked data only:

* ``GET /api/kpis?from=YYYY-MM-DD&to=YYYY-MM-DD&area=<area id>`` — the KPI
  table of DESIGN.md over the cases accepted in the period;
* ``GET /api/public/board.xlsx?community=<id>&month=YYYY-MM`` — a published
  monthly notice board as Excel (404 until a leader publishes it)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from rxapp.api.deps import domain_error_response, run_db, xlsx_response
from rxapp.domain import public as P
from rxapp.domain.clock import today
from rxapp.domain.errors import DomainError
from rxapp.domain.excel import Column, write_xlsx
from rxapp.domain.metrics import kpis_public
from rxapp.i18n import translate

router = APIRouter(tags=["public"])


def _date(value: str, field: str, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError("日期格式应为YYYY-MM-DD", field) from None


# each figure of /api/kpis -> its definition in the message catalog (the dashboard's own)
KPI_DEFINITIONS = {
    "due_completion_rate": "due_completion_rate",
    "completion_rate": "completion_rate",
    "on_time_rate": "on_time_rate",
    "overdue_now": "overdue_now",
    "satisfaction_rate": "satisfaction_rate",
    "follow_up_rate": "follow_up_rate",
    "handling_median_days": "handling_time",
    "handling_p90_days": "handling_time",
}


@router.get("/api/kpis", summary="公开指标（仅汇总数据）")
async def public_kpis(
    date_from: str = Query("", alias="from", max_length=10),
    date_to: str = Query("", alias="to", max_length=10),
    area: str = Query("", max_length=12),
):
    try:
        d = today()
        start = _date(date_from, "from", date(d.year, 1, 1))
        end = _date(date_to, "to", d)
        area_id = P.parse_area_id(area) if area else None
        k = await run_db(lambda s: kpis_public(s, date_from=start, date_to=end, area_id=area_id))
    except DomainError as exc:
        return domain_error_response(exc)
    body = asdict(k)
    body["date_from"] = k.date_from.isoformat()
    body["date_to"] = k.date_to.isoformat()
    body["definitions"] = {
        key: {"zh": translate(f"kpi.def.{name}", "zh"), "en": translate(f"kpi.def.{name}", "en")}
        for key, name in KPI_DEFINITIONS.items()
    }
    return JSONResponse(body)


BOARD_COLUMNS = [
    Column("编号", width=18),
    Column("诉求内容（已隐去个人信息）", width=48),
    Column("类别", width=14),
    Column("状态", width=14),
    Column("办结时间 / 承诺时间 / 原因", width=30),
    Column("承诺兑现", width=12),
    Column("满意度", width=10),
    Column("评分", "int", width=8),
]


@router.get("/api/public/board.xlsx", summary="社区月度公示栏导出（已发布的）")
async def board_xlsx(community: str = Query(..., max_length=12), month: str = Query(..., max_length=7)):
    try:
        board = await run_db(lambda s: P.published_board(s, community_id=community, month=month))
    except DomainError as exc:
        return domain_error_response(exc)
    if board is None:
        return JSONResponse({"detail": "该月公示栏尚未发布", "field": "month"}, status_code=404)
    rows = [(r.code, r.summary, r.category, r.status, r.outcome, r.promise, r.satisfaction, r.score) for r in board.rows]
    rows.append(("", "", "", "", "", "", "", None))
    rows.extend(("服务团队", t.team, "", f"走访{t.visits}次", f"民情日记{t.diaries}篇", "", "", None) for t in board.teams)
    data = write_xlsx(BOARD_COLUMNS, rows, sheet_name="公示栏", title=f"{board.community} {board.month} 公示栏（{board.published_at}发布）")
    return xlsx_response(data, f"公示栏-{board.community}-{board.month}.xlsx")
