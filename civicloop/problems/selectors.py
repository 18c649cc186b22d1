"""Every read of the ledger, scoped to a user (DESIGN.md §1, §4).

Scope: area roles (command, leader, inspector, grid worker) by the problem's area subtree;
unit roles by the responsible unit's subtree; everyone sees what they reported (citizens
only that). Outside scope → 404.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from civicloop.accounts.models import AREA_ROLES, UNIT_ROLES
from civicloop.accounts.scope import NOTHING, scope_of
from civicloop.problems import deadlines
from civicloop.problems.models import (
    Evidence,
    Problem,
    ProblemEvent,
    ProblemRequest,
    RequestStatus,
    RoutingRule,
    Status,
)

ORDERINGS = {
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "due_at": ("due_at", "id"),
    "-due_at": ("-due_at", "-id"),
    "number": ("number",),
    "-number": ("-number",),
    "-escalation_level": ("-escalation_level", "due_at", "id"),
    "status": ("status", "-created_at", "-id"),
}


def scope_q(user, prefix: str = "") -> Q | None:
    """Q restricting problems (reached through `prefix`, e.g. "problem__") to the user's
    scope; None means no restriction (superuser)."""
    scope = scope_of(user)
    if scope.is_superuser:
        return None
    q = scope.area_ids_q(f"{prefix}area", roles=AREA_ROLES)
    q |= scope.unit_ids_q(f"{prefix}responsible_unit", roles=UNIT_ROLES)
    if user is not None and user.is_authenticated:
        q |= Q(**{f"{prefix}reporter": user})
    return q


def _scoped(base: QuerySet[Problem], user) -> QuerySet[Problem]:
    q = scope_q(user)
    if q is None:
        return base
    if q == NOTHING:
        return base.none()
    return base.filter(q)


def problem_queryset(*, user) -> QuerySet[Problem]:
    return _scoped(
        Problem.objects.select_related(
            "category", "category__parent", "responsible_unit", "area", "point"
        ),
        user,
    )


@dataclass
class LedgerFilters:
    status: str | list[str] | None = None
    unit: object | None = None  # Unit or pk; subtree
    area: object | None = None  # Area or pk; subtree
    category: object | None = None  # Category or pk; a 大类 includes its 小类
    source: str | None = None
    severity: str | None = None
    overdue: bool | None = None
    light: str | None = None  # green / yellow / red
    escalated: bool | None = None
    created_from: date | None = None
    created_to: date | None = None  # inclusive
    keyword: str = ""
    ordering: str = "-created_at"
    # Filled by resolve_ledger_filters: the ids of the unit's subtree. Filtering on them
    # (IN (3, 17)) instead of joining units by path lets PostgreSQL estimate each unit's
    # share of the problems from its statistics; through the join it guessed the average
    # (~900 of 1M) for every unit and, for the biggest (77 000), sorted them all to show
    # 50 (1M: 170 ms, now ~1 ms).
    unit_ids: tuple[int, ...] | None = None


def _pk(value):
    return getattr(value, "pk", value)


def _local_start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min), timezone.get_default_timezone())


def ledger_queryset(
    *, user, filters: LedgerFilters | None = None, now: datetime | None = None, **kwargs
) -> QuerySet[Problem]:
    """The ledger's rows as bare problems: scoped, filtered, ordered; no display joins and
    no annotations, so counting it or walking its ids joins only what the filters need.
    Accepts a LedgerFilters or its fields as keyword arguments."""
    f = filters or LedgerFilters(**kwargs)
    resolved = resolve_ledger_filters(f)
    qs = _scoped(Problem.objects.all(), user)
    if resolved is None:
        qs = qs.none()
    else:
        conditions = _filter_conditions(resolved, now or timezone.now())
        if conditions:
            qs = qs.filter(*conditions)  # one filter(): each call clones the query
    return qs.order_by(*ORDERINGS.get(f.ordering, ORDERINGS["-created_at"]))


def problem_list(
    *, user, filters: LedgerFilters | None = None, now: datetime | None = None, **kwargs
) -> QuerySet[Problem]:
    """The ledger for display: ledger_queryset with its related rows joined and annotated
    with `light`. Accepts a LedgerFilters or its fields as keyword arguments."""
    now = now or timezone.now()
    return (
        ledger_queryset(user=user, filters=filters, now=now, **kwargs)
        .select_related("category", "category__parent", "responsible_unit", "area", "point")
        .annotate(light=deadlines.traffic_light(now))
    )


def resolve_ledger_filters(f: LedgerFilters) -> LedgerFilters | None:
    """`f` with its unit and area as instances (one query each, when given by id) and
    the ids of the unit's subtree (one query, once), or None when either does not exist
    (the ledger is then empty)."""
    from civicloop.orgs.models import Area, Unit

    unit, area, unit_ids = f.unit, f.area, f.unit_ids
    if unit and not isinstance(unit, Unit):
        unit = Unit.objects.filter(pk=unit).only("path").first()
        if unit is None:
            return None
    if unit and unit_ids is None:  # a filter resolved before carries them: not read twice
        unit_ids = tuple(
            Unit.objects.filter(path__startswith=unit.path)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    if area and not isinstance(area, Area):
        area = Area.objects.filter(pk=area).only("path").first()
        if area is None:
            return None
    return replace(f, unit=unit or None, area=area or None, unit_ids=unit_ids if unit else None)


def ledger_filters_read_the_clock(f: LedgerFilters) -> bool:
    """True when the filters' SQL holds the current time (see _filter_conditions)."""
    return f.overdue is not None or bool(f.light)


