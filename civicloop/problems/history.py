"""Bulk generator of problems with complete, consistent histories (demo data, benchmark).

    world = HistoryWorld(places=..., categories=..., actors=ActorPool.from_memberships(),
                         route=cached_router(), now=timezone.now())
    stats = generate_history(world, 20_000, seed=1)

Why not call the services? They write one problem and one event per call with several
queries each: fine for people, far too slow for 1M problems. This module replays the same
transitions in memory and writes the rows with `bulk_create` in batches, keeping every
invariant the services keep (the tests check them against the real ledger rules):

- every event is a real move of `workflow.TABLE` (each move goes through
  `workflow.target_status`), with the same field changes as the matching service;
- `status` is the last event's `to_status`; the counters (rework, return, recurrence,
  extension, escalation level) are what the events say;
- `due_at` comes from `deadlines.compute_due_at` (the working calendar) at dispatch and
  reopen; extensions and unparking move it like the services do;
- closed problems are verified by an inspector/command user outside the unit's line;
- timestamps strictly increase per problem and never pass `now`;
- the hourly overdue sweep is replayed: `escalate` events at the first full hour past each
  escalation threshold (deadlines.ESCALATION_AFTER) and `is_overdue` as the last sweep
  before `now` left it;
- numbers are WT-YYYY-NNNNNN in creation order, reserved from ProblemCounter in one
  UPDATE per year (as `services.allocate_number` does one at a time).

Reproducible: problem i draws from its own generator seeded with (seed, i), so the same
seed and world give the same histories (database ids aside). Two passes: the first only
finds each problem's creation time so numbers follow creation order; the second rebuilds
each plan, replays it and writes the rows.
"""

from __future__ import annotations

import math
import random
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from civicloop.core.workcalendar import WORKING_DAYS, add_working_time
from civicloop.problems import deadlines, listing, workflow
from civicloop.problems.models import (
    UNIT_OPEN_STATUSES,
    Action,
    EscalationLevel,
    Problem,
    ProblemCounter,
    ProblemEvent,
    ProblemRequest,
    RequestKind,
    RequestStatus,
    Severity,
    Source,
    Status,
)

A, S = Action, Status
HOUR = 3600.0
DAY = 24 * HOUR

REPORT_SOURCES = (Source.CITIZEN, Source.PATROL)
# Sources registered directly (create) and their weights; reports are weighted apart.
SOURCE_WEIGHTS: dict[str, float] = {
    Source.INSPECTION: 34,
    Source.PATROL: 18,
    Source.CITIZEN: 14,
    Source.HOTLINE_12345: 12,
    Source.SUPERIOR_NOTICE: 7,
    Source.SELF_CHECK: 7,
    Source.LEADER_INSTRUCTION: 4,
    Source.MEDIA: 4,
}
SEVERITY_WEIGHTS: dict[str, float] = {
    Severity.IMMEDIATE: 15,
    Severity.SHORT: 70,
    Severity.LONG: 15,
}
# Final status the history leads to (leader_review only for units that require it).
TARGET_WEIGHTS: dict[str, float] = {
    S.CLOSED: 55,
    S.RECTIFYING: 11,
    S.DISPATCHED: 5,
    S.SUBMITTED: 5,
    S.LEADER_REVIEW: 2,
    S.REGISTERED: 3,
    S.PENDING_REVIEW: 4,
    S.PARKED: 2,
    S.REJECTED: 5,
    S.VOIDED: 2,
}
# Share of open problems left idle long enough to run past their deadline.
STALE_SHARE = 0.22


@dataclass(frozen=True)
class Place:
    """Where a problem is: a point (its coordinates and grid) or a bare spot in a grid."""

    area: object  # orgs.Area (with path)
    point: object | None = None  # orgs.Point, responsible_unit/point_type loaded
    lng: float | None = None
    lat: float | None = None
    address: str = ""
    name: str = ""


