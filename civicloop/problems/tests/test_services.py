"""Service details: numbers, locations, idempotent creation, validation messages, merge,
returns and their effect on the unit."""

from datetime import datetime

import pytest

from civicloop.core.errors import NotFound, ValidationFailed
from civicloop.problems import services
from civicloop.problems.models import Action, ProblemRequest, RequestStatus, Source, Status
from civicloop.problems.tests.actions import snapshot
from civicloop.problems.tests.conftest import bring_to, new_problem, photo


def test_numbers_are_per_year_and_sequential(ledger):
    with services.using_clock(datetime.fromisoformat("2025-12-31T23:59:00+08:00")):
        a, b = new_problem(ledger), new_problem(ledger)
    with services.using_clock(datetime.fromisoformat("2026-01-01T00:01:00+08:00")):
        c = new_problem(ledger)
    assert (a.number, b.number, c.number) == ("WT-2025-000001", "WT-2025-000002", "WT-2026-000001")


def test_location_from_coordinate_point_or_area(ledger):
    w = ledger
    by_coord = services.problem_report(
        user=w.p.citizen,
        category=w.cat_litter,
        description="垃圾",
        lng=117.02,
        lat=36.02,
        photos=[photo("before.jpg")],
    )
    assert by_coord.area == w.east_grid and by_coord.status == Status.PENDING_REVIEW
    assert by_coord.evidence.get().kind == "before"
    by_point = new_problem(w, point=w.point_b)
    assert (by_point.area, by_point.lng, by_point.address) == (w.west_grid, 117.11, "西华路2号")
    with pytest.raises(ValidationFailed, match="不在本市"):
        services.problem_report(
            user=w.p.citizen, category=w.cat_litter, description="x", lng=100.0, lat=30.0
        )
    with pytest.raises(ValidationFailed, match="位置"):
        services.problem_report(user=w.p.citizen, category=w.cat_litter, description="x")
    with pytest.raises(ValidationFailed, match="问题描述"):
        services.problem_report(
            user=w.p.citizen, category=w.cat_litter, description=" ", point=w.point_a
        )


def test_create_is_idempotent_on_source_key(ledger):
    first = new_problem(ledger, source_key="inspection-item:42", source_ref="item 42")
    again = new_problem(ledger, source_key="inspection-item:42")
    assert again.pk == first.pk
    assert first.events.count() == 1


def test_reasons_are_required(ledger):
    problem = new_problem(ledger, report=True)
    before = snapshot(problem)
    with pytest.raises(ValidationFailed, match="理由"):
        services.problem_reject(user=ledger.p.command, problem=problem, reason="  ")
    assert snapshot(problem) == before


def test_merge_points_to_the_kept_problem(ledger):
    kept = new_problem(ledger)
    dup1 = new_problem(ledger, report=True)
    dup2 = new_problem(ledger, report=True)
    services.problem_merge(user=ledger.p.command, problem=dup1, into=kept)
    assert (dup1.status, dup1.merged_into) == (Status.REJECTED, kept)
    services.problem_merge(user=ledger.p.command, problem=dup2, into=dup1)  # follows chain
    assert dup2.merged_into == kept
    dup3 = new_problem(ledger, report=True)
    with pytest.raises(ValidationFailed):
        services.problem_merge(user=ledger.p.command, problem=dup3, into=dup3)
    west_dup = services.problem_report(
        user=ledger.p.citizen,
        category=ledger.cat_litter,
        description="同一处",
        point=ledger.point_b,
    )
    with pytest.raises(NotFound):  # the west command cannot see the east problem
        services.problem_merge(user=ledger.p.outsider, problem=west_dup, into=kept)
    assert west_dup.status == Status.PENDING_REVIEW


def test_approved_return_releases_the_unit_and_counts(ledger):
    problem = bring_to(ledger, Status.RECTIFYING)
    services.problem_request_extension(
        user=ledger.p.handler_a,
        problem=problem,
        reason="x",
        requested_due_at=problem.due_at.replace(year=2100),
    )
    req = services.problem_request_return(
        user=ledger.p.handler_a, problem=problem, reason="属于西华街道"
    )
    with pytest.raises(ValidationFailed, match="已有"):
        services.problem_request_return(user=ledger.p.handler_a, problem=problem, reason="again")
    services.problem_approve_return(user=ledger.p.command, problem=problem)
    problem.refresh_from_db()
    assert problem.status == Status.REGISTERED and problem.responsible_unit is None
    assert problem.return_count == 1 and problem.due_at is None
    statuses = dict(ProblemRequest.objects.filter(problem=problem).values_list("kind", "status"))
    assert statuses == {"return": RequestStatus.APPROVED, "extension": RequestStatus.CANCELLED}
    event = problem.events.get(action=Action.APPROVE_RETURN)
    assert event.unit == ledger.unit_a and event.data["request"] == req.pk


def test_urge_levels_stop_at_flagged(ledger):
    problem = bring_to(ledger, Status.DISPATCHED)
    for _ in range(3):
        services.problem_urge(user=ledger.p.command, problem=problem)
    assert problem.escalation_level == 3
    with pytest.raises(ValidationFailed, match="挂牌督办"):
        services.problem_urge(user=ledger.p.command, problem=problem)


def test_reopen_starts_a_new_cycle(ledger):
    problem = bring_to(ledger, Status.CLOSED)
    services.problem_reopen(user=ledger.p.inspector, problem=problem, reason="回头看反弹")
    assert problem.status == Status.DISPATCHED and problem.recurrence_count == 1
    assert problem.closed_at is None and problem.submitted_at is None
    assert problem.responsible_unit == ledger.unit_a and problem.due_at > problem.dispatched_at


def test_stale_instance_loses(ledger):
    from civicloop.core.errors import ConcurrentUpdate
    from civicloop.problems.models import Problem

    problem = bring_to(ledger, Status.DISPATCHED)
    stale = Problem.objects.get(pk=problem.pk)
    services.problem_sign(user=ledger.p.handler_a, problem=problem)
    before = snapshot(problem)
    with pytest.raises(ConcurrentUpdate):
        services.problem_urge(user=ledger.p.command, problem=stale)
    assert snapshot(problem) == before


def test_source_choices_validated(ledger):
    with pytest.raises(ValidationFailed):
        services.problem_create(
            user=ledger.p.command,
            source="gossip",
            category=ledger.cat_litter,
            description="x",
            point=ledger.point_a,
        )
    p = services.problem_create(
        user=ledger.p.command,
        source=Source.HOTLINE_12345,
        category=ledger.cat_litter,
        description="12345 转办",
        point=ledger.point_a,
    )
    assert p.get_source_display() == "12345/数字城管转办"
