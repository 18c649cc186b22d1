"""The ledger list's read path (civicloop.problems.listing): compiled filters, the cached
capped count and its invalidation by committed ledger writes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicloop.accounts.models import Membership
from civicloop.core.pagination import capped_count
from civicloop.problems import listing, selectors, services
from civicloop.problems.models import Problem, Status
from civicloop.problems.serializers import list_row_plan
from civicloop.problems.tests.conftest import api_as, bring_to, new_problem

V1 = "/api/v1"


def _counts(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"]]


@pytest.fixture(autouse=True)
def _no_compiled_filters():
    listing.compiled_filters.clear()
    yield
    listing.compiled_filters.clear()


@pytest.mark.django_db(transaction=True)
def test_paging_counts_once_and_a_committed_write_recounts(ledger):
    for _ in range(5):
        new_problem(ledger)
    client = api_as(ledger.p.command)

    with CaptureQueriesContext(connection) as ctx:
        first = client.get(f"{V1}/problems/", {"page_size": 2}).json()
    assert first["count"] == 5 and len(_counts(ctx)) == 1
    with CaptureQueriesContext(connection) as ctx:
        second = client.get(f"{V1}/problems/", {"page_size": 2, "page": 2}).json()
    assert second["count"] == 5 and _counts(ctx) == []  # the cached count
    assert len(ctx.captured_queries) == 4  # token, memberships, the page's ids, its rows

    new_problem(ledger)  # a service: the ledger generation moves on at commit
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(f"{V1}/problems/", {"page_size": 2, "page": 2}).json()
    assert again["count"] == 6 and len(_counts(ctx)) == 1
    # newest first: the new problem pushed every row one place down
    old_order = [r["id"] for r in first["results"] + second["results"]]
    assert [r["id"] for r in again["results"]] == old_order[1:3]


@pytest.mark.django_db(transaction=True)
def test_a_transition_recounts_the_filters_it_moves_problems_between(ledger):
    problem = bring_to(ledger, Status.DISPATCHED)
    client = api_as(ledger.p.command)
    assert client.get(f"{V1}/problems/", {"status": "dispatched"}).json()["count"] == 1
    assert client.get(f"{V1}/problems/", {"status": "rectifying"}).json()["count"] == 0
    services.problem_sign(user=ledger.p.handler_a, problem=problem)
    assert client.get(f"{V1}/problems/", {"status": "dispatched"}).json()["count"] == 0
    assert client.get(f"{V1}/problems/", {"status": "rectifying"}).json()["count"] == 1


@pytest.mark.django_db(transaction=True)
def test_the_overdue_sweep_recounts(ledger):
    problem = bring_to(ledger, Status.RECTIFYING)
    client = api_as(ledger.p.command)
    assert client.get(f"{V1}/problems/", {"escalated": "true"}).json()["count"] == 0
    late = problem.due_at + timedelta(days=30)
    result = services.problem_sweep_overdue(at=late)
    assert result.flagged == 1 and sum(result.escalated.values()) == 1
    assert client.get(f"{V1}/problems/", {"escalated": "true"}).json()["count"] == 1


@pytest.mark.django_db
def test_inside_a_transaction_nothing_is_cached(ledger):
    """The test's own transaction stands for a request inside a write: its reads may
    see uncommitted rows, so they are never cached for others."""
    new_problem(ledger)
    client = api_as(ledger.p.command)
    for page_size in (1, 1):
        with CaptureQueriesContext(connection) as ctx:
            client.get(f"{V1}/problems/", {"page_size": page_size})
        assert len(_counts(ctx)) == 1


@pytest.mark.django_db
def test_a_lost_membership_is_seen_at_once(ledger):
    new_problem(ledger)
    inspector = ledger.p.inspector  # east district
    client = api_as(inspector)
    assert client.get(f"{V1}/problems/").json()["count"] == 1
    Membership.objects.filter(user=inspector).delete()
    assert client.get(f"{V1}/problems/").json()["count"] == 0


FILTERS = [
    {},
    {"status": ["rectifying", "dispatched"]},
    {"ordering": "due_at"},
    {"unit": "unit_a"},
    {"area": "east"},
    {"category": "cat_litter", "source": "inspection", "severity": "short"},
    {"escalated": False, "keyword": "垃圾"},
    {"overdue": True},
    {"light": "green"},
    {"unit": -1},
]


def _filters(world, spec: dict) -> selectors.LedgerFilters:
    values = {}
    for name, value in spec.items():
        values[name] = (
            getattr(world, value).pk
            if isinstance(value, str)
            and name
            in (
                "unit",
                "area",
                "category",
            )
            else value
        )
    return selectors.LedgerFilters(**values)


@pytest.mark.django_db
@pytest.mark.parametrize("spec", FILTERS)
def test_a_page_is_what_the_ledger_queryset_gives(ledger, bring, spec):
    """Same rows, same order, same count as the ORM's own ledger queryset, whether the
    filter was compiled now or taken from the compiled filters."""
    bring(Status.DISPATCHED)
    bring(Status.RECTIFYING)
    bring(Status.CLOSED)
    new_problem(ledger, report=True)
    new_problem(ledger, point=ledger.point_b)
    columns = list_row_plan().columns
    now = timezone.now()
    for user in (ledger.p.command, ledger.p.handler_a, ledger.p.inspector, ledger.p.citizen):
        filters = _filters(ledger, spec)
        resolved = selectors.resolve_ledger_filters(filters)
        expected = (
            Problem.objects.none()
            if resolved is None
            else selectors.ledger_queryset(user=user, filters=resolved, now=now)
        )
        expected_rows = list(expected.values_list(*columns))
        for _ in range(2):  # compiled, then reused
            source = listing.ledger_page_source(
                user=user, filters=filters, now=now, columns=columns
            )
            assert source.capped_count(100) == len(expected_rows) == capped_count(expected, 100)
            rows = source.slice(0, 100)
            assert [tuple(r) for r in rows] == expected_rows
            stamps = [v for r in rows for v in r if isinstance(v, datetime)]
            assert all(v.utcoffset() == timedelta(0) for v in stamps)  # aware, as the ORM
            assert [tuple(r) for r in source.slice(1, 3)] == expected_rows[1:3]
    if spec.get("unit") == -1:
        assert expected_rows == []


@pytest.mark.django_db
def test_filters_reading_the_clock_are_compiled_every_time(ledger):
    columns = list_row_plan().columns
    user = ledger.p.command
    listing.ledger_page_source(
        user=user,
        filters=selectors.LedgerFilters(overdue=True),
        now=timezone.now(),
        columns=columns,
    )
    assert len(listing.compiled_filters.entries) == 0
    listing.ledger_page_source(
        user=user,
        filters=selectors.LedgerFilters(status="rectifying"),
        now=timezone.now(),
        columns=columns,
    )
    assert len(listing.compiled_filters.entries) == 1


def test_compiled_filters_keep_the_most_recently_used():
    cache = listing._CompiledFilters(size=2)
    calls = []

    def compile_(name):
        return lambda: calls.append(name) or name

    assert cache.get("a", compile_("a")) == "a"
    assert cache.get("b", compile_("b")) == "b"
    assert cache.get("a", compile_("a")) == "a"  # kept, and now the most recent
    assert cache.get("c", compile_("c")) == "c"  # evicts b
    assert cache.get("b", compile_("b")) == "b"
    assert calls == ["a", "b", "c", "b"]
    assert cache.get(None, compile_("x")) == "x" and "x" not in cache.entries


@pytest.mark.django_db
def test_a_unit_filter_takes_in_a_unit_added_under_it(ledger):
    """The unit filter reads the subtree's ids on every request: a unit created under the
    filtered one is in at once, though the filter was compiled before."""
    from civicloop.orgs import services as org_services
    from civicloop.orgs.models import UnitKind

    bring_to(ledger, Status.DISPATCHED)  # to unit_a
    columns = list_row_plan().columns
    user = ledger.p.command

    def page_ids():
        source = listing.ledger_page_source(
            user=user,
            filters=selectors.LedgerFilters(unit=ledger.unit_a.pk),
            now=timezone.now(),
            columns=columns,
        )
        return {row[0] for row in source.slice(0, 100)}

    before = page_ids()
    assert len(before) == 1
    child = org_services.unit_create(
        user=user,
        name="城管局一中队",
        code="U-A-1",
        kind=UnitKind.COMMUNITY,
        area=ledger.unit_a.area,
        parent=ledger.unit_a,
    )
    problem = bring_to(ledger, Status.DISPATCHED, unit=child)
    assert page_ids() == before | {problem.pk}
    assert len(listing.compiled_filters.entries) == 2  # the new subtree, a new filter


@pytest.mark.django_db
def test_resolved_filters_are_not_resolved_again(ledger):
    resolved = selectors.resolve_ledger_filters(selectors.LedgerFilters(unit=ledger.unit_a.pk))
    assert resolved.unit_ids and ledger.unit_a.pk in resolved.unit_ids
    with CaptureQueriesContext(connection) as ctx:
        assert selectors.resolve_ledger_filters(resolved) == resolved
    assert ctx.captured_queries == []
