"""Every write of the scoring app (DESIGN.md §4): permission check → validation →
compare-and-set → audit row; side effects after commit.

Period status: draft → computed (a successful computation; repeatable while not
published) → published (a snapshot, version 1) → [reopen with a reason] → computed →
published (version 2, carrying the reason). Snapshots are never updated or deleted.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from civicloop.core import audit
from civicloop.core.errors import (
    ConcurrentUpdate,
    NotPermitted,
    TransitionNotAllowed,
    ValidationFailed,
)
from civicloop.scoring import components as comp
from civicloop.scoring import computation, periods, permissions, publishing
from civicloop.scoring.models import (
    AssessedObject,
    Computation,
    ComputationStatus,
    ManualAdjustment,
    ObjectGroup,
    Period,
    PeriodKind,
    PeriodStatus,
    PublishedSnapshot,
    RedFlagRule,
    Scheme,
    SchemeComponent,
    SnapshotRow,
)

SCHEME_FIELDS = (
    "name",
    "period_kind",
    "object_group",
    "area",
    "is_active",
    "base_score",
    "grade_bands",
    "red_list_size",
    "black_list_size",
    "red_flag_rule",
    "accountability_bottom_n",
    "accountability_periods",
    "description",
)


# --- schemes ----------------------------------------------------------------------------


@dataclass
class ComponentSpec:
    key: str
    weight: Decimal | float | int | str = 1
    params: dict | None = None
    label: str = ""
    sort_order: int | None = None
    is_active: bool = True


def _clean_bands(bands) -> list[dict]:
    if not isinstance(bands, list) or not bands:
        raise ValidationFailed("等次划分至少需要一档，如 A≥90")
    out, seen = [], set()
    for band in bands:
        try:
            grade = str(band["grade"]).strip()
            minimum = Decimal(str(band["min"]))
        except (KeyError, TypeError, InvalidOperation):
            raise ValidationFailed("每一档等次需要名称(grade)和下限分数(min)") from None
        if not grade or grade in seen:
            raise ValidationFailed("等次名称不能为空或重复")
        seen.add(grade)
        out.append({"grade": grade, "min": str(minimum)})
    out.sort(key=lambda b: Decimal(b["min"]), reverse=True)
    return out


def _clean_scheme(data: dict) -> dict:
    if "name" in data and not str(data["name"]).strip():
        raise ValidationFailed("请填写方案名称")
    if "period_kind" in data and data["period_kind"] not in PeriodKind.values:
        raise ValidationFailed("考核周期应为周、月、季度或年度")
    if "object_group" in data and data["object_group"] not in ObjectGroup.values:
        raise ValidationFailed("未知的考核对象分组")
    if "red_flag_rule" in data and data["red_flag_rule"] not in RedFlagRule.values:
        raise ValidationFailed("未知的流动红旗规则")
    if "grade_bands" in data:
        data["grade_bands"] = _clean_bands(data["grade_bands"])
    if "base_score" in data:
        try:
            data["base_score"] = Decimal(str(data["base_score"]))
        except InvalidOperation:
            raise ValidationFailed("基础分应为数字") from None
        if data["base_score"] <= 0:
            raise ValidationFailed("基础分应大于0")
    for name in ("red_list_size", "black_list_size", "accountability_bottom_n"):
        if name in data and int(data[name]) < 0:
            raise ValidationFailed("名额不能为负数")
    if "accountability_periods" in data and int(data["accountability_periods"]) < 1:
        raise ValidationFailed("连续期数K至少为1")
    return data


def _clean_components(specs: list[ComponentSpec]) -> list[ComponentSpec]:
    seen = set()
    for i, spec in enumerate(specs):
        cls = comp.get(spec.key)
        spec.params = cls.clean_params(spec.params or {})
        try:
            spec.weight = Decimal(str(spec.weight))
        except InvalidOperation:
            raise ValidationFailed(f"指标“{cls.label}”的权重应为数字") from None
        if spec.weight < 0:
            raise ValidationFailed(f"指标“{cls.label}”的权重不能为负数")
        ident = (spec.key, spec.label)
        if ident in seen:
            raise ValidationFailed(f"指标“{cls.label}”重复，请用不同名称区分")
        seen.add(ident)
        if spec.sort_order is None:
            spec.sort_order = i
    return specs


@transaction.atomic
def scheme_create(user, *, components: list[ComponentSpec], **fields) -> Scheme:
    if not permissions.can_create_scheme(user, fields.get("area")):
        raise NotPermitted()
    missing = [f for f in ("name", "period_kind", "object_group") if not fields.get(f)]
    if missing:
        raise ValidationFailed("请填写方案名称、考核周期和考核对象", details={"missing": missing})
    unknown = set(fields) - set(SCHEME_FIELDS)
    if unknown:
        raise ValueError(f"unknown scheme fields {sorted(unknown)}")
    data = _clean_scheme(dict(fields))
    specs = _clean_components(components)
    scheme = Scheme.objects.create(created_by=user if user.pk else None, **data)
    _write_components(scheme, specs)
    audit.record(user, "scheme_create", scheme, data={"components": [s.key for s in specs]})
    return scheme


@transaction.atomic
def scheme_update(user, scheme: Scheme, **fields) -> Scheme:
    permissions.check_manage(user, scheme)
    unknown = set(fields) - set(SCHEME_FIELDS)
    if unknown:
        raise ValueError(f"unknown scheme fields {sorted(unknown)}")
    if "area" in fields and not permissions.can_create_scheme(user, fields["area"]):
        raise NotPermitted()
    data = _clean_scheme(dict(fields))
    for name, value in data.items():
        setattr(scheme, name, value)
    scheme.save(update_fields=[*data, "updated_at"])
    audit.record(user, "scheme_update", scheme, data={"fields": sorted(data)})
    return scheme


@transaction.atomic
def scheme_set_components(user, scheme: Scheme, components: list[ComponentSpec]) -> Scheme:
    """Replace the scheme's components. Published snapshots keep their own copy of the
    settings; computed-but-unpublished periods must be recomputed to reflect the change."""
    permissions.check_manage(user, scheme)
    specs = _clean_components(components)
    scheme.components.all().delete()
    _write_components(scheme, specs)
    audit.record(user, "scheme_set_components", scheme, data={"components": [s.key for s in specs]})
    return scheme


def _write_components(scheme: Scheme, specs: list[ComponentSpec]) -> None:
    SchemeComponent.objects.bulk_create(
        [
            SchemeComponent(
                scheme=scheme,
                key=s.key,
                label=s.label,
                weight=s.weight,
                params=s.params,
                sort_order=s.sort_order,
                is_active=s.is_active,
            )
            for s in specs
        ]
    )


# --- periods ----------------------------------------------------------------------------


@transaction.atomic
def period_create(user, scheme: Scheme, day: date) -> Period:
    """The scheme's period containing `day` (week/month/quarter/year); idempotent."""
    permissions.check_manage(user, scheme)
    start, end = periods.bounds(scheme.period_kind, day)
    period, created = Period.objects.get_or_create(
        scheme=scheme,
        start_date=start,
        defaults={"end_date": end, "label": periods.label(scheme.period_kind, start)},
    )
    if created:
        audit.record(user, "period_create", period)
    return period


