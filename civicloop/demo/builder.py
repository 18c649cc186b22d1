"""Build a believable, reproducible demo city: areas, units, point types, points, users.

    city = build_city("small", seed=1, stdout=sys.stdout)   # -> DemoCity (handles)

Reproducibility: every stage draws from its own `random.Random` seeded with
"<seed>:<stage>", so the same seed gives identical codes, names and coordinates, and
adding a stage (or a later feature's step) never shifts the output of the others.
Database ids are *not* part of that promise.

Extension point for later features (problems, inspections, rankings): an app may add a
module `demo_steps.py` that registers functions run after the city is built, in the same
transaction, and reset hooks that delete its own demo rows before the registry is wiped:

    from civicloop.demo.builder import register_reset, register_step

    @register_step("problems", order=200)
    def make_problems(city):                  # city: DemoCity
        rng = city.rng("problems")            # own seeded generator
        ...

    @register_reset
    def drop_problems():                      # rows that PROTECT points/units/users
        Problem.objects.filter(point__code__startswith=CITY_CODE).delete()

`manage.py demo_city` discovers those modules (`autodiscover_modules("demo_steps")`).
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TextIO

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Model
from django.utils.module_loading import autodiscover_modules

from civicloop.accounts.models import Membership, Role, User
from civicloop.core.geo import geometry_bbox
from civicloop.demo import data
from civicloop.demo import names as n
from civicloop.demo.geometry import Rect, city_rect, subdivide
from civicloop.demo.pointnames import BRAND_POOLS, NAMERS, Place, operator_name
from civicloop.orgs.models import (
    Area,
    AreaLevel,
    AreaResponsibility,
    Point,
    PointType,
    ResponsibilityKind,
    Unit,
    UnitKind,
)
from civicloop.standards.models import Category
from civicloop.standards.taxonomy import load_default_categories

BATCH = 1000


class DemoCityError(Exception):
    """The demo city cannot be built here (a Chinese message says why and what to do)."""


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: str  # Role value, or "admin" for the superuser
    scope: str
    title: str = ""


@dataclass
class DemoCity:
    """Handles on everything that was built, for later steps and for tests."""

    size: str
    seed: int
    spec: data.SizeSpec
    city: Area | None = None
    districts: list[Area] = field(default_factory=list)
    streets: list[Area] = field(default_factory=list)
    communities: list[Area] = field(default_factory=list)
    grids: list[Area] = field(default_factory=list)
    rects: dict[str, Rect] = field(default_factory=dict)  # area code -> rectangle
    departments: dict[str, Unit] = field(default_factory=dict)  # key ("城管局") -> unit
    district_governments: dict[str, Unit] = field(default_factory=dict)  # district code
    district_departments: dict[str, dict[str, Unit]] = field(default_factory=dict)
    street_offices: dict[str, Unit] = field(default_factory=dict)  # street code -> unit
    community_units: dict[str, Unit] = field(default_factory=dict)  # community code
    brands: dict[str, list[Unit]] = field(default_factory=dict)  # pool -> companies
    property_companies: dict[str, list[Unit]] = field(default_factory=dict)  # district
    operators: list[Unit] = field(default_factory=list)
    point_types: dict[str, PointType] = field(default_factory=dict)  # code -> type
    point_count: int = 0
    users: dict[str, User] = field(default_factory=dict)  # username -> user
    logins: list[DemoLogin] = field(default_factory=list)
    category_count: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def rng(self, stage: str) -> random.Random:
        """A generator of its own for one stage (string seeds are stable across runs)."""
        return random.Random(f"civicloop-demo:{self.seed}:{stage}")

    @property
    def all_units(self) -> list[Unit]:
        units = [*self.departments.values(), *self.district_governments.values()]
        for depts in self.district_departments.values():
            units += depts.values()
        units += [*self.street_offices.values(), *self.community_units.values()]
        for companies in (*self.brands.values(), *self.property_companies.values()):
            units += companies
        return units + self.operators


# --- extension registry -------------------------------------------------------------


@dataclass(frozen=True)
class DemoStep:
    name: str
    func: Callable[[DemoCity], None]
    order: int


_STEPS: dict[str, DemoStep] = {}
_RESET_HOOKS: dict[Callable[[], None], int] = {}


def register_step(name: str, *, order: int = 100):
    """Register `func(city)` to run after the city is built (lower order runs first)."""

    def decorator(func: Callable[[DemoCity], None]):
        _STEPS[name] = DemoStep(name, func, order)
        return func

    return decorator


def register_reset(func: Callable[[], None] | None = None, *, order: int = 100):
    """Register a hook run by `reset_demo()` before the registry rows are deleted.

    `order` is the order of the step whose data the hook removes: hooks run from the
    highest order down, so data built later (which may PROTECT earlier data) goes first.
    Usable as `@register_reset`, `@register_reset(order=300)` or a plain call.
    """

    def decorator(hook: Callable[[], None]) -> Callable[[], None]:
        _RESET_HOOKS[hook] = order
        return hook

    return decorator(func) if func is not None else decorator


def discover_steps() -> list[DemoStep]:
    autodiscover_modules("demo_steps")
    return sorted(_STEPS.values(), key=lambda s: (s.order, s.name))


def run_extra_steps(city: DemoCity, stdout: TextIO | None = None) -> None:
    for step in discover_steps():
        _timed(city, step.name, lambda step=step: step.func(city), stdout)


# --- public entry points -------------------------------------------------------------


def ensure_empty() -> None:
    """Refuse to mix the demo with other registry data (codes and scopes would collide)."""
    counts = {
        "区域": Area.objects.count(),
        "单位": Unit.objects.count(),
        "点位": Point.objects.count(),
    }
    if any(counts.values()):
        found = "、".join(f"{k} {v} 条" for k, v in counts.items() if v)
        raise DemoCityError(
            f"数据库中已有基础数据（{found}），演示城市只在空库中生成。"
            "如这些是以前生成的演示数据，请加 --reset 参数先清除；"
            "否则请换一个空数据库（或 manage.py flush 清空后重试）。"
        )


@transaction.atomic
def build_city(size: str, seed: int, stdout: TextIO | None = None) -> DemoCity:
    """Build the demo city in one transaction and return handles on what was built."""
    if size not in data.SIZES:
        raise DemoCityError(f"未知规模：{size}（可选 {'、'.join(data.SIZES)}）")
    ensure_empty()
    city = DemoCity(size=size, seed=seed, spec=data.SIZES[size])
    _timed(city, "区域与网格", lambda: build_areas(city), stdout)
    _timed(city, "责任单位", lambda: build_units(city), stdout)
    _timed(city, "点位类型", lambda: build_point_types(city), stdout)
    _timed(city, "点位", lambda: build_points(city), stdout)
    _timed(city, "演示账号", lambda: build_users(city), stdout)
    _timed(city, "包片领导与包保单位", lambda: build_responsibilities(city), stdout)
    _timed(city, "问题分类", lambda: build_categories(city), stdout)
    return city


@transaction.atomic
def reset_demo() -> dict[str, int]:
    """Delete what a previous build created; returns deleted row counts by kind.

    Demo rows are found without markers in codes: areas in the subtree of the demo city
    root, units and points located there, point types with demo codes, users with the
    reserved demo e-mail domain. Registered reset hooks run first (discovered here, since
    a fresh process has not imported the apps' demo_steps modules yet).
    """
    discover_steps()
    for hook in sorted(_RESET_HOOKS, key=_RESET_HOOKS.get, reverse=True):
        hook()
    counts: dict[str, int] = {}
    users = User.objects.filter(email__iendswith="@" + data.DEMO_EMAIL_DOMAIN)
    root = Area.objects.filter(code=data.CITY_CODE, level=AreaLevel.CITY, parent=None).first()
    if root is not None:
        points = Point.objects.filter(area__path__startswith=root.path)
        counts["点位"] = _deleted(points, Point)
        units = Unit.objects.filter(area__path__startswith=root.path)
        demo_types = PointType.objects.filter(code__in=[t.code for t in data.POINT_TYPES])
        counts["点位类型"] = _deleted(demo_types.filter(points__isnull=True), PointType)
        # Other point types led by a demo unit lose the lead instead of blocking the wipe.
        PointType.objects.filter(lead_unit__in=units).update(lead_unit=None)
        counts["账号"] = _deleted(users, User)
        unit_ids = list(units.values_list("pk", flat=True))
        Unit.objects.filter(pk__in=unit_ids).update(parent=None)  # parent is PROTECT
        counts["单位"] = _deleted(Unit.objects.filter(pk__in=unit_ids), Unit)
        area_ids = list(
            Area.objects.filter(path__startswith=root.path).values_list("pk", flat=True)
        )
        Area.objects.filter(pk__in=area_ids).update(parent=None)
        counts["区域"] = _deleted(Area.objects.filter(pk__in=area_ids), Area)
    else:
        counts["账号"] = _deleted(users, User)
    return counts


def _deleted(queryset, model: type[Model]) -> int:
    """Delete and return how many rows of `model` itself went (cascades not counted)."""
    return queryset.delete()[1].get(model._meta.label, 0)


# --- stages ---------------------------------------------------------------------------


def build_areas(city: DemoCity) -> None:
    rng, spec = city.rng("areas"), city.spec
    root_rect = city_rect(data.CITY_CENTRE, spec.extent)
    root = _area(city, data.CITY_NAME, data.CITY_CODE, AreaLevel.CITY, None, root_rect, 0)
    _save_tree([root])
    city.city = root

    district_names = rng.sample(n.DISTRICT_NAMES, spec.districts)
    for i, (name, rect) in enumerate(
        zip(district_names, subdivide(root_rect, spec.districts, rng), strict=True)
    ):
        code = f"{data.CITY_CODE[:4]}{i + 2:02d}"
        city.districts.append(_area(city, name, code, AreaLevel.DISTRICT, root, rect, i))
    _save_tree(city.districts)

    street_counts = [rng.randint(*spec.streets) for _ in city.districts]
    stems = rng.sample(n.PLACE_STEMS, sum(street_counts))
    for district, count in zip(city.districts, street_counts, strict=True):
        suffix = "镇" if district.name.endswith("县") else "街道"
        for j, rect in enumerate(subdivide(city.rects[district.code], count, rng)):
            name = stems.pop(0) + suffix
            code = f"{district.code}{j + 1:03d}"
            city.streets.append(_area(city, name, code, AreaLevel.STREET, district, rect, j))
    _save_tree(city.streets)

    community_counts = [rng.randint(*spec.communities) for _ in city.streets]
    community_names = n.community_names(rng, sum(community_counts))
    for street, count in zip(city.streets, community_counts, strict=True):
        for k, rect in enumerate(subdivide(city.rects[street.code], count, rng)):
            code = f"{street.code}{k + 1:03d}"
            name = community_names.pop(0)
            area = _area(city, name, code, AreaLevel.COMMUNITY, street, rect, k)
            city.communities.append(area)
    _save_tree(city.communities)

    for community in city.communities:
        count = rng.randint(*spec.grids)
        for g, rect in enumerate(subdivide(city.rects[community.code], count, rng)):
            code = f"{community.code}{g + 1:03d}"
            name = f"{community.name}第{n.ordinal(g + 1)}网格"
            city.grids.append(_area(city, name, code, AreaLevel.GRID, community, rect, g))
    _save_tree(city.grids)


def build_units(city: DemoCity) -> None:
    rng = city.rng("units")
    root = city.city
    top: list[Unit] = []
    for i, dept in enumerate(data.CITY_DEPARTMENTS):
        unit = _unit(
            rng,
            dept.name,
            f"{data.CITY_CODE}-BM-{dept.code}",
            UnitKind.DEPARTMENT,
            root,
            short_name=dept.key,
            sort_order=i,
        )
        city.departments[dept.key] = unit
        top.append(unit)
    for district in city.districts:
        gov = _unit(
            rng,
            f"{district.name}人民政府",
            f"{district.code}-ZF",
            UnitKind.OTHER,
            district,
            short_name=district.name,
            sort_order=district.sort_order,
        )
        city.district_governments[district.code] = gov
        top.append(gov)
    for pool, members in BRAND_POOLS.items():
        city.brands[pool] = [
            _unit(
                rng,
                full,
                f"{data.CITY_CODE}-QY-{pool}-{i + 1:02d}",
                UnitKind.ENTERPRISE,
                root,
                short_name=short,
            )
            for i, (short, full) in enumerate(members)
        ]
        top += city.brands[pool]
    for district in city.districts:
        stems = rng.sample(n.PLACE_STEMS, rng.randint(3, 6))
        city.property_companies[district.code] = [
            _unit(
                rng,
                f"{data.CITY_NAME}{stem}{rng.choice(n.PROPERTY)}有限公司",
                f"{district.code}-WY-{i + 1:02d}",
                UnitKind.ENTERPRISE,
                district,
            )
            for i, stem in enumerate(stems)
        ]
        top += city.property_companies[district.code]
    _save_tree(top)

    second: list[Unit] = []
    for district in city.districts:
        gov = city.district_governments[district.code]
        depts = {}
        for i, (key, suffix) in enumerate(data.DISTRICT_DEPARTMENTS):
            depts[key] = _unit(
                rng,
                district.name + suffix,
                f"{district.code}-BM-{i + 1:02d}",
                UnitKind.DEPARTMENT,
                district,
                parent=gov,
                short_name=key,
                sort_order=i,
            )
        city.district_departments[district.code] = depts
        second += depts.values()
    for street in city.streets:
        office = "人民政府" if street.name.endswith("镇") else "办事处"
        gov = city.district_governments[street.parent.code]
        unit = _unit(
            rng,
            f"{street.name}{office}",
            f"{street.code}-JD",
            UnitKind.TOWNSHIP,
            street,
            parent=gov,
            sort_order=street.sort_order,
        )
        city.street_offices[street.code] = unit
        second.append(unit)
    _save_tree(second)

    third: list[Unit] = []
    for community in city.communities:
        office = city.street_offices[community.parent.code]
        unit = _unit(
            rng,
            f"{community.name}居民委员会",
            f"{community.code}-JW",
            UnitKind.COMMUNITY,
            community,
            parent=office,
            short_name=f"{community.name}居委会",
            sort_order=community.sort_order,
        )
        city.community_units[community.code] = unit
        third.append(unit)
    _save_tree(third)


def build_point_types(city: DemoCity) -> None:
    existing = {
        pt.code: pt for pt in PointType.objects.filter(code__in=[s.code for s in data.POINT_TYPES])
    }
    new, changed = [], []
    for i, spec in enumerate(data.POINT_TYPES):
        values = {
            "name": spec.name,
            "group": spec.group,
            "sort_order": i + 1,
            "lead_unit": city.departments[spec.lead],
            "description": f"行业牵头单位：{city.departments[spec.lead].name}",
        }
        pt = existing.get(spec.code)
        if pt is None:
            pt = PointType(code=spec.code, **values)
            new.append(pt)
        else:
            for key, value in values.items():
                setattr(pt, key, value)
            changed.append(pt)
        city.point_types[spec.code] = pt
    PointType.objects.bulk_create(new)
    PointType.objects.bulk_update(
        changed, ["name", "group", "sort_order", "lead_unit", "description"]
    )


def build_points(city: DemoCity) -> None:
    rng = city.rng("points")
    placements = _placements(city, rng)
    street_roads = _street_roads(city, rng)
    counters: Counter = Counter()
    seen_names: set[str] = set()
    seq: Counter = Counter()
    points: list[Point] = []
    operator_for: dict[int, Unit] = {}  # index in points -> operator enterprise
    for spec, grid in placements:
        community, street = grid.parent, grid.parent.parent
        district = street.parent
        place = Place(
            rng, district.name, street.name, community.name, street_roads[street.code], counters
        )
        name, brand = _unique_name(spec.name, place, seen_names)
        lng, lat = city.rects[grid.code].random_point(rng)
        seq[grid.code] += 1
        point = Point(
            code=f"{grid.code}{seq[grid.code]:03d}",
            name=name,
            point_type=city.point_types[spec.code],
            area=grid,
            address=f"{data.CITY_NAME}{district.name}{place.named_road or place.road()}"
            f"{rng.randint(1, 899)}号",
            lng=lng,
            lat=lat,
            person_in_charge=n.person_name(rng),
            person_phone=n.mobile(rng),
        )
        owner = _owner(city, spec, point, street, community, brand, rng)
        if owner is None:  # an operator of its own, created below in one batch
            operator_for[len(points)] = _unit(
                rng,
                operator_name(spec.name, name),
                f"{data.CITY_CODE}-QY-OP-{len(city.operators) + 1:05d}",
                UnitKind.ENTERPRISE,
                street,
            )
            city.operators.append(operator_for[len(points)])
        else:
            point.responsible_unit = owner
        points.append(point)
    _save_tree(city.operators)
    for index, unit in operator_for.items():
        points[index].responsible_unit = unit
    Point.objects.bulk_create(points, batch_size=BATCH)
    city.point_count = len(points)


def build_users(city: DemoCity) -> None:
    rng = city.rng("users")
    specs = _user_specs(city)
    taken = set(
        User.objects.filter(username__in=[s[0] for s in specs]).values_list("username", flat=True)
    )
    if taken:
        raise DemoCityError(
            f"以下用户名已被其他账号占用：{'、'.join(sorted(taken))}。请先删除这些账号或换一个空数据库。"
        )
    # One hash shared by every demo account: hashing is deliberately slow (hundreds of
    # milliseconds each), and all demo accounts share the printed password anyway.
    password = make_password(data.DEMO_PASSWORD)
    users = []
    for username, role, _target, _title, display in specs:
        name = display or n.person_name(rng)
        users.append(
            User(
                username=username,
                password=password,
                display_name=name,
                phone=n.mobile(rng),
                email=f"{username}@{data.DEMO_EMAIL_DOMAIN}",
                is_superuser=role == "admin",
                is_staff=role == "admin",
            )
        )
    User.objects.bulk_create(users)
    memberships = []
    for user, (username, role, target, title, _display) in zip(users, specs, strict=True):
        city.users[username] = user
        scope = target.name if target is not None else "—"
        city.logins.append(DemoLogin(username, user.display_name, role, scope, title))
        if role == "admin":
            continue
        memberships.append(
            Membership(
                user=user,
                role=role,
                title=title,
                unit=target if isinstance(target, Unit) else None,
                area=target if isinstance(target, Area) else None,
            )
        )
    Membership.objects.bulk_create(memberships)


def build_responsibilities(city: DemoCity) -> None:
    rng = city.rng("responsibilities")
    rows: list[AreaResponsibility] = []
    leaders = [u for name, u in city.users.items() if name.startswith("leader_d")]
    for district, user in zip(city.districts, leaders, strict=True):
        title = next(m.title for m in city.logins if m.username == user.username)
        rows.append(
            AreaResponsibility(
                area=district,
                kind=ResponsibilityKind.LEADER,
                user=user,
                person_name=user.display_name,
                title=title,
            )
        )
    helpers = [u for key, u in city.departments.items() if key != "创城办"]
    for street in city.streets:
        county = street.parent.name.endswith("县")
        for title in rng.sample(data.DISTRICT_LEADER_TITLES, rng.randint(1, 2)):
            rows.append(
                AreaResponsibility(
                    area=street,
                    kind=ResponsibilityKind.LEADER,
                    person_name=n.person_name(rng),
                    # District leaders' titles read "区…"; in a county they are "县…".
                    title=title.replace("区", "县") if county else title,
                )
            )
        rows.append(
            AreaResponsibility(
                area=street, kind=ResponsibilityKind.SUPPORTING_UNIT, unit=rng.choice(helpers)
            )
        )
    for community in city.communities:
        district_depts = list(city.district_departments[community.parent.parent.code].values())
        for unit in rng.sample(helpers + district_depts, rng.randint(1, 2)):
            rows.append(
                AreaResponsibility(
                    area=community, kind=ResponsibilityKind.SUPPORTING_UNIT, unit=unit
                )
            )
    AreaResponsibility.objects.bulk_create(rows, batch_size=BATCH)


def build_categories(city: DemoCity) -> None:
    load_default_categories(city.departments)
    city.category_count = Category.objects.count()


# --- helpers --------------------------------------------------------------------------


def _timed(city: DemoCity, label: str, func: Callable[[], None], stdout: TextIO | None) -> None:
    started = time.perf_counter()
    func()
    city.timings[label] = time.perf_counter() - started
    if stdout is not None:
        stdout.write(f"  {label}：完成（{city.timings[label]:.1f} 秒）\n")


def _area(
    city: DemoCity, name: str, code: str, level: str, parent: Area | None, rect: Rect, order: int
) -> Area:
    boundary = rect.polygon()
    min_lng, min_lat, max_lng, max_lat = geometry_bbox(boundary)
    city.rects[code] = rect
    return Area(
        name=name,
        code=code,
        level=level,
        parent=parent,
        boundary=boundary,
        min_lng=min_lng,
        min_lat=min_lat,
        max_lng=max_lng,
        max_lat=max_lat,
        sort_order=order,
    )


def _unit(
    rng: random.Random,
    name: str,
    code: str,
    kind: str,
    area: Area,
    *,
    parent: Unit | None = None,
    short_name: str = "",
    sort_order: int = 0,
) -> Unit:
    return Unit(
        name=name,
        code=code,
        kind=kind,
        area=area,
        parent=parent,
        short_name=short_name,
        contact_person=n.person_name(rng),
        contact_phone=n.office_phone(rng) if rng.random() < 0.5 else n.mobile(rng),
        # Departments often want their head to approve rectification feedback.
        submission_needs_leader_approval=kind == UnitKind.DEPARTMENT and rng.random() < 0.3,
        sort_order=sort_order,
    )


def _save_tree(nodes: list[Model]) -> None:
    """Insert one tree level (parents already saved) and give each node its path."""
    if not nodes:
        return
    model = type(nodes[0])
    model.objects.bulk_create(nodes, batch_size=BATCH)
    for node in nodes:
        prefix = node.parent.path if node.parent_id else "/"
        node.path = f"{prefix}{node.pk}/"
        node.depth = node.path.count("/") - 2
    model.objects.bulk_update(nodes, ["path", "depth"], batch_size=500)


def _grids_under(city: DemoCity) -> dict[str, list[Area]]:
    """Area code -> the grids inside it (codes nest, so a prefix match is enough)."""
    index: dict[str, list[Area]] = {}
    for grid in city.grids:
        for length in (6, 9, 12):
            index.setdefault(grid.code[:length], []).append(grid)
    index[city.city.code] = list(city.grids)
    return index


def _placements(city: DemoCity, rng: random.Random) -> list[tuple[data.PointTypeSpec, Area]]:
    """(type, grid) for every point: fixed counts per area level, then weighted shares."""
    grids_under = _grids_under(city)
    levels = {
        "city": [city.city],
        "district": city.districts,
        "street": city.streets,
        "community": city.communities,
    }
    placements = []
    for spec in data.POINT_TYPES:
        if spec.per is None:
            continue
        for area in levels[spec.per]:
            for _ in range(rng.randint(*spec.count)):
                placements.append((spec, rng.choice(grids_under[area.code])))
    weighted = [s for s in data.POINT_TYPES if s.per is None]
    budget = max(len(weighted), city.spec.points - len(placements))
    total_weight = sum(s.weight for s in weighted)
    density = _grid_density(city, rng)
    for spec in weighted:
        count = max(1, round(budget * spec.weight / total_weight))
        placements += [(spec, g) for g in rng.choices(city.grids, weights=density, k=count)]
    return placements


def _grid_density(city: DemoCity, rng: random.Random) -> list[float]:
    """Busier towards the city centre, with some noise: where shops and schools cluster."""
    cx, cy = city.rects[city.city.code].centre
    half = city.spec.extent / 2
    weights = []
    for grid in city.grids:
        gx, gy = city.rects[grid.code].centre
        d = math.hypot(gx - cx, gy - cy) / half
        weights.append((0.25 + math.exp(-2.5 * d * d)) * rng.uniform(0.6, 1.4))
    return weights


def _street_roads(city: DemoCity, rng: random.Random) -> dict[str, list[str]]:
    pool = n.road_names(rng, 200)
    return {s.code: rng.sample(pool, min(len(pool), rng.randint(3, 6))) for s in city.streets}


def _unique_name(type_name: str, place: Place, seen: set[str]) -> tuple[str, int | None]:
    """A fresh name when a few tries allow; a repeat otherwise (real lists have some)."""
    namer = NAMERS[type_name]
    for _ in range(5):
        place.named_road = None
        name, brand = namer(place)
        if name not in seen:
            break
    seen.add(name)
    return name, brand


def _owner(
    city: DemoCity,
    spec: data.PointTypeSpec,
    point: Point,
    street: Area,
    community: Area,
    brand: int | None,
    rng: random.Random,
) -> Unit | None:
    """The responsible unit by the type's rule; None means "its own operator"."""
    rule = spec.owner
    if rule == "operator":
        return None
    if rule == "street":
        return city.street_offices[street.code]
    if rule == "community":
        return city.community_units[community.code]
    if rule == "property":
        return rng.choice(city.property_companies[street.parent.code])
    if rule.startswith("brand:"):
        companies = city.brands[rule.split(":", 1)[1]]
        return companies[brand] if brand is not None else rng.choice(companies)
    return city.departments[spec.lead]


def _user_specs(city: DemoCity) -> list[tuple[str, str, Model | None, str, str]]:
    """(username, role, scope object, title, fixed display name) for every demo login."""
    c = city.city
    specs: list[tuple[str, str, Model | None, str, str]] = [
        ("admin", "admin", None, "系统管理员", "系统管理员"),
        ("command", Role.COMMAND, c, "市创城办调度员", ""),
        ("leader", Role.LEADER, c, "市委副书记、创城指挥部指挥长", ""),
        ("inspector", Role.INSPECTOR, c, "市创城办督查组组长", ""),
    ]
    for i, district in enumerate(city.districts, start=1):
        specs += [
            (f"command_d{i}", Role.COMMAND, district, f"{district.name}创城办调度员", ""),
            (
                f"leader_d{i}",
                Role.LEADER,
                district,
                data.CITY_LEADER_TITLES[(i - 1) % len(data.CITY_LEADER_TITLES)],
                "",
            ),
            (f"inspector_d{i}", Role.INSPECTOR, district, f"{district.name}督查员", ""),
        ]
    for i, street in enumerate(_first_streets(city, 3), start=1):
        office = city.street_offices[street.code]
        head = "镇长" if street.name.endswith("镇") else "街道办事处主任"
        specs += [
            (f"handler_s{i}", Role.UNIT_HANDLER, office, "创城联络员", ""),
            (f"unitlead_s{i}", Role.UNIT_LEADER, office, head, ""),
        ]
    for key in ("城管局", "市场监管局", "住建局", "教育局"):
        dept = city.departments[key]
        code = dept.code.rsplit("-", 1)[-1].lower()
        specs += [
            (f"handler_{code}", Role.UNIT_HANDLER, dept, "创城工作联络员", ""),
            (f"unitlead_{code}", Role.UNIT_LEADER, dept, "分管副局长", ""),
        ]
    for i, community in enumerate(_first_communities(city, 3), start=1):
        grid = next(g for g in city.grids if g.parent is community)
        specs.append((f"grid_{i}", Role.GRID_WORKER, grid, "专职网格员", ""))
    specs += [(f"citizen{i}", Role.CITIZEN, None, "", "") for i in range(1, 4)]
    return specs


def _first_streets(city: DemoCity, count: int) -> list[Area]:
    """The first street of each district, round-robin, so demo handlers span districts."""
    return _round_robin([[s for s in city.streets if s.parent is d] for d in city.districts], count)


def _first_communities(city: DemoCity, count: int) -> list[Area]:
    return _round_robin(
        [[c for c in city.communities if c.parent.parent is d] for d in city.districts], count
    )


def _round_robin(groups: Iterable[list[Area]], count: int) -> list[Area]:
    groups = [list(g) for g in groups]
    out: list[Area] = []
    depth = 0
    while len(out) < count and any(len(g) > depth for g in groups):
        out += [g[depth] for g in groups if len(g) > depth]
        depth += 1
    return out[:count]
