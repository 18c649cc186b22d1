"""Registry services: jurisdiction checks that the API and pages rely on."""

import pytest

from civicloop.core.errors import NotPermitted
from civicloop.orgs import services
from civicloop.orgs.models import Area, AreaLevel, PointType, Unit, UnitKind


@pytest.mark.django_db
def test_only_superuser_creates_a_root_area(world, django_user_model):
    with pytest.raises(NotPermitted):
        services.area_create(user=world.p.command, name="新市", code="999900", level=AreaLevel.CITY)
    admin = django_user_model.objects.create_superuser("root", password="x-pass-1234")
    area = services.area_create(user=admin, name="新市", code="999900", level=AreaLevel.CITY)
    assert area.path == f"/{area.pk}/"


@pytest.mark.django_db
def test_district_command_cannot_move_unit_into_other_district(world):
    with pytest.raises(NotPermitted):
        services.unit_update(user=world.p.outsider, unit=world.unit_b, area=world.east_street)
    with pytest.raises(NotPermitted):
        services.unit_update(user=world.p.outsider, unit=world.unit_b, parent=world.unit_a)
    world.unit_b.refresh_from_db()
    assert world.unit_b.area == world.west_street and world.unit_b.parent is None


@pytest.mark.django_db
def test_unit_create_under_foreign_parent_is_refused(world):
    with pytest.raises(NotPermitted):
        services.unit_create(
            user=world.p.outsider,
            name="X",
            code="U-X",
            kind=UnitKind.COMMUNITY,
            area=world.west_comm,
            parent=world.unit_a,
        )
    assert not Unit.objects.filter(code="U-X").exists()


@pytest.mark.django_db
def test_point_types_are_edited_by_city_command_only(world):
    with pytest.raises(NotPermitted):
        services.point_type_update(user=world.p.outsider, point_type=world.market, name="改名")
    services.point_type_update(user=world.p.command, point_type=world.market, name="菜市场")
    assert PointType.objects.get(pk=world.market.pk).name == "菜市场"


@pytest.mark.django_db
def test_area_move_keeps_subtree_paths(world):
    services.area_update(user=world.p.command, area=world.east_comm, parent=world.west_street)
    grid = Area.objects.get(pk=world.east_grid.pk)
    assert grid.path.startswith(world.west_street.path)
    assert grid.depth == 4
