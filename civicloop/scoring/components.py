"""Score components: the plug-in interface, the registry and the built-in components.

A component turns one kind of data into a number per assessed object for a period:

    class MyComponent(Component):
        key = "my_key"; label = "…"; mode = ComponentMode.WEIGHTED
        def compute(self, period, objects) -> dict[int, tuple[Decimal | None, dict]]: ...

`period` is a `PeriodContext` (the window [start, end), the scheme, an object index and a
per-computation cache); `objects` the assessed objects. The result maps
AssessedObject.id → (value, detail). Each component runs ONE aggregate query (or reads a
result another component already cached on the context), never one query per object.

Two modes:
- WEIGHTED: value is points on a 0–100 scale, or None = not applicable (no data). The
  scheme renormalises the weights over the applicable components (computation.py).
- ADDITIVE: value is signed points added to the score (bonus > 0, deduction < 0);
  None is not used (an object with nothing to add gets 0).

Later components (questionnaire rates, online materials, task progress) subclass
`Component` in their own app and call `register()`; the scheme references them by key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

from django.db.models import Count, Q, Sum

from civicloop.core.errors import ValidationFailed
from civicloop.scoring.models import AssessedObject, ComponentMode

TWO = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0")

Result = dict[int, tuple[Decimal | None, dict]]


def q2(value: Decimal) -> Decimal:
    """Fixed rounding for every stored number: 2 places, half up."""
    return Decimal(value).quantize(TWO, rounding=ROUND_HALF_UP)


def dec(value) -> Decimal:
    # Floats come from JSON params and database averages: go through str so 0.3 stays 0.3.
    return value if isinstance(value, Decimal) else Decimal(str(value))


# --- the object index: maps data rows (unit id, area path) to assessed objects ------------


@dataclass
class ObjectIndex:
    """Attributes rows to objects: by unit id (unit objects) or area path (area objects).

    An area object owns everything in its subtree; when objects nest (a street and one of
    its communities), the deepest object wins, so nothing is counted twice.
    """

    kind: str  # "unit" or "area"
    by_unit: dict[int, int] = field(default_factory=dict)  # unit id → object id
    by_path: dict[str, int] = field(default_factory=dict)  # area path → object id

    @classmethod
    def build(cls, objects: list[AssessedObject]) -> ObjectIndex:
        kinds = {"unit" if o.unit_id else "area" for o in objects}
        if len(kinds) > 1:
            raise ValueError("a scheme ranks either units or areas, not both")
        index = cls(kind=kinds.pop() if kinds else "unit")
        for o in objects:
            if o.unit_id:
                index.by_unit[o.unit_id] = o.pk
            else:
                index.by_path[o.area.path] = o.pk
        return index

    def for_unit(self, unit_id: int | None) -> int | None:
        return self.by_unit.get(unit_id) if unit_id is not None else None

    def for_path(self, path: str | None) -> int | None:
        if not path:
            return None
        parts = path.strip("/").split("/")
        for i in range(len(parts), 0, -1):  # deepest first
            found = self.by_path.get("/" + "/".join(parts[:i]) + "/")
            if found is not None:
                return found
        return None


@dataclass
class PeriodContext:
    """What a component sees: the period window, the scheme and a shared cache."""

    start: datetime
    end: datetime  # exclusive
    now: datetime  # "as of" time for state-based facts: min(end, wall clock)
    period: object  # scoring.Period (unsaved in benchmarks is fine)
    scheme: object  # scoring.Scheme
    index: ObjectIndex
    objects: list[AssessedObject]
    previous_period_id: int | None = None
    cache: dict = field(default_factory=dict)

    def cached(self, key: str, producer):
        if key not in self.cache:
            self.cache[key] = producer()
        return self.cache[key]


# --- the interface and registry ---------------------------------------------------------


class Component:
    key: ClassVar[str]
    label: ClassVar[str]
    mode: ClassVar[str] = ComponentMode.WEIGHTED
    description: ClassVar[str] = ""
    # Params with their defaults; `clean_params` accepts only these keys.
    defaults: ClassVar[dict] = {}

    def __init__(self, params: dict | None = None):
        self.params = self.clean_params(params or {})

    @classmethod
    def clean_params(cls, params: dict) -> dict:
        unknown = set(params) - set(cls.defaults)
        if unknown:
            raise ValidationFailed(
                f"指标“{cls.label}”不支持参数：{'、'.join(sorted(unknown))}",
                details={"params": sorted(unknown)},
            )
        merged = {**cls.defaults, **params}
        cls.validate(merged)
        return merged

    @classmethod
    def validate(cls, params: dict) -> None:
        """Raise ValidationFailed on bad params (subclasses override)."""

    def compute(self, period: PeriodContext, objects: list[AssessedObject]) -> Result:
        raise NotImplementedError


REGISTRY: dict[str, type[Component]] = {}


def register(cls: type[Component]) -> type[Component]:
    if cls.key in REGISTRY and REGISTRY[cls.key] is not cls:
        raise ValueError(f"component key {cls.key!r} is already registered")
    REGISTRY[cls.key] = cls
    return cls


def get(key: str) -> type[Component]:
    try:
        return REGISTRY[key]
    except KeyError:
        raise ValidationFailed(f"未知的考核指标类型：{key}") from None


def choices() -> list[tuple[str, str]]:
    return [(k, c.label) for k, c in REGISTRY.items()]


def _number(params: dict, name: str, *, label: str) -> Decimal:
    try:
        return dec(params[name])
    except Exception:  # noqa: BLE001 - any unparsable value is the same user error
        raise ValidationFailed(f"参数“{label}”应为数字") from None


# --- inspections ------------------------------------------------------------------------


@register
class InspectionRate(Component):
    """Mean score rate of the submitted inspections of the object's points in the period.

    Definition shared with the inspections roll-ups (civicloop.inspections.scoring):
    mean of the point rates (each inspected point counts once), on 0–100. Attribution
    uses the snapshot columns stored on the inspection (responsible unit / area path at
    inspection time). No inspection in the period → not applicable.
    """

    key = "inspection_rate"
    label = "实地检查得分率"
    mode = ComponentMode.WEIGHTED
    defaults: ClassVar[dict] = {"round_kinds": []}

    @classmethod
    def validate(cls, params: dict) -> None:
        from civicloop.inspections.models import RoundKind

        bad = [k for k in params["round_kinds"] if k not in RoundKind.values]
        if bad:
            raise ValidationFailed(f"未知的检查轮次类型：{'、'.join(bad)}")

    def compute(self, period: PeriodContext, objects: list[AssessedObject]) -> Result:
        from civicloop.inspections.models import Inspection, InspectionStatus
        from civicloop.inspections.scoring import AGGREGATES, Rollup

        qs = Inspection.objects.filter(
            status=InspectionStatus.SUBMITTED,
            submitted_at__gte=period.start,
            submitted_at__lt=period.end,
        )
        if self.params["round_kinds"]:
            qs = qs.filter(round__kind__in=self.params["round_kinds"])
        column = "unit_id" if period.index.kind == "unit" else "area_path"
        if period.index.kind == "unit":
            qs = qs.filter(unit_id__in=list(period.index.by_unit))
        rollups: dict[int, Rollup] = {}
        for row in qs.order_by().values(column).annotate(**AGGREGATES):
            oid = (
                period.index.for_unit(row[column])
                if column == "unit_id"
                else period.index.for_path(row[column])
            )
            if oid is not None:
                rollups.setdefault(oid, Rollup(oid)).add(row)
        out: Result = {}
        for o in objects:
            r = rollups.get(o.pk)
            if r is None or r.rate is None:
                out[o.pk] = (None, {"inspections": r.n if r else 0})
                continue
            detail = {
                "inspections": r.n,
                "passed": r.passed,
                "mean_rate": str(r.rate),
                "earned": str(r.earned),
                "max_score": str(r.max_score),
            }
            out[o.pk] = (r.rate * HUNDRED, detail)
        return out


# --- ledger KPIs (civicloop.problems.kpis) ----------------------------------------------


def ledger_kpis(period: PeriodContext) -> dict[int, object]:
    """KpiRow per object id, from `problems.kpis.kpi_table` (cached per computation).

    Unit objects: one kpi_table(group_by="unit") call. Area objects: one call per distinct
    parent area (kpi_table groups by the parent's direct children), so a scheme over the
    streets of one district is one call; streets across 5 districts are 5.
    """

    def produce():
        from civicloop.problems.kpis import kpi_table

        out: dict[int, object] = {}
        if period.index.kind == "unit":
            for row in kpi_table(
                group_by="unit", start=period.start, end=period.end, now=period.now
            ):
                oid = period.index.for_unit(row.key)
                if oid is not None:
                    out[oid] = row
            return out
        parents: dict[int, object] = {}
        for o in period.objects:
            parents.setdefault(o.area.parent_id, o.area.parent)
        by_area = {o.area_id: o.pk for o in period.objects}
        for parent in parents.values():
            if parent is None:
                # Root areas as objects: each one is its own "child" group.
                for o in period.objects:
                    if o.area.parent_id is None:
                        rows = kpi_table(
                            group_by="area",
                            area=o.area,
                            start=period.start,
                            end=period.end,
                            now=period.now,
                        )
                        _merge_root(out, o.pk, rows)
                continue
            for row in kpi_table(
                group_by="area", area=parent, start=period.start, end=period.end, now=period.now
            ):
                if row.key in by_area:
                    out[by_area[row.key]] = row
        return out

    return period.cached("ledger_kpis", produce)


def _merge_root(out: dict, oid: int, rows: list) -> None:
    from civicloop.problems.kpis import kpi_totals

    if rows:
        out[oid] = kpi_totals(rows)


class LedgerMetric(Component):
    """A ledger KPI mapped linearly to points: `full_at` → 100, `zero_at` → 0 (clamped).

    E.g. on-time rate: full_at=1, zero_at=0 (rate × 100); overdue count: full_at=0,
    zero_at=20 (each overdue problem costs 5 points, 0 from 20 on).
    """

    mode = ComponentMode.WEIGHTED
    metric: ClassVar[str]
    # Value when the object has no KPI row at all: rates have no data (not applicable),
    # counts are simply zero.
    missing: ClassVar[Decimal | None] = None

    @classmethod
    def validate(cls, params: dict) -> None:
        full = _number(params, "full_at", label="满分值")
        zero = _number(params, "zero_at", label="零分值")
        if full == zero:
            raise ValidationFailed("满分值与零分值不能相同")

    def raw(self, row) -> Decimal | None:
        value = getattr(row, self.metric) if row is not None else self.missing
        return None if value is None else dec(value)

    def points(self, raw: Decimal) -> Decimal:
        full, zero = dec(self.params["full_at"]), dec(self.params["zero_at"])
        share = (raw - zero) / (full - zero)
        return min(max(share, ZERO), Decimal(1)) * HUNDRED

    def compute(self, period: PeriodContext, objects: list[AssessedObject]) -> Result:
        kpis = ledger_kpis(period)
        out: Result = {}
        for o in objects:
            row = kpis.get(o.pk)
            raw = self.raw(row)
            detail = self.detail(row)
            detail["value"] = str(raw) if raw is not None else None
            out[o.pk] = (None if raw is None else self.points(raw), detail)
        return out

    def detail(self, row) -> dict:
        return {}


@register
class LedgerOnTimeRate(LedgerMetric):
    key = "ledger_on_time_rate"
    label = "问题按期整改率"
    metric = "on_time_rate"
    defaults: ClassVar[dict] = {"full_at": 1, "zero_at": 0}

    def detail(self, row) -> dict:
        return {"due": row.due if row else 0, "on_time": row.on_time if row else 0}


@register
class LedgerReworkRate(LedgerMetric):
    key = "ledger_rework_rate"
    label = "整改返工率"
    metric = "rework_rate"
    defaults: ClassVar[dict] = {"full_at": 0, "zero_at": 1}

    def detail(self, row) -> dict:
        return {
            "submissions": row.submissions if row else 0,
            "reworks": row.reworks if row else 0,
        }


@register
class LedgerOverdueCount(LedgerMetric):
    missing = ZERO
    key = "ledger_overdue_count"
    label = "超期未整改问题数"
    metric = "overdue_now"
    defaults: ClassVar[dict] = {"full_at": 0, "zero_at": 20}

    def detail(self, row) -> dict:
        return {"overdue": row.overdue_now if row else 0}


@register
class LedgerRecurrenceCount(LedgerMetric):
    missing = ZERO
    key = "ledger_recurrence_count"
    label = "问题反弹次数"
    metric = "recurrences"
    defaults: ClassVar[dict] = {"full_at": 0, "zero_at": 10}

    def detail(self, row) -> dict:
        return {"recurrences": row.recurrences if row else 0}


# --- deduction rules and manual entries (additive) ---------------------------------------


class PerCountRule(Component):
    """Signed points per counted item (e.g. −0.3 per problem)."""

    mode = ComponentMode.ADDITIVE

    @classmethod
    def validate(cls, params: dict) -> None:
        _number(params, "points_per_item", label="每项分值")
        cap = params.get("cap")
        if cap not in (None, "") and _number(params, "cap", label="封顶分值") < 0:
            raise ValidationFailed("封顶分值应为非负数（按绝对值封顶）")

    def apply(self, count: int) -> Decimal:
        value = dec(self.params["points_per_item"]) * count
        cap = self.params.get("cap")
        if cap not in (None, ""):
            cap = dec(cap)
            value = max(min(value, cap), -cap)
        return value


@register
class CityFoundDeduction(PerCountRule):
    """Per problem found by the city in the period (registered from the listed sources,
    not rejected/voided), charged to the current responsible unit / the problem's area."""

    key = "city_found_deduction"
    label = "市级督查发现问题扣分"
    defaults: ClassVar[dict] = {
        "points_per_item": "-0.3",
        "sources": ["inspection", "superior_notice"],
        "cap": None,
    }

    @classmethod
    def validate(cls, params: dict) -> None:
        from civicloop.problems.models import Source

        super().validate(params)
        bad = [s for s in params["sources"] if s not in Source.values]
        if bad:
            raise ValidationFailed(f"未知的问题来源：{'、'.join(bad)}")

    def compute(self, period: PeriodContext, objects: list[AssessedObject]) -> Result:
        from civicloop.problems.models import Problem, Status

        qs = Problem.objects.filter(
            created_at__gte=period.start,
            created_at__lt=period.end,
            source__in=self.params["sources"],
        ).exclude(status__in=[Status.REJECTED, Status.VOIDED])
        counts = _count_by_object(qs, period.index)
        return {
            o.pk: (self.apply(counts.get(o.pk, 0)), {"problems": counts.get(o.pk, 0)})
            for o in objects
        }


@register
class LateRectificationDeduction(PerCountRule):
    """Per problem due in the period that was not closed on time (due − on_time of the
    ledger KPIs: still open, or submitted after its deadline)."""

    key = "late_rectification_deduction"
    label = "未按期整改扣分"
    defaults: ClassVar[dict] = {"points_per_item": "-1", "cap": None}

    def compute(self, period: PeriodContext, objects: list[AssessedObject]) -> Result:
        kpis = ledger_kpis(period)
        out: Result = {}
        for o in objects:
            row = kpis.get(o.pk)
            late = (row.due - row.on_time) if row else 0
            out[o.pk] = (self.apply(late), {"due": row.due if row else 0, "late": late})
        return out


def overdue_at_end(period: PeriodContext) -> list[tuple[int, int]]:
    """[(problem id, object id)] of problems overdue at the period's "as of" time that
    belong to an assessed object: what this period's bulletin lists (cached)."""

    def produce():
        from civicloop.problems.deadlines import overdue_q
        from civicloop.problems.models import Problem

        column = "responsible_unit_id" if period.index.kind == "unit" else "area__path"
        qs = Problem.objects.filter(overdue_q(period.now))
        if period.index.kind == "unit":
            qs = qs.filter(responsible_unit_id__in=list(period.index.by_unit))
        out = []
        for pid, key in qs.order_by("id").values_list("id", column):
            oid = (
                period.index.for_unit(key) if column != "area__path" else period.index.for_path(key)
            )
            if oid is not None:
                out.append((pid, oid))
        return out

    return period.cached("overdue_at_end", produce)


@register
class RepeatOverdueDeduction(PerCountRule):
    """Per problem listed as overdue in this period's bulletin AND in the previous
    period's latest published bulletin ("appears in two consecutive bulletins").

    "Appears in a bulletin" = is in the published snapshot's `overdue_problems` list (the
    problems open with the unit and past their deadline at the end of that period). The
    previous period is the scheme's period just before this one; if it was never
    published, nothing is deducted.
    """

    key = "repeat_overdue_deduction"
    label = "连续两期通报未整改扣分"
    defaults: ClassVar[dict] = {"points_per_item": "-2", "cap": None}

    def compute(self, period: PeriodContext, objects: list[AssessedObject]) -> Result:
        previous = previous_bulletin_problem_ids(period)
        counts: dict[int, int] = {}
        for pid, oid in overdue_at_end(period):
            if pid in previous:
                counts[oid] = counts.get(oid, 0) + 1
        return {
            o.pk: (self.apply(counts.get(o.pk, 0)), {"repeated": counts.get(o.pk, 0)})
            for o in objects
        }


def previous_bulletin_problem_ids(period: PeriodContext) -> set[int]:
    def produce():
        from civicloop.scoring.models import PublishedSnapshot

        prev = period.previous_period_id
        if prev is None:
            return set()
        snap = (
            PublishedSnapshot.objects.filter(period_id=prev)
            .order_by("-version")
            .values_list("data", flat=True)
            .first()
        )
        if not snap:
            return set()
        return {p["id"] for p in snap.get("overdue_problems", [])}

    return period.cached("previous_bulletin", produce)


@register
class ManualAdjustments(Component):
    """Sum of the period's manual bonus/deduction entries (not withdrawn) per object."""

    key = "manual_adjustment"
    label = "手工加减分"
    mode = ComponentMode.ADDITIVE
    defaults: ClassVar[dict] = {}

    def compute(self, period: PeriodContext, objects: list[AssessedObject]) -> Result:
        from civicloop.scoring.models import ManualAdjustment

        rows = (
            ManualAdjustment.objects.filter(period_id=period.period.pk, is_void=False)
            .order_by()
            .values("obj_id")
            .annotate(
                total=Sum("points"),
                n=Count("id"),
                bonus=Sum("points", filter=Q(points__gt=0)),
                deduction=Sum("points", filter=Q(points__lt=0)),
            )
        )
        found = {r["obj_id"]: r for r in rows}
        out: Result = {}
        for o in objects:
            r = found.get(o.pk)
            if r is None:
                out[o.pk] = (ZERO, {"entries": 0})
                continue
            out[o.pk] = (
                dec(r["total"]),
                {
                    "entries": r["n"],
                    "bonus": str(q2(dec(r["bonus"] or 0))),
                    "deduction": str(q2(dec(r["deduction"] or 0))),
                },
            )
        return out


def _count_by_object(qs, index: ObjectIndex) -> dict[int, int]:
    """COUNT(*) of a problem queryset grouped by unit (or area path) → object id."""
    if index.kind == "unit":
        rows = (
            qs.filter(responsible_unit_id__in=list(index.by_unit))
            .order_by()
            .values_list("responsible_unit_id")
            .annotate(n=Count("id"))
        )
        lookup = index.for_unit
    else:
        rows = qs.order_by().values_list("area__path").annotate(n=Count("id"))
        lookup = index.for_path
    out: dict[int, int] = {}
    for key, n in rows:
        oid = lookup(key)
        if oid is not None:
            out[oid] = out.get(oid, 0) + n
    return out
