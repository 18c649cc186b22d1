"""The lean ledger list (GET /api/v1/problems/): values_list rows and the FilterSet's
cached form fields must give exactly what the standard path gives — same JSON, same
filter values, same 400 errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from civicloop.problems import selectors
from civicloop.problems.filters import ProblemFilter, clean_query
from civicloop.problems.models import Problem, Status
from civicloop.problems.serializers import ProblemListSerializer, list_row_plan
from civicloop.problems.tests.conftest import api_as, new_problem

pytestmark = pytest.mark.django_db
V1 = "/api/v1"


def _standard(queryset) -> list[dict]:
    """What DRF's own ModelSerializer path renders for these model instances."""
    data = ProblemListSerializer(list(queryset), many=True).data
    return json.loads(JSONRenderer().render(data))


@pytest.fixture
def varied(ledger, bring):
    """Problems in many states: with and without unit, point, deadline; one overdue."""
    bring(Status.DISPATCHED)
    bring(Status.RECTIFYING)
    bring(Status.SUBMITTED)
    bring(Status.CLOSED)
    new_problem(ledger, report=True)  # pending review: no unit, no deadline
    new_problem(ledger, point=ledger.point_b)
    late = bring(Status.RECTIFYING)
    Problem.objects.filter(pk=late.pk).update(
        due_at=timezone.now() - timedelta(days=1), is_overdue=True, escalation_level=1
    )
    return ledger


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status": ["rectifying", "dispatched"]},
        {"ordering": "due_at"},
        {"overdue": "true"},
        {"light": "red"},
        {"escalated": "false", "ordering": "-number"},
    ],
)
def test_api_list_json_equals_the_standard_serializer(varied, query):
    user = varied.p.command
    r = api_as(user).get(f"{V1}/problems/", {**query, "page_size": 100})
    assert r.status_code == 200, r.content
    filterset = ProblemFilter(data=_querydict(query))
    assert filterset.is_valid()
    expected = _standard(selectors.problem_list(user=user, filters=filterset.ledger_filters()))
    assert r.json()["results"] == expected
    if not query:
        assert len(expected) >= 7
        assert any(row["responsible_unit"] is None for row in expected)
        assert {row["light"] for row in expected} >= {"", "green", "red"}


@pytest.mark.parametrize(("zone", "suffix"), [("Europe/Berlin", "+01:00"), ("UTC", "Z")])
def test_row_plan_equals_the_serializer_in_another_time_zone(varied, zone, suffix):
    rows = selectors.problem_list(user=varied.p.command)
    plan = list_row_plan()
    with timezone.override(zone):
        assert plan.rows(plan.values(rows)) == _standard(rows)
        assert any(r["due_at"] and r["due_at"].endswith(suffix) for r in _standard(rows))


def test_list_is_five_queries_whatever_the_page(varied):
    for _ in range(12):
        new_problem(varied)
    client = api_as(varied.p.command)
    for page in (1, 2, 3):
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(f"{V1}/problems/", {"page_size": 7, "page": page})
        assert r.status_code == 200
        # token + memberships (scope) + capped count + the page's ids + their rows
        assert len(ctx.captured_queries) <= 5, [q["sql"] for q in ctx.captured_queries]
    # the count walks only the scope's join, not the row's name joins
    count_sql = next(q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"])
    assert "standards_category" not in count_sql and "orgs_point" not in count_sql


QUERIES = [
    {},
    {"status": ["rectifying"]},
    {"status": ["rectifying", "closed"], "unit": "3", "area": "2", "category": "1"},
    {"source": "inspection", "severity": "short", "overdue": "true", "light": "yellow"},
    {"escalated": "false", "created_from": "2026-01-01", "created_to": "2026-03-31"},
    {"keyword": "  A-1 ", "ordering": "due_at", "overdue": "1", "escalated": "True"},
    {"overdue": "maybe"},  # NullBooleanSelect reads it as "unknown", not an error
    {"status": ["nonsense"]},
    {"unit": "x"},
    {"created_from": "2026-13-01"},
    {"ordering": "password"},
    {"light": "blue", "unit": "1"},
]


def _querydict(query: dict) -> QueryDict:
    q = QueryDict(mutable=True)
    for key, value in query.items():
        q.setlist(key, value if isinstance(value, list) else [value])
    return q


@pytest.mark.parametrize("query", QUERIES)
def test_fast_clean_is_the_filtersets_cleaning(query):
    data = _querydict(query)
    filterset = ProblemFilter(data=data)
    fast = clean_query(data)
    if filterset.is_valid():
        assert fast == filterset.form.cleaned_data
    else:
        assert fast is None


def test_invalid_filters_are_the_same_400(ledger):
    client = api_as(ledger.p.command)
    r = client.get(f"{V1}/problems/", {"status": "nonsense", "unit": "x"})
    assert (r.status_code, r.json()["code"]) == (400, "validation_error")
    errors = ProblemFilter(data=_querydict({"status": ["nonsense"], "unit": "x"})).errors
    body = json.dumps(r.json(), ensure_ascii=False)
    for name, messages in errors.items():
        assert name in body
        assert all(str(m) in body for m in messages)


def test_browsable_api_still_renders_the_list(varied):
    r = api_as(varied.p.command).get(f"{V1}/problems/", {"format": "api"})
    assert r.status_code == 200
    assert b"count_capped" in r.content and b"responsible_unit_name" in r.content
