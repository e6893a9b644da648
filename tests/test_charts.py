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
