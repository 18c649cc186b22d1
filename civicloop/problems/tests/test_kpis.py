"""KPI formulas on a hand-built history with known answers (explicit times, explicit
deadlines, so the working calendar plays no part)."""

from datetime import date, datetime

import pytest

from civicloop.problems import kpis, services
from civicloop.problems.tests.conftest import new_problem, photo

TZ = "+08:00"


def t(stamp: str) -> datetime:
    return datetime.fromisoformat(f"2025-{stamp}{TZ}")


def at(stamp, fn, **kw):
    with services.using_clock(t(stamp)):
        return fn(**kw)


@pytest.fixture
def history(ledger):
    s, p, w = services, ledger.p, ledger
    cmd, ha, hb, insp = p.command, p.handler_a, p.handler_b, p.inspector

    def make(stamp, point=None):
        with services.using_clock(t(stamp)):
            return new_problem(w, point=point)

    def dispatch(stamp, problem, unit, due):
        at(stamp, s.problem_dispatch, user=cmd, problem=problem, unit=unit, due_at=t(due))

    def submit(stamp, problem, user=ha):
        at(
            stamp,
            s.problem_submit,
            user=user,
            problem=problem,
            description="已整改",
            files=[photo()],
        )

    # P1: on time. sign 2 h, handling 97 h.
    p1 = make("04-01T08:00")
    dispatch("04-01T09:00", p1, w.unit_a, "04-10T17:30")
    at("04-01T11:00", s.problem_sign, user=ha, problem=p1)
    submit("04-05T10:00", p1)
    at("04-06T10:00", s.problem_verify_pass, user=insp, problem=p1)
    # P2: rework, then late. sign 24 h, handling (passing submission) 144 h.
    p2 = make("04-02T08:00")
    dispatch("04-02T09:00", p2, w.unit_a, "04-05T17:30")
    at("04-03T09:00", s.problem_sign, user=ha, problem=p2)
    submit("04-04T09:00", p2)
    at("04-04T15:00", s.problem_verify_fail, user=insp, problem=p2, reason="仍有垃圾")
    submit("04-08T09:00", p2)
    at("04-09T09:00", s.problem_verify_pass, user=insp, problem=p2)
    # P3: returned by A (wrong dispatch), redispatched to B, signed in 4 h, overdue.
    p3 = make("04-03T08:00")
    dispatch("04-03T09:00", p3, w.unit_a, "04-20T17:30")
    at("04-03T10:00", s.problem_request_return, user=ha, problem=p3, reason="属西华街道")
    at("04-03T12:00", s.problem_approve_return, user=cmd, problem=p3)
    dispatch("04-04T09:00", p3, w.unit_b, "04-12T17:30")
    at("04-04T13:00", s.problem_sign, user=hb, problem=p3)
    # P4: in the west district, dispatched to A, due in May.
    p4 = make("04-10T08:00", point=w.point_b)
    dispatch("04-10T09:00", p4, w.unit_a, "05-10T17:30")
    # P5: closed in March (outside the period), reopened in April (recurrence), due 04-18.
    p5 = make("03-20T08:00")
    dispatch("03-20T09:00", p5, w.unit_a, "03-25T17:30")
    at("03-20T10:00", s.problem_sign, user=ha, problem=p5)
    submit("03-24T10:00", p5)
    at("03-24T15:00", s.problem_verify_pass, user=insp, problem=p5)
    at(
        "04-14T09:00",
        s.problem_reopen,
        user=insp,
        problem=p5,
        reason="回头看反弹",
        due_at=t("04-18T17:30"),
    )
    # P6: parked: dispatched (counts) but not due.
    p6 = make("04-11T08:00")
    dispatch("04-11T09:00", p6, w.unit_a, "04-30T17:30")
    at("04-11T10:00", s.problem_sign, user=ha, problem=p6)
    at(
        "04-12T10:00",
        s.problem_park,
        user=cmd,
        problem=p6,
        reason="纳入改造计划",
        review_on=date(2025, 6, 1),
    )
    return ledger


QUARTER = {"start": t("04-01T00:00"), "end": t("07-01T00:00"), "now": t("04-15T12:00")}


def _by_key(rows):
    return {r.key: r for r in rows}


def test_unit_kpis(history, django_assert_max_num_queries):
    w = history
    with django_assert_max_num_queries(4):  # events, due cohort, overdue, labels
        rows = _by_key(kpis.kpi_table(group_by="unit", **QUARTER))
    a, b = rows[w.unit_a.pk], rows[w.unit_b.pk]
    assert a.label == w.unit_a.name
    assert (a.dispatched, a.due, a.closed, a.on_time) == (5, 4, 2, 1)
    assert a.closure_rate == 0.5 and a.on_time_rate == 0.25
    assert (a.submissions, a.reworks, a.returns, a.recurrences) == (3, 1, 1, 1)
    assert a.rework_rate == pytest.approx(1 / 3)
    assert a.overdue_now == 0
    assert a.avg_sign_hours == pytest.approx(9.0)  # P1 2 h, P2 24 h, P6 1 h
    assert a.avg_handling_hours == pytest.approx(120.5)
    assert (b.dispatched, b.due, b.closed, b.overdue_now) == (1, 1, 0, 1)
    assert b.on_time_rate == 0 and b.rework_rate is None
    assert b.avg_sign_hours == pytest.approx(4.0) and b.avg_handling_hours is None


def test_area_and_category_grouping(history):
    w = history
    areas = _by_key(kpis.kpi_table(group_by="area", area=w.city, **QUARTER))
    assert set(areas) == {w.east.pk, w.west.pk}
    assert areas[w.east.pk].dispatched == 5  # P1, P2, P3 (A and B), P6
    assert areas[w.west.pk].dispatched == 1 and areas[w.west.pk].due == 1
    cats = kpis.kpi_table(group_by="category", **QUARTER)
    assert [(r.key, r.dispatched, r.due) for r in cats] == [(w.cat_litter.pk, 6, 5)]
    major = kpis.kpi_table(group_by="category", major=True, **QUARTER)
    assert [(r.key, r.dispatched) for r in major] == [(w.cat_env.pk, 6)]


def test_period_excludes_outside_events(history):
    w = history
    march = _by_key(
        kpis.kpi_table(
            group_by="unit", start=t("03-01T00:00"), end=t("04-01T00:00"), now=t("04-15T12:00")
        )
    )
    a = march[w.unit_a.pk]
    assert (a.dispatched, a.submissions, a.recurrences, a.due) == (1, 1, 0, 0)
    assert a.avg_handling_hours == pytest.approx(97.0)  # P5: 03-20 09:00 → 03-24 10:00


def test_scope_restricts_kpis(history):
    w = history
    rows = _by_key(kpis.kpi_table(group_by="unit", user=w.p.handler_b, **QUARTER))
    # Scope is by problem: unit B sees P3 only, including the history it had with unit A.
    assert (rows[w.unit_b.pk].dispatched, rows[w.unit_b.pk].overdue_now) == (1, 1)
    assert (rows[w.unit_a.pk].dispatched, rows[w.unit_a.pk].returns) == (1, 1)
    assert rows[w.unit_a.pk].due == 0
    assert kpis.kpi_table(group_by="unit", user=w.p.citizen, **QUARTER) == []
    totals = kpis.kpi_totals(kpis.kpi_table(group_by="unit", **QUARTER))
    assert (totals.dispatched, totals.due, totals.closed) == (6, 5, 2)
