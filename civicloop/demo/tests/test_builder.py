import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import shape

from civicloop.accounts.models import Membership, Role, User
from civicloop.core import trees
from civicloop.demo import builder, data
from civicloop.demo.builder import DemoCityError, build_city, reset_demo
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

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def snapshot() -> dict:
    """Everything the seed promises to reproduce (not database ids)."""
    return {
        "areas": list(Area.objects.order_by("code").values_list("code", "name", "boundary")),
        "units": list(Unit.objects.order_by("code").values_list("code", "name", "parent__code")),
        "points": list(
            Point.objects.order_by("code").values_list(
                "code",
                "name",
                "lng",
                "lat",
                "address",
                "point_type__code",
                "responsible_unit__code",
                "person_in_charge",
                "person_phone",
            )
        ),
        "users": list(User.objects.order_by("username").values_list("username", "display_name")),
    }


def test_same_seed_same_city_other_seed_differs():
    try:
        with transaction.atomic():
            build_city("tiny", 5)
            first = snapshot()
            raise Rollback
    except Rollback:
        pass
    assert not Area.objects.exists() and not Point.objects.exists()

    build_city("tiny", 5)
    assert snapshot() == first
    assert len(first["points"]) >= 60

    reset_demo()
    build_city("tiny", 6)
    other = snapshot()
    assert other["points"] != first["points"]
    assert [p[2:4] for p in other["points"]] != [p[2:4] for p in first["points"]]
    assert [a[1] for a in other["areas"]] != [a[1] for a in first["areas"]]


def test_every_point_lies_inside_its_grid_and_areas_nest():
    city = build_city("small", 2)
    assert 300 <= city.point_count <= 800
    geoms = {a.pk: shape(a.boundary) for a in Area.objects.all()}
    for point in Point.objects.select_related("area"):
        assert point.area.level == AreaLevel.GRID
        assert geoms[point.area_id].contains(ShapelyPoint(point.lng, point.lat)), point.code
    for area in Area.objects.exclude(parent=None):
        assert geoms[area.parent_id].covers(geoms[area.pk]), area.code
    # Children tile their parent: no gaps, no overlaps.
    for parent in Area.objects.exclude(level=AreaLevel.GRID):
        children = [geoms[c] for c in parent.children.values_list("pk", flat=True)]
        assert sum(c.area for c in children) == pytest.approx(geoms[parent.pk].area, rel=1e-9)


def test_codes_nest_and_paths_bboxes_are_right():
    city = build_city("tiny", 3)
    assert city.city.code == data.CITY_CODE
    grids = Area.objects.filter(level=AreaLevel.GRID)
    assert grids.count() == len(city.grids) > 0
    for grid in grids.select_related("parent__parent__parent"):
        assert re.fullmatch(r"\d{15}", grid.code)
        community = grid.parent
        street = community.parent
        district = street.parent
        assert grid.code[:12] == community.code and len(community.code) == 12
        assert community.code[:9] == street.code and len(street.code) == 9
        assert street.code[:6] == district.code and len(district.code) == 6
        assert district.code[:4] == data.CITY_CODE[:4]
    for point in Point.objects.select_related("area"):
        assert point.code.startswith(point.area.code)

    for model in (Area, Unit):
        before = dict(model.objects.values_list("pk", "path"))
        depths = dict(model.objects.values_list("pk", "depth"))
        trees.rebuild_paths(model)
        assert dict(model.objects.values_list("pk", "path")) == before
        assert dict(model.objects.values_list("pk", "depth")) == depths
    levels = {
        AreaLevel.CITY: 0,
        AreaLevel.DISTRICT: 1,
        AreaLevel.STREET: 2,
        AreaLevel.COMMUNITY: 3,
        AreaLevel.GRID: 4,
    }
    for area in Area.objects.all():
        assert area.depth == levels[area.level]
        min_lng, min_lat, max_lng, max_lat = shape(area.boundary).bounds
        assert (area.min_lng, area.min_lat, area.max_lng, area.max_lat) == (
            min_lng,
            min_lat,
            max_lng,
            max_lat,
        )


