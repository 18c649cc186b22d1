"""Every write to the problem ledger: one function per action (DESIGN.md §4, §6).

Each transition, in one transaction:
  permission check (outside scope → NotFound, visible but not allowed → NotPermitted)
  → pure workflow target (TransitionNotAllowed)
  → validation (ValidationFailed, Chinese message)
  → compare-and-set `filter(pk, status=old, version=old).update(...)` (0 rows →
    ConcurrentUpdate; works on SQLite where select_for_update does nothing)
  → exactly one ProblemEvent
  → side effects after commit (`problem_changed` signal, evidence files).

Because the compare-and-set pins the version, counters are written as absolute values
computed from the instance: if anyone changed the row in between, nothing is written.

The clock: services read `now()`, which `using_clock(dt)` can pin (demo data, tests that
build a history with explicit times). Production code never sets it.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone

from civicloop.core import audit
from civicloop.core.errors import (
    ConcurrentUpdate,
    NotFound,
    NotPermitted,
    ValidationFailed,
)
from civicloop.orgs.models import Area, Point, Unit
from civicloop.problems import deadlines, listing, permissions, workflow
from civicloop.problems import evidence as ev
from civicloop.problems.models import (
    UNIT_OPEN_STATUSES,
    Action,
    Evidence,
    EvidenceKind,
    Problem,
    ProblemCounter,
    ProblemEvent,
    ProblemRequest,
    RequestKind,
    RequestStatus,
    RoutingRule,
    Severity,
    Source,
    Status,
)

A, S = Action, Status

# Sent after commit for every transition: sender=Problem, problem_id, event_id, action.
problem_changed = Signal()

_clock: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "problem_clock", default=None
)


def now() -> datetime:
    return _clock.get() or timezone.now()


@contextlib.contextmanager
def using_clock(at: datetime) -> Iterator[None]:
    """Run services as if it were `at` (for demo histories and tests)."""
    if timezone.is_naive(at):
        raise ValueError("using_clock needs an aware datetime")
    token = _clock.set(at)
    try:
        yield
    finally:
        _clock.reset(token)


# --- Helpers ----------------------------------------------------------------------------


def _required(value: str | None, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message)
    return value


def _event(
    problem: Problem,
    *,
    user,
    action: str,
    from_status: str,
    to_status: str,
    at: datetime,
    note: str = "",
    data: dict | None = None,
    unit_id: int | None = None,
    due_at: datetime | None = None,
    duration_seconds: float | None = None,
    on_time: bool | None = None,
) -> ProblemEvent:
    event = ProblemEvent.objects.create(
        problem=problem,
        actor=user if getattr(user, "pk", None) else None,
        action=action,
        from_status=from_status or "",
        to_status=to_status,
        at=at,
        note=note,
        data=data or {},
        unit_id=unit_id if unit_id is not None else problem.responsible_unit_id,
        due_at=due_at if due_at is not None else problem.due_at,
        duration_seconds=duration_seconds,
        on_time=on_time,
    )
    _notify_on_commit(problem.pk, event.pk, action)
    return event


def _notify_on_commit(problem_id: int, event_id: int, action: str) -> None:
    listing.ledger_changed()
    transaction.on_commit(
        lambda: problem_changed.send(
            sender=Problem, problem_id=problem_id, event_id=event_id, action=action
        )
    )


def _transition(
    problem: Problem,
    *,
    user,
    action: str,
    target: str,
    at: datetime,
    changes: dict | None = None,
    note: str = "",
    data: dict | None = None,
    **event_fields,
) -> ProblemEvent:
    """Compare-and-set the row to `target` with `changes`, then write the one event."""
    old_status, old_version = problem.status, problem.version
    values = dict(changes or {})
    values["status"] = target
    updated = Problem.objects.filter(pk=problem.pk, status=old_status, version=old_version).update(
        version=old_version + 1, updated_at=timezone.now(), **values
    )
    if updated != 1:
        raise ConcurrentUpdate()
    for key, value in values.items():
        setattr(problem, key, value)
    problem.version = old_version + 1
    return _event(
        problem,
        user=user,
        action=action,
        from_status=old_status,
        to_status=target,
        at=at,
        note=note,
        data=data,
        **event_fields,
    )


def _begin(user, problem: Problem, action: str, **target_kw) -> str:
    """Permission check, then the pure table: the target status."""
    permissions.check(user, problem, action)
    return workflow.target_status(action, problem.status, **target_kw)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _cancel_pending_requests(problem: Problem, *, user, at: datetime, why: str) -> None:
    ProblemRequest.objects.filter(problem=problem, status=RequestStatus.PENDING).update(
        status=RequestStatus.CANCELLED,
        decided_at=at,
        decision_note=why,
        decided_by=user if getattr(user, "pk", None) else None,
    )


def _pending_request(problem: Problem, kind: str) -> ProblemRequest:
    req = ProblemRequest.objects.filter(
        problem=problem, kind=kind, status=RequestStatus.PENDING
    ).first()
    if req is None:
        label = RequestKind(kind).label
        raise ValidationFailed(f"没有待审批的{label}申请")
    return req


def _decide(req: ProblemRequest, *, user, approved: bool, at: datetime, note: str) -> None:
    """Close a request; the status filter makes a double decision impossible."""
    done = ProblemRequest.objects.filter(pk=req.pk, status=RequestStatus.PENDING).update(
        status=RequestStatus.APPROVED if approved else RequestStatus.DENIED,
        decided_by=user,
        decided_at=at,
        decision_note=note,
    )
    if done != 1:
        raise ConcurrentUpdate()


# --- Evidence ---------------------------------------------------------------------------


def _store_evidence(
    problem: Problem,
    *,
    user,
    kind: str,
    uploads: Iterable,
    event: ProblemEvent | None,
    at: datetime,
) -> list[Evidence]:
    """Process and attach uploads; files are written only when the transaction commits."""
    processed = [ev.process_upload(f) for f in uploads]  # validate all before writing any
    rows = []
    for item in processed:
        name, thumb_name = ev.storage_names(item, at)
        rows.append(
            Evidence(
                problem=problem,
                event=event,
                kind=kind,
                file=name,
                thumbnail=thumb_name,
                original_name=item.original_name,
                content_type=item.content_type,
                size=item.size,
                sha256=item.sha256,
                width=item.width,
                height=item.height,
                exif_taken_at=item.exif_taken_at,
                exif_lng=item.exif_lng,
                exif_lat=item.exif_lat,
                uploaded_by=user if getattr(user, "pk", None) else None,
                at=at,
            )
        )
        ev.write_on_commit(name, item.content)
        if thumb_name:
            ev.write_on_commit(thumb_name, item.thumbnail)
    return Evidence.objects.bulk_create(rows)


@transaction.atomic
def evidence_upload(*, user, problem: Problem, kind: str, file) -> Evidence:
    """Stage one photo/file on a problem (e.g. after-photos before `submit`)."""
    if not permissions.can_see(user, problem):
        raise NotFound()
    if kind not in EvidenceKind.values:
        raise ValidationFailed("未知的材料类型")
    if not permissions.may_upload(user, problem, kind):
        raise NotPermitted("您无权在当前状态上传此类材料")
    return _store_evidence(problem, user=user, kind=kind, uploads=[file], event=None, at=now())[0]


@transaction.atomic
def evidence_delete(*, user, evidence: Evidence) -> None:
    """Remove a staged (not yet submitted) upload; only its uploader may."""
    if not permissions.can_see(user, evidence.problem):
        raise NotFound()
    if evidence.event_id is not None or evidence.uploaded_by_id != getattr(user, "pk", None):
        raise NotPermitted("只能删除自己上传且尚未提交的材料")
    names = [evidence.file.name, evidence.thumbnail.name]
    evidence.delete()
    from django.core.files.storage import default_storage

    def _remove() -> None:
        for name in filter(None, names):
            default_storage.delete(name)

    transaction.on_commit(_remove)


# --- New problems -----------------------------------------------------------------------


def allocate_number(at: datetime) -> str:
    """WT-YYYY-NNNNNN from a per-year counter row bumped with F()+1 in this transaction.

    The UPDATE takes the row lock (PostgreSQL) / the write lock (SQLite), so concurrent
    creators are serialised until commit and never get the same number; a rolled-back
    creation gives its number back.
    """
    year = timezone.localtime(at).year
    ProblemCounter.objects.bulk_create([ProblemCounter(year=year)], ignore_conflicts=True)
    ProblemCounter.objects.filter(year=year).update(last=F("last") + 1)
    last = ProblemCounter.objects.filter(year=year).values_list("last", flat=True).get()
    return f"WT-{year}-{last:06d}"


@dataclass(frozen=True)
class Location:
    point: Point | None
    area: Area
    lng: float | None
    lat: float | None
    address: str


def resolve_location(
    *,
    point: Point | None = None,
    lng: float | None = None,
    lat: float | None = None,
    area: Area | None = None,
    address: str = "",
) -> Location:
    """Point and/or WGS-84 coordinates and/or an explicit area → the problem's area.

    The grid is found from the coordinate; without one, from the point; an explicit area is
    the last resort (e.g. a superior's notice naming a street).
    """
    from civicloop.orgs.selectors import area_at

    if (lng is None) != (lat is None):
        raise ValidationFailed("经度和纬度需同时提供")
    if lng is not None and not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise ValidationFailed("坐标超出范围")
    if point is not None and lng is None and point.lng is not None:
        lng, lat = point.lng, point.lat
    found = None
    if lng is not None:
        found = area_at(lng, lat)
        if found is None and point is None and area is None:
            raise ValidationFailed("该位置不在本市任何区域内，请核对位置")
    if found is None and point is not None:
        found = point.area
    if found is None:
        found = area
    if found is None:
        raise ValidationFailed("请提供问题位置：选择点位、在地图上定位或选择区域")
    if not address and point is not None:
        address = point.address
    return Location(point=point, area=found, lng=lng, lat=lat, address=address)


def _new_problem(
    *,
    user,
    action: str,
    source: str,
    category,
    description: str,
    title: str,
    location: Location,
    severity: str,
    photos: Iterable,
    source_ref: str,
    source_key: str,
    note: str,
) -> Problem:
    if category is None:
        raise ValidationFailed("请选择问题分类")
    if source not in Source.values:
        raise ValidationFailed("未知的问题来源")
    if severity not in Severity.values:
        raise ValidationFailed("未知的整改类型")
    description = _required(description, "请填写问题描述")
    permissions.check_create(user, action, location.area.path)
    target = workflow.target_status(action, None)
    at = now()
    problem = Problem.objects.create(
        number=allocate_number(at),
        source=source,
        category=category,
        title=title.strip()[:200],
        description=description,
        point=location.point,
        lng=location.lng,
        lat=location.lat,
        area=location.area,
        address=location.address[:255],
        severity=severity,
        status=target,
        reporter=user if action == A.REPORT else None,
        created_by=user,
        source_ref=source_ref,
        source_key=source_key,
        created_at=at,
    )
    event = _event(
        problem,
        user=user,
        action=action,
        from_status="",
        to_status=target,
        at=at,
        note=note,
        data={"source": source},
    )
    _store_evidence(
        problem, user=user, kind=EvidenceKind.BEFORE, uploads=photos or [], event=event, at=at
    )
    return problem


@transaction.atomic
def problem_report(
    *,
    user,
    category,
    description: str,
    title: str = "",
    point: Point | None = None,
    lng: float | None = None,
    lat: float | None = None,
    area: Area | None = None,
    address: str = "",
    source: str = Source.CITIZEN,
    photos: Iterable = (),
    note: str = "",
) -> Problem:
    """A citizen (随手拍) or grid worker reports a problem: it waits for acceptance."""
    location = resolve_location(point=point, lng=lng, lat=lat, area=area, address=address)
    return _new_problem(
        user=user,
        action=A.REPORT,
        source=source,
        category=category,
        description=description,
        title=title,
        location=location,
        severity=Severity.SHORT,
        photos=photos,
        source_ref="",
        source_key="",
        note=note,
    )


def problem_create(
    *,
    user,
    source: str,
    category,
    description: str,
    title: str = "",
    point: Point | None = None,
    lng: float | None = None,
    lat: float | None = None,
    area: Area | None = None,
    address: str = "",
    severity: str = Severity.SHORT,
    photos: Iterable = (),
    source_ref: str = "",
    source_key: str = "",
    note: str = "",
) -> Problem:
    """An inspector or the command centre registers a problem (ready to dispatch).

    Idempotent on `source_key`: a second call with the same key returns the first problem
    (inspections use it so a re-saved failed item never opens a second problem).
    """
    if source_key:
        existing = Problem.objects.filter(source_key=source_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            location = resolve_location(point=point, lng=lng, lat=lat, area=area, address=address)
            return _new_problem(
                user=user,
                action=A.CREATE,
                source=source,
                category=category,
                description=description,
                title=title,
                location=location,
                severity=severity,
                photos=photos,
                source_ref=source_ref,
                source_key=source_key,
                note=note,
            )
    except IntegrityError:
        if source_key:  # lost a creation race on the same key: the winner's row is the answer
            existing = Problem.objects.filter(source_key=source_key).first()
            if existing is not None:
                return existing
        raise


# --- Intake: accept / reject / merge ----------------------------------------------------


@transaction.atomic
def problem_accept(
    *, user, problem: Problem, note: str = "", severity: str | None = None, category=None
) -> Problem:
    target = _begin(user, problem, A.ACCEPT)
    changes, data = {}, {}
    if severity is not None and severity != problem.severity:
        if severity not in Severity.values:
            raise ValidationFailed("未知的整改类型")
        changes["severity"], data["severity"] = severity, [problem.severity, severity]
    if category is not None and category.pk != problem.category_id:
        changes["category"], data["category"] = category, [problem.category_id, category.pk]
    _transition(
        problem,
        user=user,
        action=A.ACCEPT,
        target=target,
        at=now(),
        changes=changes,
        note=note.strip(),
        data=data,
    )
    return problem


@transaction.atomic
def problem_reject(*, user, problem: Problem, reason: str) -> Problem:
    target = _begin(user, problem, A.REJECT)
    reason = _required(reason, "请填写不予受理的理由")
    _transition(problem, user=user, action=A.REJECT, target=target, at=now(), note=reason)
    return problem


@transaction.atomic
def problem_merge(*, user, problem: Problem, into: Problem, reason: str = "") -> Problem:
    """A duplicate report: it ends (不予受理) pointing to the problem that is kept."""
    target = _begin(user, problem, A.MERGE)
    if into is None:
        raise ValidationFailed("请选择要合并到的问题")
    seen = {problem.pk}
    while into.merged_into_id is not None and into.pk not in seen:  # follow merge chains
        seen.add(into.pk)
        into = into.merged_into
    if into.pk in seen:
        raise ValidationFailed("不能合并到问题本身")
    if not permissions.can_see(user, into):
        raise NotFound("要合并到的问题不存在或无权访问")
    if into.status in (S.REJECTED, S.VOIDED):
        raise ValidationFailed("不能合并到已作废或不予受理的问题")
    note = reason.strip() or f"与 {into.number} 重复"
    _transition(
        problem,
        user=user,
        action=A.MERGE,
        target=target,
        at=now(),
        changes={"merged_into": into},
        note=note,
        data={"merged_into": into.pk, "merged_into_number": into.number},
    )
    return problem


# --- Dispatch and signing ---------------------------------------------------------------


def _active_unit(unit: Unit | None) -> Unit:
    if unit is None:
        raise ValidationFailed("请选择责任单位")
    if not unit.is_active:
        raise ValidationFailed(f"责任单位“{unit.name}”已停用")
    return unit


def _deadline(
    problem: Problem, *, at: datetime, due_at: datetime | None, severity: str
) -> datetime:
    if due_at is not None:
        if timezone.is_naive(due_at):
            raise ValidationFailed("整改时限需包含时区")
        if due_at <= at:
            raise ValidationFailed("整改时限必须晚于当前时间")
        return due_at
    return deadlines.compute_due_at(problem.category, severity, at)


def _clock_changes(at: datetime, due_at: datetime) -> dict:
    """A fresh dispatch cycle: the clock restarts, signing/submission are cleared."""
    return {
        "dispatched_at": at,
        "due_at": due_at,
        "warn_at": deadlines.compute_warn_at(at, due_at),
        "signed_at": None,
        "submitted_at": None,
        "closed_at": None,
        "is_overdue": False,
        "escalation_level": 0,
        "parked_at": None,
        "park_review_on": None,
    }


@transaction.atomic
def problem_dispatch(
    *,
    user,
    problem: Problem,
    unit: Unit,
    due_at: datetime | None = None,
    severity: str | None = None,
    note: str = "",
) -> Problem:
    """Send to the responsible unit with a deadline (from the category policy unless given)."""
    target = _begin(user, problem, A.DISPATCH)
    unit = _active_unit(unit)
    severity = severity or problem.severity
    if severity not in Severity.values:
        raise ValidationFailed("未知的整改类型")
    at = now()
    due = _deadline(problem, at=at, due_at=due_at, severity=severity)
    from civicloop.problems.routing import suggest_for

    suggestion = suggest_for(problem)
    changes = {"responsible_unit": unit, "severity": severity, **_clock_changes(at, due)}
    _transition(
        problem,
        user=user,
        action=A.DISPATCH,
        target=target,
        at=at,
        changes=changes,
        note=note.strip(),
        unit_id=unit.pk,
        due_at=due,
        data={
            "unit": unit.pk,
            "due_at": due.isoformat(),
            "explicit_due": due_at is not None,
            "suggested_unit": suggestion.unit.pk if suggestion.unit else None,
            "overridden": suggestion.unit is not None and suggestion.unit.pk != unit.pk,
        },
    )
    return problem


@transaction.atomic
def problem_sign(*, user, problem: Problem, note: str = "") -> Problem:
    target = _begin(user, problem, A.SIGN)
    at = now()
    elapsed = (at - problem.dispatched_at).total_seconds() if problem.dispatched_at else None
    _transition(
        problem,
        user=user,
        action=A.SIGN,
        target=target,
        at=at,
        changes={"signed_at": at},
        note=note.strip(),
        duration_seconds=elapsed,
    )
    return problem


# --- Return requests (退回: not ours) ---------------------------------------------------


def _new_request(
    problem: Problem,
    *,
    user,
    kind: str,
    reason: str,
    at: datetime,
    requested_due_at: datetime | None = None,
) -> ProblemRequest:
    if ProblemRequest.objects.filter(
        problem=problem, kind=kind, status=RequestStatus.PENDING
    ).exists():
        raise ValidationFailed(f"已有待审批的{RequestKind(kind).label}申请")
    try:
        with transaction.atomic():
            return ProblemRequest.objects.create(
                problem=problem,
                kind=kind,
                unit_id=problem.responsible_unit_id,
                requested_by=user,
                requested_at=at,
                reason=reason,
                requested_due_at=requested_due_at,
            )
    except IntegrityError as exc:  # a concurrent identical request won
        raise ConcurrentUpdate() from exc


@transaction.atomic
def problem_request_return(*, user, problem: Problem, reason: str) -> ProblemRequest:
    target = _begin(user, problem, A.REQUEST_RETURN)
    reason = _required(reason, "请填写退回理由（为何不属于本单位职责）")
    at = now()
    req = _new_request(problem, user=user, kind=RequestKind.RETURN, reason=reason, at=at)
    _transition(
        problem,
        user=user,
        action=A.REQUEST_RETURN,
        target=target,
        at=at,
        note=reason,
        data={"request": req.pk},
    )
    return req


@transaction.atomic
def problem_approve_return(*, user, problem: Problem, note: str = "") -> Problem:
    """Wrong dispatch: back to 待派遣, the unit is released, the return is counted."""
    target = _begin(user, problem, A.APPROVE_RETURN)
    req = _pending_request(problem, RequestKind.RETURN)
    at = now()
    old_unit = problem.responsible_unit_id
    _decide(req, user=user, approved=True, at=at, note=note.strip())
    _cancel_pending_requests(problem, user=user, at=at, why="问题已退回")
    changes = {
        "responsible_unit": None,
        "due_at": None,
        "warn_at": None,
        "dispatched_at": None,
        "signed_at": None,
        "is_overdue": False,
        "escalation_level": 0,
        "return_count": problem.return_count + 1,
    }
    _transition(
        problem,
        user=user,
        action=A.APPROVE_RETURN,
        target=target,
        at=at,
        changes=changes,
        note=note.strip() or req.reason,
        unit_id=old_unit,
        data={"request": req.pk, "unit": old_unit, "reason": req.reason},
    )
    return problem


def _deny_request(user, problem: Problem, action: str, kind: str, note: str) -> Problem:
    """Deny the pending request of `kind`: the status stays, the refusal is an event."""
    target = _begin(user, problem, action)
    req = _pending_request(problem, kind)
    note = _required(note, "请填写驳回理由")
    at = now()
    _decide(req, user=user, approved=False, at=at, note=note)
    _transition(
        problem,
        user=user,
        action=action,
        target=target,
        at=at,
        note=note,
        data={"request": req.pk},
    )
    return problem


@transaction.atomic
def problem_deny_return(*, user, problem: Problem, note: str) -> Problem:
    return _deny_request(user, problem, A.DENY_RETURN, RequestKind.RETURN, note)


# --- Extensions (延期) ------------------------------------------------------------------


@transaction.atomic
def problem_request_extension(
    *, user, problem: Problem, reason: str, requested_due_at: datetime
) -> ProblemRequest:
    target = _begin(user, problem, A.REQUEST_EXTENSION)
    reason = _required(reason, "请填写延期理由")
    if requested_due_at is None:
        raise ValidationFailed("请填写申请延期至的时间")
    if problem.due_at is not None and requested_due_at <= problem.due_at:
        raise ValidationFailed("申请的时限必须晚于当前整改时限")
    at = now()
    req = _new_request(
        problem,
        user=user,
        kind=RequestKind.EXTENSION,
        reason=reason,
        at=at,
        requested_due_at=requested_due_at,
    )
    _transition(
        problem,
        user=user,
        action=A.REQUEST_EXTENSION,
        target=target,
        at=at,
        note=reason,
        data={"request": req.pk, "requested_due_at": _iso(requested_due_at)},
    )
    return req


@transaction.atomic
def problem_approve_extension(
    *, user, problem: Problem, due_at: datetime | None = None, note: str = ""
) -> Problem:
    """Move the deadline (to the requested time unless the dispatcher sets another)."""
    target = _begin(user, problem, A.APPROVE_EXTENSION)
    req = _pending_request(problem, RequestKind.EXTENSION)
    new_due = due_at or req.requested_due_at
    at = now()
    if new_due is None or new_due <= at:
        raise ValidationFailed("延期后的时限必须晚于当前时间")
    if problem.due_at is not None and new_due <= problem.due_at:
        raise ValidationFailed("延期后的时限必须晚于原整改时限")
    _decide(req, user=user, approved=True, at=at, note=note.strip())
    before = problem.due_at
    changes = {
        "due_at": new_due,
        "warn_at": deadlines.compute_warn_at(problem.dispatched_at, new_due),
        "is_overdue": False,
        "extension_count": problem.extension_count + 1,
    }
    _transition(
        problem,
        user=user,
        action=A.APPROVE_EXTENSION,
        target=target,
        at=at,
        changes=changes,
        note=note.strip() or req.reason,
        due_at=new_due,
        data={
            "request": req.pk,
            "due_at_before": _iso(before),
            "due_at_after": new_due.isoformat(),
            "reason": req.reason,
        },
    )
    return problem


@transaction.atomic
def problem_deny_extension(*, user, problem: Problem, note: str) -> Problem:
    return _deny_request(user, problem, A.DENY_EXTENSION, RequestKind.EXTENSION, note)


# --- Park (挂账) ------------------------------------------------------------------------


@transaction.atomic
def problem_park(*, user, problem: Problem, reason: str, review_on: date) -> Problem:
    """An approved long-term case: the clock stops until unparked."""
    target = _begin(user, problem, A.PARK)
    reason = _required(reason, "请填写挂账理由及整改计划")
    at = now()
    if review_on is None:
        raise ValidationFailed("请填写复核日期")
    if review_on < timezone.localtime(at).date():
        raise ValidationFailed("复核日期不能早于今天")
    _cancel_pending_requests(problem, user=user, at=at, why="问题已挂账")
    _transition(
        problem,
        user=user,
        action=A.PARK,
        target=target,
        at=at,
        changes={"parked_at": at, "park_review_on": review_on, "is_overdue": False},
        note=reason,
        data={"review_on": review_on.isoformat()},
    )
    return problem


@transaction.atomic
def problem_unpark(*, user, problem: Problem, note: str = "") -> Problem:
    """Back to rectifying; the deadline moves by the time spent parked (clock stopped)."""
    target = _begin(user, problem, A.UNPARK)
    at = now()
    changes: dict = {"parked_at": None, "park_review_on": None}
    data: dict = {}
    if problem.parked_at is not None and problem.due_at is not None:
        shift = at - problem.parked_at
        changes["due_at"] = problem.due_at + shift
        changes["warn_at"] = problem.warn_at + shift if problem.warn_at else None
        data = {
            "due_at_before": _iso(problem.due_at),
            "due_at_after": _iso(changes["due_at"]),
            "parked_seconds": shift.total_seconds(),
        }
    _transition(
        problem,
        user=user,
        action=A.UNPARK,
        target=target,
        at=at,
        changes=changes,
        note=note.strip(),
        data=data,
    )
    return problem


# --- Rectification and verification -----------------------------------------------------


@transaction.atomic
def problem_submit(*, user, problem: Problem, description: str, files: Iterable = ()) -> Problem:
    """整改反馈: ≥1 after-photo or file (uploaded now or staged before) and a description."""
    unit = problem.responsible_unit
    needs_leader = bool(unit and unit.submission_needs_leader_approval)
    target = _begin(user, problem, A.SUBMIT, leader_approval=needs_leader)
    description = _required(description, "请填写整改情况说明")
    files = list(files or [])
    staged = Evidence.objects.filter(
        problem=problem, event__isnull=True, kind__in=[EvidenceKind.AFTER, EvidenceKind.DOCUMENT]
    )
    if not files and not staged.filter(kind=EvidenceKind.AFTER).exists():
        raise ValidationFailed("请至少上传一张整改后照片或一份整改材料")
    at = now()
    _cancel_pending_requests(problem, user=user, at=at, why="问题已提交整改")
    changes = {} if needs_leader else {"submitted_at": at}
    event = _transition(
        problem,
        user=user,
        action=A.SUBMIT,
        target=target,
        at=at,
        changes=changes,
        note=description,
        data={"leader_review": needs_leader},
    )
    staged.update(event=event)
    _store_evidence(problem, user=user, kind=EvidenceKind.AFTER, uploads=files, event=event, at=at)
    return problem


@transaction.atomic
def problem_leader_approve(*, user, problem: Problem, note: str = "") -> Problem:
    target = _begin(user, problem, A.LEADER_APPROVE)
    at = now()
    _transition(
        problem,
        user=user,
        action=A.LEADER_APPROVE,
        target=target,
        at=at,
        changes={"submitted_at": at},
        note=note.strip(),
    )
    return problem


@transaction.atomic
def problem_leader_deny(*, user, problem: Problem, reason: str) -> Problem:
    target = _begin(user, problem, A.LEADER_DENY)
    reason = _required(reason, "请填写退回整改的理由")
    _transition(problem, user=user, action=A.LEADER_DENY, target=target, at=now(), note=reason)
    return problem


@transaction.atomic
def problem_verify_pass(*, user, problem: Problem, note: str = "") -> Problem:
    """销号. The passing submission's time decides on-time against the deadline in force."""
    target = _begin(user, problem, A.VERIFY_PASS)
    at = now()
    submitted, dispatched, due = problem.submitted_at, problem.dispatched_at, problem.due_at
    handling = (submitted - dispatched).total_seconds() if submitted and dispatched else None
    on_time = bool(submitted and due and submitted <= due)
    _transition(
        problem,
        user=user,
        action=A.VERIFY_PASS,
        target=target,
        at=at,
        changes={"closed_at": at, "is_overdue": False},
        note=note.strip(),
        duration_seconds=handling,
        on_time=on_time,
        data={"submitted_at": _iso(submitted), "due_at": _iso(due)},
    )
    return problem


@transaction.atomic
def problem_verify_fail(*, user, problem: Problem, reason: str, files: Iterable = ()) -> Problem:
    """返工: back to the unit; the clock keeps the original deadline."""
    target = _begin(user, problem, A.VERIFY_FAIL)
    reason = _required(reason, "请填写核查不通过的原因")
    at = now()
    event = _transition(
        problem,
        user=user,
        action=A.VERIFY_FAIL,
        target=target,
        at=at,
        changes={"submitted_at": None, "rework_count": problem.rework_count + 1},
        note=reason,
    )
    _store_evidence(
        problem, user=user, kind=EvidenceKind.DOCUMENT, uploads=files or [], event=event, at=at
    )
    return problem


@transaction.atomic
def problem_reopen(
    *, user, problem: Problem, reason: str, due_at: datetime | None = None, photos: Iterable = ()
) -> Problem:
    """回头看 found it back: a recurrence, dispatched again to the same unit."""
    target = _begin(user, problem, A.REOPEN)
    reason = _required(reason, "请填写反弹情况")
    if problem.responsible_unit_id is None:
        raise ValidationFailed("该问题没有责任单位，无法重新派遣")
    _active_unit(problem.responsible_unit)
    at = now()
    due = _deadline(problem, at=at, due_at=due_at, severity=problem.severity)
    changes = {**_clock_changes(at, due), "recurrence_count": problem.recurrence_count + 1}
    event = _transition(
        problem,
        user=user,
        action=A.REOPEN,
        target=target,
        at=at,
        changes=changes,
        note=reason,
        due_at=due,
        data={"due_at": due.isoformat()},
    )
    _store_evidence(
        problem, user=user, kind=EvidenceKind.BEFORE, uploads=photos or [], event=event, at=at
    )
    return problem


# --- Urging, voiding --------------------------------------------------------------------


@transaction.atomic
def problem_urge(*, user, problem: Problem, note: str = "") -> Problem:
    """催办 → 督办 → 挂牌督办: one level up per urge."""
    target = _begin(user, problem, A.URGE)
    if problem.escalation_level >= 3:
        raise ValidationFailed("该问题已挂牌督办，不能再升级")
    level = problem.escalation_level + 1
    _transition(
        problem,
        user=user,
        action=A.URGE,
        target=target,
        at=now(),
        changes={"escalation_level": level},
        note=note.strip(),
        data={"level_before": level - 1, "level_after": level},
    )
    return problem


@transaction.atomic
def problem_void(*, user, problem: Problem, reason: str) -> Problem:
    target = _begin(user, problem, A.VOID)
    reason = _required(reason, "请填写作废理由")
    at = now()
    _cancel_pending_requests(problem, user=user, at=at, why="问题已作废")
    _transition(
        problem,
        user=user,
        action=A.VOID,
        target=target,
        at=at,
        changes={"is_overdue": False},
        note=reason,
    )
    return problem


# --- The overdue sweep ------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    flagged: int
    cleared: int
    escalated: dict[int, int]


@transaction.atomic
def problem_sweep_overdue(*, at: datetime | None = None, batch_size: int = 2000) -> SweepResult:
    """Clear and flag `is_overdue` with one UPDATE each, and escalate by overdue thresholds.

    Escalation goes from the highest level down so that a problem jumps straight to the
    level its delay deserves, with one `escalate` event, written in bulk. A problem that
    just fell due is escalated to 催办 at once (ESCALATION_AFTER[1] is 0), so the
    escalation's UPDATE also flags it: each such row is written once, not flagged and then
    rewritten (1M problems, the ten minutes over a 17:30 deadline: 14 500 flagged, 11 000
    escalated). The flag UPDATE takes the problems that fall due already urged (no 催办
    to raise them to). Rows locked by a concurrent transition are skipped on PostgreSQL
    (skip_locked); if any candidate was, a last UPDATE flags what is left unflagged, and
    the rest is caught next time.
    """
    at = at or now()
    overdue = deadlines.overdue_q(at)
    cleared = Problem.objects.filter(is_overdue=True).exclude(overdue).update(is_overdue=False)
    lowest = min(deadlines.ESCALATION_AFTER)
    first_escalation = Q(
        escalation_level__lt=lowest, due_at__lt=at - deadlines.ESCALATION_AFTER[lowest]
    )
    flagged = (
        Problem.objects.filter(overdue, is_overdue=False)
        .exclude(first_escalation)
        .update(is_overdue=True)
    )
    escalated: dict[int, int] = {}
    skipped = 0
    for level in sorted(deadlines.ESCALATION_AFTER, reverse=True):
        threshold = at - deadlines.ESCALATION_AFTER[level]
        due = Q(status__in=UNIT_OPEN_STATUSES, due_at__lt=threshold, escalation_level__lt=level)
        # Ids first, fetched client-side and unordered: iterator() would be a server-side
        # cursor, planned for fast first rows, and PostgreSQL then walks a whole index
        # instead (1M: ~0.5 s per level even when nothing is due). Flagged and unflagged
        # rows apart, so each is answered by its small partial index
        # (problem_overdue_escalation, problem_due_unflagged) instead of a heap walk.
        ids = [
            pk
            for flag in (True, False)
            for pk in Problem.objects.filter(due, is_overdue=flag)
            .order_by()
            .values_list("pk", flat=True)
        ]
        count = 0
        for start in range(0, len(ids), batch_size):
            # Lock the batch, re-checking the condition (a transition may have moved a
            # row meanwhile); rows locked elsewhere are skipped and caught next time.
            rows = list(
                Problem.objects.select_for_update(skip_locked=True)
                .filter(due, pk__in=ids[start : start + batch_size])
                .order_by()
                .values_list("pk", "is_overdue")
            )
            skipped += len(ids[start : start + batch_size]) - len(rows)
            if rows:
                _escalate_batch([pk for pk, _ in rows], level, at)
                count += len(rows)
                flagged += sum(1 for _, was_flagged in rows if not was_flagged)
        escalated[level] = count
    if skipped:
        flagged += Problem.objects.filter(overdue, is_overdue=False).update(is_overdue=True)
    if flagged or cleared or any(escalated.values()):
        listing.ledger_changed()
    return SweepResult(flagged=flagged, cleared=cleared, escalated=escalated)


def _escalate_batch(ids: list[int], level: int, at: datetime) -> None:
    """Write the `escalate` events of the locked problems `ids`, then raise them to
    `level` and flag them (all of them are overdue)."""
    _insert_escalation_events(ids, level, at)
    Problem.objects.filter(pk__in=ids).update(
        escalation_level=level, is_overdue=True, version=F("version") + 1
    )


def _insert_escalation_events(ids: list[int], level: int, at: datetime) -> None:
    """One `INSERT … SELECT` of the batch's events, each from its problem's row as it is
    before the raise (status, unit, deadline, level before): no model instance per event
    (building 12 000 of them for bulk_create took ~0.5 s of a sweep over a 17:30
    deadline). The same rows as ProblemEvent(actor=None, action=escalate, …) would be."""
    event, problem = ProblemEvent._meta, Problem._meta
    connection = transaction.get_connection()
    q = connection.ops.quote_name
    if connection.vendor == "postgresql":
        data = "jsonb_build_object('level_before', p.{level}, 'level_after', %s)"
        in_ids, ids_param = "= ANY(%s)", list(ids)
    else:  # SQLite
        data = "json_object('level_before', p.{level}, 'level_after', %s)"
        in_ids, ids_param = "IN (SELECT value FROM json_each(%s))", json.dumps(ids)
    column = {f.name: q(f.column) for f in event.concrete_fields}
    of = {f.name: q(f.column) for f in problem.concrete_fields}
    sql = (
        f"INSERT INTO {q(event.db_table)} ({column['problem']}, {column['actor']}, "
        f"{column['action']}, {column['from_status']}, {column['to_status']}, {column['at']}, "
        f"{column['note']}, {column['data']}, {column['unit']}, {column['due_at']}, "
        f"{column['duration_seconds']}, {column['on_time']}) "
        f"SELECT p.{of['id']}, NULL, %s, p.{of['status']}, p.{of['status']}, %s, %s, "
        f"{data.format(level=of['escalation_level'])}, p.{of['responsible_unit']}, "
        f"p.{of['due_at']}, NULL, NULL "
        f"FROM {q(problem.db_table)} p WHERE p.{of['id']} {in_ids}"
    )
    stamp = event.get_field("at").get_db_prep_value(at, connection)
    note = f"超期自动升级为{_level_label(level)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [A.ESCALATE.value, stamp, note, level, ids_param])


def _level_label(level: int) -> str:
    from civicloop.problems.models import EscalationLevel

    return EscalationLevel(level).label


# --- Routing rules (command only, audited) ----------------------------------------------


def _require_rule_editor(user, area: Area | None) -> None:
    from civicloop.accounts.models import Role
    from civicloop.accounts.scope import scope_of

    scope = scope_of(user)
    if not scope.has(Role.COMMAND):
        raise NotPermitted("只有创文办（指挥中心）可以维护派遣规则")
    if scope.is_superuser:
        return
    paths = scope.area_paths.get(Role.COMMAND, ())
    if area is None:
        # A city-wide rule needs city-wide authority: a command user of a root area.
        if not any(p.count("/") == 2 for p in paths):
            raise NotPermitted("全市范围的派遣规则只能由市级创文办维护")
    elif not any(area.path.startswith(p) for p in paths):
        raise NotPermitted("该区域不在您的管辖范围内")


_RULE_FIELDS = ("name", "category", "area", "point_type", "unit", "priority", "is_active", "note")


def _rule_data(rule: RoutingRule) -> dict:
    return {
        "name": rule.name,
        "category": rule.category_id,
        "area": rule.area_id,
        "point_type": rule.point_type_id,
        "unit": rule.unit_id,
        "priority": rule.priority,
        "is_active": rule.is_active,
        "note": rule.note,
    }


@transaction.atomic
def routing_rule_create(
    *,
    user,
    name: str,
    unit: Unit,
    category=None,
    area: Area | None = None,
    point_type=None,
    priority: int = 100,
    is_active: bool = True,
    note: str = "",
) -> RoutingRule:
    _require_rule_editor(user, area)
    name = _required(name, "请填写规则名称")
    _active_unit(unit)
    if category is None and area is None and point_type is None:
        raise ValidationFailed("规则至少需限定问题分类、区域或点位类型之一")
    rule = RoutingRule.objects.create(
        name=name,
        unit=unit,
        category=category,
        area=area,
        point_type=point_type,
        priority=priority,
        is_active=is_active,
        note=note,
    )
    audit.record(user, "routing_rule.create", rule, data=_rule_data(rule))
    return rule


@transaction.atomic
def routing_rule_update(*, user, rule: RoutingRule, **fields) -> RoutingRule:
    unknown = set(fields) - set(_RULE_FIELDS)
    if unknown:
        raise ValidationFailed(f"未知字段：{', '.join(sorted(unknown))}")
    _require_rule_editor(user, rule.area)
    before = _rule_data(rule)
    for key, value in fields.items():
        setattr(rule, key, value)
    _require_rule_editor(user, rule.area)
    _required(rule.name, "请填写规则名称")
    _active_unit(rule.unit)
    if rule.category_id is None and rule.area_id is None and rule.point_type_id is None:
        raise ValidationFailed("规则至少需限定问题分类、区域或点位类型之一")
    rule.save()
    audit.record(
        user, "routing_rule.update", rule, data={"before": before, "after": _rule_data(rule)}
    )
    return rule


@transaction.atomic
def routing_rule_delete(*, user, rule: RoutingRule) -> None:
    _require_rule_editor(user, rule.area)
    data = _rule_data(rule)
    audit.record(user, "routing_rule.delete", rule, data=data)
    rule.delete()
