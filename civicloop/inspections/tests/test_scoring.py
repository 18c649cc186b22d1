"""Scoring formulas on hand-built inspections with known answers, and roll-ups equal to a
slow Python recount over the rows."""

import random
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from civicloop.core.errors import ValidationFailed
from civicloop.inspections import scoring, services
from civicloop.inspections.models import Inspection, ItemOutcome, ItemResult, RoundKind
from civicloop.inspections.tests.conftest import inspect
from civicloop.orgs.models import AreaLevel, Point
from civicloop.standards.models import JudgeMode

P, F, NA = ItemOutcome.PASS, ItemOutcome.FAIL, ItemOutcome.NOT_APPLICABLE
D = Decimal


@pytest.mark.parametrize(
    ("mode", "outcome", "deduction", "count", "expected"),
    [
        (JudgeMode.PASS_FAIL, P, None, None, (D(0), D(5), None)),
        (JudgeMode.PASS_FAIL, F, None, None, (D(5), D(0), None)),
        (JudgeMode.PASS_FAIL, NA, None, None, (D(0), None, None)),
        (JudgeMode.DEDUCTION, F, D("1.5"), None, (D("1.5"), D("3.5"), None)),
        (JudgeMode.DEDUCTION, F, None, None, (D(5), D(0), None)),  # default: all of it
        (JudgeMode.DEDUCTION, F, D(5), None, (D(5), D(0), None)),
        (JudgeMode.COUNT, F, None, 3, (D("1.5"), D("3.5"), 3)),
        (JudgeMode.COUNT, F, None, 40, (D(5), D(0), 40)),  # capped at the maximum
        (JudgeMode.COUNT, P, None, None, (D(0), D(5), 0)),
    ],
)
def test_item_score(mode, outcome, deduction, count, expected):
    got = scoring.item_score(
        judge_mode=mode,
        item_max=D(5),
        deduction_per_count=D("0.5"),
        outcome=outcome,
        deduction=deduction,
        count=count,
    )
    assert got == expected


@pytest.mark.parametrize(
    ("mode", "outcome", "deduction", "count"),
    [
        (JudgeMode.DEDUCTION, F, D("5.01"), None),  # over the maximum
        (JudgeMode.DEDUCTION, F, D(0), None),
        (JudgeMode.DEDUCTION, F, D(-1), None),
        (JudgeMode.COUNT, F, None, None),  # a failed count needs a count
        (JudgeMode.COUNT, F, None, 0),
        (JudgeMode.PASS_FAIL, P, D(1), None),  # a pass cannot deduct
        (JudgeMode.PASS_FAIL, "maybe", None, None),
    ],
)
def test_item_score_refuses_bad_answers(mode, outcome, deduction, count):
    with pytest.raises(ValidationFailed):
        scoring.item_score(
            judge_mode=mode,
            item_max=D(5),
            deduction_per_count=D("0.5"),
            outcome=outcome,
            deduction=deduction,
            count=count,
        )


