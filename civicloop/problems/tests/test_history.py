"""The bulk history generator keeps the ledger's invariants, and KPIs over its output equal
a slow recount from the events (which cross-checks the generator and kpis.kpi_table)."""

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from statistics import fmean

import pytest
from django.core.management import call_command
from django.utils import timezone

from civicloop.demo import problems_step
from civicloop.demo.builder import build_city, reset_demo
from civicloop.problems import deadlines, kpis, permissions, workflow
from civicloop.problems.history import generate_history
from civicloop.problems.models import (
    UNIT_OPEN_STATUSES,
    Action,
    Evidence,
    EvidenceKind,
    Problem,
    ProblemCounter,
    ProblemEvent,
    ProblemRequest,
    RequestStatus,
    Status,
)

A, S = Action, Status
NOW = datetime.fromisoformat("2026-06-17T15:20:00+08:00")  # a Wednesday afternoon
COUNT = 500

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def generated():
    city = build_city("tiny", 5)
    world = problems_step.demo_world(city, now=NOW)
    stats = generate_history(world, COUNT, seed=5, batch_size=120)
    return city, world, stats


def _histories():
    events = defaultdict(list)
    for e in ProblemEvent.objects.order_by("problem_id", "at", "id"):
        events[e.problem_id].append(e)
    problems = Problem.objects.select_related("responsible_unit", "area", "category")
    return {p.pk: p for p in problems}, events


def test_every_event_is_a_move_of_the_table_and_status_is_the_last_one(generated):
    _city, _world, stats = generated
    problems, events = _histories()
    assert stats.problems == len(problems) == COUNT
    assert stats.events == sum(len(v) for v in events.values())
    for pk, problem in problems.items():
        history = events[pk]
        assert history[0].from_status == "" and history[0].action in workflow.CREATION_ACTIONS
        assert history[0].at == problem.created_at
        for e in history:
            allowed = workflow.TABLE[e.action].get(e.from_status or None)
            if e.action == A.SUBMIT and e.to_status == S.LEADER_REVIEW:
                allowed = S.LEADER_REVIEW  # the unit requires its leader's approval
            assert allowed == e.to_status, (problem.number, e.action, e.from_status)
        pairs = list(zip(history, history[1:], strict=False))
        assert all(b.from_status == a.to_status for a, b in pairs)
        assert all(a.at < b.at for a, b in pairs), problem.number  # strictly increasing
        assert history[-1].at <= NOW
        assert problem.status == history[-1].to_status
        assert problem.version == len(history)


def test_counters_equal_what_the_events_say(generated):
    problems, events = _histories()
    for pk, p in problems.items():
        actions = Counter(e.action for e in events[pk])
        assert p.rework_count == actions[A.VERIFY_FAIL]
        assert p.return_count == actions[A.APPROVE_RETURN]
        assert p.recurrence_count == actions[A.REOPEN]
        assert p.extension_count == actions[A.APPROVE_EXTENSION]
        level = 0
        for e in events[pk]:
            if e.action in (A.DISPATCH, A.REOPEN, A.APPROVE_RETURN):
                level = 0
            elif e.action in (A.URGE, A.ESCALATE):
                assert e.data["level_before"] == level
                level = e.data["level_after"]
        assert p.escalation_level == level
        # The deadline in force is the last event's; the sweep flag as of the last full hour.
        assert p.due_at == events[pk][-1].due_at
        last_sweep = NOW.replace(minute=0, second=0, microsecond=0)
        overdue = p.status in UNIT_OPEN_STATUSES and p.due_at is not None and p.due_at < last_sweep
        assert p.is_overdue == overdue


def test_deadlines_come_from_the_policy_and_closed_means_independent_pass(generated):
    problems, events = _histories()
    for pk, p in problems.items():
        for e in events[pk]:
            if e.action in (A.DISPATCH, A.REOPEN):
                assert e.due_at == deadlines.compute_due_at(p.category, p.severity, e.at)
            if e.action == A.SIGN:
                assert e.duration_seconds == (e.at - p_dispatch(events[pk], e)).total_seconds()
        if p.status == S.CLOSED:
            last = events[pk][-1]
            assert last.action == A.VERIFY_PASS and last.actor_id is not None
            assert not permissions.belongs_to_unit(last.actor, p)
            assert p.closed_at == last.at
            assert last.on_time == (p.submitted_at <= p.due_at)


