"""Queries compiled once and run with new values (civicloop.core.prepared)."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Q

from civicloop.accounts.models import Membership, Role
from civicloop.core.prepared import PreparedValues
from civicloop.orgs.models import Area

pytestmark = pytest.mark.django_db


def _memberships_in(user_id, area_id):
    return Membership.objects.filter(user_id=user_id, area_id=area_id).values_list(
        "role", "area__path", "user__date_joined", "user__is_active"
    )


def test_same_rows_as_the_orm_for_any_values(world):
    prepared = PreparedValues(_memberships_in, arity=2)
    seen = 0
    for user in world.p.__dict__.values():
        for area in Area.objects.all():
            rows = prepared(user.pk, area.pk)
            assert rows == list(_memberships_in(user.pk, area.pk))
            seen += len(rows)
    assert seen >= 3
    (row,) = prepared(world.p.command.pk, world.city.pk)
    assert row[0] == Role.COMMAND and row[1] == world.city.path
    assert isinstance(row[2], datetime.datetime) and row[2].tzinfo is not None  # converted
    assert row[3] is True


def test_arguments_may_appear_in_any_order_and_more_than_once(world):
    def build(a, b):
        return Membership.objects.filter(Q(area_id=a) | Q(unit__area_id=a), user_id=b).values_list(
            "id"
        )

    prepared = PreparedValues(build, arity=2)
    assert sorted(prepared._compile("default").positions) == [0, 0, 1]
    for user in world.p.__dict__.values():
        assert prepared(world.city.pk, user.pk) == list(build(world.city.pk, user.pk))


def test_a_constant_parameter_is_refused():
    prepared = PreparedValues(
        lambda user_id: Membership.objects.filter(user_id=user_id, role=Role.COMMAND).values_list(
            "id"
        ),
        arity=1,
    )
    with pytest.raises(ValueError, match="not an argument"):
        prepared(1)
