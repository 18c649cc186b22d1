"""Computing a period: components → scores → ranks → grades → change vs the previous period.

`compute(period)` only reads; `write(period, result)` replaces the period's computed rows
in one transaction and moves the period to `computed` with a compare-and-set. The task in
`tasks.py` / `services.computation_run` wraps both with progress reporting.

Scoring rule (documented in README.md, tested in tests/test_computation.py):

1. Every component's value is rounded to 2 places (ROUND_HALF_UP) first: those are the
   "points" shown in the breakdown, and all arithmetic below uses them.
2. Weighted part = base × Σ(wᵢ·pᵢ) ÷ (100·Σwᵢ) over the APPLICABLE weighted components
   only (value not None). A component without data (e.g. no inspected points) drops out
   and the remaining weights are renormalised: effective weight = wᵢ ÷ Σw(applicable).
   If no weighted component applies (or their weights sum to 0) the object has no score
   and is not ranked ("无数据").
3. Additive part = Σ(weight × value) of the additive components (deductions < 0).
4. Score = max(0, weighted + additive), rounded to 2 places.
5. Rank: standard competition ranking on score, highest first (1, 2, 2, 4); objects
   without a score get no rank and are listed last.
6. Grade: the first band (highest `min` first) whose min the score reaches.
7. Change vs the previous period (the scheme's period just before, by calendar): its
   latest published snapshot if any, else its computed rows. rank_delta = previous −
   current (positive = moved up); score_delta = current − previous.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from civicloop.core.errors import TransitionNotAllowed
from civicloop.scoring import components as comp
from civicloop.scoring import periods
from civicloop.scoring.components import HUNDRED, ZERO, q2
from civicloop.scoring.models import (
    AssessedObject,
    ComponentMode,
    ComponentScore,
    ObjectScore,
    Period,
    PeriodStatus,
    Scheme,
    SchemeComponent,
    SnapshotRow,
)
from civicloop.scoring.objects import select_objects

Progress = Callable[[int, str], None]


@dataclass
class ComponentResult:
    component: SchemeComponent
    key: str
    mode: str
    applicable: bool
    points: Decimal | None
    effective_weight: Decimal | None = None
    contribution: Decimal | None = None
    detail: dict = field(default_factory=dict)


@dataclass
class ObjectResult:
    obj: AssessedObject
    components: list[ComponentResult]
    weighted_score: Decimal | None = None
    adjustment: Decimal = ZERO
    score: Decimal | None = None
    rank: int | None = None
    grade: str = ""
    previous_rank: int | None = None
    previous_score: Decimal | None = None
    rank_delta: int | None = None
    score_delta: Decimal | None = None


@dataclass
class PeriodResult:
    period: Period
    rows: list[ObjectResult]
    overdue_problems: list[tuple[int, int]]  # (problem id, object id)
    previous_period_id: int | None

    def fingerprint(self) -> str:
        canon = [
            [
                r.obj.pk,
                str(r.score),
                r.rank,
                r.grade,
                [[c.key, str(c.points), str(c.contribution)] for c in r.components],
            ]
            for r in self.rows
        ]
        canon.append([[p, o] for p, o in self.overdue_problems])
        return hashlib.sha256(json.dumps(canon, separators=(",", ":")).encode()).hexdigest()


def previous_period(period: Period) -> Period | None:
    start = periods.previous_start(period.scheme.period_kind, period.start_date)
    return Period.objects.filter(scheme_id=period.scheme_id, start_date=start).first()


def context_for(period: Period, objects: list[AssessedObject], *, now=None) -> comp.PeriodContext:
    start, end = periods.window(period.start_date, period.end_date)
    now = now or timezone.now()
    prev = previous_period(period)
    return comp.PeriodContext(
        start=start,
        end=end,
        now=min(end, now),
        period=period,
        scheme=period.scheme,
        index=comp.ObjectIndex.build(objects),
        objects=objects,
        previous_period_id=prev.pk if prev else None,
    )


def active_components(scheme: Scheme) -> list[SchemeComponent]:
    return list(scheme.components.filter(is_active=True).order_by("sort_order", "id"))


def compute(
    period: Period,
    *,
    progress: Progress | None = None,
    now=None,
    objects: list[AssessedObject] | None = None,
) -> PeriodResult:
    """Read everything and return the result (no writes except AssessedObject rows).

    `objects` overrides the scheme's object group (a preview for a subset; benchmarks);
    they must all be units or all areas, loaded with select_related like select_objects.
    """
    report = progress or (lambda pct, msg: None)
    scheme = period.scheme
    report(5, "选取考核对象")
    objects = select_objects(scheme) if objects is None else objects
    ctx = context_for(period, objects, now=now)
    scheme_components = active_components(scheme)
    values: dict[int, dict[int, tuple]] = {}
    for i, sc in enumerate(scheme_components):
        report(10 + int(70 * i / max(len(scheme_components), 1)), f"计算指标：{sc.label or sc.key}")
        instance = comp.get(sc.key)(sc.params)
        values[sc.pk] = instance.compute(ctx, objects)
    report(80, "汇总得分与排名")
    rows = [_assemble(o, scheme, scheme_components, values) for o in objects]
    rank_rows(rows)
    bands = sorted(((Decimal(str(b["min"])), b["grade"]) for b in scheme.grade_bands), reverse=True)
    for r in rows:
        r.grade = grade_for(r.score, bands)
    _apply_previous(rows, ctx.previous_period_id)
    overdue = comp.overdue_at_end(ctx)
    return PeriodResult(period, rows, overdue, ctx.previous_period_id)


def _assemble(obj, scheme, scheme_components, values) -> ObjectResult:
    results: list[ComponentResult] = []
    for sc in scheme_components:
        value, detail = values[sc.pk].get(obj.pk, (None, {}))
        cls = comp.get(sc.key)
        points = q2(value) if value is not None else None
        results.append(
            ComponentResult(sc, sc.key, cls.mode, points is not None, points, detail=detail)
        )
    weighted = [c for c in results if c.mode == ComponentMode.WEIGHTED and c.applicable]
    total_weight = sum((c.component.weight for c in weighted), ZERO)
    base = scheme.base_score
    row = ObjectResult(obj, results)
    if total_weight > 0:
        acc = ZERO
        for c in weighted:
            share = c.component.weight / total_weight
            c.effective_weight = share.quantize(Decimal("0.000001"))
            c.contribution = q2(c.points * share * base / HUNDRED)
            acc += c.component.weight * c.points
        row.weighted_score = q2(acc * base / (HUNDRED * total_weight))
    adjustment = ZERO
    for c in results:
        if c.mode == ComponentMode.ADDITIVE:
            c.contribution = q2(c.points * c.component.weight)
            adjustment += c.contribution
    row.adjustment = q2(adjustment)
    if row.weighted_score is not None:
        row.score = q2(max(ZERO, row.weighted_score + row.adjustment))
    return row


def rank_rows(rows: list[ObjectResult]) -> None:
    """Standard competition ranking (1, 2, 2, 4); unscored rows last, unranked. Sorts rows
    in place: by score desc, then by tree path (a stable, meaningful tie order)."""

    def order(r: ObjectResult):
        target = r.obj.unit or r.obj.area
        return (r.score is None, -(r.score or ZERO), target.path, r.obj.pk)

    rows.sort(key=order)
    previous, rank = None, 0
    for position, r in enumerate(rows, start=1):
        if r.score is None:
            r.rank = None
            continue
        if r.score != previous:
            rank, previous = position, r.score
        r.rank = rank


def grade_for(score: Decimal | None, bands: list[tuple[Decimal, str]]) -> str:
    if score is None:
        return ""
    for minimum, grade in bands:
        if score >= minimum:
            return grade
    return bands[-1][1] if bands else ""


def previous_numbers(period_id: int | None) -> dict[int, tuple[int | None, Decimal | None]]:
    """obj id → (rank, score) of a period: latest published snapshot, else computed rows."""
    if period_id is None:
        return {}
    from civicloop.scoring.models import PublishedSnapshot

    snap = PublishedSnapshot.objects.filter(period_id=period_id).order_by("-version").first()
    if snap is not None:
        rows = SnapshotRow.objects.filter(snapshot=snap).values_list("obj_id", "rank", "score")
    else:
        rows = ObjectScore.objects.filter(period_id=period_id).values_list(
            "obj_id", "rank", "score"
        )
    return {oid: (rank, score) for oid, rank, score in rows}


def _apply_previous(rows: list[ObjectResult], previous_period_id: int | None) -> None:
    prev = previous_numbers(previous_period_id)
    for r in rows:
        rank, score = prev.get(r.obj.pk, (None, None))
        r.previous_rank, r.previous_score = rank, score
        if rank is not None and r.rank is not None:
            r.rank_delta = rank - r.rank
        if score is not None and r.score is not None:
            r.score_delta = q2(r.score - score)


COMPUTABLE = (PeriodStatus.DRAFT, PeriodStatus.COMPUTED)


@transaction.atomic
def write(period: Period, result: PeriodResult) -> Period:
    """Replace the period's computed rows and mark it computed (compare-and-set on the
    status and version read when the job started)."""
    moved = Period.objects.filter(
        pk=period.pk, status__in=COMPUTABLE, version=period.version
    ).update(
        status=PeriodStatus.COMPUTED,
        version=period.version + 1,
        computed_at=timezone.now(),
        result_hash=result.fingerprint(),
        overdue_problems=[[p, o] for p, o in result.overdue_problems],
        updated_at=timezone.now(),
    )
    if not moved:
        current = Period.objects.filter(pk=period.pk).values_list("status", flat=True).first()
        if current == PeriodStatus.PUBLISHED:
            raise TransitionNotAllowed("该周期已发布，不能重新计算；如需更正请先撤回并说明原因")
        from civicloop.core.errors import ConcurrentUpdate

        raise ConcurrentUpdate()
    ObjectScore.objects.filter(period=period).delete()
    scores = ObjectScore.objects.bulk_create(
        [
            ObjectScore(
                period=period,
                obj=r.obj,
                weighted_score=r.weighted_score,
                adjustment=r.adjustment,
                score=r.score,
                rank=r.rank,
                grade=r.grade,
                previous_rank=r.previous_rank,
                previous_score=r.previous_score,
                rank_delta=r.rank_delta,
                score_delta=r.score_delta,
            )
            for r in result.rows
        ],
        batch_size=500,
    )
    ComponentScore.objects.bulk_create(
        [
            ComponentScore(
                object_score=s,
                component=c.component,
                key=c.key,
                mode=c.mode,
                applicable=c.applicable,
                points=c.points,
                effective_weight=c.effective_weight,
                contribution=c.contribution,
                detail=c.detail,
            )
            for s, r in zip(scores, result.rows, strict=True)
            for c in r.components
        ],
        batch_size=1000,
    )
    period.refresh_from_db()
    return period