def p_dispatch(history, sign_event):
    """The dispatch (or reopen) that started the cycle the sign belongs to."""
    starts = [e for e in history if e.action in (A.DISPATCH, A.REOPEN) and e.at < sign_event.at]
    return starts[-1].at


def test_every_state_numbers_and_requests(generated):
    city, _world, stats = generated
    statuses = set(Problem.objects.values_list("status", flat=True))
    expected = set(S.values)
    if not Problem.objects.filter(responsible_unit__submission_needs_leader_approval=True).exists():
        expected.discard(S.LEADER_REVIEW)
    assert expected <= statuses
    sources = set(Problem.objects.values_list("source", flat=True))
    assert len(sources) >= 6
    # Numbers follow creation order and the counter knows them all.
    numbers = list(Problem.objects.order_by("created_at", "id").values_list("number", flat=True))
    year = NOW.year
    assert numbers == [f"WT-{year}-{i:06d}" for i in range(1, COUNT + 1)]
    assert ProblemCounter.objects.get(year=year).last == COUNT
    # Requests: every request event points to a real request of that problem.
    request_actions = [a for a in A.values if a.endswith(("_return", "_extension"))]
    for e in ProblemEvent.objects.filter(action__in=request_actions):
        req = ProblemRequest.objects.get(pk=e.data["request"])
        assert req.problem_id == e.problem_id
    pending = ProblemRequest.objects.filter(status=RequestStatus.PENDING)
    assert all(r.problem.status in UNIT_OPEN_STATUSES for r in pending)
    # Located inside their grid, at most 12 weeks old.
    for p in Problem.objects.select_related("area")[:200]:
        assert p.area.min_lng <= p.lng <= p.area.max_lng
        assert p.area.min_lat <= p.lat <= p.area.max_lat
        assert p.created_at >= NOW - timedelta(weeks=12, minutes=5)


def test_same_seed_same_histories(generated):
    city, world, _stats = generated

    def snapshot():
        rows = Problem.objects.order_by("number").values_list(
            "number", "status", "category__code", "area__code", "due_at", "responsible_unit__code"
        )
        actions = list(
            ProblemEvent.objects.order_by("problem__number", "at", "id").values_list(
                "problem__number", "action", "at"
            )
        )
        return list(rows), actions

    first = snapshot()
    problems_step.drop_problems()
    ProblemCounter.objects.all().delete()
    generate_history(world, COUNT, seed=5, batch_size=77)
    assert snapshot() == first


def _recount(unit_id: int, start, end, now) -> dict:
    """KPIs for one unit by walking every event in Python (the slow, obvious way)."""
    out = Counter()
    signs, handlings = [], []
    for problem in Problem.objects.all():
        history = list(problem.events.order_by("at", "id"))
        cycle_start = submitted_at = None
        unit = due = None
        for e in history:
            if e.action in (A.DISPATCH, A.REOPEN):
                cycle_start, unit = e.at, (e.data["unit"] if e.action == A.DISPATCH else unit)
            attributed = unit  # the unit the event concerns: the one in charge after it...
            if e.action == A.APPROVE_RETURN:
                attributed, unit = unit, None  # ...except a return: the unit it leaves
            assert e.unit_id == attributed
            due = e.due_at
            if e.to_status == S.SUBMITTED and e.from_status != S.SUBMITTED:
                submitted_at = e.at
            if e.action == A.VERIFY_FAIL:
                submitted_at = None
            if not (start <= e.at < end) or attributed != unit_id:
                continue
            if e.action == A.DISPATCH:
                out["dispatched"] += 1
            elif e.action == A.SIGN:
                signs.append((e.at - cycle_start).total_seconds())
            elif e.to_status == S.SUBMITTED and e.action in (A.SUBMIT, A.LEADER_APPROVE):
                out["submissions"] += 1
            elif e.action == A.VERIFY_FAIL:
                out["reworks"] += 1
            elif e.action == A.APPROVE_RETURN:
                out["returns"] += 1
            elif e.action == A.REOPEN:
                out["recurrences"] += 1
            elif e.action == A.VERIFY_PASS:
                handlings.append((submitted_at - cycle_start).total_seconds())
        status = history[-1].to_status
        if unit != unit_id:
            continue
        dispatched = any(e.action == A.DISPATCH for e in history)
        if (
            dispatched
            and due is not None
            and start <= due < end
            and status not in (S.PARKED, S.VOIDED, S.REJECTED)
        ):
            out["due"] += 1
            if status == S.CLOSED:
                out["closed"] += 1
                out["on_time"] += submitted_at <= due
        if status in UNIT_OPEN_STATUSES and due < now:
            out["overdue_now"] += 1
    out["avg_sign_hours"] = fmean(signs) / 3600 if signs else None
    out["avg_handling_hours"] = fmean(handlings) / 3600 if handlings else None
    return out


