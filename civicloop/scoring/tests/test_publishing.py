"""Publishing: frozen snapshots, versions, lists, accountability over K periods."""

from datetime import timedelta
from decimal import Decimal

import pytest

from civicloop.core.errors import (
    ConcurrentUpdate,
    NotFound,
    NotPermitted,
    TransitionNotAllowed,
    ValidationFailed,
)
from civicloop.core.models import AuditEvent
from civicloop.scoring import selectors, services
from civicloop.scoring.models import (
    ComputationStatus,
    PeriodStatus,
    PublishedSnapshot,
    RedFlagRule,
    SnapshotRow,
)

from .conftest import NOW, WEEK1, WEEK2, at

D = Decimal


def compute(city, period):
    job = services.period_compute_now(city.command, period, now=NOW)
    assert job.status == ComputationStatus.SUCCEEDED, job.error
    period.refresh_from_db()
    return period


def publish(city, period):
    compute(city, period)
    return services.period_publish(city.command, period)


def rows_by_code(snapshot) -> dict[str, SnapshotRow]:
    return {r.obj.unit.code: r for r in snapshot.rows.select_related("obj__unit")}


def test_publish_freezes_numbers_after_data_changes(city):
    snap = publish(city, city.week1)
    assert snap.version == 1 and snap.period.status == PeriodStatus.PUBLISHED
    before = {r["name"]: (r["score"], r["rank"]) for r in snap.data["rows"]}
    frozen_rows = sorted(SnapshotRow.objects.filter(snapshot=snap).values_list("name", "score"))

    # Underlying data changes: a perfect inspection for D, a renamed unit, more problems.
    city.b.inspection(city.points.D, "1.00", at(8))
    city.units.D.name = "改名后的单位"
    city.units.D.save(update_fields=["name"])
    city.b.problem(city.units.A, city.points.A, created=at(4), due=at(6))

    snap = PublishedSnapshot.objects.get(pk=snap.pk)
    assert {r["name"]: (r["score"], r["rank"]) for r in snap.data["rows"]} == before
    assert sorted(SnapshotRow.objects.filter(snapshot=snap).values_list("name", "score")) == (
        frozen_rows
    )
    assert "西兴街道办事处" in {r.name for r in snap.rows.all()}
    # And recomputation is refused while published.
    with pytest.raises(TransitionNotAllowed):
        services.computation_start(city.command, city.week1)
    job = services.period_compute_now(city.command, city.week1, now=NOW)
    assert job.status == ComputationStatus.FAILED
    assert rows_by_code(snap)["U-D"].score == D("40.70")


def test_correction_creates_new_version_and_keeps_old_readable(city):
    v1 = publish(city, city.week1)
    with pytest.raises(ValidationFailed):
        services.period_reopen(city.command, city.week1, reason="  ")
    services.period_reopen(city.command, city.week1, reason="D单位检查记录漏录，补录后重算")
    city.b.inspection(city.points.D, "1.00", at(8))  # mean of 0.70 and 1.00 → 85
    compute(city, city.week1)
    v2 = services.period_publish(city.command, city.week1)
    assert (v1.version, v2.version) == (1, 2)
    assert v2.reason == "D单位检查记录漏录，补录后重算" and v1.reason == ""
    # D: (60×85 + 0)/100 = 51 − 1.3 = 49.70 in v2; v1 still says 40.70.
    assert rows_by_code(v2)["U-D"].score == D("49.70")
    assert rows_by_code(PublishedSnapshot.objects.get(pk=v1.pk))["U-D"].score == D("40.70")
    versions = list(
        selectors.snapshots_of(city.command, city.week1).values_list("version", flat=True)
    )
    assert versions == [2, 1]
    assert selectors.latest_snapshot(city.command, city.week1).pk == v2.pk
    assert AuditEvent.objects.filter(action="period_reopen").count() == 1


def test_correction_must_be_recomputed_before_publishing(city):
    """Reopening sends the period back to 待计算: republishing the old numbers is refused."""
    publish(city, city.week1)
    services.period_reopen(city.command, city.week1, reason="补录检查记录")
    city.week1.refresh_from_db()
    assert city.week1.status == PeriodStatus.DRAFT
    with pytest.raises(TransitionNotAllowed):
        services.period_publish(city.command, city.week1)
    compute(city, city.week1)
    assert services.period_publish(city.command, city.week1).version == 2


