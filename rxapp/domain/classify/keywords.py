"""The keyword rules of the request classifier: the explainable layer an
administrator controls.

An administrator edits each category's keywords, as free text or in the table
on /admin. A keyword may carry a weight, ``"低保:4"`` (1 to 5, default 1). All
keywords found in the normalised text compete for the characters they cover;
the longest wins and a shorter keyword inside it does not count again
(``垃圾分类`` is not also ``垃圾``). Each keyword then adds ``weight x length
factor`` to every category that lists it, once per text. A Latin keyword
matches a whole word only (``APP`` is not found in ``appointment``). Characters
no keyword covers add a little back-off evidence when the rules tie them to
one category (医 -> HEALTH, 渔 -> FISH). Weight 5 means "this word belongs to
this category only": the learned model may not overrule it.

Texts are normalised once for rules and model alike: traditional characters to
simplified (OpenCC), full-width forms to half-width (NFKC), Latin letters in
upper case, whitespace removed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import opencc

CATEGORY_CODES: tuple[str, ...] = (
    "ECON", "ENV", "RELIEF", "AGRI", "DISPUTE", "FISH", "JOBS",
    "HEALTH", "EDU", "INFRA", "LAND", "SAFETY", "LEGAL", "OTHER",
)
FALLBACK_CODE = "OTHER"

# The rules alone (no learned model): at or above this the system accepts on
# its own. With a model, the model's own threshold (chosen from its
# calibration) decides; see rxapp.domain.classify.model.
AUTO_ACCEPT_CONFIDENCE: float = 0.6
NO_MATCH_CONFIDENCE: float = 0.1

MIN_WEIGHT, MAX_WEIGHT = 1, 5
MAX_KEYWORD_LENGTH = 20
# Evidence (sum of contributions) at which strength reaches 1 - 1/e.
_EVIDENCE_SCALE = 3.0
# Character back-off: see _char_backoff.
_BACKOFF_WEIGHT = 0.5
_BACKOFF_MIN_WORDS = 3
_BACKOFF_MIN_SHARE = 0.6
# Without any keyword, the back-off must reach this to name a category.
_BACKOFF_ALONE = 1.0

_SEPARATORS = re.compile(r"[,，、;；\s]+")
_WHITESPACE = re.compile(r"\s+")
_T2S = opencc.OpenCC("t2s")


@dataclass(frozen=True)
class Classification:
    code: str  # one of the 14 codes; OTHER when nothing matches
    confidence: float  # 0..1
    # matched keywords, largest contribution first (or the model's n-grams when none)
    terms: list[str] = field(default_factory=list)
    # at or above it the system accepts on its own: the model's calibrated
    # threshold, or AUTO_ACCEPT_CONFIDENCE for the rules alone
    threshold: float = AUTO_ACCEPT_CONFIDENCE
    # version of the learned model that took part (None: the rules alone or the built-in model)
    model_version: int | None = None

    @property
    def auto_accept(self) -> bool:
        return self.confidence >= self.threshold


def no_match() -> Classification:
    return Classification(FALLBACK_CODE, NO_MATCH_CONFIDENCE, [])


def normalize_text(text: str) -> str:
    """Traditional to simplified (OpenCC), full-width to half-width (NFKC),
    Latin letters in upper case, whitespace removed. Idempotent: OpenCC's
    table maps a few characters in two steps (薴 -> 苧 -> 苎), so a changed
    text is converted once more."""
    text = text or ""
    simplified = _T2S.convert(text)
    if simplified != text:
        simplified = _T2S.convert(simplified)
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", simplified)).upper()


def _split_entry(entry: str) -> tuple[str, int]:
    """``"词:2"`` -> ``("词", 2)``; raises ValueError with a message for the administrator."""
    raw = entry.strip()
    norm = normalize_text(raw)
    word, sep, weight_text = norm.rpartition(":")
    if not sep:
        word, weight = norm, MIN_WEIGHT
    else:
        if not (weight_text.isascii() and weight_text.isdigit() and MIN_WEIGHT <= int(weight_text) <= MAX_WEIGHT):
            raise ValueError(f"关键词“{raw}”的权重必须是{MIN_WEIGHT}到{MAX_WEIGHT}的整数")
        weight = int(weight_text)
    if not word:
        raise ValueError(f"关键词“{raw}”缺少词语")
    if ":" in word:
        raise ValueError(f"关键词“{raw}”格式不对，应写成“词”或“词:权重”")
    if len(word) > MAX_KEYWORD_LENGTH:
        raise ValueError(f"关键词“{raw}”太长，最多{MAX_KEYWORD_LENGTH}个字")
    return word, weight


def split_entry(entry: str) -> tuple[str, int]:
    """Public form of ``_split_entry`` for the keyword table on /admin."""
    return _split_entry(entry)


def join_entry(word: str, weight: int) -> str:
    return word if weight == MIN_WEIGHT else f"{word}:{weight}"



def parse_keywords(text: str) -> list[str]:
    """An administrator's free-text keyword list -> canonical entries.

    Splits on commas (，,), 、, semicolons, whitespace and newlines; normalises
    each entry (``"油烟：3"`` -> ``"油烟:3"``, weight 1 is written without a
    suffix); keeps the first entry of a repeated word. Raises ValueError with a
    Chinese message for the first bad entry."""
    result: list[str] = []
    seen: set[str] = set()
    for piece in _SEPARATORS.split(text or ""):
        if not piece.strip():
            continue
        word, weight = _split_entry(piece)
        if word not in seen:
            seen.add(word)
            result.append(join_entry(word, weight))
    return result


def format_keywords(words: Sequence[str]) -> str:
    """Entries -> the free text an administrator edits; ``parse_keywords`` reads it back."""
    return "、".join(w.strip() for w in words if w and w.strip())


def _kw(text: str) -> list[str]:
    """Canonical keyword entries from a block of text; lines starting with # are headings."""
    return parse_keywords("\n".join(line for line in text.splitlines() if not line.strip().startswith("#")))


