"""Tests for rxapp.domain.classify (keyword rules + learned model -> request
category), its scikit-learn model and the ``python -m rxapp.classify`` command."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
try:
    import rxapp.domain.classify  # noqa: F401
except ModuleNotFoundError:  # plain `pytest` without the repo root on sys.path
    sys.path.insert(0, str(ROOT))

from hypothesis import given, settings
from hypothesis import strategies as st

import numpy as np

from rxapp.domain.classify import model as classify_model
from rxapp.domain.classify import (
    AUTO_ACCEPT_CONFIDENCE,
    active_model,
    CATEGORY_CODES,
    DEFAULT_KEYWORDS,
    NO_MATCH_CONFIDENCE,
    Classification,
    classify,
    format_keywords,
    normalize_text,
    parse_keywords,
)

LABELLED = ROOT / "tests" / "data" / "requests_labelled.csv"
RESIDENTS = ROOT / "tests" / "data" / "requests_residents.csv"
# The held-out split is batch F (231 texts); the residents' set (320 texts in
# residents' voices, tests/data/requests_residents.csv) is kept out of training
# too. Targets of issue 17 on both: 93 % right, 98 % of the auto-accepted right
# (bench/classify_bench.py prints the figures).
HELDOUT_BATCH = "F"
HELDOUT_TARGET = 0.93
AUTO_ACCEPTED_FLOOR = 0.98  # precision of the cases the system accepts on its own


def _labelled() -> list[dict[str, str]]:
    with open(LABELLED, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _accuracy(rows: list[dict[str, str]]) -> float:
    return sum(classify(r["text"]).code == r["code"] for r in rows) / len(rows)


# Text over the characters requests are made of, plus full-width forms and spaces.
request_text = st.lists(
    st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.sampled_from(list("，。！？、：；（）ＡＢＣａｂｃ１２３ 　\t\nabcXYZ0123:,")),
        st.sampled_from(["油烟", "渔船", "低保", "邻居", "路灯", "拆迁", "诈骗", "律师", "学校", "医院", "建议"]),
    ),
    max_size=60,
).map("".join)


# --- classification --------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("ECON", "我们小企业想申请贴息贷款，融资太难了"),
        ("ENV", "楼下饭店油烟太大，晚上还很吵"),
        ("RELIEF", "家里老人瘫痪在床，生活困难，想申请低保"),
        ("AGRI", "今年水稻得了病虫害，请农技人员来指导"),
        ("DISPUTE", "邻居装修占了公共楼道，说了还吵架"),
        ("FISH", "我家渔船的证书到期了怎么续"),
        ("JOBS", "老板拖欠工资三个月了，社保也没交"),
        ("HEALTH", "村里卫生院没有医生值班，老人看病难"),
        ("EDU", "孩子上小学入学要准备什么材料"),
        ("INFRA", "村里路灯坏了好几个月"),
        ("LAND", "拆迁补偿标准太低，安置房也没着落"),
        ("SAFETY", "小区电动车被偷了好几辆，希望加强治安巡逻"),
        ("LEGAL", "父亲没留遗嘱，房产继承要走什么法律程序"),
        ("OTHER", "网格员服务很热情，特地来表扬一下"),
    ],
)
def test_typical_request_of_each_category_gets_that_category(code, text):
    result = classify(text)
    assert result.code == code, result
    assert result.auto_accept, result


def test_every_category_has_default_keywords_that_parse_back():
    assert set(DEFAULT_KEYWORDS) == set(CATEGORY_CODES)
    assert len(CATEGORY_CODES) == 14
    for code, words in DEFAULT_KEYWORDS.items():
        assert words, code
        assert parse_keywords(format_keywords(words)) == words, code
        # The admin form stores a category's keywords in at most 4000 characters.
        assert len(format_keywords(words)) <= 4000, code


@pytest.mark.parametrize("text", ["今天天气不错", "你好", "请问一下", "hello world", "", "   ", "１２３４"])
def test_text_without_any_keyword_is_never_accepted_automatically(text):
    result = classify(text)
    assert not result.auto_accept
    assert classify(text, model=None) == Classification("OTHER", NO_MATCH_CONFIDENCE, [])


def test_a_latin_keyword_matches_whole_words_only():
    rules = {"OTHER": ["APP:5"], "SAFETY": ["诈骗"]}
    assert classify("想预约appointment", rules, model=None).code == "OTHER"
    assert classify("想预约appointment", rules, model=None).terms == []
    assert classify("下载了一个APP", rules, model=None).terms == ["APP"]
    assert classify("app 打不开", rules, model=None).terms == ["APP"]
    assert classify("KTV半夜太吵").terms[:1] == ["KTV"]


def test_traditional_characters_are_read_as_simplified():
    assert normalize_text("鄰居家的狗") == "邻居家的狗"
    assert classify("漁船證書到期了").code == "FISH"
    assert classify("樓上裝修噪音太大").code == "ENV"


@settings(max_examples=300, deadline=None)
@given(request_text)
def test_confidence_is_between_0_and_1_and_terms_are_in_the_normalised_text(text):
    result = classify(text)
    assert result.code in CATEGORY_CODES
    assert 0.0 <= result.confidence <= 1.0
    norm = normalize_text(text)
    assert all(term and term in norm for term in result.terms)
    assert len(set(result.terms)) == len(result.terms)


def test_labelled_texts_have_valid_confidence_and_terms_from_the_text():
    for row in _labelled():
        result = classify(row["text"])
        assert 0.0 <= result.confidence <= 1.0
        assert all(term in normalize_text(row["text"]) for term in result.terms), row


def test_full_width_characters_and_whitespace_are_normalised():
    assert normalize_text("ＫＴＶ  噪 音\n太大　！") == "KTV噪音太大!"
    assert classify("渔　船 证 书到期").code == "FISH"
    assert classify("ｋｔｖ半夜太吵").code == "ENV"
    assert "KTV" in classify("ｋｔｖ半夜太吵").terms


def test_classification_is_deterministic():
    texts = [r["text"] for r in _labelled()[:100]]
    assert [classify(t) for t in texts] == [classify(t) for t in texts]


# The arithmetic of the keyword rules themselves: model=None (the rules alone).


def test_a_longer_keyword_is_not_also_counted_as_the_shorter_one_inside_it():
    rules = {"ENV": ["垃圾:5"], "EDU": ["垃圾分类"]}
    result = classify("垃圾分类怎么做", rules, model=None)
    assert result.code == "EDU"
    assert result.terms == ["垃圾分类"]


def test_a_repeated_keyword_counts_once():
    rules = {"ENV": ["噪音:2"], "DISPUTE": ["邻居:3"]}
    assert classify("噪音噪音噪音，邻居", rules, model=None).code == "DISPUTE"


def test_weight_and_length_decide_between_categories():
    assert classify("邻居家噪音", {"ENV": ["噪音:4"], "DISPUTE": ["邻居:2"]}, model=None).code == "ENV"
    assert classify("邻居家噪音", {"ENV": ["噪音:2"], "DISPUTE": ["邻居:4"]}, model=None).code == "DISPUTE"
    assert classify("邻居家噪音", {"ENV": ["噪音"], "DISPUTE": ["邻居家噪音"]}, model=None).code == "DISPUTE"


@pytest.mark.parametrize("model", [None, "shipped"])
def test_terms_come_in_order_of_contribution(model):
    kwargs = {"model": None} if model is None else {}
    result = classify("建议，油烟，扰民", {"ENV": ["扰民", "油烟:5"], "OTHER": ["建议"]}, **kwargs)
    assert result.code == "ENV"
    assert result.terms == ["油烟", "扰民"]


@pytest.mark.parametrize("model", [None, "shipped"])
def test_confidence_grows_with_evidence_and_with_the_lead(model):
    kwargs = {"model": None} if model is None else {}
    rules = {"ENV": ["油烟:3", "噪音:3", "扰民:3"], "DISPUTE": ["邻居:3"]}
    one = classify("油烟", rules, **kwargs).confidence
    three = classify("油烟噪音扰民", rules, **kwargs).confidence
    contested = classify("邻居油烟", rules, **kwargs).confidence
    assert contested < one < three


def test_custom_rules_override_the_defaults():
    assert not classify("海鸥太多").auto_accept
    result = classify("海鸥太多", {"ENV": ["海鸥"]})
    assert result.code == "ENV"
    assert result.terms == ["海鸥"]
    # Only the given rules count: without a FISH list, 渔船 is no evidence.
    assert classify("渔船证书到期", {"ENV": ["海鸥"]}).code == "OTHER"


def test_rules_may_be_the_free_text_an_administrator_edits():
    assert classify("海燕筑巢", {"ENV": "海鸥、海燕:2"}).terms == ["海燕"]


# --- rules and model together ----------------------------------------------------


def _defaults_plus(code: str, entry: str) -> dict[str, list[str]]:
    rules = {c: list(words) for c, words in DEFAULT_KEYWORDS.items()}
    rules[code].append(entry)
    return rules


def test_an_administrators_certain_keyword_wins_over_the_model():
    # As in the case lifecycle: nothing known, then ENV gets "小黄狗:5".
    text = "门口总有小黄狗乱窜"
    assert not classify(text).auto_accept
    result = classify(text, _defaults_plus("ENV", "小黄狗:5"))
    assert result.code == "ENV" and result.terms == ["小黄狗"]
    assert result.auto_accept


def test_a_keyword_edit_changes_a_result_the_model_is_sure_of():
    text = "楼下饭店油烟太大"
    assert classify(text).code == "ENV"
    # weight 5: the word belongs to DISPUTE only, whatever the model learned
    assert classify(text, _defaults_plus("DISPUTE", "饭店油烟:5")).code == "DISPUTE"


def test_only_the_categories_the_rules_name_can_come_out():
    rules = {"ENV": ["海鸥"], "DISPUTE": ["邻居"]}
    for text in ["我家渔船的证书到期了怎么续", "楼下饭店油烟太大，晚上还很吵", "邻居家狗半夜叫", "孩子上小学入学要准备什么材料"]:
        assert classify(text, rules).code in {"ENV", "DISPUTE", "OTHER"}


def test_without_a_model_the_rules_decide_alone():
    rules = {"ENV": ["垃圾:5"], "EDU": ["垃圾分类"]}
    assert classify("垃圾分类怎么做", rules, model=None).code == "EDU"
    assert classify("楼下饭店油烟太大", model=None) == classify("楼下饭店油烟太大", DEFAULT_KEYWORDS, model=None)


def test_the_model_alone_never_names_a_category_it_is_unsure_of():
    # texts in which no keyword is found: OTHER, or the model's suggestion
    found = 0
    for row in _labelled():
        if classify(row["text"], model=None) != Classification("OTHER", NO_MATCH_CONFIDENCE, []):
            continue
        result = classify(row["text"])
        if result.code != "OTHER":
            found += 1
            assert result.confidence >= classify_model.MODEL_ALONE_MIN
            assert result.terms and all(t in normalize_text(row["text"]) for t in result.terms)
    assert found >= 1


def test_a_model_passed_explicitly_is_used():
    rows = [(f"海鸥{t}", "ENV") for t in "太多又来好吵在飞在叫一群满天早上晚上成群门口楼顶"]
    rows += [(f"渔船{t}", "FISH") for t in "坏了证书出海修理检验登记停港进港靠岸加油补贴年审"]
    rows += [(f"路灯{t}", "INFRA") for t in "坏了不亮闪烁倒了歪了太暗没电线断灯罩掉了太亮晚上"]
    no_keywords = {"ENV": [], "FISH": [], "INFRA": []}
    tiny = classify_model.train(rows, no_keywords)
    for text, code in [("海鸥海鸥", "ENV"), ("渔船渔船", "FISH")]:
        result = classify(text, no_keywords, model=tiny)
        assert result.code == code and result.terms
    assert classify("海鸥", no_keywords, model=None) == Classification("OTHER", NO_MATCH_CONFIDENCE, [])


# --- the learned model --------------------------------------------------------------


def test_the_fast_scorer_equals_the_sklearn_pipeline():
    model = active_model()
    texts = [normalize_text(r["text"]) for r in _labelled()[:300]] + ["", "ＡＢＣ", "路灯又坏了"]
    fast = np.array([model.proba(t) for t in texts])
    assert np.allclose(fast, model.pipeline.predict_proba(texts), atol=1e-9)
    assert model.codes == tuple(sorted(CATEGORY_CODES))


def test_the_threshold_is_the_lowest_that_keeps_the_target_precision():
    decided = [(0.99, True), (0.95, True), (0.95, True), (0.9, False), (0.8, True), (0.7, True)]
    assert classify_model.choose_threshold(decided, 1.0) == 0.95
    assert classify_model.choose_threshold(decided, 0.8) == 0.7
    assert classify_model.choose_threshold([(0.9, False)], 0.99) == 1.0
    assert 0.5 < active_model().threshold < 1.0


def test_a_model_survives_bytes_and_keeps_its_results():
    model = active_model()
    again = classify_model.loads(classify_model.dumps(model), version=7)
    assert again.version == 7 and again.threshold == model.threshold
    text = "楼下饭店油烟太大，晚上还很吵"
    assert np.allclose(again.proba(normalize_text(text)), model.proba(normalize_text(text)))
    assert classify(text, model=again).model_version == 7
    with pytest.raises(ValueError):
        classify_model.loads(b"\x80\x04N.")  # a pickle of None: not a model document


def test_rules_with_an_unknown_category_or_a_bad_weight_are_rejected():
    with pytest.raises(ValueError, match="未知的诉求类别代码“WEATHER”"):
        classify("下雨", {"WEATHER": ["下雨"]})
    with pytest.raises(ValueError, match="权重"):
        classify("下雨", {"ENV": ["下雨:9"]})


# --- keyword text ------------------------------------------------------------


def test_parse_keywords_splits_on_commas_enumeration_commas_spaces_and_newlines():
    text = "油烟:3，噪音,扰民、 臭味\n垃圾\t粉尘:2\r\n\n"
    assert parse_keywords(text) == ["油烟:3", "噪音", "扰民", "臭味", "垃圾", "粉尘:2"]


def test_parse_keywords_dedupes_keeping_the_first_entry():
    assert parse_keywords("油烟:3、噪音、油烟、油烟:5、噪音") == ["油烟:3", "噪音"]


def test_parse_keywords_normalises_full_width_forms_and_weight_one():
    assert parse_keywords("油烟：３、ｋｔｖ、噪音:1") == ["油烟:3", "KTV", "噪音"]


def test_parse_keywords_of_empty_text_is_empty():
    assert parse_keywords("") == []
    assert parse_keywords(" ，、\n ") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("油烟:9", "关键词“油烟:9”的权重必须是1到5的整数"),
        ("x:9", "关键词“x:9”的权重必须是1到5的整数"),
        ("油烟:0", "权重必须是1到5的整数"),
        ("油烟:6", "权重必须是1到5的整数"),
        ("油烟:-1", "权重必须是1到5的整数"),
        ("油烟:1.5", "权重必须是1到5的整数"),
        ("油烟:高", "权重必须是1到5的整数"),
        ("油烟:", "权重必须是1到5的整数"),
        (":2", "缺少词语"),
        ("油:烟:2", "格式不对"),
        ("噪" * 21, "太长"),
    ],
)
def test_parse_keywords_rejects_bad_entries_with_a_chinese_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_keywords(f"噪音、{text}、扰民")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=8),
            st.integers(min_value=1, max_value=5),
        ),
        max_size=20,
    )
)
def test_format_keywords_is_read_back_by_parse_keywords(entries):
    words = parse_keywords("、".join(f"{w}:{n}" for w, n in entries))
    assert parse_keywords(format_keywords(words)) == words


# --- the labelled requests --------------------------------------------------


def test_labelled_set_is_large_varied_and_held_out_is_batch_f():
    rows = _labelled()
    assert len(rows) >= 1050
    assert set(rows[0]) == {"text", "code", "split", "batch"}
    assert {r["code"] for r in rows} == set(CATEGORY_CODES)
    assert {r["split"] for r in rows} == {"train", "heldout"}
    assert len({r["text"] for r in rows}) == len(rows), "duplicate texts"
    assert [r["batch"] for r in rows] == sorted((r["batch"] for r in rows), key=["A", "train", "E", "F"].index)
    heldout = [r for r in rows if r["split"] == "heldout"]
    assert {r["batch"] for r in heldout} == {HELDOUT_BATCH}
    assert all(r["split"] == "heldout" for r in rows if r["batch"] == HELDOUT_BATCH)
    per_code = Counter(r["code"] for r in rows)
    per_code_heldout = Counter(r["code"] for r in heldout)
    assert min(per_code.values()) >= 60
    assert len(heldout) >= 210
    assert min(per_code_heldout[c] for c in CATEGORY_CODES) >= 15


def _residents() -> list[dict[str, str]]:
    with open(RESIDENTS, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("which", ["heldout", "residents"])
def test_accuracy_and_auto_accept_precision_reach_the_targets(which):
    rows = [r for r in _labelled() if r["split"] == "heldout"] if which == "heldout" else _residents()
    results = [(classify(r["text"]), r["code"]) for r in rows]
    accuracy = sum(res.code == code for res, code in results) / len(results)
    assert accuracy >= HELDOUT_TARGET, f"{which} accuracy {accuracy:.3f} < {HELDOUT_TARGET}"
    auto = [(res, code) for res, code in results if res.auto_accept]
    assert len(auto) >= len(results) * 0.6
    assert sum(res.code == code for res, code in auto) / len(auto) >= AUTO_ACCEPTED_FLOOR


def test_residents_set_is_large_varied_and_apart_from_the_training_texts():
    rows = _residents()
    assert len(rows) >= 300
    assert {r["code"] for r in rows} == set(CATEGORY_CODES)
    assert {"colloquial", "long", "typo", "two", "short", "trad", "pinyin"} <= {r["voice"] for r in rows}
    assert not {r["text"] for r in rows} & {r["text"] for r in _labelled()}


def test_train_accuracy_shows_the_rules_cover_their_own_examples():
    train = [r for r in _labelled() if r["split"] == "train"]
    assert _accuracy(train) >= 0.97


def test_a_thousand_texts_classify_in_under_a_second():
    texts = [r["text"] for r in _labelled()]
    texts = (texts * (1000 // len(texts) + 1))[:1000]
    classify(texts[0])  # rules compiled and model loaded once, as in a running server
    start = time.process_time()  # this process's CPU: the machine may be shared
    for text in texts:
        classify(text)
    assert time.process_time() - start < 1.0  # 2,000 texts/s per core, with room for a busy machine


# --- command line ------------------------------------------------------------


def _run_cli(stdin: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rxapp.classify", *args],
        input=stdin.encode("utf-8"),
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_cli_prints_one_json_object_per_non_blank_line():
    proc = _run_cli("楼下饭店油烟太大，晚上还很吵\n\n   \n我家渔船的证书到期了怎么续\n你好\n")
    assert proc.returncode == 0, proc.stderr.decode()
    lines = proc.stdout.decode("utf-8").splitlines()
    assert len(lines) == 3
    results = [json.loads(line) for line in lines]
    assert [r["code"] for r in results] == ["ENV", "FISH", "OTHER"]
    for r in results:
        assert set(r) == {"code", "confidence", "terms"}
        assert 0.0 <= r["confidence"] <= 1.0
        assert r["confidence"] == round(r["confidence"], 3)
        assert isinstance(r["terms"], list)
    assert results[2] == {"code": "OTHER", "confidence": 0.1, "terms": []}
    assert "油烟" in lines[0]  # not escaped as \\uXXXX


def test_cli_output_is_the_same_in_every_process():
    texts = "\n".join(r["text"] for r in _labelled()[:200]) + "\n"
    one = _run_cli(texts, env={"PYTHONHASHSEED": "1"})
    two = _run_cli(texts, env={"PYTHONHASHSEED": "2"})
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout


def test_cli_rules_file_replaces_the_categories_it_names(tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"ENV": ["海鸥:5", "海燕"]}, ensure_ascii=False), encoding="utf-8")
    texts = "海鸥太多\n我家渔船的证书到期了怎么续\n楼下饭店油烟太大\n"
    proc = _run_cli(texts, "--rules", str(rules))
    assert proc.returncode == 0, proc.stderr.decode()
    results = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    # ENV now only knows 海鸥/海燕; FISH keeps its default keywords.
    assert results[0]["code"] == "ENV" and results[0]["terms"] == ["海鸥"]
    assert results[1]["code"] == "FISH"
    # The learned model still knows 油烟; the rules alone no longer do.
    assert results[2]["code"] == "ENV"
    proc = _run_cli(texts, "--rules", str(rules), "--rules-only")
    assert proc.returncode == 0, proc.stderr.decode()
    codes = [json.loads(line)["code"] for line in proc.stdout.decode("utf-8").splitlines()]
    assert codes[:2] == ["ENV", "FISH"] and codes[2] != "ENV"


def test_cli_rules_only_uses_no_model():
    texts = "老城区的电线乱得像蜘蛛网，下雨天还打火花\n"
    rules_only = _run_cli(texts, "--rules-only")
    assert rules_only.returncode == 0
    assert json.loads(rules_only.stdout) == {"code": "OTHER", "confidence": 0.1, "terms": []}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"WEATHER": ["下雨"]}', "未知的诉求类别代码"),
        ('{"ENV": ["油烟:9"]}', "权重必须是1到5的整数"),
        ('{"ENV": 3}', "字符串列表"),
        ("[1, 2]", "JSON 对象"),
        ("{not json", "无法读取"),
    ],
)
def test_cli_rejects_a_bad_rules_file_with_a_message(tmp_path, content, message):
    rules = tmp_path / "rules.json"
    rules.write_text(content, encoding="utf-8")
    proc = _run_cli("油烟\n", "--rules", str(rules))
    assert proc.returncode == 2
    assert message in proc.stderr.decode("utf-8")
    assert proc.stdout == b""


def test_normalize_text_is_idempotent_on_every_cjk_character():
    # OpenCC maps 薴 to 苧 and 苧 to 苎: a keyword read back must not change again.
    assert normalize_text("薴") == normalize_text("苧") == "苎"
    text = "".join(chr(cp) for cp in range(0x4E00, 0xA000))
    once = normalize_text(text)
    assert normalize_text(once) == once