# --- computation (background job) -------------------------------------------------------


def computation_start(user, period: Period) -> Computation:
    """Queue a computation; the task runs after commit (eagerly without a broker)."""
    permissions.check_manage(user, period.scheme)
    if period.status == PeriodStatus.PUBLISHED:
        raise TransitionNotAllowed("该周期已发布，不能重新计算；如需更正请先撤回并说明原因")
    with transaction.atomic():
        job = Computation.objects.create(period=period, requested_by=user)
        audit.record(user, "computation_start", period, data={"computation": job.pk})

        def enqueue():
            from civicloop.scoring.tasks import run_computation

            run_computation.delay(job.pk)

        transaction.on_commit(enqueue)
    return job


def _progress(job_id: int):
    def report(pct: int, message: str) -> None:
        Computation.objects.filter(pk=job_id).update(progress=pct, message=message[:255])

    return report


def computation_run(job_id: int, *, now=None) -> Computation:
    """Run a queued computation: progress as it goes, errors recorded, never raised
    (the page polls the row). Idempotent: a job that is not queued is left alone."""
    started = time.perf_counter()
    claimed = Computation.objects.filter(pk=job_id, status=ComputationStatus.QUEUED).update(
        status=ComputationStatus.RUNNING, started_at=timezone.now(), progress=1
    )
    job = Computation.objects.select_related("period__scheme").get(pk=job_id)
    if not claimed:
        return job
    try:
        period = job.period
        if period.status == PeriodStatus.PUBLISHED:
            raise TransitionNotAllowed("该周期已发布，不能重新计算")
        result = computation.compute(period, progress=_progress(job_id), now=now)
        _progress(job_id)(90, "保存结果")
        computation.write(period, result)
        Computation.objects.filter(pk=job_id).update(
            status=ComputationStatus.SUCCEEDED,
            progress=100,
            message="计算完成",
            finished_at=timezone.now(),
            object_count=len(result.rows),
            duration_ms=int((time.perf_counter() - started) * 1000),
        )
    except Exception as exc:  # noqa: BLE001 - recorded for the page, not swallowed silently
        detail = exc.message if hasattr(exc, "message") else f"{type(exc).__name__}: {exc}"
        Computation.objects.filter(pk=job_id).update(
            status=ComputationStatus.FAILED,
            message="计算失败",
            error=f"{detail}\n\n{traceback.format_exc()}"[:20000],
            finished_at=timezone.now(),
            duration_ms=int((time.perf_counter() - started) * 1000),
        )
    job.refresh_from_db()
    return job


