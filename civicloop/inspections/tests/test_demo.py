"""The demo step: 12 weekly checks + 3 monthly drills whose failures are ledger problems."""

from datetime import datetime

from civicloop.demo import problems_step
from civicloop.demo.builder import build_city
from civicloop.demo.standards_step import build_standards
from civicloop.inspections import demo_steps
from civicloop.inspections.models import (
    Inspection,
    InspectionStatus,
    ItemOutcome,
    ItemResult,
    ProblemLink,
    Round,
    RoundKind,
    RoundStatus,
)
from civicloop.problems.history import generate_history
from civicloop.problems.models import Action, Problem, ProblemEvent, Source, Status

NOW = datetime.fromisoformat("2026-06-17T15:20:00+08:00")  # a Wednesday afternoon


def test_demo_step(db):
    """One build (a tiny city, ~10 s) checked from several sides."""
    city = build_city("tiny", 4)
    build_standards(city)
    world = problems_step.demo_world(city, now=NOW)
    generate_history(world, 60, seed=4, batch_size=500)
    stats = demo_steps.make_inspections(city, now=NOW)
    built = (city, stats)
    check_rounds(built)
    check_failures_are_ledger_problems(built)
    check_problem_loop(built)
    check_inspections(built)


def check_rounds(built):
    _city, stats = built
    weekly = Round.objects.filter(kind=RoundKind.WEEKLY_CHECK).order_by("start_date")
    monthly = Round.objects.filter(kind=RoundKind.MONTHLY_DRILL)
    assert weekly.count() == 12 and monthly.count() == 3
    assert stats.rounds == 15
    # Mondays, one week apart; the current week's check is still open, the rest closed.
    starts = [r.start_date for r in weekly]
    assert all(d.weekday() == 0 for d in starts)
    assert all((b - a).days == 7 for a, b in zip(starts, starts[1:], strict=False))
    assert starts[-1] == NOW.date().replace(day=15)  # Monday 15 June 2026
    assert [r.status for r in weekly][:-1] == [RoundStatus.CLOSED] * 11
    assert weekly.last().status in (RoundStatus.PUBLISHED, RoundStatus.IN_PROGRESS)
    assert all(r.teams.exists() for r in Round.objects.all())


def check_failures_are_ledger_problems(built):
    failed = ItemResult.objects.filter(
        outcome=ItemOutcome.FAIL, inspection__status=InspectionStatus.SUBMITTED
    ).select_related("problem")
    assert failed.count() > 10
    for result in failed:
        assert result.problem is not None, result
        assert result.problem.source == Source.INSPECTION
        if result.problem_link == ProblemLink.CREATED:
            assert result.problem.source_key == f"insp:{result.pk}"
            assert result.problem.point_id == result.inspection.point_id
    created = failed.filter(problem_link=ProblemLink.CREATED)
    # Exactly one problem per created link.
    assert created.values("problem").distinct().count() == created.count()
    # Drafts and passes never open anything.
    assert (
        not ItemResult.objects.exclude(outcome=ItemOutcome.FAIL)
        .filter(problem__isnull=False)
        .exists()
    )


def check_problem_loop(built):
    _city, stats = built
    ids = ItemResult.objects.filter(problem__isnull=False).values("problem")
    problems = Problem.objects.filter(pk__in=ids)
    statuses = set(problems.values_list("status", flat=True))
    assert Status.CLOSED in statuses and (statuses & {Status.DISPATCHED, Status.RECTIFYING})
    assert stats.closed > 0
    reopened = ItemResult.objects.filter(problem_link=ProblemLink.REOPENED)
    assert reopened.exists() and stats.reopened == reopened.count()
    for result in reopened.select_related("problem"):
        assert result.problem.recurrence_count >= 1
        assert ProblemEvent.objects.filter(problem=result.problem, action=Action.REOPEN).exists()
    # Every event of these problems is at or before "now", in order per problem.
    events = ProblemEvent.objects.filter(problem__in=problems).order_by("problem_id", "id")
    last: dict[int, datetime] = {}
    for e in events:
        assert e.at <= NOW
        assert e.at >= last.get(e.problem_id, e.at)
        last[e.problem_id] = e.at


def check_inspections(built):
    done = Inspection.objects.filter(status=InspectionStatus.SUBMITTED)
    assert done.count() > 30
    assert not done.filter(rate__isnull=True, max_score__gt=0).exists()
    assert done.filter(passed=False).exists() and done.filter(passed=True).exists()
    assert not done.filter(submitted_at__gt=NOW).exists()
    assert done.filter(lng__isnull=False).count() == done.count()


def test_bulk_draft_rows_equal_what_the_service_saves(insp):
    """The demo writes first drafts in bulk; they must be the service's rows exactly."""
    from decimal import Decimal

    from civicloop.inspections import services
    from civicloop.inspections.services import ItemAnswer

    it = insp.items
    items = [it.clean, it.deduct, it.count, it.critical, it.na]
    answers = [
        ItemAnswer(it.clean.pk, ItemOutcome.FAIL, note=" 有垃圾 "),
        ItemAnswer(it.deduct.pk, ItemOutcome.FAIL, deduction=Decimal("1.5")),
        ItemAnswer(it.count.pk, ItemOutcome.FAIL, count=2),
        ItemAnswer(it.critical.pk, ItemOutcome.PASS),
        ItemAnswer(it.na.pk, ItemOutcome.NOT_APPLICABLE),
    ]
    by_service = services.inspection_start(user=insp.member, sample=insp.sample_a)
    services.inspection_save(user=insp.member, inspection=by_service, answers=answers)
    by_bulk = services.inspection_start(user=insp.member, sample=insp.sample_b)
    demo_steps.write_draft(by_bulk, items, answers)
    skip = {"id", "inspection", "updated_at"}
    names = [f.attname for f in ItemResult._meta.concrete_fields if f.name not in skip]

    def rows(inspection):
        return list(
            ItemResult.objects.filter(inspection=inspection).order_by("code").values_list(*names)
        )

    assert rows(by_bulk) == rows(by_service)