# Broad domain vocabulary per category. The weight says how sure a word makes
# the category on its own: 4-5 for words that belong to one department only
# (低保, 渔船, 拆迁), 1 for words shared by many kinds of requests (建议, 困难).
DEFAULT_KEYWORDS: dict[str, list[str]] = {
    "ECON": _kw("""
        # 企业与投资
        企业:4 小微企业:4 中小企业:4 民营企业:4 民企:3 国企:3 外资:3 公司:2 工厂:2 厂家:1 企业家:4 商会:4
        招商:4 招商引资:5 引进项目:4 投资:3 投资者:4 投资项目:4 项目:1 项目落地:4 落地:2 洽谈:3 签约:2
        # 金融
        融资:4 贷款:3 放贷:4 银行:2 资金:3 资金链:4 周转:3 贴息:4 授信:4 信贷:4 担保公司:4
        # 营商环境与登记
        营商环境:5 营业执照:4 执照:3 证照:3 工商:3 工商注册:4 注册公司:4 个体户:4 个体工商户:5 市场主体:5
        审批:2 年报:3 许可证:1
        # 商业与消费
        商户:3 商铺:2 店铺:3 门店:3 开店:3 店面:3 生意:3 经营:3 经营户:3 经营者:3 商业:3 商场:3 商圈:4
        超市:2 餐饮:2 消费:2 促消费:4 消费券:4 夜间经济:5 营业额:4 营收:4 销路:3 销售:2 卖货:2 商家:2
        压价:3 恶性竞争:4 市场:2 交易市场:4 行业:2 特产:2 品牌:3 展销会:4 展会:3 博览会:4 电商:4 网店:4 直播带货:4
        # 旅游
        旅游:3 旅游业:4 景区:3 游客:2 旅行社:4 民宿:4 农家乐:4 渔家乐:4 酒店:2 宾馆:1
        # 产业
        产业:3 产业园:4 产业链:4 园区:3 工业园区:4 开发区:4 厂房:3 产能:4 产值:4 生产线:4 扩大生产:4 扩大规模:3
        技改:4 高新技术:5 专利:3 研发:3 科技型:4 数字经济:5 海洋经济:5 经济:3 经济发展:5 水产加工:4 船舶修造:4
        造船:3 冷链:3 物流:3 港口:1 航运:2 外贸:4 稳外贸:5 出口:3 进口:3 贸易:3 关税:4 汇率:4 订单:3
        # 扶持与负担
        扶持:1 扶持政策:3 优惠政策:3 惠企:5 帮扶企业:5 纾困:4 复工复产:5 减税:4 降费:3 减税降费:5 税收:3
        税费:2 租金:2 房租:2 减免:2 成本:2 利润:3 亏损:4 倒闭:4 停产:3 破产:4 原材料:3 集体经济:5 集体收入:4
        招工难:3 上市:2 老板:1 商:1
        # 补充词汇
        个体:2 小店:2 网红:2 直播:3 跨境电商:5 招商会:4 企业服务:4 政企:4 政企恳谈:5
        工业:3 制造业:4 服务业:4 海洋产业:5 石化:3 绿色石化:4 港航:3 大宗商品:4 自贸区:5
        自由贸易:4 保税:4 营商:4 转型升级:4 招引:3 税务:3 发票:3 纳税:3 企业所得税:5
        增值税:5 退税:4 信用贷:4 小额贷款:4 门票:2 景点:2 旅游节:3
        # 口语说法
        做生意:4 搞经营:3 开厂:4 办厂:4 开公司:4 老板们:1 赚钱:2 亏本:4 赔本:4 没生意:4
        生意差:4 客人少:3 贷不到款:5
        淡季:4 小镇:2 特色小镇:5 旺季:3 人气:3 客人:2 批发:3 档口:4
        # 生活场景
        饭馆:2 摊位:3 进货:4 货源:4 供货:3 销量:4 滞销:3 回款:3 账款:3 加盟:4 连锁:3
        文旅:4 文创:4 节庆:3 会展:4 渔港经济:5 海岛旅游:5 旅游线路:5 土特产:3
    """),
    "ENV": _kw("""
        # 大气
        环境:2 环保:5 生态:3 生态环境:5 污染:4 环境污染:5 大气污染:5 空气:2 废气:4 排放:3 超标排放:5 油烟:5
        黑烟:4 冒烟:2 烟尘:4 烟囱:3 扬尘:4 粉尘:4 灰尘:2 尘土:3 焚烧:4 露天焚烧:5 烧垃圾:4 秸秆焚烧:5 烧荒:4
        异味:3 臭:2 臭气:3 臭味:3 恶臭:4 发臭:3 刺鼻:3 难闻:3 气味:2 味道:2 气体:2 氨气:4 喷漆:3 油漆味:3
        # 水
        水污染:5 排污:4 污水:2 废水:4 污水直排:5 直排:4 排污口:4 排水口:2 水质:3 海水水质:4 饮用水源:5
        水源地:4 水源:2 河道:2 河水:3 小河:2 水体:3 黑臭:4 发黑:3 浑浊:3 赤潮:4 溢油:4 海洋垃圾:4 海漂垃圾:5
        渗滤液:5 电镀:3 印染:4
        # 噪声
        噪音:4 噪声:4 噪声污染:5 扰民:3 吵:2 吵得:2 吵死:2 吵闹:3 轰隆:2 轰鸣:3 大喇叭:3 音响:3 喇叭:2
        夜间施工:5 施工噪音:5 电钻:3
        # 固废
        垃圾:3 生活垃圾:3 建筑垃圾:3 塑料垃圾:3 有害垃圾:4 垃圾分类:4 垃圾桶:3 垃圾站:3 垃圾房:3 清运:3
        乱倒:2 乱扔:2 乱堆:2 倾倒:3 非法倾倒:4 废渣:4 固废:5 危废:5 填埋场:4 粪便:3 粪水:3 渣土:3 渣土车:3
        # 生态与卫生
        砍树:3 乱砍:3 滥砍:4 毁林:4 采石:3 开山:3 砂石:2 石料:2 绿化:1 树木:1 光污染:5 辐射:3 苍蝇:2 蚊子:2
        蚊虫:2 卫生死角:4 脏乱差:4 环境卫生:4 污水横流:5 环境整治:4 雾霾:4 脏:1
        # 补充词汇
        排污许可:5 环评:5 环境影响评价:5 污水处理厂:3 养殖污染:5 畜禽养殖污染:5 海洋污染:5
        土壤污染:5 重金属:4 工业废水:5 生活污水:4 臭气扰民:5 尾气:4 冒黑烟:5 燃煤:3 锅炉:3
        泔水:3 餐厨垃圾:4 厨余:3 垃圾中转站:4 蚊蝇:3 鼠患:3 生态破坏:5 湿地:3 滩涂:3
        野生动物:3 保护区:3 候鸟:3 捕鸟:4 非法捕鸟:5 古树:3 河长:5 河长制:5 水环境:5
        广场舞:3 装修噪音:5 机器声:3 噪音扰民:5 KTV:3 歌厅:3 喧哗:3
        # 口语说法
        臭得:3 臭死:4 熏人:4 呛人:4 呛:2 烟味:3 灰大:3 吵人:3 闹哄哄:3 震耳:3
        半夜施工:5 乱排:4 脏水:3 黑水:3 垃圾成堆:5 没人扫:2
        塑料:2 塑料瓶:3
        # 生活场景
        排风扇:3 排气扇:3 油烟机:3 震动:3 振动:3 刺眼:3 鞭炮声:3 臭水沟:5 水沟:2
        垃圾堆:4 动物尸体:4 蓝藻:4 变色:2 挖沙:4 采砂:4 盗采:4 水土流失:5
        废水直排:5 直排入海:5 入海:2 挖掘机:3 施工:2 养殖场:3 小溪:2 海鸟:3 废旧:3 回收:3 回收箱:4 电池:2
    """),
    "RELIEF": _kw("""
        低保:5 低保金:5 低保户:5 低保边缘:5 低收入:4 救助:4 临时救助:5 医疗救助:5 教育救助:5 助学:3 助学金:4 慈善:4
        特困:5 特困人员:5 特困供养:5 供养:4 五保:5 五保户:5 救济:4 民政:4 救助站:5 流浪:3 乞讨:4
        困难:1 生活困难:4 困难家庭:4 困难户:5 贫困:4 贫困户:5 困境:3 走投无路:4 过不下去:4 揭不开锅:5
        没钱:3 没有钱:3 拿不出:4 凑不齐:3 负担不起:4 没着落:3 生活没着落:4 没有收入:3 顶梁柱:3 相依为命:4
        孤寡:4 孤寡老人:5 孤儿:4 留守儿童:4 空巢:3 空巢老人:4 独居:3 高龄:3 高龄补贴:5 无人照料:4 没人照顾:3
        没人照应:3 养老院:3 敬老院:4 居家养老:4 养老服务:3 上门服务:2 结对帮扶:4 帮扶:2 求助:2 可怜:2
        残疾:3 残疾人:3 残疾证:5 重度残疾:4 残联:4 两项补贴:5 护理补贴:4 生活补贴:3 瘫痪:4 卧床:3
        无劳动能力:4 没有劳动能力:4 丧失劳动能力:4 大病:3 重病:3 癌症:3 尿毒症:4 因病致贫:5 因灾:3 受灾:3
        过冬:2 冬衣:3 补助:1 危房:1
        # 补充词汇
        困难群众:5 困难职工:4 帮困:4 扶贫:4 慰问:3 送温暖:4 基本生活:3 生活保障:3 救急:3
        看不起病:4 治不起:4 住不起:3 吃不上饭:4 饿肚子:3 无家可归:5 无依无靠:5 孤老:4
        残疾儿童:4 智力残疾:5 精神残疾:5 肢体残疾:5 盲人:3 聋哑:3 轮椅:2 助残:4 重残:4
        失能:4 失能老人:5 半失能:5 养老补贴:3 托养:4 福利院:4 社会救助:5 最低生活保障:5
        低边:4 支出型贫困:5 慈善总会:5 红十字会:4 募捐:4 水滴筹:4 受灾群众:4
        # 口语说法
        日子难过:4 日子过不下去:5 家里穷:4 穷:2 没饭吃:4 吃饭都成问题:5 看不起:2 可怜人:3
        救救:2 无力:2 照顾不了:3 残废:3 生活不能自理:5 不能自理:4
        一个人住:3 看不见:2 交不起:3 付不起:3
        # 生活场景
        一个人过:3 孤零零:4 老无所依:5 子女不管:4 儿女不管:4 生活费:2 看病钱:4 治病钱:4
        手术费:4 住院费:2 救命钱:4 借钱看病:5 倾家荡产:4 生活无着:5
        干不了活:4 收入都没有:4 没收入:3
    """),
    "AGRI": _kw("""
        农业:4 农田:5 高标准农田:5 农村:1 农户:3 农民:2 种植:3 种植户:4 种粮:4 种粮大户:5 耕种:4 播种:4
        育苗:4 插秧:4 收割:3 丰收:3 农忙:4 水稻:5 早稻:4 晚稻:4 庄稼:4 农作物:5 粮食:3 蔬菜:3 菜地:3
        果树:4 果园:4 柑橘:4 杨梅:3 李子:4 西瓜:3 草莓:3 葡萄:3 茶叶:3 苗木:3 大棚:4 秧田:4
        灌溉:4 水渠:4 沟渠:3 抽水机:3 山塘:3 化肥:4 肥料:3 施肥:4 有机肥:4 农药:4 假农药:5 杀虫剂:3
        除草剂:4 病虫害:5 虫害:4 稻瘟病:5 防治:2 种子:3 种苗:3 嫁接:3 农技:5 农资:5 农机:4 农机具:5 农用:3
        兽医:4 畜牧:4 牲畜:4 家禽:4 禽流感:4 鸡舍:3 猪舍:4 养羊:4 养牛:4 耕地地力:5 地力保护:4 土地流转:3
        农产品:3 收购:2 下田:3 田里:3 地里:3 田地:3 减产:2 田:2 稻:2 猪:2 羊:2 苗:1 肥:1
        # 补充词汇
        粮油:3 小麦:4 玉米:4 油菜:4 大豆:4 花生:3 瓜果:4 果蔬:4 水果:2 枇杷:3 蜜橘:3
        柑桔:3 黄瓜:3 番茄:3 茄子:3 白菜:3 萝卜:3 芦笋:3 花卉:3 中药材:3 竹笋:3
        毛竹:3 林业:4 造林:3 果农:5 菜农:5 茶农:5 瓜农:5 畜禽:4 家畜:4 饲料:4 饲养:3
        疫病:4 动物疫病:5 病死:3 蜜蜂:3 养蜂:4 土壤:3 土壤改良:4 测土配方:5 秸秆:4
        农膜:4 地膜:4 滴灌:5 喷灌:5 排灌:4 机耕路:4 农业机械:5 拖拉机:4 收割机:4
        插秧机:4 耕田:4 农技站:5 农业站:5 农技推广:5 农业农村局:5 乡村振兴:3 家庭农场:5
        种养:4 稻渔:4 稻鱼共生:5 撂荒:5 抛荒:5 冻害:4 旱情:4 干旱:3 倒伏:4
        # 口语说法
        种地:4 种田:4 种菜:4 种庄稼:5 种果树:5 菜园:1 果子:2 收成:4 收成不好:5 庄稼地:5
        打农药:5 施化肥:5 养鸡场:2 鸡瘟:5 猪瘟:5 牛羊:4 放羊:4 牛:1 鸭:1 虫子:2
        长虫:3
        微耕机:5
        # 生活场景
        果苗:4 树苗:3 苗圃:4 育种:4 良种:4 品种:2 新品种:3 农技指导:5 植保:5 打药:4
        除虫:4 灭虫:4 病虫:4 烂根:4 病害:4 土豆:4 马铃薯:4 鸡鸭:3 西兰花:3 冷藏:2
    """),
    "DISPUTE": _kw("""
        邻居:5 邻里:2 邻里纠纷:5 邻里矛盾:5 纠纷:4 家庭纠纷:5 家庭矛盾:5 矛盾:3 调解:4 调解员:4 人民调解:5
        吵架:3 吵起来:4 争吵:4 争执:4 不可开交:4 骂人:3 打骂:3 说和:4 评理:4 不来往:3 不讲理:4 不讲道理:4
        蛮横:3 意见很大:2 婆媳:4 赡养:3 隔壁:3 对门:3 楼上:3 楼下:1 两家:3 两户:3 跑跳:3 遛狗:3 不牵绳:4
        养狗:2 宠物:2 挡住:2 挡光:3 光线:2 围墙:2 过道:2 走道:2 占为己有:4 侵占:2 自留地:2 过路:1 通道:1
        滴水:2 隐私:2 烟头:2 不肯:1 不承认:2 讲了:1 说了:1 不听:1 沟通无果:4
        # 补充词汇
        邻里关系:5 家务事:3 夫妻吵架:4 分家:4 妯娌:4 姑嫂:4 亲戚:2 村民之间:4 相邻:3
        相邻关系:5 通行权:4 出入:2 辱骂:4 口角:5 互不相让:4 关系紧张:4 积怨:5 晾衣:2
        晾晒:2 楼上楼下:4 左邻右舍:5 劝说:2 出面:2 做工作:3 化解:3
        # 口语说法
        吵了:2 闹得:2 不讲情面:3 欺负人:3 上门理论:4 找他:1 跟他说:2 跟他们说:2 说他:1
        他家:1 他们家:1 两口子:3 老两口:1 打起来:3 翻脸:4 闹僵:4
        往我家:3 我家门口:3
        # 生活场景
        狗屎:3 拉屎:2 私占:4 公共空地:3 发霉:2 推卸:3 敲门:2 不开门:2 不说话:2 调委会:5
        村调委:5
        楼下的人:3 楼上的人:3 共用:3 不让我们:2
    """),
    "FISH": _kw("""
        渔船:5 渔业:5 渔民:4 渔港:4 渔区:4 渔村:2 渔场:4 渔汛:4 渔政:5 渔:3 捕捞:5 捕鱼:4 休渔:5 伏季休渔:5
        禁渔:5 禁渔期:5 拖网:4 渔网:3 网具:4 违禁网具:5 渔具:4 晒网:3 出海:4 海上:3 海上作业:4 海上安全:4
        船员:4 船员证:5 船长:3 船老大:4 船东:4 船主:3 跑船:4 船只:3 船上:2 船:1 渔获:4 渔获物:4 鱼货:4
        冰鲜:3 定点上岸:4 海水养殖:5 养殖户:3 养殖:2 网箱:4 养殖区:4 紫菜:4 带鱼:4 鱿鱼:4 梭子蟹:4 海产:2
        海域:3 海域使用:4 渔业资源:5 增殖放流:5 幼鱼:3 避风:4 回港:4 航道:3 搜救:4 海难:4 船难:3
        失去联系:3 失联:3 大雾:2 碰撞:2 救生衣:4 救生筏:4 AIS:4 卫星电话:4 船检:4 检验证书:3 燃油补贴:5
        报废更新:3 更新改造:2 渔业互助保险:5 海钓:3 游艇:3
        # 补充词汇
        渔业执法:5 海洋与渔业:5 渔业局:5 渔船证书:5 渔船检验:5 证书:1 年审:2 船舶证书:4
        职务船员:5 船舶登记:4 渔船登记:5 船籍港:5 渔港监督:5 港监:4 海事:4 海事局:5
        海上求救:5 遇险:4 落水:4 救援:2 海上救援:5 风浪:3 禁航:4 远洋:4 远洋渔业:5
        近海:4 外海:3 海区:3 鱼汛:4 蟹笼:4 张网:4 流刺网:5 地笼:4 炸鱼:4 毒鱼:4
        电鱼:4 绝户网:5 船队:3 船网工具指标:5 渔船更新:5 渔船改造:5 渔用:4 渔需物资:5
        鱼苗:4 苗种:4 海带:4 羊栖菜:5 虾蛄:4 对虾:4 虾皮:3 海蜇:4 鳗鱼:4 鲳鱼:4
        马鲛鱼:4 墨鱼:4 养殖塘:4 浮筏:4 筏式:4 吊养:4 海洋牧场:5 人工鱼礁:5 渔民证:5
        渔民补贴:5 渔船保险:5 船员保险:5 渔业保险:5
        # 口语说法
        渔老大:4 下海:3 打鱼:5 捕鱼船:5 船出海:5 出不了海:5 海里:2 船坏了:4 渔网被:3
        养殖的鱼:4 鱼塘:3 海上养殖:5 渔排:5 拖虾:4 网被割:4
        转产转业:5 锚地:4
        # 生活场景
        柴油:3 防碰撞:4 养殖排:4
    """),
    "JOBS": _kw("""
        工资:5 欠薪:5 拖欠工资:5 工钱:4 薪水:4 薪资:4 扣工资:5 最低工资:5 加班费:5 包工头:4 卷钱:2
        劳动:2 劳动合同:5 劳动仲裁:5 劳务派遣:5 用人单位:4 试用期:4 临时工:4 合同工:4 学徒:2 辞退:5 开除:3
        裁员:4 辞职:4 离职:4 离职证明:4 工伤:5 工伤认定:5 职工:2 农民工:4 务工:3 外来务工:4 打工:3
        就业:4 再就业:4 待业:4 下岗:3 失业:4 失业保险:5 招聘:4 招人:3 招工:3 找工作:4 岗位:2 公益性岗位:5
        上岗:3 上班:2 干活:2 工作:1 职业技能:4 技能培训:4 培训:2 考证:2 电焊:2 保洁:2 保安:2 毕业生:3
        社保:5 社会保险:5 社会保障:4 养老保险:4 五险一金:5 公积金:3 缴费:3 缴费档次:4 补交:3 断交:3
        转移接续:4 退休:3 养老金:4 灵活用工:4 人社:5 薪:3
        # 补充词汇
        劳动纠纷:5 劳动争议:5 劳动监察:5 劳动保障:5 欠工资:5 讨薪:5 工资款:4 发工资:4
        年终奖:3 奖金:2 加班:3 工时:4 休息日:3 带薪:4 年假:4 产假:4 病假:3 双休:3
        夜班:3 用工:3 雇主:3 雇工:3 雇佣:3 员工:3 就业岗位:5 就业补贴:5 就业服务:5
        人才市场:5 招聘会:5 求职:4 应聘:4 面试:4 简历:3 职业介绍:5 职业培训:5 技能证书:4
        职业资格:5 养老待遇:4 视同缴费:5 工龄:4 社保卡:3 参保:4 生育保险:4 生育津贴:4
        工伤保险:5 失业登记:5 创业:2 返乡创业:4 创业补贴:4
        # 口语说法
        老板不给钱:5 不发工资:5 工资不发:5 不给工钱:5 欠钱不给:2 干活的钱:4 上班的:2 打工的:3
        找活:4 找事做:3 没活干:4 没工作:4 丢了工作:5 被辞:4 交社保:5 交养老:4 领养老金:5
        工头:4 服务员:3 厂里:2
        # 生活场景
        结工资:5 结工钱:5 工程款:3 新就业形态:5 劳动者:4 放弃社保:5 补缴:4 手艺:3 学手艺:4
        找个活:4 活干:3
        按件计酬:5 计件:4 计酬:4 断缴:4 医疗保险:3 小工:3
    """),
    "HEALTH": _kw("""
        医院:4 人民医院:4 卫生院:5 卫生室:5 卫生服务:3 社区医院:5 诊所:4 医生:4 护士:4 医务:4 看病:4 就医:4
        就诊:4 诊疗:4 门诊:4 急诊:4 挂号:4 住院:4 病房:4 病人:3 病情:3 治疗:3 康复:2 康复科:4 医疗:3
        医药费:2 药费:4 药店:3 药:1 过期药:4 报销:2 医保报销:4 自费:2 体检:4 产检:4 孕妇:2 儿童保健:4
        家庭医生:5 疫苗:5 接种:4 传染:4 传染病:5 肺结核:5 流感:3 高烧:3 发热:3 拉肚子:3 过敏:3 感染:3
        急救:4 救护车:4 中风:3 核磁共振:4 B超:4 CT:3 精神科:4 专科:3 儿科:4 妇科:4 眼科:4 骨科:4 中医:3
        过度医疗:5 病:1 医:2
        # 补充词汇
        医疗机构:5 医疗服务:5 医疗纠纷:5 医患:5 医闹:4 医德:5 药品:4 药物:4 处方:4
        开药:4 拿药:4 买药:3 药价:4 缺药:4 医用:3 医疗器械:5 化验:4 拍片:4 胃镜:4
        手术:4 开刀:4 住院部:5 床位:3 病床:4 陪护:3 护工:3 医护:5 医护人员:5 大夫:4
        乡村医生:5 村医:5 社区卫生:4 健康:2 健康档案:5 保健:3 疾控:5 疾病:4 新冠:4
        核酸:4 隔离:3 发病:3 病毒:3 细菌:3 腹泻:4 呕吐:3 咳嗽:3 症状:4 患者:4 患病:4
        得病:4 生病:3 看病难:5 看病贵:5 医疗费:3 卫生健康:5 卫健委:5 妇幼:4 妇幼保健:5
        儿保:4 预防针:4 狂犬:4 水痘:4 麻疹:4 艾滋:4 肝炎:4 肿瘤:3 心理咨询:4 心理健康:4
        抑郁:3 远程医疗:5 医疗资源:5 医共体:5 分级诊疗:5 坐诊:5 巡回医疗:5 义诊:5
        海岛医疗:5
        # 口语说法
        看医生:5 瞧病:5 身体不舒服:4 不舒服:2 身体不好:2 吃药:3 拿不到药:4 买不到药:4
        病了:3 生病了:3 住院了:4 去医院:4 卫生所:5 医疗点:5 打疫苗:5 打吊针:4
        会诊:5 手足口:5
        # 生活场景
        生孩子:4 分娩:4 产妇:4 接生:4 产科:4 支架:3 换药:4 健康证:5
        咳:3 肺部:4
    """),
    "EDU": _kw("""
        教育:4 学校:4 上学:3 入学:4 招生:4 学籍:5 学位:2 学区:4 划片:3 小学:4 初中:4 中学:4 高中:4 大学:2
        幼儿园:5 托儿所:4 学生:3 同学:3 老师:4 教师:4 班主任:4 代课:3 上课:3 课程:3 作业:2 成绩:3 考试:2
        中考:5 高考:5 转学:4 校车:4 放学:3 课后:3 托管:3 学费:2 培训机构:4 培训班:2 班级:3 大班额:5 读书:3
        青少年:3 文化:2 文化礼堂:5 文艺:4 演出:3 书屋:4 图书馆:4 体育:4 体育馆:4 运动场:4 操场:3 跑道:2
        健身:4 健身器材:4 游泳:2 游泳池:3 活动中心:2 文体:4 锻炼:2 学:1 课:2 校:2
        # 补充词汇
        家长:2 教学:4 教学质量:5 学业:4 升学:4 学习:2 补习:4 家教:4 辅导:3 课外:3
        课外班:4 兴趣班:4 特长班:4 音乐:3 舞蹈:3 钢琴:3 校园:4 校园欺凌:5 欺负:2 霸凌:5
        校门口:3 校长:4 教育局:5 义务教育:5 职业教育:5 职高:5 技校:4 中职:4 学前教育:5
        早教:4 研学:4 夏令营:4 寒暑假:3 教材:4 课本:4 校服:4 营养餐:3 教室:4 运动会:4
        赛事:3 马拉松:4 全民健身:5 健身房:3 羽毛球:4 乒乓球:4 足球:4 游泳馆:4 场馆:3
        体育场:4 文化站:5 文化馆:5 博物馆:4 纪念馆:4 电影:3 放电影:4 送戏下乡:5 戏曲:4
        文体活动:5 非遗:4 渔民画:5 阅读:3 读书会:4 借书:4 图书:3 书籍:3
        # 口语说法
        读书难:5 上学难:5 娃上学:5 小孩上学:5 孩子上学:5 上幼儿园:5 读小学:5 读初中:5
        读高中:5 学习成绩:4 老师上课:5 课上:2 校方:4 学堂:3 念书:4
        比赛:3 舞龙:4 龙舟:4 美术:4 少儿:3 暑假:2 寒假:2 书画:3
        # 生活场景
        年级:3 午睡:3 午休:3 剪纸:3 体育场地:4
        写作业:4 家庭作业:4 作业太多:4
    """),
    "INFRA": _kw("""
        道路:4 马路:3 路面:4 修路:2 路窄:3 拓宽:4 会车:3 坑坑洼洼:4 破损:2 人行道:3 路口:2 红绿灯:4 信号灯:4
        交通:2 堵车:4 停车场:4 停车难:4 地下车库:3 桥:1 桥梁:4 栏杆:3 海塘:4 堤坝:2 通行:3 路:1
        路灯:5 井盖:5 窨井:5 下水道:5 积水:3 排水:2 排水沟:3 污水管:3 化粪池:4 管网:4 管道:2
        停水:5 自来水:4 水压:4 来水:3 供水:4 水管:3 停电:5 断电:4 供电:4 电压:3 跳闸:3 燃气:2 天然气:3
        公交:4 公交车:4 站台:3 公交站:4 客运:3 航线:3 航班:3 轮渡:4 渡口:4 候船:4 码头:1
        电梯:4 加装电梯:5 老旧小区:4 小区改造:4 改造:1 墙皮:3 雨棚:3 宽带:4 光纤:4 网络:2 通信:3
        公共厕所:4 厕所:2 基础设施:5
        # 补充词汇
        公路:4 乡村道路:5 村道:4 路基:4 路面塌陷:5 塌陷:3 沥青:4 水泥路:4 硬化:3
        道路硬化:5 隧道:4 涵洞:4 高架:3 大桥:4 跨海大桥:5 斑马线:4 减速带:4 护栏:3
        路牌:4 指示牌:3 标线:3 交通标志:4 公交线路:5 公交站点:5 车站:3 汽车站:4 客运站:4
        渡船:4 客轮:4 班轮:4 船票:4 车票:3 出行:3 交通不便:5 出行难:5 出租车:3 网约车:3
        共享单车:4 充电桩:4 水厂:4 自来水厂:5 供水管:5 水表:4 水费:3 饮用水:3 井水:3
        电力:4 电网:4 电费:3 电表:4 变压器:5 电缆:4 高压线:4 用电:2 供气:5 燃气管道:5
        网速:4 通讯:3 基站:4 有线电视:4 公共设施:5 市政:5 市政设施:5 城建:4 住建:5
        城市建设:5 城中村:3 楼道灯:4 排涝:4 防汛:3 内涝:5 淹水:3 雨水:2 雨水井:2 护坡:4
        挡土墙:4 电梯故障:5 灯:1
        # 口语说法
        没水:4 断水:5 水停了:5 没电:4 停了电:4 电停了:5 黑灯瞎火:4 路坏了:5 路烂了:5
        路不平:4 大坑:3 坑洼:4 塌了:2 水管爆:5 水管破:5 爆管:5 冒水:3 不通车:4 坐车难:4
        没有车:2 车少:2
        石桥:4 小桥:3 桥面:3 水龙头:3
        # 生活场景
        交通船:4 船次:3 挖开:2
        涵管:4 被淹:3
    """),
    "LAND": _kw("""
        拆迁:5 征地:5 征迁:5 征收:4 征用:4 补偿:2 补偿款:3 补偿标准:3 过渡费:5 安置:3 安置房:5 安置小区:4
        宅基地:5 房产证:5 产权:4 不动产:5 不动产证:5 土地证:5 确权:4 登记:1 过户:4 二手房:3 商品房:3
        开发商:2 交房:3 分房:4 摇号:3 违章:3 违章建房:5 违章搭建:5 违章建筑:5 违建:5 违法建筑:5 违法占用:4
        私自扩建:4 扩建:3 加盖:3 搭建:3 承包地:4 土地承包:4 集体土地:4 耕地:3 土地:3 地块:4 占地:3
        规划:2 红线:3 建房:4 翻建:4 翻修:2 房屋:2 房子:1 老宅:3 危旧房:4 评估:2 房:1
        # 补充词汇
        房屋征收:5 征收补偿:5 拆迁款:5 拆迁户:5 回迁:5 回迁房:5 货币安置:5 产权调换:5
        过渡安置:5 强拆:5 拆除:3 违法用地:5 占用耕地:5 非法占地:5 乱占:4 乱建:4 乱搭乱建:5
        阳光房:4 楼顶:2 露台:2 土地确权:5 不动产登记:5 房屋登记:5 产权证:5 土地使用权:5
        使用权:3 批地:4 建房审批:5 农房:4 农村建房:5 危房改造:4 房改:4 公房:4 公租房:5
        廉租房:5 保障房:5 人才房:4 经济适用房:5 购房:3 买房:3 房价:3 土地出让:5 出让金:4
        国土:4 自然资源:5 规划局:5 城乡规划:5 用地:3 建设用地:5 土地调整:4 承包经营权:5
        林权:5 山林:3
        # 口语说法
        拆房子:5 拆我家:5 要拆:3 不让建:4 不让盖:4 盖房子:4 造房子:4 建房子:4 批房子:4
        房子手续:4 土地被占:5 地被占:4 补偿少:4 补偿太少:4 赔偿款:2 分房子:4
        办证:3 面积:3 圈地:5 公寓:2 农民公寓:5
        # 生活场景
        土地整治:5 自留山:4 旧城改造:5 评估价格:4 盖新房:4 新房:2 上市交易:4
        农村房屋:5 农村房子:4
    """),
    "SAFETY": _kw("""
        治安:5 巡逻:4 派出所:4 报警:4 警察:4 偷:2 被偷:4 小偷:4 盗窃:5 偷盗:5 撬:3 抢:3 抢劫:5 防盗:3
        诈骗:5 被骗:4 骗:3 冒充:4 传销:5 高利贷:5 赌博:5 聚众:3 吸毒:5 毒品:5 黑恶:5 小混混:4 保护费:5
        打架:4 斗殴:5 可疑:3 陌生人:3 监控:2 摄像头:1 门锁:2 电瓶:2 电动车:1 超载:4 飞线充电:5 充电:2
        消防:5 消防通道:5 着火:4 火灾:3 防火:4 灭火器:4 逃生:3 安全隐患:5 隐患:3 安全生产:5 安全防护:4
        爆炸:4 易燃:4 易爆:4 危化品:5 危险品:4 液化气:4 煤气罐:4 汽油:3 油漆:2 稀料:3 烟花爆竹:4 电炉:3
        私拉电线:5 出租房:3 塔吊:4 建筑工地:2 危险:1 受伤:1 刀:2
        # 补充词汇
        公安:5 民警:5 警方:4 110:4 犯罪:5 违法犯罪:5 嫌疑人:5 盗:3 偷窃:5 扒手:5
        入室:5 入室盗窃:5 撬锁:5 偷车:5 偷东西:5 失窃:5 骗子:5 电信诈骗:5 网络诈骗:5
        骗钱:5 骗局:5 刷单:4 非法集资:5 集资:3 打砸:5 砸:2 持刀:5 恐吓:4 敲诈:5
        勒索:5 寻衅滋事:5 闹事:4 酒驾:5 醉驾:5 无证驾驶:5 交通安全:5 消防栓:5 消火栓:5
        火险:5 失火:5 起火:5 火情:5 燃气泄漏:5 煤气泄漏:5 泄漏:3 漏气:4 触电:5 漏电:5
        坍塌:4 倒塌:3 危墙:4 山体滑坡:4 落石:4 溺水:5 防溺水:5 安全事故:5 安全检查:4
        安全监管:5 应急:3 危险化学品:5 化学品:3 黑作坊:4 黄赌毒:5 卖淫:5 嫖娼:5 涉黄:5
        赌钱:5 网吧:3 高空抛物:5 抛物:4 扫黑除恶:5 涉黑:5 保健品:3
        # 口语说法
        小偷小摸:5 被人偷:5 东西被偷:5 钱被偷:5 被抢:5 打人:4 砍人:5 捅人:5 砸东西:4
        闹事的:3 着火了:5 冒火:4 煤气味:5 出人命:4
        黑社会:5 骗了:3 上当:4 上当受骗:5
        拥挤:3 踩踏:5 安全管理:3 地下室:3 煤炉:2 赚大钱:4 高回报:4
        # 生活场景
        可疑人员:5 假钞:5 假币:5 住人:2 卷款:4 跑路:4
        动火:5 动火作业:5 通风:2 油舱:3
    """),
    "LEGAL": _kw("""
        法律:4 法律援助:5 法律咨询:5 法律效力:5 法律责任:5 法律依据:5 律师:4 法院:4 起诉:5 打官司:5 官司:4
        诉讼:5 告他:4 维权:4 侵权:4 权益:2 仲裁:2 判:2 公证:4 公证处:5 遗嘱:5 继承:5 遗产:5 离婚:5
        抚养权:5 抚养费:5 再婚:4 财产:3 合同:3 违约:3 违约金:4 欠条:4 借条:4 担保人:4 货款:4 追回:3
        注销:2 消费者:3 网购:3 质量问题:3 退货:3 户口:3 落户:4 户口迁移:4 居住证:4 条例:4 条款:3
        政策:2 规定:2 咨询:2 合法:3 不认账:2 划分:2 未成年人:3 赔偿:1 承担:1 责任:1 投诉:1 法:2
        # 补充词汇
        法规:4 法律法规:5 司法:4 司法局:5 法律服务:5 法律顾问:5 律所:4 律师事务所:5 法官:4
        判决:5 判决书:5 强制执行:5 上诉:5 诉状:5 立案:4 证据:4 取证:4 协议:2 协议书:3
        合同纠纷:4 借款:4 借钱:3 欠钱:3 还钱:3 债务:4 债权:5 讨债:4 追讨:4 利息:2
        租赁:3 租房合同:4 房东:3 押金:3 物业费:3 物业纠纷:4 业主委员会:4 业委会:4 婚姻:4
        结婚登记:4 彩礼:4 监护:4 监护权:5 收养:4 赠与:4 房产继承:5 遗产分割:5 法定继承:5
        公证书:5 委托书:4 征信:4 名誉:4 肖像:4 诽谤:4 人身损害:5 损害赔偿:5 消费维权:5
        三包:4 假货:3 户籍:4 迁户口:4 政策咨询:5 政策解读:5 怎么规定:4 有什么规定:4
        政策规定:5 合不合法:4 违法吗:4 犯法:4 是否合法:5 法律上:4 权利:3 义务:3
        # 口语说法
        告状:3 告他们:4 打赢:3 讨说法:3 找律师:5 要律师:4 请律师:5 法律上怎么:5 合法吗:3
        违法:2 犯法吗:5 有效吗:3 能不能告:5 怎么告:5 能告:4 写合同:4 合同上:3 分财产:5
        分家产:5 家产:3
        成员资格:4 资格认定:3 债主:4 还债:4 赌债:3 存款:3
        # 生活场景
        有效不:3 上户口:4 报户口:4 签字:2
        归谁:3 该归谁:4 借贷:4 借贷纠纷:5 私了:4 走保险:4 理赔:2
    """),
    "OTHER": _kw("""
        表扬:4 感谢:4 谢谢:4 点赞:4 锦旗:4 建议:1 意见:1 意见箱:4 态度:2 服务态度:3 作风:4 工作作风:4
        热线:4 服务热线:4 网站:4 通知:1 公告:2 公告栏:3 公示:3 公开:2 信息公开:4 政务公开:4 村务公开:4
        政务服务:4 APP 志愿者:4 办事员:3 工作人员:2 网格员:2 回复:3 处理结果:4 诉求:2 办结:3 不满意:3
        捡到:4 失物:4 走丢:2 提交:2 平台:2 号码:2 没人接:3 管不管:2 方言:3 转告:3 听证会:4 活动:1 更新:1 谢:2 邻里节:4
        # 补充词汇
        服务质量:4 服务效率:4 办事难:4 推诿:4 踢皮球:4 不作为:4 工作效率:4 效率低:4 点评:3
        评价:3 好评:4 差评:4 社区工作:3 便民服务:4 便民服务中心:5 服务中心:2 办事窗口:4
        窗口:2 咨询电话:3 电话打不通:4 打不通:3 联系方式:3 留言:3 反馈:2 进度:3 办理进度:4
        查询:2 受理:3 工单:4 回访:4 热心:3 辛苦:3 好人好事:5 失物招领:5 寻物:4 公众号:4
        小程序:4 宣传栏:3 意见和建议:5 合理化建议:5 金点子:5 征求意见:4 民意:4 群众意见:4
        社情民意:5 恳谈:3 人大代表:4 政协委员:4 提案:2
        # 口语说法
        问一下你们:2 你们这个:2 你们单位:3 你们的服务:4 服务好:4 态度好:4 很负责:4 负责任:3
        认真负责:5 谢谢你们:5 感谢你们:5 麻烦你们:2 没人理:2 投诉你们:5 找不到人:3
        # 生活场景
        联系电话:3 手机号:3 电子屏:3 没人联系:3 反映的事:3 反映的问题:3 上次反映:4
    """),
}


