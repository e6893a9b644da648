"""Dashboard figures say what an empty chart means."""

from rxapp.components import charts
from rxapp.domain.metrics import RankRow


def _row(i: int, accepted: int, rank: int | None) -> RankRow:
    return RankRow(i, f"区域{i}", accepted, accepted, accepted, accepted, 1.0 if accepted else None, 1.0 if accepted else None, rank)


def _note(fig: dict) -> str:
    notes = fig["layout"].get("annotations")
    return notes[0]["text"] if notes else ""


def test_a_ranking_of_areas_too_small_to_rank_says_so():
    fig = charts.ranking([_row(1, 3, None), _row(2, 5, None)], "区县办结率排名", "zh", min_volume=10)
    assert "不足 10 件" in _note(fig) and "暂不排名" in _note(fig)
    assert "fewer than 10" in _note(charts.ranking([_row(1, 3, None)], "Ranking", "en", min_volume=10))


def test_a_ranking_with_nothing_at_all_says_there_is_no_data_and_a_real_one_has_bars():
    assert _note(charts.ranking([], "区县办结率排名", "zh", min_volume=10)) == "所选范围暂无数据，可调整统计周期或区域"
    fig = charts.ranking([_row(1, 30, 1), _row(2, 3, None)], "区县办结率排名", "zh", min_volume=10)
    assert fig["data"][0]["y"] == ["区域1"] and not fig["layout"].get("annotations")


def test_charts_name_categories_departments_and_months_in_the_language():
    from rxapp.domain.metrics import CategoryPoint, DepartmentOverdue, MonthPoint

    cats = [CategoryPoint(1, "ENV", "环境保护", 5, 4, 0.8, 1.0, name_en="Environmental protection")]
    assert charts.categories(cats, "en")["data"][0]["y"] == ["Environmental protection"]
    assert charts.categories(cats, "zh")["data"][0]["y"] == ["环境保护"]  # never the code
    deps = [DepartmentOverdue(3, "生态环境局", 2, "Ecology and Environment Bureau"), DepartmentOverdue(0, "未派单", 1)]
    assert charts.overdue_by_department(deps, "en")["data"][0]["y"] == ["Not routed", "Ecology and Environment Bureau"]
    months = [MonthPoint(month="2026-11", received=3, accepted=3, done=3, completion_rate=1.0, done_in=3)]
    assert charts.trend(months, "en")["data"][0]["x"] == ["Nov 2026"]
    assert charts.trend(months, "zh")["data"][0]["x"] == ["2026年11月"]


def test_team_activity_lists_only_teams_with_activity_and_counts_the_rest():
    from rxapp.domain.metrics import TeamActivity

    rows = [TeamActivity(1, "甲团队", 0, 0), TeamActivity(2, "乙团队", 3, 1), TeamActivity(3, "丙团队", 0, 0)]
    fig = charts.team_activity(rows, "zh")
    layout = fig["layout"]
    assert fig["data"][0]["y"] == ["乙团队"] and layout["xaxis"]["dtick"] == 1 and layout["xaxis"]["tickformat"] == ",d"
    assert "另有 2 个团队" in layout["title"]["subtitle"]["text"]
    assert "No team" in _note(charts.team_activity(rows[:1], "en"))


def test_trend_keeps_the_running_month_on_the_axis_without_a_rate_point():
    from rxapp.domain.metrics import MonthPoint

    months = [
        MonthPoint(month="2026-11", received=9, accepted=9, done=9, completion_rate=0.96, done_in=9),
        MonthPoint(month="2026-12", received=3, accepted=3, done=0, completion_rate=0.0, done_in=0, partial=True),
    ]
    fig = charts.trend(months, "zh")
    layout = fig["layout"]
    assert layout["xaxis"]["ticktext"] == ["11月<br>2026", "12月<br>本月未完"]
    assert fig["data"][2]["y"] == [0.96, None]  # no plunge to 0 for a month just begun
    assert fig["data"][2]["name"] == "到期办结率" and "未到期" in fig["data"][2]["hovertemplate"]
    assert layout["yaxis2"]["range"][0] >= 0.8 and layout["legend"]["y"] > 1  # the legend above the plot, clear of the month labels


def test_the_plain_figures_are_what_plotly_makes_of_them():
    """Built as dicts (plotly's object model cost 65-140 ms a view): plotly
    accepts each one and serialises it unchanged (no unknown property)."""
    import json

    import plotly.graph_objects as go
    from plotly.io import to_json

    from rxapp.domain.metrics import CategoryPoint, DepartmentOverdue, MonthPoint, SatisfactionSlice, TeamActivity

    months = [MonthPoint(month="2026-11", received=9, accepted=9, done=9, completion_rate=0.96, done_in=9)]
    figs = [
        charts.trend(months, "zh"),
        charts.categories([CategoryPoint(1, "ENV", "环境保护", 5, 4, 0.8, 1.0)], "zh"),
        charts.ranking([_row(1, 30, 1), _row(2, 40, 2)], "排名", "zh", min_volume=10),
        charts.team_activity([TeamActivity(1, "甲团队", 0, 0), TeamActivity(2, "乙团队", 3, 1)], "zh"),
        charts.satisfaction([SatisfactionSlice("satisfied", 5, 0.8), SatisfactionSlice("unsatisfied", 1, 0.2)], "zh"),
        charts.overdue_by_department([DepartmentOverdue(3, "生态环境局", 12)], "zh"),
        charts.empty("空", "zh"),
    ]
    for fig in figs:
        assert json.loads(to_json(go.Figure(fig))) == json.loads(json.dumps(fig))


def test_a_long_trend_names_at_most_seven_months_level_and_always_the_running_one():
    from rxapp.domain.metrics import MonthPoint

    keys = [f"{2024 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d}" for m in range(12, 36)]  # 2024-12 … 2026-11
    points = [MonthPoint(month=k, received=5, accepted=5, done=5, completion_rate=1.0, done_in=5, partial=(k == keys[-1]))
              for k in keys]
    for lang in ("zh", "en"):
        xaxis = charts.trend(points, lang)["layout"]["xaxis"]
        labels = xaxis["ticktext"]
        assert 2 <= len(labels) <= charts.MAX_MONTH_TICKS and xaxis["tickangle"] == 0
        assert len(xaxis["tickvals"]) == len(labels)
        assert labels[-1].startswith("11月" if lang == "zh" else "Nov") and labels[-1].count("<br>") == 1  # the running month
        with_year = [label.split("<br>")[1] for label in labels if label.count("<br>") and label.split("<br>")[1].isdigit()]
        assert with_year[0] in ("2024", "2025") and sorted(set(with_year)) == sorted(with_year)  # once per year