def test_units_point_types_and_responsibilities():
    city = build_city("tiny", 4)
    assert (
        Unit.objects.filter(kind=UnitKind.DEPARTMENT, parent=None).count()
        == len(data.CITY_DEPARTMENTS)
        >= 40
    )
    streets = Area.objects.filter(level=AreaLevel.STREET)
    communities = Area.objects.filter(level=AreaLevel.COMMUNITY)
    # Every street office and residents' committee is a unit of its own area, with contacts.
    assert Unit.objects.filter(kind=UnitKind.TOWNSHIP).count() == streets.count()
    assert (
        Unit.objects.filter(kind=UnitKind.COMMUNITY, area__level=AreaLevel.COMMUNITY).count()
        == communities.count()
    )
    assert not Unit.objects.filter(contact_person="").exists()
    assert not Unit.objects.filter(contact_phone="").exists()
    for unit in Unit.objects.filter(kind=UnitKind.COMMUNITY).select_related("parent", "area"):
        assert unit.parent.area_id == unit.area.parent_id  # committee under its street office

    assert PointType.objects.count() == 40
    assert not PointType.objects.filter(lead_unit=None).exists()
    assert Point.objects.values("point_type").distinct().count() == 40  # every type used
    banks = Point.objects.filter(point_type__name="银行营业厅").select_related("responsible_unit")
    assert banks and all("银行" in p.responsible_unit.name for p in banks)
    for p in banks:
        assert p.name.startswith(p.responsible_unit.short_name)
    for p in Point.objects.filter(point_type__name="社区").select_related("responsible_unit"):
        assert p.responsible_unit.area_id == p.area.parent_id
    assert not Point.objects.filter(person_in_charge="").exists()

    for district in city.districts:
        assert AreaResponsibility.objects.filter(
            area=district, kind=ResponsibilityKind.LEADER, user__isnull=False
        ).exists()
    for area in [*city.streets, *city.communities]:
        assert area.responsibilities.filter(kind=ResponsibilityKind.SUPPORTING_UNIT).exists()
    assert Category.objects.filter(parent__isnull=False).count() >= 80
    assert Category.objects.get(name="暴露垃圾").default_unit == city.departments["城管局"]


def test_every_role_has_a_demo_user_with_the_printed_password():
    city = build_city("tiny", 1)
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {r.value for r in Role}
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert len(city.logins) == User.objects.count()
    for login in city.logins:
        assert login.display_name
    for user in User.objects.all():
        assert user.check_password(data.DEMO_PASSWORD), user.username
    # Unit roles point at units, area roles at areas (the model constraint agrees).
    assert Membership.objects.filter(role=Role.GRID_WORKER, area__level=AreaLevel.GRID).exists()
    assert Membership.objects.filter(role=Role.UNIT_HANDLER, unit__kind=UnitKind.TOWNSHIP).exists()


def test_refuses_non_empty_database_and_reset_wipes_demo_only():
    build_city("tiny", 1)
    with pytest.raises(DemoCityError, match="--reset"):
        build_city("tiny", 1)
    outsider = User.objects.create_user("someone", password="x-long-password-1")
    reset_demo()
    assert not Area.objects.exists() and not Unit.objects.exists()
    assert not Point.objects.exists() and not PointType.objects.exists()
    assert list(User.objects.all()) == [outsider]
    assert Category.objects.count() > 0  # the taxonomy is reference data, kept


def test_username_taken_by_real_account_is_refused():
    User.objects.create_user("command", password="x-long-password-1")
    with pytest.raises(DemoCityError, match="command"):
        build_city("tiny", 1)
    assert not Area.objects.exists()  # nothing half-written


def test_command_prints_logins_and_refuses_then_resets():
    out = io.StringIO()
    call_command("demo_city", size="tiny", seed=9, stdout=out)
    text = out.getvalue()
    assert data.DEMO_PASSWORD in text
    for username in User.objects.values_list("username", flat=True):
        assert username in text
    with pytest.raises(CommandError, match="已有基础数据"):
        call_command("demo_city", size="tiny", seed=9, stdout=io.StringIO())
    first = snapshot()
    out = io.StringIO()
    call_command("demo_city", size="tiny", seed=9, reset=True, stdout=out)
    assert "已清除" in out.getvalue()
    assert snapshot()["points"] == first["points"]


def test_registered_steps_run_after_the_build():
    seen = []

    @builder.register_step("test-step", order=1)
    def step(city):
        seen.append((city.size, Point.objects.count(), city.rng("test").random()))

    try:
        call_command("demo_city", size="tiny", seed=2, stdout=io.StringIO())
    finally:
        builder._STEPS.pop("test-step")
    assert seen and seen[0][0] == "tiny" and seen[0][1] > 0