def _length_factor(word: str) -> float:
    # A longer keyword is more specific: 1 char 0.5, 2 chars 1, 3 chars 1.5, 4+ chars 2.
    return min(2.0, max(0.5, 0.5 * len(word)))


@dataclass(frozen=True)
class _CompiledRules:
    codes: tuple[str, ...]  # in the order given, for deterministic tie-breaks
    # first character -> [(word, ((code, contribution), ...))], longest word first
    index: dict[str, tuple[tuple[str, tuple[tuple[str, float], ...]], ...]]
    # character -> ((code, contribution), ...): the back-off for text no keyword covers
    chars: dict[str, tuple[tuple[str, float], ...]]
    # word -> the codes that list it with the highest weight (MAX_WEIGHT): "this
    # word belongs to this category only", which the model may not overrule
    certain: dict[str, frozenset[str]] = field(default_factory=dict)


def _char_backoff(by_word: dict[str, dict[str, float]]) -> dict[str, tuple[tuple[str, float], ...]]:
    """Characters that the rules themselves tie to one category (医 -> HEALTH,
    渔 -> FISH): a character found in at least _BACKOFF_MIN_WORDS keywords, mostly
    of one category, gives that category a little evidence where no keyword
    matched. Derived from the editable rules only, so it follows their edits."""
    per_char: dict[str, dict[str, float]] = {}
    words_with: dict[str, int] = {}
    for word, per_code in by_word.items():
        for ch in set(word):
            words_with[ch] = words_with.get(ch, 0) + 1
            bucket = per_char.setdefault(ch, {})
            for code in per_code:
                bucket[code] = bucket.get(code, 0.0) + 1.0
    result = {}
    for ch, bucket in per_char.items():
        if words_with[ch] < _BACKOFF_MIN_WORDS:
            continue
        total = sum(bucket.values())
        share = {code: n / total for code, n in bucket.items() if n / total >= _BACKOFF_MIN_SHARE}
        if share:
            result[ch] = tuple((code, _BACKOFF_WEIGHT * p) for code, p in sorted(share.items()))
    return result


