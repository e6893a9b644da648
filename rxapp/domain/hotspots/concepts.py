"""What a request is about, in the residents' own words: a small lexicon of
incident concepts (停水, 停电, 施工, 噪音, 工厂排污, 道路阻断 …).

Residents describe one incident very differently — "水管爆了", "家里没水用",
"停水一上午了", "自来水公司快点来" are one burst main; "停电了" and "到现在还
没来电" share no useful characters — so character n-grams alone miss reports of
one matter and join requests that merely share a template's filler.  Each
concept lists the colloquial variants, typical slips and consequences that
name it; a text's concepts are the ones whose variants occur in it.

The hot-spot detector counts two reports as one matter only when they share a
concept (and are alike enough in characters); routine questions that share no
incident concept ("家庭医生签约怎么办理" asked by three people) never make a
hot spot.  Chronic nuisances are left out on purpose — a barbecue's smoke, a
full rubbish point, a smelly river, a pothole: three residents mentioning them
within three days is the everyday background of a community, not an incident (they
still show under 可能重复 at intake).  Measured on the seeded history (40,000
cases, seed 42): with a generic "smell" concept (臭味, 刺鼻, 熏得 …) precision
fell from 100 % to 80 % (every false hot spot shared only that concept).

Matching is one compiled alternation, longest variant first, over the text
after the channel's boilerplate is removed ("来电反映：" is not "来电").
"""

from __future__ import annotations

import re
from functools import lru_cache

from rxapp.domain.hotspots.similarity import clean

# concept -> variants (substrings).  Keep variants specific: a variant that
# also occurs in unrelated requests ("水管" in "下水管堵塞") joins matters that
# are not one.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "停水": (
        "停水", "断水", "没水", "没有水", "无水", "不来水", "没来水", "水停了", "来水", "供水", "自来水", "水龙头",
        "水管爆", "水管破", "水管裂", "水管漏", "水管坏", "爆管", "管子爆", "管道爆", "爆水管", "总管", "水压低",
        "水压小", "水压太低", "送水", "水表",
        # how people say it when they only see the effect: the tap, the street
        "放不出水", "出不了水", "一滴水", "用不上水", "用不了水", "供水中断", "冒水", "喷水", "渗水", "水柱",
    ),
    "停电": (
        "停电", "断电", "没电", "没有电", "无电", "跳闸", "没来电", "还没来电", "恢复供电", "供电", "停了电", "断了电",
        "电没了", "黑灯", "变压器", "电线断", "电线掉", "电缆", "限电", "制氧机", "冷柜", "电闸", "拉闸",
        "全黑", "一片黑", "黑了", "没电了", "供电中断", "来电", "电力", "电一下子", "灯全灭",
    ),
    "施工": (
        # a site at work (not "工地" as a workplace: "在工地干活的工钱被拖欠" is a wage matter)
        "施工", "打桩", "浇混凝土", "混凝土", "挖掘机", "搅拌车", "渣土车", "切割机", "机器轰", "塔吊", "还在作业",
        "夜间作业", "连夜作业",
        "挖机", "打桩机", "浇筑", "钢筋", "电锯", "赶工", "拉渣土", "工地施工",
    ),
    "噪音": (
        "噪音", "噪声", "扰民", "吵得", "吵醒", "太吵", "很吵", "吵死", "睡不着", "没法睡", "睡不好", "轰隆",
        "通宵", "夜间施工", "半夜施工", "夜里施工",
        "被吵", "睡不了", "轰鸣", "机器声", "咣咣", "深夜施工", "凌晨施工", "晚上施工",
    ),
    # a plant letting out smoke, gas or dirty water (not a barbecue's smoke or a bin's smell)
    "工厂排污": (
        "偷排", "排污", "直排", "乱排", "废气", "废水", "排黑水", "黑水", "烟囱", "化工", "工厂", "厂里", "厂子",
        "那个厂", "排臭气", "排放", "污染", "死鱼", "死了好多鱼", "河水变色",
        "化工厂", "冒黑烟", "黄烟", "油花", "翻白肚", "排污口", "脏水", "工业区", "厂房",
    ),
    "道路阻断": (
        "塌方", "路塌", "滑坡", "泥石", "落石", "掉石头", "石头滚", "堵住", "堵死", "过不去", "出不去", "冲断", "冲坏",
        "冲毁", "路断", "断路", "倒树", "树倒", "大树倒", "倒在路", "压在路", "边坡", "山体", "抢通", "清理道路",
        "绕很远",
        "封死", "冲垮", "垮了", "路面塌", "横在路", "过不了", "走不了", "开不过去", "进不来", "泥石流", "滚下来",
        "路基", "掏空", "刮倒", "埋了",
    ),
    "内涝": ("内涝", "被淹", "淹了", "淹到", "倒灌", "积水很深", "积水到", "积水严重", "漫进", "进水了", "排不出去"),
    "燃气": ("煤气", "燃气", "天然气", "漏气", "液化气", "煤气味"),
    "海塘": ("海塘", "海堤", "堤坝", "漫堤", "决口", "塘坝"),
    "火情": ("着火", "起火", "火灾", "失火", "烧起来", "火苗"),
    "电梯": ("电梯坏", "电梯停", "困电梯", "困在电梯", "电梯里", "电梯故障"),
    "通信": ("没信号", "断网", "网络中断", "没有网络", "信号中断", "宽带断"),
}

# Words that say a report is not about an incident under way: a habit or a long-standing state
# ("{社区}每天晚上经常停水", "这个月以来还在施工"),
# a worry or a forecast ("担心再来台风会漫进来", "台风要来了"), a sign ("有滑坡迹象").  Such a
# report may join an open hot spot (a resident who says "经常停水" during a burst main is
# reporting it) but never counts towards opening one: three residents describing a chronic
# nuisance or a fear within three days are the background of a place, not an incident.
NOT_AN_EVENT: tuple[str, ...] = (
    "经常", "总是", "老是", "每天", "每晚", "天天", "以来", "长期", "每次", "每逢", "好几个月", "几个月了",
    "多年", "好多年", "上次", "一到", "担心", "万一", "会不会", "迹象", "要来了", "隐患",
)
_NOT_AN_EVENT_RE = re.compile("|".join(re.escape(w) for w in NOT_AN_EVENT))

_OF: dict[str, str] = {}
for _concept, _variants in CONCEPTS.items():
    for _v in _variants:
        _OF.setdefault(_v, _concept)
_RE = re.compile("|".join(re.escape(v) for v in sorted(_OF, key=len, reverse=True)))


@lru_cache(maxsize=200_000)
def concepts(text: str) -> frozenset[str]:
    """The incident concepts a request text names."""
    return frozenset(_OF[m.group(0)] for m in _RE.finditer(clean(text)))


@lru_cache(maxsize=200_000)
def not_an_event(text: str) -> bool:
    """Whether a request text speaks of a habit, a worry or a sign rather than an incident now."""
    return _NOT_AN_EVENT_RE.search(clean(text)) is not None
