"""Believable names for demo points, by point type ("幸福路农贸市场", "工商银行人民路支行")."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from civicloop.demo import names as n
from civicloop.demo.data import CITY_NAME

# City-level companies that own points of a type ("brand:<pool>"): (short name, unit name).
BRAND_POOLS: dict[str, tuple[tuple[str, str], ...]] = {
    "bank": tuple((s, f"{full}{CITY_NAME}分行") for s, full in n.BANKS),
    "telecom": tuple((s, f"{full}{CITY_NAME}分公司") for s, full in n.TELECOMS),
    "supermarket": tuple((s, f"{full}{CITY_NAME}有限公司") for s, full in n.SUPERMARKETS),
    "post": (("中国邮政", f"中国邮政集团有限公司{CITY_NAME}分公司"),),
    "express": tuple((s, f"{full}{CITY_NAME}分公司") for s, full in n.EXPRESS),
    "fuel": tuple((s, f"{full}{CITY_NAME}分公司") for s, full in n.FUEL),
    "bus": (("公交集团", f"{CITY_NAME}公共交通集团有限公司"),),
    "construction": tuple((s, f"{CITY_NAME}{s}有限公司") for s in n.CONSTRUCTION),
}


@dataclass
class Place:
    """Where a point is being generated, with the seeded generator to use."""

    rng: random.Random
    district: str
    street: str
    community: str
    roads: list[str]
    counters: Counter = field(default_factory=Counter)
    # The first road a name mentions, so the address can be on the same road.
    named_road: str | None = None

    def road(self) -> str:
        road = self.rng.choice(self.roads)
        if self.named_road is None:
            self.named_road = road
        return road

    def other_road(self, *not_these: str) -> str:
        choices = [r for r in self.roads if r not in not_these]
        return self.rng.choice(choices) if choices else self.rng.choice(n.ROAD_STEMS) + "路"

    def stem(self) -> str:
        return self.rng.choice(n.PLACE_STEMS)

    def brand(self, pool: str) -> int:
        return self.rng.randrange(len(BRAND_POOLS[pool]))

    def number(self, key: str) -> int:
        """1, 2, 3… per district and key, for numbered schools and hospitals."""
        self.counters[(self.district, key)] += 1
        return self.counters[(self.district, key)]


Namer = Callable[[Place], tuple[str, int | None]]


def _plain(fn: Callable[[Place], str]) -> Namer:
    return lambda p: (fn(p), None)


def _branded(pool: str, fn: Callable[[Place, str], str]) -> Namer:
    def namer(p: Place) -> tuple[str, int]:
        i = p.brand(pool)
        return fn(p, BRAND_POOLS[pool][i][0]), i

    return namer


def _market(p: Place) -> str:
    return f"{p.road()}农贸市场" if p.rng.random() < 0.6 else f"{p.stem()}农贸市场"


def _hospital(p: Place) -> str:
    i = p.number("医院")
    return f"{p.district}{n.HOSPITALS[i - 1]}" if i <= len(n.HOSPITALS) else f"{p.stem()}医院"


def _hotel(p: Place) -> str:
    if p.rng.random() < 0.4:
        return f"{p.rng.choice(n.HOTEL_BRANDS)}（{p.road()}店）"
    return p.stem() + p.rng.choice(("大酒店", "宾馆", "商务酒店", "快捷酒店"))


def _bus_stop(p: Place) -> str:
    road = p.road()
    return f"{road}{p.other_road(road)}路口站"


def _main_road(p: Place) -> str:
    road = p.road()
    a = p.other_road(road)
    return f"{road}（{a}至{p.other_road(road, a)}段）"


def _school(p: Place) -> str:
    i = p.number("学校")
    if i <= 20:
        kind = p.rng.choice(("实验小学", "小学", "中学", "实验中学"))
        return f"{p.district}第{n.ordinal(i)}{kind}"
    return p.stem() + p.rng.choice(("小学", "中学", "学校"))


def _kindergarten(p: Place) -> str:
    i = p.number("幼儿园")
    if i <= 10:
        return f"{p.district}第{n.ordinal(i)}实验幼儿园"
    return p.stem() + p.rng.choice(("幼儿园", "中心幼儿园", "双语幼儿园"))


def _school_surroundings(p: Place) -> str:
    i = p.rng.randint(1, 20)
    kind = p.rng.choice(("实验小学", "小学", "中学"))
    return f"{p.district}第{n.ordinal(i)}{kind}周边"


def _restaurant(p: Place) -> str:
    if p.rng.random() < 0.5:
        owner = p.rng.choice("老小大") + p.rng.choice(n.SURNAMES)
        return owner + p.rng.choice(n.RESTAURANT_SUFFIXES)
    return p.stem() + p.rng.choice(n.RESTAURANT_SUFFIXES)


def _museum(p: Place) -> str:
    return f"{CITY_NAME}博物馆" if p.number("博物馆") == 1 else f"{CITY_NAME}{p.stem()}纪念馆"


NAMERS: dict[str, Namer] = {
    "农贸市场": _plain(_market),
    "集贸市场": _plain(lambda p: p.street[:2] + p.rng.choice(("集贸市场", "大集"))),
    "商场超市": _branded(
        "supermarket",
        lambda p, b: f"{b}{p.rng.choice(('超市', '购物广场', '便利店'))}（{p.road()}店）",
    ),
    "银行营业厅": _branded("bank", lambda p, b: f"{b}{p.road()}支行"),
    "电信营业厅": _branded("telecom", lambda p, b: f"{b}{p.road()}营业厅"),
    "邮政网点": _branded("post", lambda p, b: f"{p.road()}邮政{p.rng.choice(('支局', '所'))}"),
    "快递网点": _branded("express", lambda p, b: f"{b}{p.street[:2]}网点"),
    "政务服务大厅": _plain(lambda p: f"{p.district}政务服务中心"),
    "医院": _plain(_hospital),
    "宾馆酒店": _plain(_hotel),
    "加油站": _branded("fuel", lambda p, b: f"{b}{p.road()}加油站"),
    "火车站": _plain(lambda p: f"{CITY_NAME[:-1]}火车站"),
    "长途客运站": _plain(lambda p: f"{CITY_NAME}长途汽车总站"),
    "汽车站": _plain(lambda p: f"{p.district}汽车站"),
    "公交站台": _branded("bus", lambda p, b: _bus_stop(p)),
    "主次干道": _plain(_main_road),
    "背街小巷": _plain(lambda p: n.lane_name(p.rng)),
    "城乡结合部": _plain(lambda p: f"{p.stem()}村城乡结合部"),
    "社区": _plain(lambda p: p.community),
    "小区": _plain(lambda p: p.stem() + p.rng.choice(n.ESTATE_SUFFIXES)),
    "新时代文明实践站": _plain(lambda p: f"{p.community}新时代文明实践站"),
    "志愿服务站": _plain(lambda p: f"{p.road()}学雷锋志愿服务站"),
    "公园": _plain(lambda p: f"{p.stem()}公园"),
    "公共广场": _plain(lambda p: f"{p.stem()}广场"),
    "公厕": _plain(lambda p: f"{p.road()}{p.rng.randint(1, 9)}号公厕"),
    "景区": _plain(
        lambda p: p.stem() + p.rng.choice(("湖", "湿地公园", "古镇", "生态园", "森林公园")) + "景区"
    ),
    "图书馆": _plain(lambda p: f"{p.district}图书馆"),
    "博物馆": _plain(_museum),
    "文化馆": _plain(lambda p: f"{p.district}文化馆"),
    "体育场馆": _plain(lambda p: f"{p.district}体育中心"),
    "学校": _plain(_school),
    "幼儿园": _plain(_kindergarten),
    "校园周边": _plain(_school_surroundings),
    "网吧": _plain(lambda p: f"{p.rng.choice(n.NETCAFE_BRANDS)}（{p.road()}店）"),
    "未成年人活动场所": _plain(lambda p: f"{p.street}未成年人活动中心"),
    "餐饮店": _plain(_restaurant),
    "餐饮集中区": _plain(
        lambda p: f"{p.road()}美食街" if p.rng.random() < 0.5 else f"{p.stem()}夜市"
    ),
    "建筑工地": _branded(
        "construction", lambda p, b: p.stem() + p.rng.choice(n.ESTATE_SUFFIXES) + "项目工地"
    ),
    "公益广告点位": _plain(
        lambda p: p.road()
        + p.rng.choice(("公益广告宣传栏", "公益广告围挡", "公益广告灯箱", "公益广告墙"))
    ),
    "社区卫生服务中心": _plain(lambda p: f"{p.street}社区卫生服务中心"),
}


def operator_name(type_name: str, point_name: str) -> str:
    """The enterprise that runs a point of an "operator" type."""
    if type_name == "火车站":
        return f"中国铁路济南局集团有限公司{point_name.removesuffix('火车站')}站"
    if type_name == "景区":
        return f"{point_name}管理服务中心"
    if type_name == "农贸市场":
        return f"{CITY_NAME}{point_name}管理有限公司"
    return f"{point_name}运营管理有限公司"
