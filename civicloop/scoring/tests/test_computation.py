"""Hand-computed scores and ranks for the small city of conftest.py."""

from datetime import timedelta
from decimal import Decimal

import pytest

from civicloop.scoring import computation, services
from civicloop.scoring.models import (
    Computation,
    ComputationStatus,
    ObjectScore,
    PeriodStatus,
)

from .conftest import NOW, WEEK2, at

D = Decimal


def scores_by_name(period) -> dict[str, ObjectScore]:
    rows = ObjectScore.objects.filter(period=period).select_related("obj__unit")
    return {r.obj.unit.code: r for r in rows}


def compute(city, period=None):
    job = services.period_compute_now(city.command, period or city.week1, now=NOW)
    assert job.status == ComputationStatus.SUCCEEDED, job.error
    return job


def test_hand_computed_scores_ranks_and_grades(city):
    compute(city)
    s = scores_by_name(city.week1)
    # A: (60×85 + 40×50)/100 = 71.00; −0.3×2 city-found; −1 one late → 69.40
    assert (s["U-A"].weighted_score, s["U-A"].adjustment, s["U-A"].score) == (
        D("71.00"),
        D("-1.60"),
        D("69.40"),
    )
    # B: 100 weighted, manual −2 → 98.00
    assert (s["U-B"].weighted_score, s["U-B"].score) == (D("100.00"), D("98.00"))
    # C: no due problems → on-time rate not applicable, inspection weight renormalised to
    # 1: 95.00; manual +3 → 98.00 (ties with B)
    assert (s["U-C"].weighted_score, s["U-C"].score) == (D("95.00"), D("98.00"))
    # D: (60×70 + 40×0)/100 = 42; −0.3 (superior notice) −1 (late) → 40.70
    assert s["U-D"].score == D("40.70")
    # E: no inspection → on-time only: 50.00; −1 late → 49.00
    assert (s["U-E"].weighted_score, s["U-E"].score) == (D("50.00"), D("49.00"))
    # F: no data at all → no score, not ranked, no grade
    assert (s["U-F"].score, s["U-F"].rank, s["U-F"].grade) == (None, None, "")

    # Standard competition ranking: 1, 1, 3, 4, 5
    ranks = {k: v.rank for k, v in s.items()}
    assert ranks == {"U-B": 1, "U-C": 1, "U-A": 3, "U-E": 4, "U-D": 5, "U-F": None}
    grades = {k: v.grade for k, v in s.items()}
    assert grades == {"U-B": "A", "U-C": "A", "U-A": "C", "U-E": "D", "U-D": "D", "U-F": ""}
    city.week1.refresh_from_db()
    assert city.week1.status == PeriodStatus.COMPUTED


def test_breakdown_rows_and_weight_renormalisation(city):
    compute(city)
    s = scores_by_name(city.week1)
    c = {x.key: x for x in s["U-C"].components.all()}
    assert c["inspection_rate"].applicable and c["inspection_rate"].points == D("95.00")
    assert c["inspection_rate"].effective_weight == D("1")
    assert c["inspection_rate"].contribution == D("95.00")
    assert not c["ledger_on_time_rate"].applicable
    assert c["ledger_on_time_rate"].points is None
    assert c["ledger_on_time_rate"].effective_weight is None
    assert c["manual_adjustment"].contribution == D("3.00")
    assert c["inspection_rate"].detail["inspections"] == 1

    a = {x.key: x for x in s["U-A"].components.all()}
    assert a["inspection_rate"].effective_weight == D("0.6")
    assert a["inspection_rate"].contribution == D("51.00")
    assert a["ledger_on_time_rate"].points == D("50.00")
    assert a["ledger_on_time_rate"].detail == {"due": 2, "on_time": 1, "value": "0.5"}
    assert a["city_found_deduction"].contribution == D("-0.60")
    assert a["late_rectification_deduction"].contribution == D("-1.00")
    # The inspection of week 2 is not counted in week 1.
    e = {x.key: x for x in s["U-E"].components.all()}
    assert not e["inspection_rate"].applicable


def test_no_weighted_data_means_unranked_even_with_adjustments(city):
    services.adjustment_create(city.command, city.week1, city.objs["F"], points="5", reason="加分")
    compute(city)
    f = scores_by_name(city.week1)["U-F"]
    assert f.score is None and f.rank is None and f.adjustment == D("5.00")