def test_status_transitions_are_compare_and_set(city):
    with pytest.raises(TransitionNotAllowed):
        services.period_publish(city.command, city.week1)  # still draft
    compute(city, city.week1)
    stale = city.week1.version
    compute(city, city.week1)  # someone recomputed meanwhile: version moved on
    with pytest.raises(ConcurrentUpdate):
        services.period_publish(city.command, city.week1, expected_version=stale)
    services.period_publish(city.command, city.week1)
    with pytest.raises(TransitionNotAllowed):
        services.period_publish(city.command, city.week1)
    with pytest.raises(TransitionNotAllowed):
        services.adjustment_create(city.command, city.week1, city.objs["A"], points=1, reason="x")


def test_red_black_lists_and_red_flag(city):
    snap = publish(city, city.week1)
    names = {r["obj_id"]: r["name"] for r in snap.data["rows"]}
    red = {names[x["obj_id"]] for x in snap.data["red_list"]}
    black = {names[x["obj_id"]] for x in snap.data["black_list"]}
    flag = {names[x["obj_id"]] for x in snap.data["red_flag"]}
    # N=1 but B and C tie at rank 1: both on the red list and both get the flag.
    assert red == {"西华街道办事处", "东兴街道办事处"} == flag
    assert black == {"西兴街道办事处"}  # D, the lowest score
    r = rows_by_code(snap)
    assert r["U-B"].on_red_list and r["U-C"].red_flag and r["U-D"].on_black_list
    assert not r["U-F"].on_black_list  # unranked objects are on no list
    # Bottom 2 for accountability: D and E; only one period so far → K=2 not reached.
    assert {k for k, v in r.items() if v.in_accountability_bottom} == {"U-D", "U-E"}
    assert snap.data["accountability"] == []


def test_most_improved_red_flag(city):
    publish(city, city.week1)
    city.scheme.red_flag_rule = RedFlagRule.MOST_IMPROVED
    city.scheme.save(update_fields=["red_flag_rule"])
    week2 = services.period_create(city.command, city.scheme, WEEK2)
    snap = publish(city, week2)
    # Only E is ranked in week 2 (rank 1, was 4): it moved up 3.
    assert [x["name"] for x in snap.data["red_flag"]] == ["东安街道办事处"]


def _week2_with_same_bottom(city):
    """Week 2 data where D and E are again the bottom two, and D's week-1 problem is
    still overdue (it is in both bulletins)."""
    b = city.b
    b.inspection(city.points.A, "0.90", at(11))
    b.inspection(city.points.B, "0.95", at(11))
    b.inspection(city.points.C, "0.85", at(11))
    b.inspection(city.points.D, "0.40", at(12))
    # E already has 0.10 on the 12th.
    return services.period_create(city.command, city.scheme, WEEK2)


def test_accountability_after_k_consecutive_published_periods(city):
    publish(city, city.week1)
    week2 = _week2_with_same_bottom(city)
    snap = publish(city, week2)
    r = rows_by_code(snap)
    assert {k for k, v in r.items() if v.in_accountability_bottom} == {"U-D", "U-E"}
    assert {k for k, v in r.items() if v.accountability} == {"U-D", "U-E"}
    assert {x["name"] for x in snap.data["accountability"]} == {"西兴街道办事处", "东安街道办事处"}
    history = selectors.accountability_history(city.command, city.scheme)
    assert [len(h["objects"]) for h in history] == [2, 0]


def test_unpublished_previous_period_breaks_the_chain(city):
    compute(city, city.week1)  # computed, never published
    week2 = _week2_with_same_bottom(city)
    snap = publish(city, week2)
    assert snap.data["accountability"] == []


def test_repeat_overdue_deduction_uses_the_previous_published_bulletin(city):
    city.scheme.components.create(key="repeat_overdue_deduction", sort_order=9)
    v1 = publish(city, city.week1)
    # D's and E's open problems were past their deadline at the end of week 1.
    listed = {p["id"]: p["unit"] for p in v1.data["overdue_problems"]}
    assert listed[city.d_open.pk] == "西兴街道办事处"
    assert sorted(listed.values()) == ["东安街道办事处", "西兴街道办事处"]
    week2 = _week2_with_same_bottom(city)
    compute(city, week2)
    d = week2.scores.get(obj=city.objs["D"])
    comp = d.components.get(key="repeat_overdue_deduction")
    assert comp.contribution == D("-2.00") and comp.detail == {"repeated": 1}
    # D in week 2: inspection 40 only (nothing due) → 40 − 2 = 38.00
    assert d.score == D("38.00")
    e = week2.scores.get(obj=city.objs["E"])
    assert e.components.get(key="repeat_overdue_deduction").contribution == D("-2.00")
    assert e.score == D("8.00")  # 10.00 − 2


