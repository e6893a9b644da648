"""Excel exports of the dashboard and of case lists (logged in; each within
the caller's scope, checked by the domain functions):

* ``GET /api/export/dashboard.xlsx?period=&from=&to=&area=&category=&department=``
  — the current view's KPI table and its sub-area and category tables;
* ``GET /api/export/cases.xlsx?status=&category=&area=&department=&overdue=&from=&to=&q=&sort=``
  — the drill-down case list (at most 50,000 rows)."""


from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from rxapp.api.deps import domain_error_response, require_actor, run_db, xlsx_response
from rxapp.domain import metrics, queries
from rxapp.domain.access import Actor
from rxapp.domain.clock import today
from rxapp.domain.cases import STATUS_ZH
from rxapp.domain.errors import DomainError
from rxapp.domain.excel import Column, write_xlsx

from rxapp.i18n import translate

router = APIRouter(prefix="/api/export", tags=["exports"])

KPI_COLUMNS = [
    Column("指标", width=18),
    Column("本期", "number", width=12),
    Column("上期", "number", width=12),
    Column("变化", "number", width=12),
    Column("分子", "int", width=10),
    Column("分母", "int", width=10),
    Column("说明", width=44),
]
_def = lambda key: translate(f"kpi.def.{key}", "zh")  # noqa: E731  (the dashboard's own definitions)
KPI_ROWS = [
    ("due_completion_rate", "办结率（应办结）", _def("due_completion_rate"), True),
    ("completion_rate", "受理办结率", _def("completion_rate"), True),
    ("on_time_rate", "按时办结率", _def("on_time_rate"), True),
    ("overdue_now", "超期件", _def("overdue_now"), False),
    ("satisfaction_rate", "满意率", _def("satisfaction_rate"), True),
    ("mean_score", "平均评分（1–5）", "评价分数平均值", False),
    ("follow_up_rate", "回访率", _def("follow_up_rate"), True),
    ("handling_median_days", "办理时长中位数（工作日）", _def("handling_time"), False),
    ("handling_p90_days", "办理时长 P90（工作日）", _def("handling_time"), False),
    ("intake_today", "今日受理", _def("intake_today"), False),
    ("intake_month", "本月受理", _def("intake_month"), False),
]
RANK_COLUMNS = [
    Column("排名（由差到好）", "int", width=10),
    Column("区域", width=20),
    Column("受理", "int", width=10),
    Column("办结", "int", width=10),
    Column("办结率", "percent", width=10),
    Column("按时办结率", "percent", width=12),
]
CASE_COLUMNS = [
    Column("编号", width=18),
    Column("登记时间", "datetime", width=17),
    Column("状态", width=8),
    Column("渠道", width=8),
    Column("类别", width=14),
    Column("承办部门", width=18),
    Column("社区村", width=14),
    Column("办理期限", "datetime", width=17),
    Column("超期", "bool", width=6),
    Column("督办", "bool", width=6),
    Column("内容摘要", width=60),
]


def _dashboard_query(period: str, date_from: str | None, date_to: str | None, area: str | None, category: str | None, department: str | None) -> dict:
    raw = {"period": period, "area_id": area or None, "category_code": category or None, "department_id": department or None}
    if period == "custom":
        raw.update(date_from=date_from or None, date_to=date_to or None)
    return raw


@router.get("/dashboard.xlsx", summary="驾驶舱指标导出")
async def export_dashboard(
    actor: Actor = Depends(require_actor),
    period: str = Query(metrics.DEFAULT_PERIOD, max_length=16),
    date_from: str | None = Query(None, alias="from", max_length=10),
    date_to: str | None = Query(None, alias="to", max_length=10),
    area: str | None = Query(None, max_length=10),
    category: str | None = Query(None, max_length=16),
    department: str | None = Query(None, max_length=10),
):
    raw = _dashboard_query(period, date_from, date_to, area, category, department)

    def build(session: Session) -> bytes:
        d = metrics.dashboard(session, actor=actor, query=metrics.parse_query(raw))
        rows = []
        for key, label, note, _ in KPI_ROWS:
            kpi = getattr(d.kpis, key)
            rows.append([label, kpi.value, kpi.previous, kpi.change, kpi.numerator, kpi.denominator, note])
        rank_rows = [[r.rank, r.name, r.accepted, r.done, r.completion_rate, r.on_time_rate] for r in d.area_ranking]
        cat_rows = [[None, p.name, p.accepted, p.done, p.completion_rate, p.on_time_rate] for p in d.categories]
        title = f"{d.area_name} {d.date_from:%Y-%m-%d} 至 {d.date_to:%Y-%m-%d}"
        return write_xlsx(KPI_COLUMNS, rows + [[]] + [["下级区域排名"]] + rank_rows + [[]] + [["诉求类别"]] + cat_rows, sheet_name="指标", title=title)

    try:
        data = await run_db(build)
    except DomainError as exc:
        return domain_error_response(exc)
    return xlsx_response(data, f"驾驶舱指标_{today():%Y%m%d}.xlsx")


@router.get("/cases.xlsx", summary="诉求清单导出")
async def export_cases(
    actor: Actor = Depends(require_actor),
    status: str | None = Query(None, max_length=16),
    category: str | None = Query(None, max_length=16),
    area: str | None = Query(None, max_length=10),
    department: str | None = Query(None, max_length=10),
    overdue: str | None = Query(None, max_length=1),
    date_from: str | None = Query(None, alias="from", max_length=10),
    date_to: str | None = Query(None, alias="to", max_length=10),
    basis: str | None = Query(None, max_length=16, description="submitted (default) or accepted: which date from/to mean"),
    q: str | None = Query(None, max_length=100),
    sort: str = Query(queries.DEFAULT_SORT, max_length=16),
):
    filters = {
        "status": status,
        "category_code": category,
        "area_id": area or None,
        "department_id": department or None,
        "overdue": True if overdue == "1" else None,
        "date_from": date_from or None,
        "date_to": date_to or None,
        "date_basis": basis or None,
        "text": q,
    }

    def build(session: Session) -> bytes:
        rows = (
            [
                r.code,
                r.submitted_at,
                STATUS_ZH.get(r.status, r.status),
                r.channel,
                r.category_name,
                r.department_name,
                r.community_name,
                r.deadline,
                r.overdue,
                r.supervised,
                r.excerpt,
            ]
            for r in queries.export_cases(session, actor=actor, filters=filters, sort=sort)
        )
        return write_xlsx(CASE_COLUMNS, rows, sheet_name="诉求清单")

    try:
        data = await run_db(build)
    except DomainError as exc:
        return domain_error_response(exc)
    return xlsx_response(data, f"诉求清单_{today():%Y%m%d}.xlsx")