@dataclass
class ActorPool:
    """Who performs each kind of action, by scope (user ids).

    area_users: role → [(area path, user id)]; unit_users: role → [(unit path, user id)].
    An area action picks among users whose area contains the problem's area; a unit action
    picks the user nearest to the responsible unit on its line (the unit's own liaison,
    else one of an ancestor unit), or None when the unit has no login.
    """

    area_users: dict[str, list[tuple[str, int]]]
    unit_users: dict[str, list[tuple[str, int]]]
    citizens: list[int]
    _area_cache: dict = field(default_factory=dict, repr=False)
    _unit_cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_memberships(cls, users=None) -> ActorPool:
        """Read active memberships (optionally only of `users`, a queryset or id list)."""
        from civicloop.accounts.models import Membership, Role

        qs = Membership.objects.filter(user__is_active=True)
        if users is not None:
            qs = qs.filter(user__in=users)
        area_users: dict[str, list[tuple[str, int]]] = {}
        unit_users: dict[str, list[tuple[str, int]]] = {}
        citizens: list[int] = []
        rows = qs.values_list("role", "user_id", "area__path", "unit__path").order_by("user_id")
        for role, user_id, area_path, unit_path in rows:
            if role == Role.CITIZEN:
                citizens.append(user_id)
            elif area_path:
                area_users.setdefault(role, []).append((area_path, user_id))
            elif unit_path:
                unit_users.setdefault(role, []).append((unit_path, user_id))
        return cls(area_users=area_users, unit_users=unit_users, citizens=citizens)

    def area_candidates(self, roles: tuple[str, ...], area_path: str) -> list[int]:
        key = (roles, area_path)
        found = self._area_cache.get(key)
        if found is None:
            found = sorted(
                {
                    uid
                    for role in roles
                    for path, uid in self.area_users.get(role, ())
                    if area_path.startswith(path)
                }
            )
            self._area_cache[key] = found
        return found

    def unit_actor(self, role: str, unit_path: str | None) -> int | None:
        if not unit_path:
            return None
        key = (role, unit_path)
        if key not in self._unit_cache:
            line = [(p, uid) for p, uid in self.unit_users.get(role, ()) if unit_path.startswith(p)]
            self._unit_cache[key] = max(line)[1] if line else None  # deepest path wins
        return self._unit_cache[key]

    def unit_line_users(self, unit_path: str | None) -> set[int]:
        """Users holding a unit role on the unit's line (they may never verify)."""
        if not unit_path:
            return set()
        key = ("line", unit_path)
        if key not in self._unit_cache:
            self._unit_cache[key] = {
                uid
                for users in self.unit_users.values()
                for p, uid in users
                if unit_path.startswith(p) or p.startswith(unit_path)
            }
        return self._unit_cache[key]


@dataclass
class HistoryWorld:
    """Everything the generator draws from. `route(category, place)` → (unit, suggested)."""

    places: Sequence[Place]
    categories: Sequence  # standards.Category 小类 with a deadline policy
    actors: ActorPool
    route: Callable[[object, Place], object | None]  # → orgs.Unit or None
    now: datetime
    weeks: int = 12
    # Unit to re-dispatch to after an approved return (wrong dispatch); None = skip returns.
    reroute: Callable[[Place, object, random.Random], object | None] | None = None
    place_weights: Sequence[float] | None = None
    title_for: Callable[[object, Place], str] | None = None
    description_for: Callable[[object, Place, random.Random], str] | None = None


@dataclass
class HistoryStats:
    problems: int = 0
    events: int = 0
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    actions: Counter = field(default_factory=Counter)
    first_id: int | None = None
    last_id: int | None = None


# --- planning -----------------------------------------------------------------------------


@dataclass
class _Step:
    action: str
    delay: float  # seconds after the previous step (before scaling)
    kw: dict = field(default_factory=dict)


@dataclass
class _Plan:
    index: int
    rng: random.Random
    category: object
    place: Place
    source: str
    severity: str
    unit: object | None
    target: str
    steps: list[_Step]
    created_at: datetime
    scale: float


def _hours(rng: random.Random, lo: float, hi: float) -> float:
    return rng.uniform(lo, hi) * HOUR


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


