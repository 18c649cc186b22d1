"""The ledger's capped count (civicloop.core.pagination): exact up to the cap, then a lower
bound with open-ended pages, in the paginator, the API and the ledger page."""

from __future__ import annotations

import pytest
from django.core.paginator import EmptyPage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicloop.api.openapi_check import assert_matches_schema
from civicloop.api.pagination import CappedCountPagination
from civicloop.core import pagination
from civicloop.core.pagination import CappedCountPaginator, capped_count
from civicloop.problems.models import Problem
from civicloop.problems.tests.conftest import api_as, new_problem

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


@pytest.fixture
def seven(ledger):
    """Seven problems, newest first as the ledger orders them."""
    for _ in range(7):
        new_problem(ledger)
    return list(Problem.objects.order_by("-created_at", "-id"))


def test_capped_count_reads_at_most_cap_plus_one(seven):
    qs = Problem.objects.all()
    assert capped_count(qs, 100) == 7
    assert capped_count(qs, 7) == 7
    assert capped_count(qs, 3) == 4
    with CaptureQueriesContext(connection) as ctx:
        capped_count(qs, 3)
    (sql,) = [q["sql"] for q in ctx.captured_queries]
    assert "LIMIT 4" in sql and "ORDER BY" not in sql


def test_under_the_cap_it_is_djangos_paginator(seven):
    p = CappedCountPaginator(Problem.objects.order_by("-created_at", "-id"), 3, cap=7)
    assert (p.count, p.count_capped, p.num_pages) == (7, False, 3)
    last = p.page(3)
    assert list(last) == seven[6:] and not last.has_next() and last.end_index() == 7
    with pytest.raises(EmptyPage):
        p.page(4)
    assert p.get_page(99).number == 3


def test_over_the_cap_pages_go_on_until_the_rows_end(seven):
    p = CappedCountPaginator(Problem.objects.order_by("-created_at", "-id"), 2, cap=3)
    assert (p.count, p.count_capped, p.num_pages) == (3, True, 2)
    pages = [p.page(n) for n in (1, 2, 3, 4)]
    assert [list(pg) for pg in pages] == [seven[0:2], seven[2:4], seven[4:6], seven[6:]]
    assert [pg.has_next() for pg in pages] == [True, True, True, False]
    assert [(pg.start_index(), pg.end_index()) for pg in pages[2:]] == [(5, 6), (7, 7)]
    with pytest.raises(EmptyPage):
        p.page(5)
    # one past the end falls back to the last page of the capped window, like Django
    assert p.get_page(5).number == 2 and p.get_page("x").number == 1


def test_api_count_is_exact_under_the_cap(ledger, seven):
    client = api_as(ledger.p.command)
    r = client.get(f"{V1}/problems/", {"page_size": 5})
    body = r.json()
    assert (body["count"], body["count_capped"]) == (7, False)
    assert body["next"] and len(body["results"]) == 5
    assert_matches_schema(r)


def test_api_count_capped_and_walkable_past_the_cap(ledger, seven, monkeypatch):
    monkeypatch.setattr(CappedCountPagination, "count_cap", 4)
    client = api_as(ledger.p.command)
    r = client.get(f"{V1}/problems/", {"page_size": 2})
    body = r.json()
    assert (body["count"], body["count_capped"]) == (4, True)
    assert_matches_schema(r)
    seen, url = [], f"{V1}/problems/?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == [p.pk for p in seven]  # page 4 lies past the cap and is still served
    assert client.get(f"{V1}/problems/", {"page_size": 2, "page": 5}).status_code == 404


def test_ledger_page_says_when_the_count_is_capped(client, ledger, seven, monkeypatch):
    client.force_login(ledger.p.command)
    r = client.get(reverse("problems:ledger"))
    assert "共 7 条" in r.content.decode() and 'id="count-capped"' not in r.content.decode()
    monkeypatch.setattr(pagination, "DEFAULT_COUNT_CAP", 5)
    r = client.get(reverse("problems:ledger"))
    text = r.content.decode()
    assert r.context["page_obj"].paginator.count_capped
    assert "超过5条，请缩小筛选范围" in text and "共 5 条" not in text


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"page": "2"},
        {"page": "3", "ordering": "created_at"},
        {"keyword": "", "source": "", "page": "2"},
    ],
)
def test_api_links_are_drfs_own(ledger, seven, query):
    """next/previous as DRF's replace_query_param / remove_query_param make them."""
    from urllib.parse import urlencode

    from rest_framework.utils.urls import remove_query_param, replace_query_param

    client = api_as(ledger.p.command)
    url = f"{V1}/problems/?{urlencode({'page_size': 2, **query})}&severity=&severity="
    response = client.get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    full = f"http://testserver{url}"
    number = int(query.get("page", 1))
    expected_next = replace_query_param(full, "page", number + 1)
    if number == 1:
        expected_previous = None
    elif number == 2:
        expected_previous = remove_query_param(full, "page")
    else:
        expected_previous = replace_query_param(full, "page", number - 1)
    assert (body["next"], body["previous"]) == (expected_next, expected_previous)
