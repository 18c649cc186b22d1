"""Scores: one item, one inspection, and the roll-ups of a round (DESIGN.md §9).

Definitions (tested on hand-built inspections in tests/test_scoring.py):

- Item (max M):
  pass/fail mode — pass earns M, fail earns 0;
  deduction mode — pass earns M; fail deducts d with 0 < d ≤ M (d defaults to M), earns M − d;
  count mode — pass earns M; fail needs a count n ≥ 1 and deducts min(n × per_count, M)
  (per_count missing → M, i.e. any finding loses the item);
  not applicable — earns nothing and drops out of the maximum.
- Inspection (点位): earned = Σ earned, maximum = Σ M over applicable items,
  score rate = earned ÷ maximum (None when every item is not applicable). A failed
  critical item (关键项) fails the point: the rate is still reported as computed, and
  `passed = False`; otherwise `passed = True`. Totals are stored on submit.
- Roll-up of a group of submitted inspections (area subtree, responsible unit, point
  type): n points, Σ earned, Σ maximum, mean score rate = AVG(point rate) (each point
  counts once, however many items it has — as 实地考察 scoring averages points), passed
  points and pass rate = passed ÷ n.
- Indicator: for each indicator that check items point to, mean item rate = AVG(earned ÷
  M) over the applicable item results of the round, and indicator score = value × mean
  item rate, where value = the indicator's weight (权重) or, when it has none, its score
  (分值); without either only the rate is reported.
- Comparison: the same roll-up for the previous non-draft round of the same kind
  (earlier start date); delta = current mean rate − previous mean rate.

Everything that touches rows is an aggregate in the database. Area roll-ups are one
GROUP BY on the inspection's area; adding those per-area sums into each ancestor area
happens in Python over the (few hundred) groups, never over inspections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast

from civicloop.core.errors import ValidationFailed
from civicloop.orgs.models import Area, PointType, Unit
from civicloop.standards.models import Indicator, JudgeMode

from .models import Inspection, InspectionStatus, ItemOutcome, ItemResult, Round

ZERO = Decimal("0")
RATE_PLACES = Decimal("0.000001")


# --- One item ---------------------------------------------------------------------------


def item_score(
    *,
    judge_mode: str,
    item_max: Decimal,
    deduction_per_count: Decimal | None,
    outcome: str,
    deduction: Decimal | None = None,
    count: int | None = None,
) -> tuple[Decimal, Decimal | None, int | None]:
    """(deduction, earned, count) for one answer; raises ValidationFailed on bad input."""
    item_max = Decimal(item_max)
    if outcome not in ItemOutcome.values:
        raise ValidationFailed("请选择检查结果：达标、不达标或不适用")
    if outcome == ItemOutcome.NOT_APPLICABLE:
        return ZERO, None, None
    if outcome == ItemOutcome.PASS:
        if deduction not in (None, 0, ZERO) or count not in (None, 0):
            raise ValidationFailed("达标的检查项不能扣分")
        return ZERO, item_max, 0 if judge_mode == JudgeMode.COUNT else None
    # outcome == FAIL
    if judge_mode == JudgeMode.DEDUCTION:
        d = item_max if deduction is None else Decimal(deduction)
        if d <= 0 or d > item_max:
            raise ValidationFailed(f"扣分应大于0且不超过该项满分{item_max}分")
        return d, item_max - d, None
    if judge_mode == JudgeMode.COUNT:
        if count is None or int(count) < 1:
            raise ValidationFailed("计数扣分的检查项不达标时请填写发现处数（至少1处）")
        per = Decimal(deduction_per_count) if deduction_per_count else item_max
        d = min(per * int(count), item_max)
        return d, item_max - d, int(count)
    return item_max, ZERO, None


# --- One inspection ---------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    earned: Decimal
    max_score: Decimal
    rate: Decimal | None
    passed: bool
    failed_count: int
    critical_failed: bool


def rate_of(earned: Decimal, maximum: Decimal) -> Decimal | None:
    if not maximum:
        return None
    return (Decimal(earned) / Decimal(maximum)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def inspection_totals(inspection_id: int) -> Totals:
    """One aggregate query over the inspection's item results."""
    applicable = ~Q(outcome=ItemOutcome.NOT_APPLICABLE)
    failed = Q(outcome=ItemOutcome.FAIL)
    agg = ItemResult.objects.filter(inspection_id=inspection_id).aggregate(
        earned=Sum("earned", filter=applicable),
        max_score=Sum("item_max", filter=applicable),
        failed=Count("id", filter=failed),
        critical=Count("id", filter=failed & Q(is_critical=True)),
    )
    earned = Decimal(agg["earned"] or 0)
    maximum = Decimal(agg["max_score"] or 0)
    critical_failed = bool(agg["critical"])
    return Totals(
        earned=earned,
        max_score=maximum,
        rate=rate_of(earned, maximum),
        passed=not critical_failed,
        failed_count=agg["failed"],
        critical_failed=critical_failed,
    )