def period_compute_now(user, period: Period, *, now=None) -> Computation:
    """Start and run a computation in this process (commands, demo, tests)."""
    permissions.check_manage(user, period.scheme)
    job = Computation.objects.create(period=period, requested_by=user)
    audit.record(user, "computation_start", period, data={"computation": job.pk})
    return computation_run(job.pk, now=now)


# --- publishing ---------------------------------------------------------------------------


@transaction.atomic
def period_publish(
    user, period: Period, *, expected_version: int | None = None
) -> PublishedSnapshot:
    """Freeze the computed result into a new snapshot version (1, 2, …)."""
    permissions.check_manage(user, period.scheme)
    period.refresh_from_db()
    if period.status != PeriodStatus.COMPUTED:
        raise TransitionNotAllowed("只有已计算、待发布的周期可以发布")
    version = expected_version if expected_version is not None else period.version
    last = period.snapshots.order_by("-version").values_list("version", flat=True).first() or 0
    if last and not period.correction_reason.strip():
        raise ValidationFailed("更正发布需要说明原因")
    now = timezone.now()
    moved = Period.objects.filter(
        pk=period.pk, status=PeriodStatus.COMPUTED, version=version
    ).update(
        status=PeriodStatus.PUBLISHED,
        version=version + 1,
        published_at=now,
        correction_reason="",
        updated_at=now,
    )
    if not moved:
        raise ConcurrentUpdate()
    snapshot = _freeze(period, user, version=last + 1, reason=period.correction_reason, at=now)
    audit.record(
        user,
        "period_publish",
        period,
        summary=f"{period} v{snapshot.version}",
        data={"snapshot": snapshot.pk, "version": snapshot.version, "reason": snapshot.reason},
    )
    period.refresh_from_db()
    transaction.on_commit(lambda: _published_hooks(snapshot.pk))
    return snapshot


def _freeze(period: Period, user, *, version: int, reason: str, at) -> PublishedSnapshot:
    scores = publishing.score_rows(period)
    rows = publishing.row_dicts(scores)
    flags = publishing.flags_for(period, rows)
    names = {s.obj_id: s.obj.name for s in scores}
    lines = []
    for position, s in enumerate(scores, start=1):
        lines.append(
            {
                "position": position,
                "obj_id": s.obj_id,
                "unit_id": s.obj.unit_id,
                "area_id": s.obj.area_id,
                "name": names[s.obj_id],
                "rank": s.rank,
                "score": publishing._s(s.score),
                "weighted_score": publishing._s(s.weighted_score),
                "adjustment": publishing._s(s.adjustment),
                "grade": s.grade,
                "previous_rank": s.previous_rank,
                "previous_score": publishing._s(s.previous_score),
                "rank_delta": s.rank_delta,
                "score_delta": publishing._s(s.score_delta),
                "breakdown": publishing.breakdown(s),
                **flags[s.obj_id],
            }
        )

    def names_where(flag: str) -> list[dict]:
        return [
            {"obj_id": x["obj_id"], "name": x["name"], "rank": x["rank"], "score": x["score"]}
            for x in lines
            if x[flag]
        ]

    data = {
        "period": {
            "id": period.pk,
            "label": period.label,
            "start_date": period.start_date.isoformat(),
            "end_date": period.end_date.isoformat(),
            "computed_at": period.computed_at.isoformat() if period.computed_at else None,
        },
        "scheme": publishing.scheme_settings(period.scheme),
        "rows": lines,
        "red_list": names_where("on_red_list"),
        "black_list": sorted(names_where("on_black_list"), key=lambda x: -(x["rank"] or 0)),
        "red_flag": names_where("red_flag"),
        "accountability": names_where("accountability"),
        "overdue_problems": publishing.overdue_details(period, names),
    }
    snapshot = PublishedSnapshot.objects.create(
        period=period,
        version=version,
        reason=reason,
        published_by=user,
        published_at=at,
        data=data,
        result_hash=period.result_hash,
    )
    SnapshotRow.objects.bulk_create(
        [
            SnapshotRow(
                snapshot=snapshot,
                obj_id=x["obj_id"],
                name=x["name"],
                rank=x["rank"],
                score=x["score"],
                weighted_score=x["weighted_score"],
                adjustment=x["adjustment"],
                grade=x["grade"],
                previous_rank=x["previous_rank"],
                rank_delta=x["rank_delta"],
                score_delta=x["score_delta"],
                on_red_list=x["on_red_list"],
                on_black_list=x["on_black_list"],
                red_flag=x["red_flag"],
                accountability=x["accountability"],
                in_accountability_bottom=x["in_accountability_bottom"],
                breakdown=x["breakdown"],
                position=x["position"],
            )
            for x in lines
        ],
        batch_size=500,
    )
    return snapshot


