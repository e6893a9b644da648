"""How well the hot-spot rules carry to wording they were not written for.

The seed's incident texts and the concept lexicon were written by one project,
so ``hotspot_bench.py`` measures the detector on vocabulary it knows.  Here
are reports of the five planted kinds of incident written apart from both
(not copied from ``seed_text.py`` nor checked against ``concepts.py`` while
writing), ten per kind, in the ways residents talk: short, indirect, a
consequence instead of the cause.  For each kind the script takes every
ordered triple of reports (first, second, third; distinct callers) and asks
the detector's own rules whether the third report would open a hot spot: the
three share an incident concept, none speaks of a habit or a worry, and the
third is similar (TF-IDF cosine ≥ the detector's threshold) to both earlier
ones, or to one that is similar to the other (the single link).  Prints JSON
lines:

    {"bench": "hotspot_heldout", "kind": …, "texts": 10, "concept_coverage": …, "triples": …, "surfaced_share": …}
    {"bench": "hotspot_heldout_all", "concept_coverage": …, "surfaced_share": …, "threshold": …}

    .venv/bin/python bench/hotspot_heldout.py
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rxapp.domain.hotspots.concepts import concepts, not_an_event  # noqa: E402
from rxapp.domain.hotspots.detector import DEFAULT  # noqa: E402
from rxapp.domain.hotspots.similarity import cosine, vector  # noqa: E402

# kind -> (the concepts that name it, reports)
HELD_OUT: dict[str, tuple[frozenset[str], list[str]]] = {
    "burst_pipe": (frozenset({"停水"}), [
        "楼下马路上水哗哗地冒出来，我们家龙头拧开一滴都没有",
        "自来水公司的管子好像破了，路边冒水冒了一早上",
        "小区门口地下在往外喷水，家里水龙头没水了",
        "今天一天都没水，烧饭洗澡都成问题，听说是路上管子坏了",
        "我们这一片家里都断水了，门口的路面鼓起来在渗水",
        "水表那边一直在漏，现在整栋楼都停水",
        "刚才路口地面裂开喷水，我家里放不出水了",
        "一早起来水龙头就没水，邻居说是前面总管裂了",
        "马路中间在冒水，家里没水煮饭了，快来看看",
        "到现在还没有水，楼上楼下都一样，路上全是水",
    ]),
    "power_cut": (frozenset({"停电"}), [
        "家里突然黑了，整个小区都没电",
        "电一下子就断了，问了邻居也一样，快三个钟头了",
        "整幢楼都停电了，电梯也不动了",
        "下午开始就没电了，空调冰箱都停了",
        "我们这一带全黑了，路灯也不亮",
        "刚刚啪的一声全部跳闸了，隔壁也没电",
        "停电到现在，家里老人要用呼吸机，着急",
        "小区里供电中断了，物业说他们也不知道原因",
        "这一排房子都断电了，店里东西要坏了",
        "晚上七点以后一直没来电，蜡烛都点上了",
    ]),
    "polluting_plant": (frozenset({"工厂排污"}), [
        "附近化工厂冒出来的烟很呛，窗都不敢开",
        "河里的水突然变黑了，还一股怪味，上游有个厂",
        "那家厂晚上偷偷排东西，空气里都是刺鼻的味道",
        "厂里的烟囱一直冒黄烟，嗓子难受",
        "小河沟里漂着油花，鱼都翻白肚了，旁边就是工厂",
        "一到半夜就有股酸臭味，是那边厂房排出来的",
        "排污口冒黑水，整条河都臭了",
        "工业区那边排废气，我们这边小孩都咳嗽",
        "厂子往河里倒脏水，河水颜色都不对了",
        "空气里一股橡胶烧焦的味，应该是旁边的厂",
    ]),
    "night_construction": (frozenset({"施工", "噪音"}), [
        "凌晨两点了工地还在干活，咣咣咣的根本睡不了",
        "半夜里挖机一直响，吵得人心慌",
        "旁边工地晚上灯火通明在浇筑，噪音大得很",
        "深更半夜打桩机还在打，整栋楼都在震",
        "工地夜里拉渣土的车来来回回，吵死人",
        "十一点多了还在切钢筋，声音刺耳",
        "晚上工地施工声音太大，孩子被吵哭了",
        "夜里的机器声一直不停，能不能让他们晚上别干",
        "这几天半夜工地一直施工，我们都睡不着觉",
        "工地连夜赶工，轰鸣声从晚上响到天亮",
    ]),
    "storm_road": (frozenset({"道路阻断"}), [
        "大雨把山上的泥冲下来，路被埋了一半",
        "昨晚下雨山体塌下来，车子开不过去",
        "一棵大树横在路上，进出的车都被挡住了",
        "暴雨后村口那段路冲垮了，电瓶车都过不了",
        "路上全是石头和泥巴，根本走不了",
        "雨太大了，桥边的路面塌了一块",
        "山上滚下来好多石头，把进村的路封死了",
        "台风把电线杆刮倒在路中间，过不去",
        "路基被水掏空了，有个大坑，车不敢走",
        "下了一夜雨，出去的路被泥石流堵住了",
    ]),
}


def surfaces(a: str, b: str, c: str, threshold: float) -> bool:
    """Would ``c``, arriving after ``a`` and ``b`` (other callers, same place, within the window), open a hot spot?"""
    ca, cb, cc = concepts(a), concepts(b), concepts(c)
    if not (ca and cb and cc) or any(not_an_event(t) for t in (a, b, c)):
        return False
    va, vb, vc = vector(a), vector(b), vector(c)

    def similar(x, vx, y, vy) -> bool:
        return bool(x & y) and cosine(vx, vy) >= threshold

    to_a, to_b = similar(cc, vc, ca, va), similar(cc, vc, cb, vb)
    linked = (to_a and similar(ca, va, cb, vb)) or (to_b and similar(cb, vb, ca, va))
    return bool(ca & cb & cc) and ((to_a and to_b) or linked)


def main() -> None:
    threshold = DEFAULT.threshold
    covered = surfaced = triples = texts = 0
    for kind, (names, reports) in HELD_OUT.items():
        cov = sum(bool(names & concepts(t)) for t in reports)
        hits = [surfaces(a, b, c, threshold) for a, b, c in itertools.permutations(reports, 3)]
        print(json.dumps({"bench": "hotspot_heldout", "kind": kind, "concepts": sorted(names), "texts": len(reports),
                          "concept_coverage": round(cov / len(reports), 3), "triples": len(hits),
                          "surfaced_share": round(sum(hits) / len(hits), 3)}, ensure_ascii=False), flush=True)
        covered, texts, surfaced, triples = covered + cov, texts + len(reports), surfaced + sum(hits), triples + len(hits)
    print(json.dumps({"bench": "hotspot_heldout_all", "texts": texts, "concept_coverage": round(covered / texts, 3),
                      "triples": triples, "surfaced_share": round(surfaced / triples, 3), "threshold": threshold},
                     ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
