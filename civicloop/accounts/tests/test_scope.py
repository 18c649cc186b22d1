import pytest

from civicloop.orgs import selectors


@pytest.mark.django_db
def test_area_roles_see_their_subtree_only(world):
    p = world.p
    assert set(selectors.point_list(user=p.command)) == {world.point_a, world.point_b}
    assert set(selectors.point_list(user=p.inspector)) == {world.point_a}
    assert set(selectors.point_list(user=p.outsider)) == {world.point_b}
    assert world.east not in selectors.area_list(user=p.outsider)
    assert world.west_grid in selectors.area_list(user=p.outsider)


@pytest.mark.django_db
def test_unit_roles_see_their_unit_subtree_and_points(world):
    p = world.p
    assert set(selectors.unit_list(user=p.handler_a)) == {world.unit_a, world.unit_a_child}
    assert set(selectors.point_list(user=p.handler_a)) == {world.point_a}
    assert set(selectors.point_list(user=p.handler_b)) == {world.point_b}


@pytest.mark.django_db
def test_citizen_sees_no_registry(world):
    p = world.p
    assert not selectors.point_list(user=p.citizen).exists()
    assert not selectors.unit_list(user=p.citizen).exists()
    assert not selectors.point_type_list(user=p.citizen).exists()


@pytest.mark.django_db
def test_out_of_scope_get_is_404(world):
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.point_get(user=world.p.outsider, pk=world.point_a.pk)


@pytest.mark.django_db
def test_grid_lookup_by_coordinate(world):
    assert selectors.grid_at(117.01, 36.01) == world.east_grid
    assert selectors.grid_at(117.11, 36.01) == world.west_grid
    assert selectors.grid_at(118.0, 36.01) is None
    assert selectors.area_at(117.01, 36.08) == world.east_street


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["unit", "area", "none"])
def test_a_role_is_held_once_per_target(world, target):
    from django.db import IntegrityError, transaction

    from civicloop.accounts.models import Membership, Role

    user = world.p.leader
    kwargs = {
        "unit": {"role": Role.UNIT_HANDLER, "unit": world.unit_a},
        "area": {"role": Role.INSPECTOR, "area": world.east},
        "none": {"role": Role.CITIZEN},
    }[target]
    Membership.objects.create(user=user, **kwargs)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, **kwargs)


@pytest.mark.django_db
def test_scope_is_one_query(world, django_assert_num_queries):
    from civicloop.accounts.scope import forget, scope_of

    user = world.p.handler_a
    forget(user)
    with django_assert_num_queries(1):
        scope = scope_of(user)
    assert scope.unit_paths and scope.unit_area_paths
