"""Every read of the scoring app, scoped by `user=` (out of scope → NotFound).

Pages and the API build on these; each list is a bounded number of queries.
"""

from __future__ import annotations

from django.db.models import F, Prefetch, Q

from civicloop.accounts.scope import scope_of
from civicloop.core.errors import NotFound
from civicloop.scoring import periods, permissions
from civicloop.scoring.models import (
    AssessedObject,
    ComponentScore,
    Computation,
    ManualAdjustment,
    ObjectScore,
    Period,
    PeriodStatus,
    PublishedSnapshot,
    Scheme,
    SnapshotRow,
)


def _visible_scheme_ids(user, *, working: bool) -> list[int] | None:
    """None = all (superuser). Schemes are few (dozens): filter them in Python by the
    same rules as permissions.py, so the rules live in one place."""
    if scope_of(user).is_superuser:
        return None
    check = permissions.can_see_working if working else permissions.can_see_published
    return [s.pk for s in Scheme.objects.select_related("area") if check(user, s)]


def schemes(user, *, active_only: bool = False):
    ids = _visible_scheme_ids(user, working=False)
    qs = Scheme.objects.select_related("area").prefetch_related("components")
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("name", "id")


def scheme_get(user, pk: int) -> Scheme:
    scheme = (
        Scheme.objects.select_related("area").prefetch_related("components").filter(pk=pk).first()
    )
    if scheme is None or not permissions.can_see_published(user, scheme):
        raise NotFound()
    return scheme


def can_see_working(user, scheme: Scheme) -> bool:
    return permissions.can_see_working(user, scheme)


def periods_of(user, scheme: Scheme):
    """A scheme's periods, newest first. Users who only see published rankings get only
    published periods."""
    if not permissions.can_see_published(user, scheme):
        raise NotFound()
    qs = Period.objects.filter(scheme=scheme).select_related("scheme")
    if not permissions.can_see_working(user, scheme):
        qs = qs.filter(Q(status=PeriodStatus.PUBLISHED) | Q(snapshots__isnull=False)).distinct()
    return qs.order_by("-start_date", "-id")


def period_get(user, pk: int) -> Period:
    period = Period.objects.select_related("scheme__area").filter(pk=pk).first()
    if period is None:
        raise NotFound()
    scheme = period.scheme
    if permissions.can_see_working(user, scheme):
        return period
    if permissions.can_see_published(user, scheme) and period.snapshots.exists():
        return period
    raise NotFound()


def period_scores(user, period: Period):
    """Computed (working) rows in rank order with objects and the breakdown prefetched:
    3 queries whatever the number of objects."""
    if not permissions.can_see_working(user, period.scheme):
        raise NotFound()
    return (
        ObjectScore.objects.filter(period=period)
        .select_related("obj__unit", "obj__area")
        .prefetch_related(
            Prefetch(
                "components",
                queryset=ComponentScore.objects.select_related("component").order_by(
                    "component__sort_order", "component_id"
                ),
            )
        )
        .order_by(F("rank").asc(nulls_last=True), "id")
    )


def object_score_get(user, period: Period, obj_id: int) -> ObjectScore:
    row = period_scores(user, period).filter(obj_id=obj_id).first()
    if row is None:
        raise NotFound()
    return row


def computations_of(user, period: Period):
    if not permissions.can_see_working(user, period.scheme):
        raise NotFound()
    return Computation.objects.filter(period=period).order_by("-created_at", "-id")


def computation_get(user, pk: int) -> Computation:
    job = Computation.objects.select_related("period__scheme__area").filter(pk=pk).first()
    if job is None or not permissions.can_see_working(user, job.period.scheme):
        raise NotFound()
    return job


def snapshots_of(user, period: Period):
    """All versions of a period, newest first (old versions stay readable)."""
    if not permissions.can_see_published(user, period.scheme):
        raise NotFound()
    return (
        PublishedSnapshot.objects.filter(period=period)
        .select_related("published_by")
        .defer("data")
        .order_by("-version")
    )


def snapshot_get(user, pk: int) -> PublishedSnapshot:
    snap = (
        PublishedSnapshot.objects.select_related("period__scheme__area", "published_by")
        .filter(pk=pk)
        .first()
    )
    if snap is None or not permissions.can_see_published(user, snap.period.scheme):
        raise NotFound()
    return snap


