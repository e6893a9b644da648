"""KPI names and their one-line definitions (DESIGN.md's KPI table): the same
text on the dashboard (hover / tap), /public, /api/kpis and the Excel export."""

ZH = {
    "kpi.name.due_completion_rate": "办结率（应办结）",
    "kpi.name.completion_rate": "受理办结率",
    "kpi.def.due_completion_rate": "期内到期（截止日在本期内，或更早到期仍未办结）的诉求中已办结或已关闭的比例",
    "kpi.def.completion_rate": "本期受理的诉求中，截至目前已办结或已关闭的比例（含尚未到期的）",
    "kpi.def.on_time_rate": "在办理期限内（含批准延期）办结的 ÷ 已办结的，按受理时间统计",
    "kpi.def.overdue_now": "当前仍在办理且已超过办理期限的诉求",
    "kpi.def.satisfaction_rate": "满意与基本满意 ÷ 已评价；另附平均评分（1–5）",
    "kpi.def.follow_up_rate": "办结后有回访记录的 ÷ 已办结的",
    "kpi.def.handling_time": "受理至办结的工作日数：中位数与第90百分位，按个案精确计算",
    "kpi.def.intake_today": "今天受理的诉求（与昨天比较）",
    "kpi.def.intake_month": "本月截至今天受理的诉求（与上月同期比较）",
    "kpi.period.last_30_days": "近30天",
    "kpi.period.explain": "默认看近30天：无论在月初还是月末，都有一整月的到期诉求可比，不会因月份刚开始而显得偏低。",
    "kpi.definition": "指标口径",
    "kpi.partial": "（本月未完）",
}

EN = {
    "kpi.name.due_completion_rate": "Completion rate (cases due)",
    "kpi.name.completion_rate": "Done of accepted",
    "kpi.def.due_completion_rate": "Of the cases due in the period (deadline inside it, or due earlier and still open), the share resolved or closed",
    "kpi.def.completion_rate": "Of the cases accepted in the period, the share resolved or closed so far (including cases not yet due)",
    "kpi.def.on_time_rate": "Resolved within the deadline (approved extensions included) ÷ resolved, by acceptance date",
    "kpi.def.overdue_now": "Cases still open past their deadline, now",
    "kpi.def.satisfaction_rate": "Satisfied or fairly satisfied ÷ evaluated; with the mean score (1–5)",
    "kpi.def.follow_up_rate": "Resolved cases with a follow-up contact after resolving ÷ resolved",
    "kpi.def.handling_time": "Working days from acceptance to resolution: median and 90th percentile, exact per case",
    "kpi.def.intake_today": "Cases accepted today (compared with yesterday)",
    "kpi.def.intake_month": "Cases accepted this month so far (compared with the same days of last month)",
    "kpi.period.last_30_days": "Last 30 days",
    "kpi.period.explain": "The default is the last 30 days: early or late in a month it always holds a full month of deadlines, so a month just begun does not look low.",
    "kpi.definition": "Definition",
    "kpi.partial": " (month in progress)",
}
