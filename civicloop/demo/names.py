"""Chinese name pools and small generators for the demo city.

Every generator takes the caller's `random.Random`, so the same seed gives the same names.
Pools are tuples (ordered) on purpose: iterating a set would depend on hash seeds.
"""

from __future__ import annotations

import random

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史"
    "陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
)
# Common given names (a random pair of characters reads oddly far too often).
GIVEN_NAMES = (
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "建国",
    "志强",
    "晓东",
    "海燕",
    "玉兰",
    "国华",
    "红梅",
    "丽华",
    "振华",
    "文斌",
    "海波",
    "春梅",
    "雪梅",
    "立新",
    "德明",
    "永刚",
    "卫东",
    "淑珍",
    "玉梅",
    "凤英",
    "晓燕",
    "宏伟",
    "俊杰",
    "浩然",
    "子涵",
    "欣怡",
    "梓萱",
    "雨桐",
    "思远",
    "博文",
    "家乐",
    "晨阳",
    "雅婷",
    "慧敏",
    "佳琪",
    "瑞",
    "鑫",
    "鹏",
    "辉",
    "斌",
    "峰",
    "亮",
    "浩",
    "宇",
    "凯",
    "婷",
    "颖",
    "琳",
    "倩",
    "蕾",
    "帆",
    "建军",
    "建平",
    "志刚",
    "志勇",
    "国庆",
    "国强",
    "庆华",
    "爱民",
    "利民",
    "光明",
    "长青",
    "新民",
    "学文",
    "彦军",
    "玉华",
    "淑华",
    "秀珍",
    "桂兰",
    "金凤",
    "美玲",
    "晓丽",
    "晓明",
    "海涛",
    "海军",
    "云飞",
    "立国",
    "成林",
    "树林",
    "传东",
    "兆华",
    "广明",
    "延军",
    "传花",
)

DISTRICT_NAMES = (
    "城东区",
    "城西区",
    "城南区",
    "城北区",
    "高新区",
    "经济开发区",
    "滨湖新区",
    "临河县",
    "南山县",
    "清水县",
)

# Two-character stems for streets (街道), parks, squares, estates.
PLACE_STEMS = (
    "人民",
    "解放",
    "建设",
    "和平",
    "胜利",
    "友谊",
    "朝阳",
    "新华",
    "文化",
    "北关",
    "南关",
    "东关",
    "西关",
    "黄河",
    "渤海",
    "滨湖",
    "玉龙",
    "市中",
    "市西",
    "梁才",
    "杜店",
    "里则",
    "沙河",
    "清河",
    "龙泉",
    "长安",
    "兴华",
    "振兴",
    "幸福",
    "光明",
    "新立",
    "向阳",
    "红旗",
    "富源",
    "锦绣",
    "东方",
    "北城",
    "南城",
    "彭李",
    "秦台",
    "三河",
    "古城",
    "凤凰",
    "金山",
    "银河",
    "丰收",
    "惠民",
    "安定",
    "永和",
    "太平",
    "仁和",
    "怀远",
    "崇文",
    "尚德",
    "育才",
    "新城",
    "乐安",
    "广福",
    "盛世",
    "汇泉",
    "青年",
    "中海",
    "鑫源",
    "高杜",
    "小营",
    "北镇",
    "蒲园",
    "柳堡",
    "梧桐",
    "桃源",
    "杏林",
    "枣园",
    "槐荫",
    "翠湖",
    "明珠",
    "龙腾",
    "金阳",
    "西湖",
    "天成",
    "瑞泰",
)

_COMMUNITY_FIRST = "锦华安康和瑞祥兴丰泰富盛福嘉永宏新文明德馨怡悦景翠绿碧金玉润"
_COMMUNITY_SECOND = "苑园庭府城都源泉湖河山林桥门坊里湾岸洲"

NUMERALS = "一二三四五六七八九十"

ROAD_STEMS = (
    "人民",
    "解放",
    "建设",
    "长安",
    "新立",
    "梧桐",
    "凤凰",
    "黄河",
    "渤海",
    "长江",
    "中海",
    "东海",
    "南海",
    "北海",
    "滨河",
    "玉龙",
    "锦秋",
    "文汇",
    "会仙",
    "永莘",
    "秦皇",
    "渤海",
    "新华",
    "胜利",
    "朝阳",
    "和平",
    "幸福",
    "光明",
    "青年",
    "工业",
    "商业",
    "学院",
)
ROAD_SUFFIXES = ("路", "路", "大街", "街", "大道")
LANE_SUFFIXES = ("巷", "胡同", "里", "小街", "东巷", "西巷")