# Callables run after a snapshot is committed, with its id (e.g. the bulletins app
# generating documents). Registered at import time by the consumer's AppConfig.ready().
PUBLISHED_HOOKS: list = []


def on_published(func):
    """Register `func(snapshot_id)` to run after each publication (bulletins)."""
    PUBLISHED_HOOKS.append(func)
    return func


def _published_hooks(snapshot_id: int) -> None:
    for hook in PUBLISHED_HOOKS:
        hook(snapshot_id)


@transaction.atomic
def period_reopen(
    user, period: Period, *, reason: str, expected_version: int | None = None
) -> Period:
    """Take a published period back to `draft` for a correction. The published snapshot
    stays as it is; the period must be recomputed (so the correction's inputs count) before
    the next publication, which becomes version N+1 with this reason."""
    permissions.check_manage(user, period.scheme)
    if not (reason or "").strip():
        raise ValidationFailed("撤回更正需要说明原因")
    period.refresh_from_db()
    if period.status != PeriodStatus.PUBLISHED:
        raise TransitionNotAllowed("只有已发布的周期可以撤回更正")
    version = expected_version if expected_version is not None else period.version
    moved = Period.objects.filter(
        pk=period.pk, status=PeriodStatus.PUBLISHED, version=version
    ).update(
        status=PeriodStatus.DRAFT,
        version=version + 1,
        correction_reason=reason.strip(),
        updated_at=timezone.now(),
    )
    if not moved:
        raise ConcurrentUpdate()
    audit.record(user, "period_reopen", period, data={"reason": reason.strip()})
    period.refresh_from_db()
    return period


# --- manual adjustments -------------------------------------------------------------------


@transaction.atomic
def adjustment_create(
    user,
    period: Period,
    target: AssessedObject,
    *,
    points,
    reason: str,
    evidence=None,
) -> ManualAdjustment:
    """A bonus (+) or deduction (−) for one object; counts at the next computation."""
    permissions.check_manage(user, period.scheme)
    period.refresh_from_db(fields=["status", "version"])
    if period.status == PeriodStatus.PUBLISHED:
        raise TransitionNotAllowed("该周期已发布，不能再录入加减分；如需更正请先撤回")
    try:
        value = Decimal(str(points)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValidationFailed("加减分应为数字") from None
    if value == 0:
        raise ValidationFailed("加减分不能为0")
    if not (reason or "").strip():
        raise ValidationFailed("请填写加减分事由")
    from civicloop.scoring.objects import target_queryset

    kind_field = "unit_id" if target.unit_id else "area_id"
    if not target_queryset(period.scheme).filter(pk=getattr(target, kind_field)).exists():
        raise ValidationFailed("该对象不在本方案的考核对象范围内")
    adj = ManualAdjustment(
        period=period, obj=target, points=value, reason=reason.strip(), created_by=user
    )
    if evidence is not None:
        adj.evidence.save(getattr(evidence, "name", "evidence"), evidence, save=False)
    adj.save()
    audit.record(
        user,
        "adjustment_create",
        adj,
        data={"period": period.pk, "obj": target.pk, "points": str(value), "reason": adj.reason},
    )
    return adj


@transaction.atomic
def adjustment_void(user, adjustment: ManualAdjustment, *, reason: str) -> ManualAdjustment:
    period = adjustment.period
    permissions.check_manage(user, period.scheme)
    if period.status == PeriodStatus.PUBLISHED:
        raise TransitionNotAllowed("该周期已发布，不能撤销加减分；如需更正请先撤回")
    if not (reason or "").strip():
        raise ValidationFailed("请填写撤销原因")
    moved = ManualAdjustment.objects.filter(pk=adjustment.pk, is_void=False).update(
        is_void=True, voided_by=user, void_reason=reason.strip()
    )
    if not moved:
        raise TransitionNotAllowed("该加减分已撤销")
    audit.record(user, "adjustment_void", adjustment, data={"reason": reason.strip()})
    adjustment.refresh_from_db()
    return adjustment
