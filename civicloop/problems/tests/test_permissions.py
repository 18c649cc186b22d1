"""Who may act: outsiders and wrong units get NotFound and change nothing; visible but not
allowed is NotPermitted; the rectifying unit never verifies its own work."""

import pytest

from civicloop.core.errors import NotFound, NotPermitted
from civicloop.problems import permissions, services
from civicloop.problems.models import Action, Status
from civicloop.problems.tests.actions import SERVICE_ACTIONS, call, snapshot
from civicloop.problems.tests.conftest import bring_to, new_problem

A, S = Action, Status

# For each status, the actions the table allows there (the interesting ones to attack).
STATUSES = [
    S.PENDING_REVIEW,
    S.REGISTERED,
    S.DISPATCHED,
    S.RECTIFYING,
    S.SUBMITTED,
    S.CLOSED,
    S.PARKED,
]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("persona", ["outsider", "handler_b"])
def test_outsider_and_wrong_unit_get_not_found_and_nothing_changes(ledger, status, persona):
    problem = bring_to(ledger, status)  # in the east district, unit A
    into = new_problem(ledger)
    user = getattr(ledger.p, persona)
    before = snapshot(problem)
    for action in SERVICE_ACTIONS:
        with pytest.raises(NotFound):
            call(action, user, problem, ledger, into=into)
    assert snapshot(problem) == before
    assert not permissions.can_see(user, problem)
    assert permissions.available_actions(user, problem) == []


def test_citizen_sees_only_own_report_and_may_not_act(ledger):
    problem = new_problem(ledger, report=True)
    other = new_problem(ledger)
    citizen = ledger.p.citizen
    assert permissions.can_see(citizen, problem)
    assert not permissions.can_see(citizen, other)
    before = snapshot(problem)
    with pytest.raises(NotPermitted):
        services.problem_accept(user=citizen, problem=problem)
    with pytest.raises(NotFound):
        services.problem_accept(user=citizen, problem=other)
    assert snapshot(problem) == before


def test_leader_reads_but_may_not_act(ledger):
    problem = bring_to(ledger, S.REGISTERED)
    before = snapshot(problem)
    with pytest.raises(NotPermitted):
        services.problem_dispatch(user=ledger.p.leader, problem=problem, unit=ledger.unit_a)
    assert snapshot(problem) == before
    assert permissions.available_actions(ledger.p.leader, problem) == []


def test_unit_cannot_verify_its_own_work_even_as_inspector(ledger):
    problem = bring_to(ledger, S.SUBMITTED)
    mixed = ledger.p.mixed  # inspector of the east district AND handler of unit A
    before = snapshot(problem)
    for action in (A.VERIFY_PASS, A.VERIFY_FAIL):
        with pytest.raises(NotPermitted, match="本单位"):
            call(action, mixed, problem, ledger)
    assert snapshot(problem) == before
    assert A.VERIFY_PASS not in permissions.available_actions(mixed, problem)
    # A unit leader of the parent unit is also on the unit's line.
    assert permissions.belongs_to_unit(ledger.p.unit_leader_a, problem)
    services.problem_verify_pass(user=ledger.p.inspector, problem=problem)
    assert problem.status == S.CLOSED


def test_sub_unit_problem_is_also_refused_to_parent_unit_verifier(ledger):
    problem = bring_to(ledger, S.SUBMITTED, unit=ledger.unit_a_child)
    problem = (
        services.problem_leader_approve(user=ledger.p.unit_leader_a, problem=problem)
        if problem.status == S.LEADER_REVIEW
        else problem
    )
    with pytest.raises(NotPermitted):
        services.problem_verify_pass(user=ledger.p.mixed, problem=problem)


def test_unit_handler_may_not_do_command_actions(ledger):
    problem = bring_to(ledger, S.RECTIFYING)
    before = snapshot(problem)
    for action in (A.URGE, A.PARK, A.VOID):
        with pytest.raises(NotPermitted):
            call(action, ledger.p.handler_a, problem, ledger)
    assert snapshot(problem) == before


def test_only_unit_leader_approves_in_leader_review(ledger):
    problem = bring_to(ledger, S.LEADER_REVIEW)
    assert problem.status == S.LEADER_REVIEW
    with pytest.raises(NotPermitted):
        services.problem_leader_approve(user=ledger.p.handler_a, problem=problem)
    with pytest.raises(NotFound):
        services.problem_leader_approve(user=ledger.p.handler_b, problem=problem)
    services.problem_leader_approve(user=ledger.p.unit_leader_a, problem=problem)
    assert problem.status == S.SUBMITTED and problem.submitted_at is not None


def test_available_actions_match_role_status_and_pending_requests(ledger):
    problem = bring_to(ledger, S.RECTIFYING)
    p = ledger.p
    assert set(permissions.available_actions(p.handler_a, problem)) == {
        A.REQUEST_RETURN,
        A.REQUEST_EXTENSION,
        A.SUBMIT,
    }
    assert set(permissions.available_actions(p.command, problem)) == {A.PARK, A.URGE, A.VOID}
    services.problem_request_return(user=p.handler_a, problem=problem, reason="非本单位")
    assert set(permissions.available_actions(p.command, problem, pending_kinds={"return"})) == {
        A.PARK,
        A.URGE,
        A.VOID,
        A.APPROVE_RETURN,
        A.DENY_RETURN,
    }
    assert A.REQUEST_RETURN not in permissions.available_actions(
        p.handler_a, problem, pending_kinds={"return"}
    )


def test_create_needs_inspector_or_command_in_the_area(ledger):
    from civicloop.problems.models import Source

    west_point = ledger.point_b
    with pytest.raises(NotPermitted):
        services.problem_create(
            user=ledger.p.inspector,
            source=Source.INSPECTION,
            category=ledger.cat_litter,
            description="x",
            point=west_point,
        )
    with pytest.raises(NotPermitted):
        services.problem_create(
            user=ledger.p.handler_a,
            source=Source.SELF_CHECK,
            category=ledger.cat_litter,
            description="x",
            point=ledger.point_a,
        )
    with pytest.raises(NotPermitted):
        services.problem_report(
            user=ledger.p.grid_worker, category=ledger.cat_litter, description="x", point=west_point
        )
    p = services.problem_report(
        user=ledger.p.grid_worker,
        category=ledger.cat_litter,
        description="井盖缺失",
        point=ledger.point_a,
    )
    assert p.status == S.PENDING_REVIEW and p.reporter == ledger.p.grid_worker