def test_repeat_overdue_without_published_previous_is_zero(city):
    city.scheme.components.create(key="repeat_overdue_deduction", sort_order=9)
    compute(city, city.week1)
    week2 = _week2_with_same_bottom(city)
    compute(city, week2)
    d = week2.scores.get(obj=city.objs["D"])
    assert d.components.get(key="repeat_overdue_deduction").contribution == D("0.00")


def test_manual_adjustment_void_and_audit(city):
    adj = city.week1.adjustments.get(obj=city.objs["B"])
    services.adjustment_void(city.command, adj, reason="误录")
    compute(city, city.week1)
    assert city.week1.scores.get(obj=city.objs["B"]).score == D("100.00")
    with pytest.raises(TransitionNotAllowed):
        services.adjustment_void(city.command, adj, reason="再次撤销")
    assert AuditEvent.objects.filter(action="adjustment_void", object_id=str(adj.pk)).exists()
    with pytest.raises(ValidationFailed):
        services.adjustment_create(city.command, city.week1, city.objs["A"], points=0, reason="x")
    with pytest.raises(ValidationFailed):
        services.adjustment_create(city.command, city.week1, city.objs["A"], points=1, reason="")


def test_permissions_and_scope(city):
    w = city.world
    # outsider: command of the west district only — cannot manage a city-wide scheme.
    with pytest.raises(NotPermitted):
        services.period_create(w.p.outsider, city.scheme, WEEK1)
    with pytest.raises(NotPermitted):
        services.period_compute_now(w.p.handler_a, city.week1)
    with pytest.raises(NotFound):
        selectors.period_scores(w.p.handler_a, city.week1)  # working numbers: staff only
    with pytest.raises(NotFound):
        selectors.scheme_get(w.p.citizen, city.scheme.pk)
    # Unpublished periods are invisible to the assessed units; published ones are not.
    with pytest.raises(NotFound):
        selectors.period_get(w.p.handler_a, city.week1.pk)
    snap = publish(city, city.week1)
    assert selectors.period_get(w.p.handler_a, city.week1.pk) == city.week1
    assert selectors.snapshot_get(w.p.handler_a, snap.pk) == snap
    assert list(selectors.periods_of(w.p.handler_a, city.scheme)) == [city.week1]
    assert list(selectors.period_scores(w.p.leader, city.week1))  # leader reads working rows
    with pytest.raises(NotFound):
        selectors.snapshot_get(w.p.citizen, snap.pk)


def test_scheme_validation(city):
    from civicloop.scoring.services import ComponentSpec

    with pytest.raises(ValidationFailed):
        services.scheme_create(
            city.command,
            name="x",
            period_kind="week",
            object_group="streets",
            components=[ComponentSpec("nope")],
        )
    with pytest.raises(ValidationFailed):
        services.scheme_create(
            city.command,
            name="x",
            period_kind="week",
            object_group="streets",
            components=[ComponentSpec("ledger_on_time_rate", params={"full_at": 1, "zero_at": 1})],
        )
    with pytest.raises(ValidationFailed):
        services.scheme_create(
            city.command,
            name="x",
            period_kind="week",
            object_group="streets",
            grade_bands=[{"grade": "A"}],
            components=[],
        )
    with pytest.raises(ValidationFailed):
        services.scheme_create(
            city.command,
            name="x",
            period_kind="week",
            object_group="streets",
            components=[ComponentSpec("inspection_rate", params={"x": 1})],
        )


def test_area_scheme_over_streets(city):
    """Streets as objects: inspections by area subtree, KPIs by kpi_table(area=district)."""
    from civicloop.scoring.services import ComponentSpec

    w = city.world
    scheme = services.scheme_create(
        city.command,
        name="街道周考核",
        period_kind="week",
        object_group="streets",
        area=w.east,
        components=[ComponentSpec("inspection_rate", 1), ComponentSpec("ledger_on_time_rate", 1)],
    )
    period = services.period_create(city.command, scheme, WEEK1)
    compute(city, period)
    (row,) = period.scores.select_related("obj__area")
    # 东华街道: points A (0.90), A2 (0.80), C (0.95) — E's inspection is in week 2 → mean
    # (0.90+0.80+0.95)/3 = 0.883333 → 88.33; due there: A 1/2 + E 1/2 → 2/4 → 50.00
    # → (88.33 + 50)/2 = 69.165 → 69.17 (half up)
    assert row.obj.area == w.east_street
    assert row.weighted_score == D("69.17") and row.rank == 1
    assert period.start_date == WEEK1 and period.end_date == WEEK1 + timedelta(days=6)