# Market items: M1 pass/fail max 2, M2 deduction max 5, M3 count max 3 (0.5 each),
# M4 critical pass/fail max 4, M5 pass/fail max 2.
CASES = {
    "all pass": ({}, D(16), D(16), D(1), True, 0),
    "mixed with N/A": (
        {
            "M1": {"outcome": F},
            "M2": {"outcome": F, "deduction": D("1.5")},
            "M3": {"outcome": F, "count": 2},
            "M5": {"outcome": NA},
        },
        D("9.5"),  # 0 + 3.5 + 2 + 4
        D(14),  # M5 leaves the maximum
        D("0.678571"),  # 9.5 / 14
        True,
        3,
    ),
    "critical failure": (
        {"M4": {"outcome": F}, "M3": {"outcome": F, "count": 10}},
        D(9),  # 2 + 5 + 0 (capped at 3) + 0 + 2
        D(16),
        D("0.5625"),
        False,  # rate reported, point failed
        2,
    ),
    "everything N/A": (
        {c: {"outcome": NA} for c in ("M1", "M2", "M3", "M4", "M5")},
        D(0),
        D(0),
        None,
        True,
        0,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_inspection_totals_known_answers(insp, case):
    overrides, earned, maximum, rate, passed, failed = CASES[case]
    done = inspect(insp, insp.sample_a, insp.member, **overrides)
    done.refresh_from_db()
    assert (done.earned, done.max_score, done.rate, done.passed, done.failed_count) == (
        earned,
        maximum,
        rate,
        passed,
        failed,
    )
    assert done.critical_failed is (case == "critical failure")


# --- Roll-ups vs a slow recount -------------------------------------------------------


@pytest.fixture
def scored(insp):
    """Twelve more market points over both districts and all three units, a census round
    with random answers (seeded), and the same again as an earlier round for deltas."""
    w = insp.w
    units = [w.unit_a, w.unit_a_child, w.unit_b]
    for i in range(12):
        east = i % 2 == 0
        Point.objects.create(
            code=f"P-M-{i:02d}",
            name=f"市场{i}",
            point_type=w.market,
            area=w.east_grid if east else w.west_grid,
            responsible_unit=units[i % 3],
        )
    rng = random.Random(2024)
    rounds = []
    for week, start in enumerate((date(2026, 2, 2), date(2026, 2, 9))):
        r = services.round_create(
            user=w.p.command,
            kind=RoundKind.MONTHLY_DRILL,
            title=f"拉练{week}",
            start_date=start,
            end_date=start,
            areas=[w.city],
            point_types=[w.market],
            seed=week,
        )
        services.round_draw_sample(user=w.p.command, round_=r)
        services.round_publish(user=w.p.command, round_=r)
        for sample in r.samples.all():
            overrides = {}
            for code in ("M1", "M2", "M3", "M4", "M5"):
                pick = rng.random()
                if pick < 0.2:
                    overrides[code] = {"outcome": NA}
                elif pick < 0.5:
                    overrides[code] = {"outcome": F}
                    if code == "M3":
                        overrides[code]["count"] = rng.randint(1, 8)
                    if code == "M2":
                        overrides[code]["deduction"] = D(rng.randint(1, 10)) / 2
            inspect(insp, sample, w.p.command, **overrides)
        rounds.append(r)
    return rounds


def _q(value):
    return value.quantize(scoring.RATE_PLACES, rounding=ROUND_HALF_UP)


def _recount(inspections):
    n = len(inspections)
    rated = [i.rate for i in inspections if i.rate is not None]
    return {
        "n": n,
        "earned": sum((i.earned for i in inspections), D(0)),
        "max": sum((i.max_score for i in inspections), D(0)),
        "rate": _q(sum(rated, D(0)) / len(rated)) if rated else None,
        "passed": sum(1 for i in inspections if i.passed),
        "failed_items": sum(i.failed_count for i in inspections),
    }


def _as_dict(r: scoring.Rollup):
    return {
        "n": r.n,
        "earned": r.earned,
        "max": r.max_score,
        "rate": r.rate,
        "passed": r.passed,
        "failed_items": r.failed_items,
    }


def test_stored_totals_equal_a_recount_of_the_items(insp, scored):
    for i in Inspection.objects.filter(round__in=scored):
        results = list(ItemResult.objects.filter(inspection=i))
        applicable = [r for r in results if r.outcome != NA]
        earned = sum((r.earned for r in applicable), D(0))
        maximum = sum((r.item_max for r in applicable), D(0))
        assert i.earned == earned and i.max_score == maximum
        assert i.rate == (_q(earned / maximum) if maximum else None)
        assert i.passed == (not any(r.is_critical and r.outcome == F for r in results))


def test_area_unit_type_rollups_equal_python_recount(insp, scored, django_assert_max_num_queries):
    w = insp.w
    current = scored[1]
    rows = list(Inspection.objects.filter(round=current))
    assert len(rows) == 13
    with django_assert_max_num_queries(2):
        by_district = scoring.area_rollup(current, level=AreaLevel.DISTRICT)
    for r in by_district:
        assert _as_dict(r) == _recount([i for i in rows if i.area_path.startswith(r.key.path)])
    assert {r.key for r in by_district} == {w.east, w.west}
    city = scoring.area_rollup(current, level=AreaLevel.CITY)[0]
    assert _as_dict(city) == _recount(rows) == _as_dict(scoring.round_total(current))
    children = scoring.area_rollup(current, parent=w.city)
    assert [_as_dict(r) for r in children] == [_as_dict(r) for r in by_district]

    with django_assert_max_num_queries(1):  # names come in the same GROUP BY
        by_unit = scoring.unit_rollup(current)
    groups = defaultdict(list)
    for i in rows:
        groups[i.unit_id].append(i)
    assert {r.key.pk: _as_dict(r) for r in by_unit} == {k: _recount(v) for k, v in groups.items()}

    with django_assert_max_num_queries(1):
        by_type = scoring.point_type_rollup(current)
    assert [(r.key, _as_dict(r)) for r in by_type] == [(w.market, _recount(rows))]
    assert by_type[0].key.name == w.market.name


def test_indicator_rollup_equals_recount(insp, scored):
    current = scored[1]
    results = ItemResult.objects.filter(inspection__round=current, indicator__isnull=False)
    scores = {s.indicator.pk: s for s in scoring.indicator_rollup(current)}
    assert set(scores) == {insp.std_clean.pk, insp.std_order.pk}
    for ind, value in ((insp.std_clean, D(4)), (insp.std_order, D(2))):
        mine = [r for r in results if r.indicator_id == ind.pk and r.outcome != NA]
        mean = _q(sum(r.earned / r.item_max for r in mine) / len(mine))
        got = scores[ind.pk]
        assert got.results == len(mine)
        assert got.failed == sum(1 for r in mine if r.outcome == F)
        assert abs(got.rate - mean) <= D("0.000001")
        assert got.value == value  # weight for 1.1, score (no weight) for 1.2
        assert got.score == (value * got.rate).quantize(D("0.0001"))


def test_compare_with_previous_round_of_same_kind(insp, scored):
    earlier, current = scored
    prev, deltas = scoring.compare(current, by="area", level=AreaLevel.DISTRICT)
    assert prev == earlier
    before = {r.key.pk: r for r in scoring.area_rollup(earlier, level=AreaLevel.DISTRICT)}
    now = {r.key.pk: r for r in scoring.area_rollup(current, level=AreaLevel.DISTRICT)}
    for d in deltas:
        assert d.delta == now[d.key.pk].rate - before[d.key.pk].rate
    prev_first, _ = scoring.compare(earlier, by="unit")
    assert prev_first is None  # nothing of that kind before
