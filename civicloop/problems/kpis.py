"""Closed-loop KPIs per unit / area / category and period, computed in the database.

Two GROUP BY queries (events in the period; problems whose deadline falls in the period)
plus one for "overdue now"; rows are merged per group key. Nothing loops over problems in
Python. Period = [start, end) with aware datetimes.

Definitions (DESIGN.md §6), as built:
- dispatched      `dispatch` events in the period (a reopen is counted as a recurrence,
                  not as a dispatch).
- due             problems whose deadline in force (`due_at`) falls in the period and that
                  are dispatched and now neither parked, voided, rejected nor returned
                  (returned problems have no unit and no deadline).
- closed          of those, closed (销号) now.
- on_time         of those, closed and the passing submission (`submitted_at`: the moment it
                  went to verification, i.e. the unit leader's approval where required) at
                  or before `due_at`. For a closed problem `due_at` cannot move after the
                  submission, so it is the deadline that was in force.
- closure_rate    closed ÷ due; on_time_rate = on_time ÷ due (None when due = 0).
- overdue_now     open with the unit (dispatched/rectifying/leader_review) past due_at,
                  at `now` (not period-bound).
- submissions     events reaching `submitted` in the period (submit, leader_approve).
- reworks         `verify_fail` events in the period; rework_rate = reworks ÷ submissions
                  (None when no submissions). A failure in this period of a submission made
                  in the previous one counts here, so the rate can exceed 1 in a short period.
- returns         approved returns (wrong dispatch, 退单) in the period, charged to the unit
                  the problem was returned from.
- recurrences     `reopen` events (回头看反弹) in the period.
- avg_sign_hours  mean of (sign − dispatch) over `sign` events in the period.
- avg_handling_hours  mean of (passing submission − dispatch) over `verify_pass` events in
                  the period. Both are wall-clock hours.
Grouping: by unit uses the event's unit (the unit the event concerned) and the problem's
current responsible unit; by area, the direct children of the given area (each child's
subtree); by category, the 小类 (or the 大类 with `major=True`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from django.db.models import Avg, Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from civicloop.accounts.scope import NOTHING
from civicloop.orgs.models import Area, Unit
from civicloop.problems import deadlines
from civicloop.problems.models import Action, Problem, ProblemEvent, Status
from civicloop.problems.selectors import scope_q
from civicloop.standards.models import Category

A, S = Action, Status
GROUPS = ("unit", "area", "category")


@dataclass
class KpiRow:
    key: int | None
    label: str
    dispatched: int = 0
    due: int = 0
    closed: int = 0
    on_time: int = 0
    overdue_now: int = 0
    submissions: int = 0
    reworks: int = 0
    returns: int = 0
    recurrences: int = 0
    avg_sign_hours: float | None = None
    avg_handling_hours: float | None = None

    @property
    def closure_rate(self) -> float | None:
        return self.closed / self.due if self.due else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def rework_rate(self) -> float | None:
        return self.reworks / self.submissions if self.submissions else None

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(
            closure_rate=self.closure_rate,
            on_time_rate=self.on_time_rate,
            rework_rate=self.rework_rate,
        )
        return data


def _area_key(children: list[Area], prefix: str):
    whens = [
        When(**{f"{prefix}area__path__startswith": c.path}, then=Value(c.pk)) for c in children
    ]
    return Case(*whens, default=Value(None), output_field=IntegerField())


def _keys(group_by: str, *, area: Area | None, major: bool):
    """(event key expression, problem key expression, restricting area or None)."""
    if group_by == "unit":
        return "unit_id", "responsible_unit_id", []
    if group_by == "category":
        if major:
            return (
                Coalesce("problem__category__parent_id", "problem__category_id"),
                Coalesce("category__parent_id", "category_id"),
                [],
            )
        return "problem__category_id", "category_id", []
    if group_by == "area":
        if area is None:
            raise ValueError("grouping by area needs the parent area")
        children = list(Area.objects.filter(parent=area).order_by("sort_order", "code"))
        children = children or [area]
        return _area_key(children, "problem__"), _area_key(children, ""), children
    raise ValueError(f"group_by must be one of {GROUPS}")


def _expr(key):
    from django.db.models import F

    return F(key) if isinstance(key, str) else key


def kpi_table(
    *,
    group_by: str,
    start: datetime,
    end: datetime,
    user=None,
    area: Area | None = None,
    major: bool = False,
    now: datetime | None = None,
) -> list[KpiRow]:
    """KPI rows for the period, one per group that has any activity, sorted by label.

    `user` restricts to the user's scope (None = everything, for jobs). `area` is the
    parent for group_by="area"; for the other groupings it restricts to its subtree.
    """
    now = now or timezone.now()
    ev_key, pr_key, _children = _keys(group_by, area=area, major=major)
    ev_scope, pr_scope = Q(), Q()
    if user is not None:
        q_ev, q_pr = scope_q(user, prefix="problem__"), scope_q(user)
        if q_ev == NOTHING:
            return []
        ev_scope, pr_scope = q_ev or Q(), q_pr or Q()
    if area is not None:
        ev_scope &= Q(problem__area__path__startswith=area.path)
        pr_scope &= Q(area__path__startswith=area.path)

    rows: dict[int | None, KpiRow] = {}

    def row(key) -> KpiRow:
        return rows.setdefault(key, KpiRow(key=key, label=""))

    events = (
        ProblemEvent.objects.filter(ev_scope, at__gte=start, at__lt=end)
        .annotate(k=_expr(ev_key))
        .order_by()
        .values("k")
        .annotate(
            dispatched=Count("id", filter=Q(action=A.DISPATCH)),
            submissions=Count(
                "id", filter=Q(action__in=[A.SUBMIT, A.LEADER_APPROVE], to_status=S.SUBMITTED)
            ),
            reworks=Count("id", filter=Q(action=A.VERIFY_FAIL)),
            returns=Count("id", filter=Q(action=A.APPROVE_RETURN)),
            recurrences=Count("id", filter=Q(action=A.REOPEN)),
            avg_sign=Avg("duration_seconds", filter=Q(action=A.SIGN)),
            avg_handling=Avg("duration_seconds", filter=Q(action=A.VERIFY_PASS)),
        )
    )
    for r in events:
        counts = ("dispatched", "submissions", "reworks", "returns", "recurrences")
        if not any(r[f] for f in counts) and r["avg_sign"] is None and r["avg_handling"] is None:
            continue  # only urges/requests etc. in the period: no KPI activity
        kr = row(r["k"])
        kr.dispatched, kr.submissions, kr.reworks = r["dispatched"], r["submissions"], r["reworks"]
        kr.returns, kr.recurrences = r["returns"], r["recurrences"]
        kr.avg_sign_hours = r["avg_sign"] / 3600 if r["avg_sign"] is not None else None
        kr.avg_handling_hours = r["avg_handling"] / 3600 if r["avg_handling"] is not None else None

    due = (
        Problem.objects.filter(
            pr_scope, due_at__gte=start, due_at__lt=end, dispatched_at__isnull=False
        )
        .exclude(status__in=[S.PARKED, S.VOIDED, S.REJECTED])
        .annotate(k=_expr(pr_key))
        .order_by()
        .values("k")
        .annotate(
            due=Count("id"),
            closed=Count("id", filter=Q(status=S.CLOSED)),
            on_time=Count("id", filter=Q(status=S.CLOSED, submitted_at__lte=_expr("due_at"))),
        )
    )
    for r in due:
        kr = row(r["k"])
        kr.due, kr.closed, kr.on_time = r["due"], r["closed"], r["on_time"]

    overdue = (
        Problem.objects.filter(pr_scope, deadlines.overdue_q(now))
        .annotate(k=_expr(pr_key))
        .order_by()
        .values("k")
        .annotate(n=Count("id"))
    )
    for r in overdue:
        row(r["k"]).overdue_now = r["n"]

    _label(rows, group_by)
    return sorted(rows.values(), key=lambda r: (r.key is None, r.label))


def _label(rows: dict, group_by: str) -> None:
    model = {"unit": Unit, "area": Area, "category": Category}[group_by]
    names = model.objects.in_bulk([k for k in rows if k is not None])
    for key, kr in rows.items():
        kr.label = str(names[key].name) if key in names else "（未指定）"


def kpi_totals(rows: list[KpiRow]) -> KpiRow:
    """A 合计 row (averages are not summed: they are left empty)."""
    total = KpiRow(key=None, label="合计")
    for r in rows:
        for name in (
            "dispatched",
            "due",
            "closed",
            "on_time",
            "overdue_now",
            "submissions",
            "reworks",
            "returns",
            "recurrences",
        ):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return total