def test_kpi_table_equals_a_recount_from_events(generated):
    start = timezone.localtime(NOW).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = start - timedelta(days=45)
    end = NOW
    rows = {r.key: r for r in kpis.kpi_table(group_by="unit", start=start, end=end, now=NOW)}
    busiest = Counter(
        Problem.objects.exclude(responsible_unit=None).values_list("responsible_unit", flat=True)
    ).most_common(3)
    assert len(busiest) == 3
    for unit_id, _n in busiest:
        expected = _recount(unit_id, start, end, NOW)
        row = rows[unit_id]
        for name in (
            "dispatched",
            "due",
            "closed",
            "on_time",
            "overdue_now",
            "submissions",
            "reworks",
            "returns",
            "recurrences",
        ):
            assert getattr(row, name) == expected[name], (unit_id, name)
        for name in ("avg_sign_hours", "avg_handling_hours"):
            if expected[name] is None:
                assert getattr(row, name) is None
            else:
                assert getattr(row, name) == pytest.approx(expected[name], rel=1e-6)
    assert sum(r.dispatched for r in rows.values()) > 0


def test_demo_city_creates_the_ledger_with_photos_and_reset_removes_it(
    django_capture_on_commit_callbacks, tmp_path, settings
):
    import io

    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_city", size="tiny", seed=3, stdout=io.StringIO())
    # The inspections demo step adds the problems its inspections found; count the ledger's.
    ledger_problems = Problem.objects.filter(inspection_results__isnull=True)
    assert ledger_problems.count() == problems_step.PROBLEMS["tiny"]
    photos = Evidence.objects.filter(problem__in=ledger_problems).select_related("event", "problem")
    assert photos.count() == 2 * problems_step.PHOTO_PAIRS["tiny"]
    for photo in photos:
        assert photo.problem.status == S.CLOSED
        wanted = (A.SUBMIT,) if photo.kind == EvidenceKind.AFTER else (A.CREATE, A.REPORT)
        assert photo.event.action in wanted
        assert (tmp_path / photo.file.name).stat().st_size == photo.size
    # The sweep ran at the end: flags agree with "now" exactly.
    now = timezone.now()
    flagged = set(Problem.objects.filter(is_overdue=True).values_list("pk", flat=True))
    assert flagged == set(
        Problem.objects.filter(deadlines.overdue_q(now)).values_list("pk", flat=True)
    )
    with django_capture_on_commit_callbacks(execute=True):
        reset_demo()
    assert not Problem.objects.exists() and not ProblemEvent.objects.exists()
    assert not any(p.is_file() for p in tmp_path.rglob("*.jpg"))


def test_demo_router_agrees_with_routing_suggest():
    from civicloop.problems import routing

    city = build_city("tiny", 2)
    world = problems_step.demo_world(city, now=NOW)
    bare = [p for p in world.places if p.point is None]
    at_points = [p for p in world.places if p.point is not None]
    assert bare and at_points
    for place in bare[:6] + at_points[:6]:
        for category in world.categories[::15]:
            expected = routing.suggest(category=category, point=place.point, area=place.area)
            assert world.route(category, place) == expected.unit
