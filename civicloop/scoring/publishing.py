"""Red list, black list, rotating red flag, accountability list, and the frozen snapshot.

Rules (all sizes and rules are scheme settings):

- Red list (红榜): ranked objects with rank ≤ red_list_size (ties at the edge all get in,
  so the list can be longer than N).
- Black list (黑榜): ranked objects whose bottom rank ≤ black_list_size, where bottom rank
  = 1 + the number of ranked objects with a strictly LOWER score (ties again all get in).
  An object on the red list is never also on the black list (tiny groups).
- Rotating red flag (流动红旗): rule "top" → the rank-1 object(s); "most_improved" → the
  object(s) with the largest positive rank_delta, ties broken by the larger score_delta,
  then the better rank; nobody if nobody moved up; "none" → no flag.
- Accountability (约谈/问责 candidates): objects in the bottom `accountability_bottom_n`
  (same bottom-rank rule) in this period AND in each of the K−1 periods immediately
  before it (by calendar) as published (latest version). A period in that chain that was
  never published breaks the chain: nobody is a candidate.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F
from django.db.models.functions import Substr

from civicloop.scoring import periods
from civicloop.scoring.models import (
    ObjectScore,
    Period,
    PublishedSnapshot,
    RedFlagRule,
    Scheme,
    SnapshotRow,
    component_label,
)


def bottom_ranks(rows: list[dict]) -> dict[int, int]:
    """obj id → 1 + number of ranked rows with a strictly lower score."""
    scores = sorted(r["score"] for r in rows if r["rank"] is not None)
    out = {}
    for r in rows:
        if r["rank"] is None:
            continue
        lower = _count_lower(scores, r["score"])
        out[r["obj_id"]] = lower + 1
    return out


def _count_lower(sorted_scores: list[Decimal], score: Decimal) -> int:
    from bisect import bisect_left

    return bisect_left(sorted_scores, score)


def red_flag_ids(rule: str, rows: list[dict]) -> set[int]:
    ranked = [r for r in rows if r["rank"] is not None]
    if rule == RedFlagRule.TOP:
        return {r["obj_id"] for r in ranked if r["rank"] == 1}
    if rule == RedFlagRule.MOST_IMPROVED:
        moved = [r for r in ranked if r["rank_delta"] is not None and r["rank_delta"] > 0]
        if not moved:
            return set()

        def key(r):
            return (r["rank_delta"], r["score_delta"] or Decimal(0), -r["rank"])

        best = max(key(r) for r in moved)
        return {r["obj_id"] for r in moved if key(r) == best}
    return set()


def chain_bottoms(period: Period, k: int) -> list[set[int] | None]:
    """Accountability-bottom object ids of the K−1 periods before `period` (latest
    published version each), nearest first; None where a period is missing/unpublished."""
    kind = period.scheme.period_kind
    starts, start = [], period.start_date
    for _ in range(max(k - 1, 0)):
        start = periods.previous_start(kind, start)
        starts.append(start)
    if not starts:
        return []
    found = dict(
        Period.objects.filter(scheme_id=period.scheme_id, start_date__in=starts).values_list(
            "start_date", "pk"
        )
    )
    latest: dict[int, int] = {}
    for pid, sid, _v in (
        PublishedSnapshot.objects.filter(period_id__in=list(found.values()))
        .order_by("period_id", "version")
        .values_list("period_id", "id", "version")
    ):
        latest[pid] = sid  # ordered by version: the last one wins
    bottoms: dict[int, set[int]] = {sid: set() for sid in latest.values()}
    for sid, oid in SnapshotRow.objects.filter(
        snapshot_id__in=list(bottoms), in_accountability_bottom=True
    ).values_list("snapshot_id", "obj_id"):
        bottoms[sid].add(oid)
    out: list[set[int] | None] = []
    for s in starts:
        pid = found.get(s)
        out.append(bottoms[latest[pid]] if pid in latest else None)
    return out


def flags_for(period: Period, rows: list[dict]) -> dict[int, dict]:
    """obj id → {on_red_list, on_black_list, red_flag, in_accountability_bottom,
    accountability} for the rows of a computed period."""
    scheme: Scheme = period.scheme
    bottom = bottom_ranks(rows)
    red = {r["obj_id"] for r in rows if r["rank"] is not None and r["rank"] <= scheme.red_list_size}
    black = {oid for oid, b in bottom.items() if b <= scheme.black_list_size} - red
    acc_bottom = {oid for oid, b in bottom.items() if b <= scheme.accountability_bottom_n}
    flag = red_flag_ids(scheme.red_flag_rule, rows)
    k = scheme.accountability_periods
    accountable = set(acc_bottom) if k >= 1 and scheme.accountability_bottom_n else set()
    for previous in chain_bottoms(period, k):
        accountable &= previous if previous is not None else set()
    return {
        r["obj_id"]: {
            "on_red_list": r["obj_id"] in red,
            "on_black_list": r["obj_id"] in black,
            "red_flag": r["obj_id"] in flag,
            "in_accountability_bottom": r["obj_id"] in acc_bottom,
            "accountability": r["obj_id"] in accountable,
        }
        for r in rows
    }


def score_rows(period: Period) -> list[ObjectScore]:
    """The computed rows in rank order with objects and breakdown (3 queries)."""
    return list(
        ObjectScore.objects.filter(period=period)
        .select_related("obj__unit", "obj__area")
        .prefetch_related("components__component")
        .order_by(F("rank").asc(nulls_last=True), "id")
    )


def row_dicts(scores: list[ObjectScore]) -> list[dict]:
    return [
        {
            "obj_id": s.obj_id,
            "rank": s.rank,
            "score": s.score,
            "rank_delta": s.rank_delta,
            "score_delta": s.score_delta,
        }
        for s in scores
    ]


def _s(value) -> str | None:
    return None if value is None else str(value)


def breakdown(score: ObjectScore) -> list[dict]:
    return [
        {
            "key": c.key,
            "label": c.component.label or component_label(c.key),
            "mode": c.mode,
            "weight": _s(c.component.weight),
            "applicable": c.applicable,
            "points": _s(c.points),
            "effective_weight": _s(c.effective_weight),
            "contribution": _s(c.contribution),
            "detail": c.detail,
        }
        for c in score.components.all()
    ]


def overdue_details(period: Period, names: dict[int, str]) -> list[dict]:
    """The period's overdue problems with what a bulletin prints (one query)."""
    from civicloop.problems.models import Problem

    pairs = {p: o for p, o in period.overdue_problems}
    # Plain rows, not model instances: at city scale this list holds tens of thousands of
    # problems, and a bulletin prints only these fields.
    rows = (
        Problem.objects.filter(pk__in=list(pairs))
        .order_by("responsible_unit__path", "due_at", "id")
        .values_list(
            "id",
            "number",
            "title",
            Substr("description", 1, 40),
            "category__name",
            "responsible_unit_id",
            "responsible_unit__name",
            "area__name",
            "address",
            "due_at",
            "escalation_level",
        )
    )
    return [
        {
            "id": pk,
            "number": number,
            "title": title or description,
            "category": category,
            "unit_id": unit_id,
            "unit": unit or "",
            "area": area,
            "address": address,
            "due_at": due_at.isoformat() if due_at else None,
            "escalation_level": level,
            "obj_id": pairs[pk],
            "object": names.get(pairs[pk], ""),
        }
        for (
            pk,
            number,
            title,
            description,
            category,
            unit_id,
            unit,
            area,
            address,
            due_at,
            level,
        ) in rows
    ]


def scheme_settings(scheme: Scheme) -> dict:
    return {
        "id": scheme.pk,
        "name": scheme.name,
        "period_kind": scheme.period_kind,
        "object_group": scheme.object_group,
        "base_score": str(scheme.base_score),
        "grade_bands": scheme.grade_bands,
        "red_list_size": scheme.red_list_size,
        "black_list_size": scheme.black_list_size,
        "red_flag_rule": scheme.red_flag_rule,
        "accountability_bottom_n": scheme.accountability_bottom_n,
        "accountability_periods": scheme.accountability_periods,
        "components": [
            {
                "key": c.key,
                "label": c.label or component_label(c.key),
                "weight": str(c.weight),
                "params": c.params,
            }
            for c in scheme.components.filter(is_active=True).order_by("sort_order", "id")
        ],
    }