# --- Roll-ups ---------------------------------------------------------------------------


@dataclass
class Rollup:
    key: object  # an Area / Unit / PointType / Indicator, or an id
    n: int = 0
    earned: Decimal = ZERO
    max_score: Decimal = ZERO
    rate_sum: Decimal = ZERO
    rated: int = 0  # points with a rate (not all items N/A)
    passed: int = 0
    failed_items: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def rate(self) -> Decimal | None:
        if not self.rated:
            return None
        return (self.rate_sum / self.rated).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)

    @property
    def pass_rate(self) -> Decimal | None:
        if not self.n:
            return None
        return (Decimal(self.passed) / self.n).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)

    def add(self, row: dict) -> None:
        self.n += row["n"]
        self.earned += Decimal(row["earned"] or 0)
        self.max_score += Decimal(row["max_score"] or 0)
        self.rate_sum += Decimal(row["rate_sum"] or 0)
        self.rated += row["rated"]
        self.passed += row["passed"]
        self.failed_items += row["failed_items"]


AGGREGATES = {
    "n": Count("id"),
    "earned": Sum("earned"),
    "max_score": Sum("max_score"),
    "rate_sum": Sum("rate"),
    "rated": Count("rate"),
    "passed": Count("id", filter=Q(passed=True)),
    "failed_items": Sum("failed_count"),
}


def submitted(round_: Round | int):
    round_id = getattr(round_, "pk", round_)
    return Inspection.objects.filter(round_id=round_id, status=InspectionStatus.SUBMITTED)


def _grouped(round_, column: str) -> dict[int, dict]:
    rows = submitted(round_).order_by().values(column).annotate(**AGGREGATES)
    return {row[column]: row for row in rows}


def area_rollup(
    round_: Round | int, *, level: str | None = None, parent: Area | None = None
) -> list[Rollup]:
    """Per area (subtree semantics): the areas of `level` (inside `parent` if given), or
    the children of `parent`. One GROUP BY over inspections + one query for the areas."""
    if level is None and parent is None:
        raise ValueError("area_rollup needs a level or a parent")
    areas = Area.objects.all()
    if parent is not None:
        areas = areas.filter(path__startswith=parent.path).exclude(pk=parent.pk)
        if level is None:
            areas = areas.filter(parent=parent)
    if level is not None:
        areas = areas.filter(level=level)
    targets = {a.path: Rollup(a) for a in areas.order_by("path")}
    groups = submitted(round_).order_by().values("area_path").annotate(**AGGREGATES)
    for row in groups:
        # Add this area's sums to each target that is the area itself or an ancestor.
        path = row["area_path"]
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            target = targets.get("/" + "/".join(parts[:i]) + "/")
            if target is not None:
                target.add(row)
    return list(targets.values())


UNIT_FIELDS = ("name", "short_name", "code", "path", "kind")
POINT_TYPE_FIELDS = ("name", "code", "group", "sort_order")