BANKS = (
    ("工商银行", "中国工商银行"),
    ("农业银行", "中国农业银行"),
    ("中国银行", "中国银行"),
    ("建设银行", "中国建设银行"),
    ("交通银行", "交通银行"),
    ("邮储银行", "中国邮政储蓄银行"),
    ("农商银行", "农村商业银行"),
    ("齐鲁银行", "齐鲁银行"),
    ("恒丰银行", "恒丰银行"),
    ("招商银行", "招商银行"),
)
TELECOMS = (
    ("中国移动", "中国移动通信集团"),
    ("中国联通", "中国联合网络通信"),
    ("中国电信", "中国电信"),
)
SUPERMARKETS = (
    ("银座", "银座商城"),
    ("佳乐家", "佳乐家超市"),
    ("大润发", "大润发"),
    ("家家悦", "家家悦超市"),
    ("华联", "华联商厦"),
    ("万达", "万达广场"),
)
EXPRESS = (
    ("顺丰速运", "顺丰速运"),
    ("中通快递", "中通快递"),
    ("圆通速递", "圆通速递"),
    ("韵达快递", "韵达快递"),
    ("京东物流", "京东物流"),
    ("申通快递", "申通快递"),
)
FUEL = (("中国石化", "中国石化销售股份有限公司"), ("中国石油", "中国石油天然气股份有限公司"))
CONSTRUCTION = (
    "城建集团",
    "建工集团",
    "路桥集团",
    "安装工程",
    "建筑安装",
    "市政工程",
    "交通建设",
    "置业建设",
)
PROPERTY = ("物业服务", "物业管理", "物业服务", "城市服务", "物业")
HOTEL_BRANDS = ("如家酒店", "汉庭酒店", "锦江之星", "格林豪泰", "7天酒店", "全季酒店")
NETCAFE_BRANDS = ("网鱼网咖", "极速网咖", "星空网咖", "风云网吧", "新世纪网吧")
RESTAURANT_SUFFIXES = ("饭店", "酒楼", "家常菜", "面馆", "水饺馆", "烧烤", "火锅", "包子铺")
ESTATE_SUFFIXES = ("小区", "花园", "家园", "名苑", "佳苑", "华府", "新村", "御景园")
HOSPITALS = ("人民医院", "中医医院", "妇幼保健院", "第二人民医院", "中心医院")


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def mobile(rng: random.Random) -> str:
    prefix = rng.choice(
        (
            "133",
            "135",
            "137",
            "138",
            "139",
            "150",
            "152",
            "158",
            "159",
            "177",
            "180",
            "186",
            "187",
            "189",
            "199",
        )
    )
    return prefix + f"{rng.randrange(10**8):08d}"


def office_phone(rng: random.Random) -> str:
    return f"0543-{rng.randrange(2000000, 8999999)}"


def community_names(rng: random.Random, count: int) -> list[str]:
    combos = [a + b for a in _COMMUNITY_FIRST for b in _COMMUNITY_SECOND]
    if count > len(combos):
        raise ValueError("not enough community names")
    return [f"{name}社区" for name in rng.sample(combos, count)]


def road_names(rng: random.Random, count: int) -> list[str]:
    """Distinct road names: numbered grid roads (黄河五路) mixed with named ones."""
    names: list[str] = []
    for stem in ("黄河", "渤海", "长江", "东海"):
        names += [f"{stem}{n}路" for n in NUMERALS]
    names += [stem + suffix for stem in ROAD_STEMS for suffix in ("路", "大街")]
    names = list(dict.fromkeys(names))
    rng.shuffle(names)
    return names[:count] if count <= len(names) else names


def lane_name(rng: random.Random) -> str:
    return rng.choice(PLACE_STEMS) + rng.choice(LANE_SUFFIXES)


def ordinal(n: int) -> str:
    """1 → 一, 12 → 十二, 21 → 二十一 (enough for grid and school numbers)."""
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else NUMERALS[tens - 1]
    return head + "十" + (NUMERALS[ones - 1] if ones else "")
