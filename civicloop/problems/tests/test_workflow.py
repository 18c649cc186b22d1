"""The transition table, exhaustively: the pure table against an independent expectation,
then every action × every status through the services (refusal changes nothing)."""

import pytest

from civicloop.core.errors import TransitionNotAllowed
from civicloop.problems import workflow
from civicloop.problems.models import Action, Problem, ProblemEvent, ProblemRequest, Status
from civicloop.problems.tests.actions import SERVICE_ACTIONS, call, snapshot
from civicloop.problems.tests.conftest import bring_to, new_problem

A, S = Action, Status
OPEN = [
    S.PENDING_REVIEW,
    S.REGISTERED,
    S.DISPATCHED,
    S.RECTIFYING,
    S.LEADER_REVIEW,
    S.SUBMITTED,
    S.PARKED,
]
WITH_UNIT = [S.DISPATCHED, S.RECTIFYING, S.LEADER_REVIEW]

# Written out by hand from DESIGN.md §6 (not derived from workflow.TABLE).
EXPECTED = {
    A.REPORT: {None: S.PENDING_REVIEW},
    A.CREATE: {None: S.REGISTERED},
    A.ACCEPT: {S.PENDING_REVIEW: S.REGISTERED},
    A.REJECT: {S.PENDING_REVIEW: S.REJECTED},
    A.MERGE: {S.PENDING_REVIEW: S.REJECTED},
    A.DISPATCH: {S.REGISTERED: S.DISPATCHED},
    A.SIGN: {S.DISPATCHED: S.RECTIFYING},
    A.REQUEST_RETURN: {S.DISPATCHED: S.DISPATCHED, S.RECTIFYING: S.RECTIFYING},
    A.APPROVE_RETURN: {S.DISPATCHED: S.REGISTERED, S.RECTIFYING: S.REGISTERED},
    A.DENY_RETURN: {S.DISPATCHED: S.DISPATCHED, S.RECTIFYING: S.RECTIFYING},
    A.REQUEST_EXTENSION: {S.RECTIFYING: S.RECTIFYING},
    A.APPROVE_EXTENSION: {S.RECTIFYING: S.RECTIFYING},
    A.DENY_EXTENSION: {S.RECTIFYING: S.RECTIFYING},
    A.PARK: {S.RECTIFYING: S.PARKED},
    A.UNPARK: {S.PARKED: S.RECTIFYING},
    A.SUBMIT: {S.RECTIFYING: S.SUBMITTED},
    A.LEADER_APPROVE: {S.LEADER_REVIEW: S.SUBMITTED},
    A.LEADER_DENY: {S.LEADER_REVIEW: S.RECTIFYING},
    A.VERIFY_PASS: {S.SUBMITTED: S.CLOSED},
    A.VERIFY_FAIL: {S.SUBMITTED: S.RECTIFYING},
    A.REOPEN: {S.CLOSED: S.DISPATCHED},
    A.URGE: {s: s for s in WITH_UNIT},
    A.ESCALATE: {s: s for s in WITH_UNIT},
    A.VOID: {s: S.VOIDED for s in OPEN},
}
STATES = [None, *Status.values]


def test_expectation_covers_every_action():
    assert set(EXPECTED) == set(Action.values) == set(workflow.ALL_ACTIONS)


@pytest.mark.parametrize("action", Action.values)
@pytest.mark.parametrize("current", STATES)
def test_pure_table(action, current):
    expected = EXPECTED[action].get(current)
    if expected is None:
        with pytest.raises(TransitionNotAllowed):
            workflow.target_status(action, current)
        assert action not in workflow.allowed_actions(current)
    else:
        assert workflow.target_status(action, current) == expected
        assert action in workflow.allowed_actions(current)


def test_submit_goes_to_leader_review_when_the_unit_requires_it():
    assert workflow.target_status(A.SUBMIT, S.RECTIFYING, leader_approval=True) == S.LEADER_REVIEW
    with pytest.raises(TransitionNotAllowed):
        workflow.target_status(A.SUBMIT, S.SUBMITTED, leader_approval=True)


def test_unknown_action_is_refused():
    with pytest.raises(TransitionNotAllowed):
        workflow.target_status("teleport", S.REGISTERED)


def _prepare(action, problem, world):
    """Approve/deny need a pending request where a request is possible."""
    from civicloop.problems import services

    handler = world.p.handler_a
    if action in (A.APPROVE_RETURN, A.DENY_RETURN) and problem.status in (
        S.DISPATCHED,
        S.RECTIFYING,
    ):
        services.problem_request_return(user=handler, problem=problem, reason="不属于本单位")
    if action in (A.APPROVE_EXTENSION, A.DENY_EXTENSION) and problem.status == S.RECTIFYING:
        from datetime import timedelta

        services.problem_request_extension(
            user=handler,
            problem=problem,
            reason="材料未到",
            requested_due_at=problem.due_at + timedelta(days=3),
        )


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("action", SERVICE_ACTIONS)
def test_every_action_in_every_status_through_services(ledger, action, status):
    """A superuser (every permission, belongs to no unit) isolates the table: the service
    either lands exactly on the expected target with one event, or refuses with
    TransitionNotAllowed and nothing at all changes."""
    problem = bring_to(ledger, status)
    into = new_problem(ledger) if action == A.MERGE else None
    _prepare(action, problem, ledger)
    problem = Problem.objects.get(pk=problem.pk)
    before = snapshot(problem)
    expected = EXPECTED[action].get(status)
    if expected is None:
        with pytest.raises(TransitionNotAllowed):
            call(action, ledger.p.admin, problem, ledger, into=into)
        assert snapshot(problem) == before
        return
    call(action, ledger.p.admin, problem, ledger, into=into)
    problem.refresh_from_db()
    assert problem.status == expected
    assert problem.version == before["row"]["version"] + 1
    new_events = ProblemEvent.objects.filter(problem=problem).exclude(pk__in=before["events"])
    assert [(e.action, e.from_status, e.to_status) for e in new_events] == [
        (action, status, expected)
    ]


def test_approve_without_a_pending_request_is_a_validation_error(ledger):
    from civicloop.core.errors import ValidationFailed

    problem = bring_to(ledger, S.RECTIFYING)
    before = snapshot(problem)
    for action in (A.APPROVE_RETURN, A.DENY_RETURN, A.APPROVE_EXTENSION, A.DENY_EXTENSION):
        with pytest.raises(ValidationFailed):
            call(action, ledger.p.command, problem, ledger)
    assert snapshot(problem) == before
    assert not ProblemRequest.objects.filter(problem=problem).exists()