def _grouped_with(round_, column: str, model, fields: tuple[str, ...]) -> list[Rollup]:
    """One GROUP BY joined to the grouped model, so the names come in the same query;
    the keys are unsaved-looking instances carrying just those fields (read-only)."""
    names = {f"{column}__{f}": f for f in fields}
    rows = submitted(round_).order_by().values(column, *names).annotate(**AGGREGATES)
    result = []
    for row in rows:
        key = model(pk=row[column], **{f: row[joined] for joined, f in names.items()})
        result.append(_rollup(key, row))
    return result


def unit_rollup(round_: Round | int) -> list[Rollup]:
    """Per responsible unit (the unit of the point when the inspection was submitted)."""
    rollups = _grouped_with(round_, "unit", Unit, UNIT_FIELDS)
    return sorted(rollups, key=lambda r: (r.key.path, r.key.pk))


def point_type_rollup(round_: Round | int) -> list[Rollup]:
    rollups = _grouped_with(round_, "point_type", PointType, POINT_TYPE_FIELDS)
    return sorted(rollups, key=lambda r: (r.key.sort_order, r.key.code))


def _rollup(key, row: dict) -> Rollup:
    r = Rollup(key)
    r.add(row)
    return r


@dataclass(frozen=True)
class IndicatorScore:
    indicator: Indicator
    results: int  # applicable item results
    failed: int
    rate: Decimal | None
    value: Decimal | None  # weight, or score when there is no weight
    score: Decimal | None


def indicator_rollup(round_: Round | int) -> list[IndicatorScore]:
    """Per indicator linked from check items: one GROUP BY over the round's item results."""
    round_id = getattr(round_, "pk", round_)
    item_rate = Cast(F("earned"), FloatField()) / Cast(F("item_max"), FloatField())
    rows = (
        ItemResult.objects.filter(
            inspection__round_id=round_id,
            inspection__status=InspectionStatus.SUBMITTED,
            indicator__isnull=False,
        )
        .exclude(outcome=ItemOutcome.NOT_APPLICABLE)
        .order_by()
        .values("indicator")
        .annotate(
            results=Count("id"),
            failed=Count("id", filter=Q(outcome=ItemOutcome.FAIL)),
            rate=Avg(item_rate),
        )
    )
    rows = {row["indicator"]: row for row in rows}
    indicators = Indicator.objects.in_bulk(list(rows))
    out = []
    for pk, row in rows.items():
        ind = indicators[pk]
        rate = Decimal(str(row["rate"])).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
        value = ind.weight if ind.weight is not None else ind.score
        score = (value * rate).quantize(Decimal("0.0001")) if value is not None else None
        out.append(IndicatorScore(ind, row["results"], row["failed"], rate, value, score))
    out.sort(key=lambda s: (s.indicator.path, s.indicator.code))
    return out


def round_total(round_: Round | int) -> Rollup:
    agg = submitted(round_).aggregate(**AGGREGATES)
    r = Rollup(getattr(round_, "pk", round_))
    r.add({k: (v or 0) for k, v in agg.items()})
    return r


@dataclass(frozen=True)
class Delta:
    key: object
    current: Rollup | None
    previous: Rollup | None

    @property
    def delta(self) -> Decimal | None:
        if self.current is None or self.previous is None:
            return None
        if self.current.rate is None or self.previous.rate is None:
            return None
        return self.current.rate - self.previous.rate


def compare(
    round_: Round, *, by: str = "area", level: str | None = None, parent: Area | None = None
) -> tuple[Round | None, list[Delta]]:
    """The roll-up `by` area (with level/parent) or unit, next to the previous round's."""
    from .sampling import previous_round

    prev = previous_round(round_)

    def rollup(r):
        if by == "area":
            return area_rollup(r, level=level, parent=parent)
        if by == "unit":
            return unit_rollup(r)
        if by == "point_type":
            return point_type_rollup(r)
        raise ValueError(f"unknown roll-up {by!r}")

    current = {r.key.pk: r for r in rollup(round_)}
    previous = {r.key.pk: r for r in rollup(prev)} if prev is not None else {}
    keys = list(current) + [k for k in previous if k not in current]
    out = [
        Delta(
            (current.get(k) or previous.get(k)).key,
            current.get(k),
            previous.get(k),
        )
        for k in keys
    ]
    return prev, out