class _Planner:
    """Draws what happens to problem i (actions and nominal delays), reproducibly."""

    REF_START = datetime.fromisoformat("2025-03-03T09:00:00+08:00")  # a Monday morning

    def __init__(self, world: HistoryWorld, seed: int):
        self.world = world
        self.seed = seed
        self._allowed: dict[tuple[int, str], float] = {}
        self._cum_places = None
        if world.place_weights is not None:
            total, cum = 0.0, []
            for w in world.place_weights:
                total += w
                cum.append(total)
            self._cum_places = cum
        self.window = world.weeks * 7 * DAY

    def allowed(self, category, severity: str) -> float:
        """Nominal wall-clock seconds a unit has (for planning durations only)."""
        key = (category.pk, severity)
        if key not in self._allowed:
            due = deadlines.compute_due_at(category, severity, self.REF_START)
            self._allowed[key] = (due - self.REF_START).total_seconds()
        return self._allowed[key]

    def route(self, category, place: Place):
        return self.world.route(category, place)  # the world's router caches as it sees fit

    def plan(self, index: int) -> _Plan:
        rng = random.Random((self.seed << 32) ^ (index * 2654435761 & 0xFFFFFFFF))
        world = self.world
        category = rng.choice(world.categories)
        if self._cum_places is not None:
            place = rng.choices(world.places, cum_weights=self._cum_places)[0]
        else:
            place = rng.choice(world.places)
        target = _weighted(rng, TARGET_WEIGHTS)
        if target in (S.PENDING_REVIEW, S.REJECTED):
            source = rng.choice(REPORT_SOURCES)
        else:
            source = _weighted(rng, SOURCE_WEIGHTS)
        severity = _weighted(rng, SEVERITY_WEIGHTS)
        unit = self.route(category, place)
        leader = bool(unit is not None and unit.submission_needs_leader_approval)
        if unit is None and target not in (S.PENDING_REVIEW, S.REJECTED, S.REGISTERED, S.VOIDED):
            target = S.REGISTERED  # nobody to dispatch to: it waits for the dispatcher
        if target == S.LEADER_REVIEW and not leader:
            target = S.SUBMITTED
        steps = _steps(rng, self, category, severity, source, target, leader, unit is not None)
        total = sum(s.delay for s in steps)
        # Final states happen anywhere in the window; open ones mostly end recently,
        # some are left idle long enough to run late (overdue, escalated).
        room = self.window * 0.97
        scale = 1.0
        if total > room:
            scale, total = room / total, room
        if target in (S.CLOSED, S.REJECTED, S.VOIDED) or (
            target in UNIT_OPEN_STATUSES + (S.PARKED,) and rng.random() < STALE_SHARE
        ):
            idle = rng.uniform(0, self.window - total)
        else:
            idle = min(rng.expovariate(1 / (0.8 * DAY)), self.window - total)
        created_at = self.world.now - timedelta(seconds=total + idle + 60)
        return _Plan(
            index, rng, category, place, source, severity, unit, target, steps, created_at, scale
        )


def _steps(
    rng: random.Random,
    planner: _Planner,
    category,
    severity: str,
    source: str,
    target: str,
    leader: bool,
    routable: bool,
) -> list[_Step]:
    steps: list[_Step] = []

    def add(action: str, delay: float, **kw) -> None:
        # The creating event happens at created_at; every later one at least 1 s after.
        steps.append(_Step(action, max(delay, 1.0) if steps else 0.0, kw))

    if source in REPORT_SOURCES:
        add(A.REPORT, 0)
        if target == S.PENDING_REVIEW:
            return steps
        if target == S.REJECTED:
            add(A.REJECT, _hours(rng, 0.5, 30))
            return steps
        add(A.ACCEPT, _hours(rng, 0.3, 20))
    else:
        add(A.CREATE, 0)
    if target == S.VOIDED and (not routable or rng.random() < 0.5):
        add(A.VOID, _hours(rng, 1, 48))
        return steps
    if target == S.REGISTERED or not routable:
        return steps
    add(A.DISPATCH, _hours(rng, 0.2, 10))
    allowed = planner.allowed(category, severity)
    _cycle(rng, add, steps, allowed, target, leader, reopen_ok=True)
    return steps


