"""Deadlines through the working calendar, the traffic light and the overdue sweep."""

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command

from civicloop.core.workcalendar import add_working_time
from civicloop.problems import deadlines, selectors, services, tasks
from civicloop.problems.models import Action, EscalationLevel, ProblemEvent, Severity, Status
from civicloop.problems.tests.conftest import dispatched_due, new_problem, photo


def t(stamp: str) -> datetime:
    return datetime.fromisoformat(f"{stamp}+08:00")


def test_policy_scaled_by_severity(ledger):
    litter = ledger.cat_litter  # 4 working hours
    start = t("2025-04-01T09:00")  # a Tuesday
    assert deadlines.compute_due_at(litter, Severity.SHORT, start) == t("2025-04-01T15:00")
    assert deadlines.compute_due_at(litter, Severity.IMMEDIATE, start) == t("2025-04-01T11:00")
    long_due = deadlines.compute_due_at(litter, Severity.LONG, start)
    assert long_due == add_working_time(start, 20, "working_days")
    # 清明 (Fri 4 Apr) is skipped and Sun 27 Apr is an adjusted working day (调休).
    assert long_due.date().isoformat() == "2025-04-29"


def test_dispatch_uses_the_calendar_across_a_holiday(ledger):
    problem = new_problem(ledger)
    with services.using_clock(t("2025-04-03T16:00")):  # Thursday before 清明 (Fri 4 Apr)
        services.problem_dispatch(user=ledger.p.command, problem=problem, unit=ledger.unit_a)
    # 16:00–17:30 is 1.5 h; Fri holiday and the weekend are skipped; Mon 08:30 + 2.5 h.
    assert problem.due_at == t("2025-04-07T11:00")
    event = problem.events.get(action=Action.DISPATCH)
    assert event.due_at == problem.due_at and event.unit_id == ledger.unit_a.pk


def test_explicit_due_wins_and_must_be_in_the_future(ledger):
    from civicloop.core.errors import ValidationFailed

    problem = new_problem(ledger)
    with services.using_clock(t("2025-04-01T09:00")):
        with pytest.raises(ValidationFailed):
            services.problem_dispatch(
                user=ledger.p.command,
                problem=problem,
                unit=ledger.unit_a,
                due_at=t("2025-04-01T08:00"),
            )
        services.problem_dispatch(
            user=ledger.p.command, problem=problem, unit=ledger.unit_a, due_at=t("2025-04-11T17:30")
        )
    assert problem.due_at == t("2025-04-11T17:30")


def test_traffic_light_by_share_of_allowed_time(ledger):
    problem = new_problem(ledger)
    with services.using_clock(t("2025-04-01T08:00")):
        services.problem_dispatch(
            user=ledger.p.command, problem=problem, unit=ledger.unit_a, due_at=t("2025-04-01T18:00")
        )  # 10 h allowed
    assert problem.warn_at == t("2025-04-01T16:00")  # 80 %
    user = ledger.p.command
    for stamp, light in [
        ("15:59", "green"),
        ("16:00", "yellow"),
        ("18:00", "yellow"),
        ("18:01", "red"),
    ]:
        now = t(f"2025-04-01T{stamp}")
        row = selectors.problem_list(user=user, now=now).get(pk=problem.pk)
        assert row.light == light == deadlines.light_of(problem, now), stamp
    closed_like = selectors.problem_list(
        user=user, now=t("2025-04-02T00:00"), status=Status.REGISTERED
    )
    assert all(p.light == "" for p in closed_like)


def _dispatched(ledger, due: str, *, sign=True):
    return dispatched_due(ledger, t(due), sign=sign)


def test_overdue_sweep_flags_clears_and_escalates(ledger):
    now = t("2025-04-20T12:00")
    late_1h = _dispatched(ledger, "2025-04-20T11:00")
    late_4d = _dispatched(ledger, "2025-04-16T11:00", sign=False)
    late_8d = _dispatched(ledger, "2025-04-12T11:00")
    on_time = _dispatched(ledger, "2025-04-21T11:00")
    submitted = _dispatched(ledger, "2025-04-10T11:00")
    with services.using_clock(t("2025-04-01T09:00")):
        services.problem_submit(
            user=ledger.p.handler_a, problem=submitted, description="好了", files=[photo()]
        )
    result = services.problem_sweep_overdue(at=now)
    assert result.flagged == 3 and result.cleared == 0
    assert result.escalated == {3: 1, 2: 1, 1: 1}
    levels = {
        p.pk: (p.is_overdue, p.escalation_level)
        for p in [
            x.__class__.objects.get(pk=x.pk)
            for x in (late_1h, late_4d, late_8d, on_time, submitted)
        ]
    }
    assert levels == {
        late_1h.pk: (True, EscalationLevel.URGED),
        late_4d.pk: (True, EscalationLevel.SUPERVISED),
        late_8d.pk: (True, EscalationLevel.FLAGGED),
        on_time.pk: (False, 0),
        submitted.pk: (False, 0),
    }
    # One event per escalated problem, straight to its level, status unchanged.
    event = ProblemEvent.objects.get(problem=late_8d, action=Action.ESCALATE)
    assert (event.from_status, event.to_status) == (Status.RECTIFYING, Status.RECTIFYING)
    assert event.data == {"level_before": 0, "level_after": 3} and event.actor is None
    # Idempotent.
    again = services.problem_sweep_overdue(at=now)
    assert (again.flagged, again.cleared, again.escalated) == (0, 0, {3: 0, 2: 0, 1: 0})
    # An extension clears the flag on the next sweep (the service already unsets it).
    late_1h.refresh_from_db()
    services.problem_request_extension(
        user=ledger.p.handler_a,
        problem=late_1h,
        reason="材料未到",
        requested_due_at=t("2025-05-01T17:30"),
    )
    late_1h.refresh_from_db()
    with services.using_clock(now):
        services.problem_approve_extension(user=ledger.p.command, problem=late_1h)
    late_1h.refresh_from_db()
    assert late_1h.is_overdue is False and late_1h.extension_count == 1
    after = late_1h.events.get(action=Action.APPROVE_EXTENSION).data["due_at_after"]
    assert datetime.fromisoformat(after) == t("2025-05-01T17:30")
    # A stale flag (e.g. set before a void) is cleared by the sweep.
    on_time.__class__.objects.filter(pk=on_time.pk).update(is_overdue=True)
    assert services.problem_sweep_overdue(at=now).cleared == 1


def test_sweep_command_and_task(ledger, capsys):
    _dispatched(ledger, "2025-03-02T11:00")
    call_command("sweep_overdue")
    assert "flagged 1" in capsys.readouterr().out
    result = tasks.sweep_overdue.apply().get()
    assert result["flagged"] == 0


def test_unpark_moves_the_deadline_by_the_parked_time(ledger):
    from datetime import date

    problem = _dispatched(ledger, "2025-04-10T17:30")
    with services.using_clock(t("2025-04-01T09:00")):
        services.problem_park(
            user=ledger.p.command, problem=problem, reason="纳入计划", review_on=date(2025, 5, 1)
        )
    with services.using_clock(t("2025-04-11T09:00")):
        services.problem_unpark(user=ledger.p.command, problem=problem)
    assert problem.status == Status.RECTIFYING
    assert problem.due_at == t("2025-04-10T17:30") + timedelta(days=10)
