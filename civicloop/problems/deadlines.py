"""Deadlines, the traffic light and escalation thresholds (DESIGN.md §6, §7).

due_at is computed once, when a problem is dispatched (or reopened), from the category's
policy (amount + unit) through the working calendar, adjusted by severity:

| severity         | rule                                                              |
|------------------|-------------------------------------------------------------------|
| immediate 立行立改 | the category policy, but at most 2 working hours                  |
| short 短期整改     | the category policy as is                                         |
| long 长期整改      | the category policy, but at least 20 working days                 |

An explicit due_at given by the dispatcher wins over all of this.

Traffic light (per open problem in dispatched / rectifying / leader_review): green while
less than 80 % of the allowed time (dispatched_at → due_at) has passed, yellow from 80 %
up to the deadline, red after it. The 80 % point is stored as `warn_at` when due_at is set,
so the light is a pair of indexed comparisons in SQL (no per-row arithmetic). The share is
of wall-clock time between dispatch and deadline; since the deadline itself was counted
in working time, the light turns yellow on the same working day it would on a
working-hours share except across nights and weekends, which is what people expect.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Case, CharField, Q, Value, When

from civicloop.core.workcalendar import WORKING_DAYS, WORKING_HOURS, add_working_time
from civicloop.problems.models import UNIT_OPEN_STATUSES, Severity

# severity → (mode, amount, unit): "cap" = at most, "floor" = at least, None = policy as is.
SEVERITY_POLICY: dict[str, tuple[str, int, str] | None] = {
    Severity.IMMEDIATE: ("cap", 2, WORKING_HOURS),
    Severity.SHORT: None,
    Severity.LONG: ("floor", 20, WORKING_DAYS),
}

WARN_SHARE = 0.8

# Overdue escalation: a problem overdue by more than the delay reaches the level.
# (calendar time since due_at; level 1 催办 as soon as it is overdue.)
ESCALATION_AFTER: dict[int, timedelta] = {
    1: timedelta(0),
    2: timedelta(days=3),
    3: timedelta(days=7),
}

GREEN, YELLOW, RED = "green", "yellow", "red"
LIGHT_LABELS = {GREEN: "正常", YELLOW: "即将超期", RED: "已超期"}


def compute_due_at(category, severity: str, start: datetime) -> datetime:
    """The deadline for a problem of `category` and `severity` dispatched at `start`."""
    policy_due = add_working_time(start, category.deadline_amount, category.deadline_unit)
    rule = SEVERITY_POLICY.get(severity)
    if rule is None:
        return policy_due
    mode, amount, unit = rule
    bound = add_working_time(start, amount, unit)
    return min(policy_due, bound) if mode == "cap" else max(policy_due, bound)


def compute_warn_at(dispatched_at: datetime | None, due_at: datetime | None) -> datetime | None:
    if dispatched_at is None or due_at is None:
        return None
    if due_at <= dispatched_at:
        return due_at
    return dispatched_at + (due_at - dispatched_at) * WARN_SHARE


def traffic_light(now: datetime) -> Case:
    """Annotation: "green" / "yellow" / "red", or "" when no clock is running."""
    return Case(
        When(~Q(status__in=UNIT_OPEN_STATUSES) | Q(due_at__isnull=True), then=Value("")),
        When(due_at__lt=now, then=Value(RED)),
        When(warn_at__lte=now, then=Value(YELLOW)),
        default=Value(GREEN),
        output_field=CharField(),
    )


def light_of(problem, now: datetime) -> str:
    """The same rule in Python, for one already-loaded problem."""
    return light_from(problem.status, problem.due_at, problem.warn_at, now)


def light_from(
    status: str, due_at: datetime | None, warn_at: datetime | None, now: datetime
) -> str:
    """traffic_light's rule on plain values (a list row read without the annotation)."""
    if status not in UNIT_OPEN_STATUSES or due_at is None:
        return ""
    if due_at < now:
        return RED
    if warn_at is not None and warn_at <= now:
        return YELLOW
    return GREEN


def overdue_q(now: datetime) -> Q:
    """Open with the unit and past the deadline (the clock stops at submission/parking)."""
    return Q(status__in=UNIT_OPEN_STATUSES, due_at__lt=now)


def due_soon_q(now: datetime) -> Q:
    """即将超期: past the 80 % point but not yet past the deadline."""
    return Q(status__in=UNIT_OPEN_STATUSES, warn_at__lte=now, due_at__gte=now)