def _cycle(rng, add, steps, allowed: float, target: str, leader: bool, *, reopen_ok: bool):
    """One dispatch cycle, from `dispatched` towards `target` (decorations at random)."""
    late_sign = rng.random() < 0.15
    sign_delay = _hours(rng, 20, 110) if late_sign else _hours(rng, 0.2, 7)
    if rng.random() < 0.07:  # 退单: not ours
        add(A.REQUEST_RETURN, _hours(rng, 0.5, 20), kind=RequestKind.RETURN)
        if target == S.DISPATCHED and rng.random() < 0.5:
            return  # pending return request, waiting for the dispatcher
        if rng.random() < 0.7:
            add(A.APPROVE_RETURN, _hours(rng, 1, 24))
            add(A.DISPATCH, _hours(rng, 0.5, 12), reroute=True)
        else:
            add(A.DENY_RETURN, _hours(rng, 1, 24), note="经核实属于本单位职责，请按期整改")
    if target == S.DISPATCHED:
        if late_sign:
            add(A.URGE, sign_delay * 0.5, note="请尽快签收")
        return
    if target == S.VOIDED:
        add(A.VOID, sign_delay * rng.uniform(0.2, 0.9))
        return
    if late_sign and rng.random() < 0.6:
        add(A.URGE, sign_delay * 0.6, note="请尽快签收并整改")
        add(A.SIGN, sign_delay * 0.4)
    else:
        add(A.SIGN, sign_delay)
    late = rng.random() < 0.2
    work = allowed * (rng.uniform(1.1, 2.5) if late else rng.uniform(0.15, 0.95))
    if target == S.PARKED:
        add(A.PARK, work * rng.uniform(0.3, 1.0), review_days=rng.randint(20, 90))
        return
    if rng.random() < 0.03:  # parked for a while, then back (clock stopped meanwhile)
        add(A.PARK, work * 0.3, review_days=rng.randint(10, 40))
        add(A.UNPARK, rng.uniform(5, 25) * DAY, note="条件具备，恢复整改")
        work *= 0.7
    extension = rng.random() < 0.08
    if extension:
        add(A.REQUEST_EXTENSION, work * 0.5, kind=RequestKind.EXTENSION, days=rng.randint(3, 15))
        if target == S.RECTIFYING and rng.random() < 0.4:
            return  # pending extension request
        if rng.random() < 0.75:
            add(A.APPROVE_EXTENSION, _hours(rng, 1, 30))
        else:
            add(A.DENY_EXTENSION, _hours(rng, 1, 30), note="理由不充分，请按原时限完成")
        work *= 0.5
    if late and rng.random() < 0.5:
        add(A.URGE, work * 0.7, note="已超期，请立即整改")
        if rng.random() < 0.3:
            add(A.URGE, work * 0.1, note="再次督办")
        work *= 0.2
    if target == S.RECTIFYING:
        return
    reworks = 0
    while True:
        add(A.SUBMIT, work)
        if leader:
            if rng.random() < 0.1:
                add(A.LEADER_DENY, _hours(rng, 1, 20), note="整改不到位，请补充整改")
                add(A.SUBMIT, _hours(rng, 4, 48))
            if target == S.LEADER_REVIEW:
                return
            add(A.LEADER_APPROVE, _hours(rng, 0.5, 20))
        if target == S.SUBMITTED:
            return
        if reworks < 2 and rng.random() < 0.15:
            add(A.VERIFY_FAIL, _hours(rng, 4, 72), note="现场复核仍存在问题，需返工")
            reworks += 1
            work = allowed * rng.uniform(0.1, 0.6)
            continue
        add(A.VERIFY_PASS, _hours(rng, 2, 72))
        break
    if reopen_ok and rng.random() < 0.04:  # 回头看: it came back
        add(A.REOPEN, rng.uniform(3, 20) * DAY, note="回头看发现问题反弹")
        _cycle(rng, add, steps, allowed, S.CLOSED, leader, reopen_ok=False)


# --- replay ---------------------------------------------------------------------------------


def _next_hour_after(t: datetime) -> datetime:
    """The first full hour strictly after `t` (the hourly sweep's run times)."""
    base = t.replace(minute=0, second=0, microsecond=0)
    return base + timedelta(hours=1)


