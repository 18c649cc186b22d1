"""Routing: first match wins, in the documented order, each with its reason; rule services."""

import pytest

from civicloop.core.errors import NotPermitted, ValidationFailed
from civicloop.core.models import AuditEvent
from civicloop.problems import routing, services


def test_point_responsible_unit_first(ledger):
    s = routing.suggest(category=ledger.cat_litter, point=ledger.point_a)
    assert (s.unit, s.basis) == (ledger.unit_a, routing.POINT)
    assert "东华农贸市场" in s.reason and ledger.unit_a.name in s.reason


def test_rule_then_point_type_then_category_then_territory(ledger):
    w = ledger
    w.unit_a.is_active = False  # the point's own unit is out of the picture
    w.unit_a.save(update_fields=["is_active"])
    rule = services.routing_rule_create(
        user=w.p.command, name="东城垃圾归城管", unit=w.cgj, category=w.cat_env, area=w.east
    )
    s = routing.suggest(category=w.cat_litter, point=w.point_a)  # rule on the 大类 matches
    assert (s.unit, s.basis, s.rule) == (w.cgj, routing.RULE, rule)
    assert "东城垃圾归城管" in s.reason

    services.routing_rule_delete(user=w.p.command, rule=rule)
    s = routing.suggest(category=w.cat_litter, point=w.point_a)
    assert (s.unit, s.basis) == (w.cgj, routing.POINT_TYPE)  # 农贸市场 led by 城管局
    assert "行业牵头单位" in s.reason

    w.cat_litter.default_unit = w.unit_b
    w.cat_litter.save(update_fields=["default_unit"])
    s = routing.suggest(category=w.cat_litter, area=w.east_grid)
    assert (s.unit, s.basis) == (w.unit_b, routing.CATEGORY)

    w.cat_litter.default_unit = None
    w.cat_litter.save(update_fields=["default_unit"])
    s = routing.suggest(category=w.cat_litter, area=w.west_grid)
    assert (s.unit, s.basis) == (w.unit_b, routing.TERRITORY)
    assert "属地" in s.reason

    s = routing.suggest(category=w.cat_litter, area=w.city)  # no street above the city
    assert (s.unit, s.basis) == (None, routing.NONE)


def test_rule_priority_and_specificity(ledger):
    w, cmd = ledger, ledger.p.command
    services.routing_rule_create(user=cmd, name="全市", unit=w.cgj, category=w.cat_litter)
    deep = services.routing_rule_create(
        user=cmd, name="东华社区", unit=w.unit_a_child, category=w.cat_litter, area=w.east_comm
    )
    s = routing.suggest(category=w.cat_litter, area=w.east_grid)
    assert s.rule == deep  # same priority: the deeper area wins
    urgent = services.routing_rule_create(
        user=cmd, name="优先", unit=w.unit_b, category=w.cat_litter, priority=1
    )
    assert routing.suggest(category=w.cat_litter, area=w.east_grid).rule == urgent
    services.routing_rule_update(user=cmd, rule=urgent, is_active=False)
    assert routing.suggest(category=w.cat_litter, area=w.east_grid).rule == deep
    # A rule for another point type does not match a problem without that point type.
    typed = services.routing_rule_create(
        user=cmd, name="小巷", unit=w.unit_b, priority=0, point_type=w.street_type
    )
    assert routing.suggest(category=w.cat_litter, area=w.east_grid).rule == deep
    assert routing.matching_rule(category=w.cat_litter, area=w.west_grid, point=w.point_b) == typed


def test_rule_services_are_command_only_in_scope_and_audited(ledger):
    w = ledger
    with pytest.raises(NotPermitted):
        services.routing_rule_create(
            user=w.p.handler_a, name="x", unit=w.unit_a, category=w.cat_litter
        )
    with pytest.raises(NotPermitted):  # west command, east area
        services.routing_rule_create(user=w.p.outsider, name="x", unit=w.unit_a, area=w.east)
    with pytest.raises(NotPermitted):  # west command, city-wide rule
        services.routing_rule_create(
            user=w.p.outsider, name="x", unit=w.unit_b, category=w.cat_litter
        )
    with pytest.raises(ValidationFailed):
        services.routing_rule_create(user=w.p.command, name="空规则", unit=w.unit_a)
    rule = services.routing_rule_create(user=w.p.outsider, name="西城", unit=w.unit_b, area=w.west)
    services.routing_rule_update(user=w.p.outsider, rule=rule, priority=5)
    with pytest.raises(NotPermitted):
        services.routing_rule_update(user=w.p.outsider, rule=rule, area=w.east)
    actions = list(
        AuditEvent.objects.filter(object_type="problems.routingrule")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["routing_rule.create", "routing_rule.update"]


def test_dispatch_records_suggestion_and_override(ledger):
    w = ledger
    problem = services.problem_create(
        user=w.p.command,
        source="inspection",
        category=w.cat_litter,
        description="垃圾",
        point=w.point_a,
    )
    services.problem_dispatch(user=w.p.command, problem=problem, unit=w.cgj)
    data = problem.events.get(action="dispatch").data
    assert data["suggested_unit"] == w.unit_a.pk and data["overridden"] is True