def test_computation_is_repeatable(city):
    compute(city)
    city.week1.refresh_from_db()
    first = (
        city.week1.result_hash,
        sorted(
            ObjectScore.objects.filter(period=city.week1).values_list("obj_id", "score", "rank")
        ),
    )
    compute(city)
    city.week1.refresh_from_db()
    second = (
        city.week1.result_hash,
        sorted(
            ObjectScore.objects.filter(period=city.week1).values_list("obj_id", "score", "rank")
        ),
    )
    assert first == second
    assert ObjectScore.objects.filter(period=city.week1).count() == 6  # replaced, not added


def test_recompute_sees_new_data_while_unpublished(city):
    compute(city)
    # One more on-time problem for D: on-time 1/2 → 50 → (4200 + 2000)/100 = 62.00 − 1.6
    city.b.problem(
        city.units.D, city.points.D, created=at(3), due=at(6), submitted=at(5), closed=True
    )
    compute(city)
    assert scores_by_name(city.week1)["U-D"].score == D("60.40")


def test_change_versus_previous_period(city):
    compute(city)
    week2 = services.period_create(city.command, city.scheme, WEEK2)
    compute(city, week2)
    s = scores_by_name(week2)
    # Week 2: only E has data (inspection 0.10 → 10.00); D's problem due in week 1 is
    # not due in week 2.
    assert s["U-E"].score == D("10.00") and s["U-E"].rank == 1
    assert s["U-E"].previous_rank == 4 and s["U-E"].rank_delta == 3
    assert s["U-E"].score_delta == D("-39.00")
    assert s["U-A"].rank is None and s["U-A"].rank_delta is None
    assert s["U-A"].previous_score == D("69.40")


def test_background_job_records_progress_and_errors(
    city, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.computation_start(city.command, city.week1)
    job.refresh_from_db()
    assert job.status == ComputationStatus.SUCCEEDED and job.progress == 100
    assert job.object_count == 6 and job.started_at and job.finished_at

    def boom(*args, **kwargs):
        raise RuntimeError("数据库连接中断")

    monkeypatch.setattr(computation, "write", boom)
    failed = services.period_compute_now(city.command, city.week1, now=NOW)
    assert failed.status == ComputationStatus.FAILED
    assert "数据库连接中断" in failed.error
    assert failed.progress == 90  # how far it got
    # The earlier result is intact.
    assert ObjectScore.objects.filter(period=city.week1).count() == 6


def test_running_job_is_not_run_twice(city):
    job = Computation.objects.create(period=city.week1, status=ComputationStatus.RUNNING)
    assert services.computation_run(job.pk).status == ComputationStatus.RUNNING
    assert not ObjectScore.objects.filter(period=city.week1).exists()


def test_computation_query_count_does_not_grow_with_objects(city, django_assert_max_num_queries):
    compute(city)  # creates the AssessedObject rows
    with django_assert_max_num_queries(30):
        result = computation.compute(city.week1, now=NOW)
    assert len(result.rows) == 6
    # Ten more units with points: the same number of queries.
    for i in range(10):
        u = city.b.unit(f"新单位{i}", f"U-N{i}", city.world.east_street)
        city.b.point(f"P-N-{i}", u, city.world.east_grid)
    computation.compute(city.week1, now=NOW)  # first run creates the new object rows
    with django_assert_max_num_queries(30):
        result = computation.compute(city.week1, now=NOW)
    assert len(result.rows) == 16


def test_rank_rows_competition_ranking():
    from types import SimpleNamespace

    rows = []
    for i, score in enumerate(["90", "80", "80", "70", None, "80"]):
        obj = SimpleNamespace(pk=i, unit=SimpleNamespace(path=f"/{i}/"), area=None)
        rows.append(
            computation.ObjectResult(obj=obj, components=[], score=D(score) if score else None)
        )
    computation.rank_rows(rows)
    assert [(r.obj.pk, r.rank) for r in rows] == [(0, 1), (1, 2), (2, 2), (5, 2), (3, 5), (4, None)]


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("90", "A"),
        ("89.99", "B"),
        ("75", "B"),
        ("74.99", "C"),
        ("60", "C"),
        ("59.99", "D"),
        ("0", "D"),
    ],
)
def test_grade_band_edges(score, grade):
    bands = [(D("90"), "A"), (D("75"), "B"), (D("60"), "C"), (D("0"), "D")]
    assert computation.grade_for(D(score), bands) == grade


def test_week_window_is_local_midnight_to_midnight(city):
    from civicloop.scoring import periods

    start, end = periods.window(city.week1.start_date, city.week1.end_date)
    assert (end - start) == timedelta(days=7)
    assert start.utcoffset() == timedelta(hours=8)