class _Replay:
    """Applies a plan's steps to one unsaved Problem, mirroring the services' changes."""

    def __init__(self, plan: _Plan, world: HistoryWorld, number: str):
        self.plan, self.world = plan, world
        self.rng = plan.rng
        place = plan.place
        self.p = Problem(
            number=number,
            source=plan.source,
            category_id=plan.category.pk,
            title=(world.title_for(plan.category, place) if world.title_for else "")[:200],
            description=_description(world, plan),
            point_id=getattr(place.point, "pk", None),
            lng=place.lng,
            lat=place.lat,
            area_id=place.area.pk,
            address=place.address[:255],
            severity=plan.severity,
            status="",
            created_at=plan.created_at,
            version=0,
        )
        self.unit = None  # current responsible unit object
        self.events: list[ProblemEvent] = []
        self.requests: list[ProblemRequest] = []
        self.pending: dict[str, ProblemRequest] = {}
        self.last_at: datetime | None = None
        self.area_path = place.area.path

    # actors ---------------------------------------------------------------------------
    def _area_actor(self, *roles: str) -> int | None:
        found = self.world.actors.area_candidates(roles, self.area_path)
        return self.rng.choice(found) if found else None

    def _command(self) -> int | None:
        return self._area_actor("command")

    def _verifier(self) -> int:
        banned = self.world.actors.unit_line_users(getattr(self.unit, "path", None))
        found = [
            u
            for u in self.world.actors.area_candidates(("inspector", "command"), self.area_path)
            if u not in banned
        ]
        if not found:
            raise ValueError("no inspector/command user outside the unit can verify here")
        return self.rng.choice(found)

    def _unit_actor(self, role: str = "unit_handler") -> int | None:
        path = getattr(self.unit, "path", None)
        return self.world.actors.unit_actor(role, path) or (
            self.world.actors.unit_actor("unit_handler", path) if role != "unit_handler" else None
        )

    # core -----------------------------------------------------------------------------
    def _tick(self, at: datetime) -> datetime:
        if self.last_at is not None and at <= self.last_at:
            at = self.last_at + timedelta(seconds=1)
        return at

    def _move(
        self,
        action: str,
        at: datetime,
        actor: int | None,
        *,
        changes: dict | None = None,
        note: str = "",
        data: dict | None = None,
        unit_id=None,
        due_at=None,
        duration: float | None = None,
        on_time: bool | None = None,
    ) -> ProblemEvent:
        p = self.p
        current = p.status or None
        leader = bool(self.unit is not None and self.unit.submission_needs_leader_approval)
        target = workflow.target_status(action, current, leader_approval=leader)
        for key, value in (changes or {}).items():
            setattr(p, key, value)
        p.status = target
        p.version += 1
        event = ProblemEvent(
            actor_id=actor,
            action=action,
            from_status=current or "",
            to_status=target,
            at=at,
            note=note,
            data=data or {},
            unit_id=unit_id if unit_id is not None else p.responsible_unit_id,
            due_at=due_at if due_at is not None else p.due_at,
            duration_seconds=duration,
            on_time=on_time,
        )
        self.events.append(event)
        self.last_at = at
        return event

    def catch_up(self, until: datetime) -> None:
        """Replay the hourly sweep's escalations that happen before `until`."""
        p = self.p
        thresholds = deadlines.ESCALATION_AFTER
        top = max(thresholds)
        while p.status in UNIT_OPEN_STATUSES and p.due_at is not None and p.escalation_level < top:
            start = p.due_at + thresholds[p.escalation_level + 1]
            sweep = _next_hour_after(max(start, self.last_at))
            if sweep >= until:
                return
            level = max(lv for lv, delay in thresholds.items() if p.due_at < sweep - delay)
            before = p.escalation_level
            self._move(
                A.ESCALATE,
                sweep,
                None,
                changes={"escalation_level": level},
                note=f"超期自动升级为{EscalationLevel(level).label}",
                data={"level_before": before, "level_after": level},
            )

    def _cancel_pending(self, at: datetime, actor: int | None, why: str) -> None:
        for req in self.pending.values():
            req.status = RequestStatus.CANCELLED
            req.decided_at, req.decided_by_id, req.decision_note = at, actor, why
        self.pending.clear()

    def _clock(self, at: datetime, due: datetime) -> dict:
        return {
            "dispatched_at": at,
            "due_at": due,
            "warn_at": deadlines.compute_warn_at(at, due),
            "signed_at": None,
            "submitted_at": None,
            "closed_at": None,
            "is_overdue": False,
            "escalation_level": 0,
            "parked_at": None,
            "park_review_on": None,
        }

    # actions --------------------------------------------------------------------------
    def apply(self, step: _Step, at: datetime) -> None:
        at = self._tick(at)
        self.catch_up(at)
        at = self._tick(at)
        getattr(self, f"_do_{step.action}")(at, **step.kw)

    def _do_report(self, at):
        reporter = None
        if self.p.source == Source.PATROL:
            reporter = self._area_actor("grid_worker")
        if reporter is None and self.world.actors.citizens:
            reporter = self.rng.choice(self.world.actors.citizens)
        self.p.reporter_id = self.p.created_by_id = reporter
        self._move(A.REPORT, at, reporter, data={"source": self.p.source})

    def _do_create(self, at):
        roles = ("inspector", "command") if self.p.source == Source.INSPECTION else ("command",)
        creator = self._area_actor(*roles) or self._command()
        self.p.created_by_id = creator
        self._move(A.CREATE, at, creator, data={"source": self.p.source})

    def _do_accept(self, at):
        self._move(A.ACCEPT, at, self._command(), note="经核实，予以受理")

    def _do_reject(self, at):
        note = self.rng.choice(["经现场核实，问题不存在", "不属于创城问题范围", "反映内容不实"])
        self._move(A.REJECT, at, self._command(), note=note)

    def _do_dispatch(self, at, reroute: bool = False):
        suggested = self.plan.unit
        unit = suggested
        if reroute and self.world.reroute is not None:
            other = self.world.reroute(self.plan.place, suggested, self.rng)
            # The plan's leader-review steps were drawn for the routed unit: only a unit
            # with the same rule can take over (else it goes back to the same unit).
            same_rule = getattr(other, "submission_needs_leader_approval", None) == (
                suggested.submission_needs_leader_approval
            )
            unit = other if other is not None and same_rule else suggested
        due = deadlines.compute_due_at(self.plan.category, self.p.severity, at)
        self.unit = unit
        changes = {"responsible_unit_id": unit.pk, **self._clock(at, due)}
        self._move(
            A.DISPATCH,
            at,
            self._command(),
            changes=changes,
            unit_id=unit.pk,
            due_at=due,
            data={
                "unit": unit.pk,
                "due_at": due.isoformat(),
                "explicit_due": False,
                "suggested_unit": getattr(suggested, "pk", None),
                "overridden": suggested is not None and suggested.pk != unit.pk,
            },
        )

    def _do_sign(self, at):
        elapsed = (at - self.p.dispatched_at).total_seconds()
        self._move(A.SIGN, at, self._unit_actor(), changes={"signed_at": at}, duration=elapsed)

    def _request(self, action, at, kind, reason, requested_due=None):
        req = ProblemRequest(
            kind=kind,
            unit_id=self.p.responsible_unit_id,
            requested_by_id=self._unit_actor(),
            requested_at=at,
            reason=reason,
            requested_due_at=requested_due,
        )
        self.requests.append(req)
        self.pending[kind] = req
        data = {"_request": req}
        if requested_due is not None:
            data["requested_due_at"] = requested_due.isoformat()
        self._move(action, at, req.requested_by_id, note=reason, data=data)
        return req

    def _decide(self, kind, at, approved: bool, note: str):
        req = self.pending.pop(kind)
        actor = self._command()
        req.status = RequestStatus.APPROVED if approved else RequestStatus.DENIED
        req.decided_by_id, req.decided_at, req.decision_note = actor, at, note
        return req, actor

    def _do_request_return(self, at, kind):
        reason = self.rng.choice(
            ["该问题不属于本单位职责范围", "该路段由其他单位管护", "经核实为相邻辖区问题"]
        )
        self._request(A.REQUEST_RETURN, at, RequestKind.RETURN, reason)

    def _do_approve_return(self, at):
        req, actor = self._decide(RequestKind.RETURN, at, True, "")
        old_unit = self.p.responsible_unit_id
        self._cancel_pending(at, actor, "问题已退回")
        changes = {
            "responsible_unit_id": None,
            "due_at": None,
            "warn_at": None,
            "dispatched_at": None,
            "signed_at": None,
            "is_overdue": False,
            "escalation_level": 0,
            "return_count": self.p.return_count + 1,
        }
        self._move(
            A.APPROVE_RETURN,
            at,
            actor,
            changes=changes,
            note=req.reason,
            unit_id=old_unit,
            data={"_request": req, "unit": old_unit, "reason": req.reason},
        )
        self.unit = None

    def _do_deny_return(self, at, note):
        req, actor = self._decide(RequestKind.RETURN, at, False, note)
        self._move(A.DENY_RETURN, at, actor, note=note, data={"_request": req})

    def _do_request_extension(self, at, kind, days):
        base = max(self.p.due_at, at)
        requested = add_working_time(base, days, WORKING_DAYS)
        reason = self.rng.choice(
            ["需协调产权单位共同整改", "涉及施工改造，工期较长", "需列入预算采购，申请延期"]
        )
        self._request(A.REQUEST_EXTENSION, at, RequestKind.EXTENSION, reason, requested)

    def _do_approve_extension(self, at):
        req, actor = self._decide(RequestKind.EXTENSION, at, True, "同意延期")
        new_due = req.requested_due_at
        if new_due <= at:  # decided late: give the same span from now
            new_due = add_working_time(at, 3, WORKING_DAYS)
        before = self.p.due_at
        changes = {
            "due_at": new_due,
            "warn_at": deadlines.compute_warn_at(self.p.dispatched_at, new_due),
            "is_overdue": False,
            "extension_count": self.p.extension_count + 1,
        }
        self._move(
            A.APPROVE_EXTENSION,
            at,
            actor,
            changes=changes,
            note="同意延期",
            due_at=new_due,
            data={
                "_request": req,
                "due_at_before": before.isoformat() if before else None,
                "due_at_after": new_due.isoformat(),
                "reason": req.reason,
            },
        )

    def _do_deny_extension(self, at, note):
        req, actor = self._decide(RequestKind.EXTENSION, at, False, note)
        self._move(A.DENY_EXTENSION, at, actor, note=note, data={"_request": req})

    def _do_park(self, at, review_days):
        actor = self._command()
        review_on: date = (timezone.localtime(at) + timedelta(days=review_days)).date()
        self._cancel_pending(at, actor, "问题已挂账")
        self._move(
            A.PARK,
            at,
            actor,
            changes={"parked_at": at, "park_review_on": review_on, "is_overdue": False},
            note="需纳入年度改造计划，挂账整改",
            data={"review_on": review_on.isoformat()},
        )

    def _do_unpark(self, at, note):
        p = self.p
        changes: dict = {"parked_at": None, "park_review_on": None}
        data: dict = {}
        if p.parked_at is not None and p.due_at is not None:
            shift = at - p.parked_at
            changes["due_at"] = p.due_at + shift
            changes["warn_at"] = p.warn_at + shift if p.warn_at else None
            data = {
                "due_at_before": p.due_at.isoformat(),
                "due_at_after": changes["due_at"].isoformat(),
                "parked_seconds": shift.total_seconds(),
            }
        self._move(A.UNPARK, at, self._command(), changes=changes, note=note, data=data)

    def _do_submit(self, at):
        leader = bool(self.unit.submission_needs_leader_approval)
        actor = self._unit_actor()
        self._cancel_pending(at, actor, "问题已提交整改")
        note = self.rng.choice(
            ["已组织人员清理完毕", "已完成整改，现场恢复正常", "已拆除并规范设置", "已修复到位"]
        )
        self._move(
            A.SUBMIT,
            at,
            actor,
            changes={} if leader else {"submitted_at": at},
            note=note,
            data={"leader_review": leader},
        )

    def _do_leader_approve(self, at):
        self._move(
            A.LEADER_APPROVE, at, self._unit_actor("unit_leader"), changes={"submitted_at": at}
        )

    def _do_leader_deny(self, at, note):
        self._move(A.LEADER_DENY, at, self._unit_actor("unit_leader"), note=note)

    def _do_verify_pass(self, at):
        p = self.p
        handling = (p.submitted_at - p.dispatched_at).total_seconds()
        on_time = p.submitted_at <= p.due_at
        self._move(
            A.VERIFY_PASS,
            at,
            self._verifier(),
            changes={"closed_at": at, "is_overdue": False},
            note="经现场核查，整改到位，予以销号",
            duration=handling,
            on_time=on_time,
            data={"submitted_at": p.submitted_at.isoformat(), "due_at": p.due_at.isoformat()},
        )

    def _do_verify_fail(self, at, note):
        self._move(
            A.VERIFY_FAIL,
            at,
            self._verifier(),
            changes={"submitted_at": None, "rework_count": self.p.rework_count + 1},
            note=note,
        )

    def _do_reopen(self, at, note):
        due = deadlines.compute_due_at(self.plan.category, self.p.severity, at)
        changes = {**self._clock(at, due), "recurrence_count": self.p.recurrence_count + 1}
        self._move(
            A.REOPEN,
            at,
            self._verifier(),
            changes=changes,
            note=note,
            due_at=due,
            data={"due_at": due.isoformat()},
        )

    def _do_urge(self, at, note):
        p = self.p
        if p.status not in UNIT_OPEN_STATUSES or p.escalation_level >= 3:
            return  # the sweep already flagged it as high as it goes
        level = p.escalation_level + 1
        self._move(
            A.URGE,
            at,
            self._command(),
            changes={"escalation_level": level},
            note=note,
            data={"level_before": level - 1, "level_after": level},
        )

    def _do_void(self, at):
        actor = self._command()
        self._cancel_pending(at, actor, "问题已作废")
        note = self.rng.choice(
            ["重复登记，予以作废", "登记信息有误，重新登记", "问题已由上级统一处置"]
        )
        self._move(A.VOID, at, actor, changes={"is_overdue": False}, note=note)

    def finish(self, now: datetime) -> None:
        """Sweeps up to now; `is_overdue` as the last sweep (the last full hour) left it."""
        self.catch_up(now)
        last_sweep = now.replace(minute=0, second=0, microsecond=0)
        p = self.p
        p.is_overdue = bool(
            p.status in UNIT_OPEN_STATUSES and p.due_at is not None and p.due_at < last_sweep
        )


