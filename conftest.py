"""Fixed personas and a small world shared by every test (DESIGN.md §11).

World: 示范市 (city) → 东城区 / 西城区 (districts) → one street → one community → one grid
each, with square boundaries. Units: 市城管局 (city level), 东城街道办 (unit A, district
east), 西城街道办 (unit B, district west). Personas: command (city), leader (city),
inspector (east district), handler_a (unit A), handler_b (unit B), citizen, and outsider
(command of the west district only: has a role, but not over the east).
"""

from types import SimpleNamespace

import pytest

from civicloop.accounts.models import Membership, Role, User
from civicloop.core import trees
from civicloop.orgs.models import Area, AreaLevel, Point, PointType, Unit, UnitKind
from civicloop.standards.models import Category, CategoryKind, DeadlineUnit


def square(lng: float, lat: float, size: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
        ],
    }


def _area(name, code, level, parent, boundary):
    from civicloop.core.geo import geometry_bbox

    bbox = geometry_bbox(boundary)
    area = Area.objects.create(
        name=name,
        code=code,
        level=level,
        parent=parent,
        boundary=boundary,
        min_lng=bbox[0],
        min_lat=bbox[1],
        max_lng=bbox[2],
        max_lat=bbox[3],
    )
    trees.assign_path(area)
    return area


def _unit(name, code, kind, area, parent=None):
    unit = Unit.objects.create(name=name, code=code, kind=kind, area=area, parent=parent)
    trees.assign_path(unit)
    return unit


def _user(username, role, *, unit=None, area=None, name=""):
    user = User.objects.create_user(
        username=username, password="pass-1234-word", display_name=name or username
    )
    Membership.objects.create(user=user, role=role, unit=unit, area=area)
    return user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs seconds per persona; tests check behaviour, not hash strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_holiday_cache():
    """Rolled-back HolidayOverride rows send no signal, so never carry the cache over."""
    from civicloop.core import workcalendar

    workcalendar.clear_cache()
    yield
    workcalendar.clear_cache()


@pytest.fixture
def world(db):
    city = _area("示范市", "370100", AreaLevel.CITY, None, square(117.0, 36.0, 0.2))
    east = _area("东城区", "370101", AreaLevel.DISTRICT, city, square(117.0, 36.0, 0.1))
    west = _area("西城区", "370102", AreaLevel.DISTRICT, city, square(117.1, 36.0, 0.1))
    east_street = _area("东华街道", "370101001", AreaLevel.STREET, east, square(117.0, 36.0, 0.1))
    west_street = _area("西华街道", "370102001", AreaLevel.STREET, west, square(117.1, 36.0, 0.1))
    east_comm = _area(
        "东华社区", "370101001001", AreaLevel.COMMUNITY, east_street, square(117.0, 36.0, 0.05)
    )
    west_comm = _area(
        "西华社区", "370102001001", AreaLevel.COMMUNITY, west_street, square(117.1, 36.0, 0.05)
    )
    east_grid = _area(
        "东华社区第一网格", "370101001001001", AreaLevel.GRID, east_comm, square(117.0, 36.0, 0.05)
    )
    west_grid = _area(
        "西华社区第一网格", "370102001001001", AreaLevel.GRID, west_comm, square(117.1, 36.0, 0.05)
    )

    cgj = _unit("市城管局", "U-CGJ", UnitKind.DEPARTMENT, city)
    unit_a = _unit("东华街道办事处", "U-A", UnitKind.TOWNSHIP, east_street)
    unit_a_child = _unit("东华社区居委会", "U-A1", UnitKind.COMMUNITY, east_comm, parent=unit_a)
    unit_b = _unit("西华街道办事处", "U-B", UnitKind.TOWNSHIP, west_street)

    market = PointType.objects.create(
        code="PT-MARKET", name="农贸市场", group="窗口单位", lead_unit=cgj
    )
    street_type = PointType.objects.create(code="PT-STREET", name="背街小巷", group="道路街巷")
    point_a = Point.objects.create(
        code="P-A-1",
        name="东华农贸市场",
        point_type=market,
        area=east_grid,
        responsible_unit=unit_a,
        lng=117.01,
        lat=36.01,
        address="东华路1号",
    )
    point_b = Point.objects.create(
        code="P-B-1",
        name="西华小巷",
        point_type=street_type,
        area=west_grid,
        responsible_unit=unit_b,
        lng=117.11,
        lat=36.01,
        address="西华路2号",
    )

    env = Category.objects.create(code="01", name="市容环境", kind=CategoryKind.EVENT)
    litter = Category.objects.create(
        code="0101",
        name="暴露垃圾",
        parent=env,
        kind=CategoryKind.EVENT,
        deadline_amount=4,
        deadline_unit=DeadlineUnit.WORKING_HOURS,
    )

    personas = SimpleNamespace(
        command=_user("command", Role.COMMAND, area=city, name="指挥中心调度员"),
        leader=_user("leader", Role.LEADER, area=city, name="包片领导"),
        inspector=_user("inspector", Role.INSPECTOR, area=east, name="督查员"),
        handler_a=_user("handler_a", Role.UNIT_HANDLER, unit=unit_a, name="东华经办人"),
        handler_b=_user("handler_b", Role.UNIT_HANDLER, unit=unit_b, name="西华经办人"),
        citizen=_user("citizen", Role.CITIZEN, name="市民"),
        outsider=_user("outsider", Role.COMMAND, area=west, name="西城区调度员"),
    )
    return SimpleNamespace(
        city=city,
        east=east,
        west=west,
        east_street=east_street,
        west_street=west_street,
        east_comm=east_comm,
        west_comm=west_comm,
        east_grid=east_grid,
        west_grid=west_grid,
        cgj=cgj,
        unit_a=unit_a,
        unit_a_child=unit_a_child,
        unit_b=unit_b,
        market=market,
        street_type=street_type,
        point_a=point_a,
        point_b=point_b,
        cat_env=env,
        cat_litter=litter,
        p=personas,
    )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rolled-back rows bump no generation (civicloop.core.generations): never carry
    cached reads from one test over to the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