def latest_snapshot(user, period: Period) -> PublishedSnapshot | None:
    if not permissions.can_see_published(user, period.scheme):
        raise NotFound()
    return (
        PublishedSnapshot.objects.filter(period=period)
        .select_related("published_by")
        .order_by("-version")
        .first()
    )


def snapshot_rows(user, snapshot: PublishedSnapshot):
    """Frozen ranking lines in position order (one query; names are copied in)."""
    if not permissions.can_see_published(user, snapshot.period.scheme):
        raise NotFound()
    return SnapshotRow.objects.filter(snapshot=snapshot).order_by("position")


def adjustments_of(user, period: Period, *, include_void: bool = True):
    if not permissions.can_see_working(user, period.scheme):
        raise NotFound()
    qs = ManualAdjustment.objects.filter(period=period).select_related(
        "obj__unit", "obj__area", "created_by", "voided_by"
    )
    if not include_void:
        qs = qs.filter(is_void=False)
    return qs.order_by("obj_id", "id")


def accountability_history(user, scheme: Scheme, *, limit: int = 12) -> list[dict]:
    """Per recent published period (latest version): its accountability candidates.
    Two queries."""
    if not permissions.can_see_published(user, scheme):
        raise NotFound()
    snaps = {}
    for snap in (
        PublishedSnapshot.objects.filter(period__scheme=scheme)
        .select_related("period")
        .defer("data")
        .order_by("period__start_date", "version")
    ):
        snaps[snap.period_id] = snap  # the last version per period wins
    recent = sorted(snaps.values(), key=lambda s: s.period.start_date, reverse=True)[:limit]
    rows = SnapshotRow.objects.filter(snapshot__in=recent, accountability=True).values_list(
        "snapshot_id", "obj_id", "name", "rank", "score"
    )
    by_snap: dict[int, list[dict]] = {}
    for sid, oid, name, rank, score in rows:
        by_snap.setdefault(sid, []).append(
            {"obj_id": oid, "name": name, "rank": rank, "score": score}
        )
    return [{"period": s.period, "snapshot": s, "objects": by_snap.get(s.pk, [])} for s in recent]


# --- drill-down: the rows behind an object's numbers -------------------------------------


def _object_of(period: Period, obj_id: int) -> AssessedObject:
    obj = AssessedObject.objects.select_related("unit", "area").filter(pk=obj_id).first()
    if obj is None:
        raise NotFound()
    return obj


def object_inspections(user, period: Period, obj_id: int):
    """Submitted inspections counted in the object's inspection score rate."""
    from civicloop.inspections.models import Inspection, InspectionStatus

    if not permissions.can_see_working(user, period.scheme):
        raise NotFound()
    obj = _object_of(period, obj_id)
    start, end = periods.window(period.start_date, period.end_date)
    qs = Inspection.objects.filter(
        status=InspectionStatus.SUBMITTED, submitted_at__gte=start, submitted_at__lt=end
    )
    qs = (
        qs.filter(unit_id=obj.unit_id)
        if obj.unit_id
        else qs.filter(area_path__startswith=obj.area.path)
    )
    return qs.select_related("point", "round", "point_type").order_by("submitted_at", "id")


def object_problems(user, period: Period, obj_id: int, *, which: str = "created"):
    """Problems behind the ledger numbers: `created` (registered in the period), `due`
    (deadline in the period), `overdue` (this period's bulletin list)."""
    from civicloop.problems.models import Problem

    if not permissions.can_see_working(user, period.scheme):
        raise NotFound()
    obj = _object_of(period, obj_id)
    start, end = periods.window(period.start_date, period.end_date)
    qs = Problem.objects.all()
    if which == "created":
        qs = qs.filter(created_at__gte=start, created_at__lt=end)
    elif which == "due":
        qs = qs.filter(due_at__gte=start, due_at__lt=end, dispatched_at__isnull=False)
    elif which == "overdue":
        ids = [p for p, o in period.overdue_problems if o == obj.pk]
        return (
            Problem.objects.filter(pk__in=ids)
            .select_related("responsible_unit", "area", "category")
            .order_by("due_at", "id")
        )
    else:
        raise ValueError(f"unknown problem list {which!r}")
    if obj.unit_id:
        qs = qs.filter(responsible_unit_id=obj.unit_id)
    else:
        qs = qs.filter(area__path__startswith=obj.area.path)
    return qs.select_related("responsible_unit", "area", "category").order_by("created_at", "id")
