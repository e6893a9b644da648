"""Dashboard figures say what an empty chart means."""

from rxapp.components import charts
from rxapp.domain.metrics import RankRow


def _row(i: int, accepted: int, rank: int | None) -> RankRow:
    return RankRow(i, f"区域{i}", accepted, accepted, accepted, accepted, 1.0 if accepted else None, 1.0 if accepted else None, rank)


def _note(fig) -> str:
    return fig.layout.annotations[0].text if fig.layout.annotations else ""


def test_a_ranking_of_areas_too_small_to_rank_says_so():
    fig = charts.ranking([_row(1, 3, None), _row(2, 5, None)], "区县办结率排名", "zh", min_volume=10)
    assert "不足 10 件" in _note(fig) and "暂不排名" in _note(fig)
    assert "fewer than 10" in _note(charts.ranking([_row(1, 3, None)], "Ranking", "en", min_volume=10))


def test_a_ranking_with_nothing_at_all_says_there_is_no_data_and_a_real_one_has_bars():
    assert _note(charts.ranking([], "区县办结率排名", "zh", min_volume=10)) == "所选范围暂无数据，可调整统计周期或区域"
    fig = charts.ranking([_row(1, 30, 1), _row(2, 3, None)], "区县办结率排名", "zh", min_volume=10)
    assert list(fig.data[0].y) == ["区域1"] and not fig.layout.annotations


def test_charts_name_categories_departments_and_months_in_the_language():
    from rxapp.domain.metrics import CategoryPoint, DepartmentOverdue, MonthPoint

    cats = [CategoryPoint(1, "ENV", "环境保护", 5, 4, 0.8, 1.0, name_en="Environmental protection")]
    assert list(charts.categories(cats, "en").data[0].y) == ["Environmental protection"]
    assert list(charts.categories(cats, "zh").data[0].y) == ["环境保护"]  # never the code
    deps = [DepartmentOverdue(3, "生态环境局", 2, "Ecology and Environment Bureau"), DepartmentOverdue(0, "未派单", 1)]
    assert list(charts.overdue_by_department(deps, "en").data[0].y) == ["Not routed", "Ecology and Environment Bureau"]
    months = [MonthPoint(month="2026-11", received=3, accepted=3, done=3, completion_rate=1.0, done_in=3)]
    assert list(charts.trend(months, "en").data[0].x) == ["Nov 2026"]
    assert list(charts.trend(months, "zh").data[0].x) == ["2026年11月"]