def _description(world: HistoryWorld, plan: _Plan) -> str:
    if world.description_for is not None:
        return world.description_for(plan.category, plan.place, plan.rng)
    where = plan.place.name or plan.place.address or "辖区内"
    return f"{where}存在{plan.category.name}问题"


def replay(plan: _Plan, world: HistoryWorld, number: str) -> _Replay:
    """Run a plan's steps at their times (scaled to fit the window) and the sweeps."""
    r = _Replay(plan, world, number)
    at = plan.created_at
    for step in plan.steps:
        at = at + timedelta(seconds=step.delay * plan.scale)
        r.apply(step, at)
    r.finish(world.now)
    return r


# --- writing --------------------------------------------------------------------------------


def reserve_numbers(counts: dict[int, int]) -> dict[int, int]:
    """Reserve `count` numbers per year from ProblemCounter; returns year → first number."""
    first: dict[int, int] = {}
    with transaction.atomic():
        for year, count in sorted(counts.items()):
            ProblemCounter.objects.bulk_create([ProblemCounter(year=year)], ignore_conflicts=True)
            ProblemCounter.objects.filter(year=year).update(last=F("last") + count)
            last = ProblemCounter.objects.filter(year=year).values_list("last", flat=True).get()
            first[year] = last - count + 1
    return first