def _filter_conditions(f: LedgerFilters, now: datetime) -> list[Q]:
    """The filters, resolved (resolve_ledger_filters), as Q objects."""
    conditions: list[Q] = []
    if f.status:
        conditions.append(Q(status__in=[f.status] if isinstance(f.status, str) else f.status))
    if f.unit:
        conditions.append(Q(responsible_unit_id__in=f.unit_ids))
    if f.area:
        conditions.append(Q(area__path__startswith=f.area.path))
    if f.category:
        cat = _pk(f.category)
        conditions.append(Q(category_id=cat) | Q(category__parent_id=cat))
    if f.source:
        conditions.append(Q(source=f.source))
    if f.severity:
        conditions.append(Q(severity=f.severity))
    if f.overdue is not None:
        overdue = deadlines.overdue_q(now)
        conditions.append(overdue if f.overdue else ~overdue)
    if f.light == deadlines.RED:
        conditions.append(deadlines.overdue_q(now))
    elif f.light == deadlines.YELLOW:
        conditions.append(deadlines.due_soon_q(now))
    elif f.light == deadlines.GREEN:
        conditions.append(Q(status__in=deadlines.UNIT_OPEN_STATUSES, warn_at__gt=now))
    if f.escalated is not None:
        conditions.append(Q(escalation_level__gt=0) if f.escalated else Q(escalation_level=0))
    if f.created_from:
        conditions.append(Q(created_at__gte=_local_start(f.created_from)))
    if f.created_to:
        conditions.append(Q(created_at__lt=_local_start(f.created_to + timedelta(days=1))))
    keyword = (f.keyword or "").strip()
    if keyword:
        # number is an exact indexed match; text search is a scan of the already
        # narrowed rows (full-text search is a later concern).
        conditions.append(
            Q(number=keyword.upper())
            | Q(title__icontains=keyword)
            | Q(description__icontains=keyword)
            | Q(address__icontains=keyword)
        )
    return conditions