def _rules_key(rules: Mapping[str, Sequence[str] | str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    key = []
    for code, entries in rules.items():
        if code not in CATEGORY_CODES:
            raise ValueError(f"未知的诉求类别代码“{code}”")
        if isinstance(entries, str):  # free text as stored for a category
            entries = parse_keywords(entries)
        key.append((code, tuple(entries)))
    return tuple(key)


@lru_cache(maxsize=64)
def _compile(key: tuple[tuple[str, tuple[str, ...]], ...]) -> _CompiledRules:
    by_word: dict[str, dict[str, float]] = {}
    certain: dict[str, set[str]] = {}
    for code, entries in key:
        for entry in entries:
            word, weight = _split_entry(entry)
            per_code = by_word.setdefault(word, {})
            # A word listed twice for one category counts with its highest weight.
            per_code[code] = max(per_code.get(code, 0.0), weight * _length_factor(word))
            if weight == MAX_WEIGHT:
                certain.setdefault(word, set()).add(code)
    index: dict[str, list[tuple[str, tuple[tuple[str, float], ...]]]] = {}
    for word, per_code in by_word.items():
        index.setdefault(word[0], []).append((word, tuple(per_code.items())))
    frozen = {ch: tuple(sorted(items, key=lambda item: (-len(item[0]), item[0]))) for ch, items in index.items()}
    return _CompiledRules(codes=tuple(code for code, _ in key), index=frozen, chars=_char_backoff(by_word),
                          certain={word: frozenset(codes) for word, codes in certain.items()})


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _whole_word(text: str, start: int, end: int) -> bool:
    """A keyword that begins (ends) with a Latin letter or digit must not
    continue a Latin word there: ``APP`` is not in ``APPOINTMENT``, ``CT`` not
    in ``FACT``; Chinese characters have no such boundary."""
    if _latin(text[start]) and start > 0 and _latin(text[start - 1]):
        return False
    return not (_latin(text[end - 1]) and end < len(text) and _latin(text[end]))


def _matches(text: str, compiled: _CompiledRules) -> tuple[list[tuple[int, str, tuple[tuple[str, float], ...]]], list[bool]]:
    """Non-overlapping keyword matches, longest first, each word once (its first
    place); and which characters of the text they cover."""
    found = []
    index = compiled.index
    for start, ch in enumerate(text):
        for word, contributions in index.get(ch, ()):
            if text.startswith(word, start) and _whole_word(text, start, start + len(word)):
                found.append((start, word, contributions))
    found.sort(key=lambda m: (-len(m[1]), m[0]))
    taken = [False] * len(text)
    seen: set[str] = set()
    chosen = []
    for start, word, contributions in found:
        end = start + len(word)
        if any(taken[start:end]):
            continue
        for i in range(start, end):
            taken[i] = True
        if word not in seen:
            seen.add(word)
            chosen.append((start, word, contributions))
    return chosen, taken


def keyword_scores(norm: str, compiled: _CompiledRules) -> tuple[dict[str, float], dict[str, list[tuple[float, int, str]]], bool]:
    """Keyword evidence per code (plus the character back-off), the keywords
    behind it, and whether the rules alone have enough to name a category."""
    scores: dict[str, float] = {}
    evidence: dict[str, list[tuple[float, int, str]]] = {}
    chosen, taken = _matches(norm, compiled)
    for start, word, contributions in chosen:
        for code, value in contributions:
            scores[code] = scores.get(code, 0.0) + value
            evidence.setdefault(code, []).append((value, start, word))
    backoff: dict[str, float] = {}
    for ch in dict.fromkeys(ch for ch, covered in zip(norm, taken) if not covered):
        for code, value in compiled.chars.get(ch, ()):
            backoff[code] = backoff.get(code, 0.0) + value
    enough = bool(scores) or max(backoff.values(), default=0.0) >= _BACKOFF_ALONE
    for code, value in backoff.items():
        scores[code] = scores.get(code, 0.0) + value
        evidence.setdefault(code, [])
    return scores, evidence, enough


def ranked_terms(evidence: list[tuple[float, int, str]]) -> list[str]:
    return [word for _, _, word in sorted(evidence, key=lambda e: (-e[0], e[1])) if word]


def rules_only(compiled: _CompiledRules, norm: str) -> Classification:
    scores, evidence, enough = keyword_scores(norm, compiled)
    if not enough:
        return no_match()
    order = {code: i for i, code in enumerate(compiled.codes)}
    # Ties: the stronger single keyword, then the order of the rules.
    ranked = sorted(scores, key=lambda c: (-scores[c], -max((v for v, _, _ in evidence[c]), default=0.0), order[c]))
    best = ranked[0]
    first = scores[best]
    second = scores[ranked[1]] if len(ranked) > 1 else 0.0
    strength = 1.0 - math.exp(-first / _EVIDENCE_SCALE)
    margin = (first - second) / first
    confidence = strength * (0.4 + 0.6 * margin)
    return Classification(best, round(min(1.0, max(0.0, confidence)), 6), ranked_terms(evidence[best]))


def compile_rules(rules: Mapping[str, Sequence[str] | str] | None) -> _CompiledRules:
    """``rules`` (code -> keyword entries or free text; DEFAULT_KEYWORDS when
    None) compiled once and cached. Raises ValueError for a bad rule."""
    return _compile(_rules_key(DEFAULT_KEYWORDS if rules is None else rules))


def certain_codes(compiled: _CompiledRules, evidence: Mapping[str, Sequence[tuple[float, int, str]]]) -> set[str]:
    """The codes that a matched weight-5 keyword gives to them alone."""
    return {c for c, items in evidence.items() for _, _, word in items if c in compiled.certain.get(word, ())}