def generate_history(
    world: HistoryWorld,
    count: int,
    *,
    seed: int = 1,
    batch_size: int = 2000,
    progress: Callable[[HistoryStats], None] | None = None,
    copy: bool = False,
) -> HistoryStats:
    """Create `count` problems with their full histories; returns what was written.

    Each batch is written in its own transaction (wrap the call in one to make it all or
    nothing, as demo_city does). `copy=True` on PostgreSQL writes problems and events
    with COPY instead of bulk_create (same rows, ~3× faster: for the 1M benchmark).
    """
    from django.db import connection

    writer = _write_copy if copy and connection.vendor == "postgresql" else _write
    planner = _Planner(world, seed)
    tz = timezone.get_current_timezone()
    stamps = array("d")
    years: Counter = Counter()
    for i in range(count):  # pass 1: creation times only
        created = planner.plan(i).created_at
        stamps.append(created.timestamp())
        years[created.astimezone(tz).year] += 1
    order = sorted(range(count), key=stamps.__getitem__)
    del stamps
    next_number = reserve_numbers(dict(years))
    stats = HistoryStats()
    for start in range(0, count, batch_size):
        replays = []
        for i in order[start : start + batch_size]:
            plan = planner.plan(i)
            year = plan.created_at.astimezone(tz).year
            number = f"WT-{year}-{next_number[year]:06d}"
            next_number[year] += 1
            replays.append(replay(plan, world, number))
        writer(replays, stats)
        listing.ledger_changed()
        if progress is not None:
            progress(stats)
    return stats