def problem_get(*, user, pk=None, number: str | None = None) -> Problem:
    qs = problem_queryset(user=user).annotate(light=deadlines.traffic_light(timezone.now()))
    lookup = {"pk": pk} if pk is not None else {"number": number}
    try:
        return qs.select_related("merged_into", "reporter", "created_by").get(**lookup)
    except (Problem.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("问题不存在或无权访问") from exc


def problem_events(*, problem: Problem) -> QuerySet[ProblemEvent]:
    """The timeline, oldest first, with its evidence prefetched (no N+1)."""
    return (
        problem.events.select_related("actor", "unit")
        .prefetch_related("evidence")
        .order_by("at", "id")
    )


def problem_evidence(*, problem: Problem, kind: str | None = None) -> QuerySet[Evidence]:
    qs = problem.evidence.select_related("uploaded_by").order_by("at", "id")
    return qs.filter(kind=kind) if kind else qs


def staged_evidence(*, problem: Problem) -> QuerySet[Evidence]:
    """Uploaded but not yet attached to an action (e.g. after-photos before submit)."""
    return problem_evidence(problem=problem).filter(event__isnull=True)


def problem_requests(*, problem: Problem) -> QuerySet[ProblemRequest]:
    return problem.requests.select_related("requested_by", "decided_by", "unit")


def pending_request_kinds(problem: Problem) -> set[str]:
    return set(problem.requests.filter(status=RequestStatus.PENDING).values_list("kind", flat=True))


def pending_requests(*, user) -> QuerySet[ProblemRequest]:
    """Requests awaiting a decision, in the user's scope (the command's approval queue)."""
    qs = ProblemRequest.objects.filter(status=RequestStatus.PENDING).select_related(
        "problem", "problem__responsible_unit", "requested_by", "unit"
    )
    q = scope_q(user, prefix="problem__")
    if q is None:
        return qs
    return qs.none() if q == NOTHING else qs.filter(q)


def duplicate_candidates(*, user, problem: Problem, limit: int = 10) -> QuerySet[Problem]:
    """Open problems of the same category at the same point or in the same area (for merge)."""
    near = Q(point=problem.point) if problem.point_id else Q(area=problem.area)
    return (
        problem_queryset(user=user)
        .filter(near, category=problem.category)
        .exclude(pk=problem.pk)
        .exclude(status__in=[Status.REJECTED, Status.VOIDED])
        .order_by("-created_at")[:limit]
    )


# --- Workbench --------------------------------------------------------------------------

WORKBENCH_BUCKETS = {
    "pending_review": ("待受理", lambda now: Q(status=Status.PENDING_REVIEW)),
    "registered": ("待派遣", lambda now: Q(status=Status.REGISTERED)),
    "dispatched": ("待签收", lambda now: Q(status=Status.DISPATCHED)),
    "rectifying": ("整改中", lambda now: Q(status=Status.RECTIFYING)),
    "leader_review": ("待单位审核", lambda now: Q(status=Status.LEADER_REVIEW)),
    "due_soon": ("即将超期", deadlines.due_soon_q),
    "overdue": ("已超期", deadlines.overdue_q),
    "submitted": ("待核查", lambda now: Q(status=Status.SUBMITTED)),
    "parked": ("挂账", lambda now: Q(status=Status.PARKED)),
}


def workbench_counts(*, user, now: datetime | None = None) -> dict[str, int]:
    """Counts per workbench bucket for the user's scope, in ONE query."""
    now = now or timezone.now()
    aggregates = {key: Count("id", filter=q(now)) for key, (_label, q) in WORKBENCH_BUCKETS.items()}
    return problem_queryset(user=user).order_by().aggregate(**aggregates)


def workbench_list(*, user, bucket: str, now: datetime | None = None) -> QuerySet[Problem]:
    if bucket not in WORKBENCH_BUCKETS:
        raise Http404("未知的工作台分组")
    now = now or timezone.now()
    return problem_list(user=user, now=now, ordering="due_at").filter(
        WORKBENCH_BUCKETS[bucket][1](now)
    )


# --- Routing rules ----------------------------------------------------------------------


def routing_rule_list(*, user) -> QuerySet[RoutingRule]:
    """Rules are configuration: command users read them all (they only edit in scope)."""
    from civicloop.accounts.models import Role

    if not scope_of(user).has(Role.COMMAND):
        return RoutingRule.objects.none()
    return RoutingRule.objects.select_related("category", "area", "point_type", "unit")


def routing_rule_get(*, user, pk) -> RoutingRule:
    try:
        return routing_rule_list(user=user).get(pk=pk)
    except (RoutingRule.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("派遣规则不存在或无权访问") from exc


def point_ids_with_closed_problems(*, points: QuerySet, since: datetime | None) -> set[int]:
    """System read (no user scope; for sampling 回头看 points): the points among `points`
    with a problem closed at or after `since` (ever, when None)."""
    qs = Problem.objects.filter(status=Status.CLOSED, point__in=points)
    if since is not None:
        qs = qs.filter(closed_at__gte=since)
    return set(qs.order_by().values_list("point_id", flat=True).distinct())