@transaction.atomic
def _write(replays: list[_Replay], stats: HistoryStats) -> None:
    problems = Problem.objects.bulk_create([r.p for r in replays], batch_size=1000)
    requests, events = [], []
    for r, problem in zip(replays, problems, strict=True):
        for req in r.requests:
            req.problem_id = problem.pk
            requests.append(req)
        for ev in r.events:
            ev.problem_id = problem.pk
            events.append(ev)
        stats.statuses[problem.status] += 1
    if requests:
        ProblemRequest.objects.bulk_create(requests, batch_size=1000)
    for ev in events:
        req = ev.data.pop("_request", None)
        if req is not None:
            ev.data["request"] = req.pk
        stats.actions[ev.action] += 1
    ProblemEvent.objects.bulk_create(events, batch_size=2000)
    stats.problems += len(problems)
    stats.events += len(events)
    stats.requests += len(requests)
    if problems:
        if stats.first_id is None:
            stats.first_id = problems[0].pk
        stats.last_id = problems[-1].pk


def _copy_rows(cursor, model, objs: list, fields: list) -> None:
    """COPY `objs` into `model`'s table (text format; JSON as text, which jsonb parses)."""
    import json

    table = model._meta.db_table
    columns = ", ".join(f'"{f.column}"' for f in fields)
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    names = [f.attname for f in fields]
    with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
        for obj in objs:
            copy.write_row(
                [
                    json.dumps(getattr(obj, n), ensure_ascii=False)
                    if n in json_fields
                    else getattr(obj, n)
                    for n in names
                ]
            )


@transaction.atomic
def _write_copy(replays: list[_Replay], stats: HistoryStats) -> None:
    """PostgreSQL: reserve ids from the sequence, then COPY problems and events."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Problem._meta.db_table, len(replays)],
        )
        ids = [row[0] for row in cur.fetchall()]
    stamp = timezone.now()
    problems = []
    for r, pk in zip(replays, ids, strict=True):
        r.p.pk, r.p.updated_at = pk, stamp
        problems.append(r.p)
    requests, events = [], []
    for r in replays:
        for req in r.requests:
            req.problem_id = r.p.pk
            requests.append(req)
        for ev in r.events:
            ev.problem_id = r.p.pk
            events.append(ev)
        stats.statuses[r.p.status] += 1
    if requests:
        ProblemRequest.objects.bulk_create(requests, batch_size=1000)
    for ev in events:
        req = ev.data.pop("_request", None)
        if req is not None:
            ev.data["request"] = req.pk
        stats.actions[ev.action] += 1
    problem_fields = [f for f in Problem._meta.concrete_fields]
    event_fields = [f for f in ProblemEvent._meta.concrete_fields if not f.primary_key]
    with connection.cursor() as cur:
        raw = cur.cursor  # the psycopg cursor: Django's wrapper has no copy()
        _copy_rows(raw, Problem, problems, problem_fields)
        _copy_rows(raw, ProblemEvent, events, event_fields)
    stats.problems += len(problems)
    stats.events += len(events)
    stats.requests += len(requests)
    if stats.first_id is None:
        stats.first_id = ids[0]
    stats.last_id = ids[-1]


def share(stats: HistoryStats, status: str) -> float:
    return stats.statuses[status] / stats.problems if stats.problems else math.nan
