# ruff: noqa: F811  (pytest fixtures imported from other conftest modules)
"""Scoring API: schemes, periods (compute, status, publish, reopen, versions), rankings;
responses validated against the OpenAPI schema; scope and roles."""

from __future__ import annotations

import pytest

from civicloop.api.openapi_check import assert_matches_schema
from civicloop.api.tests.conftest import api  # noqa: F401  (fixture reuse)
from civicloop.scoring import services
from civicloop.scoring.models import PeriodStatus, Scheme
from civicloop.scoring.tests.conftest import NOW


@pytest.fixture
def computed(city):
    job = services.period_compute_now(city.command, city.week1, now=NOW)
    assert job.status == "succeeded", job.error
    return city


def test_scheme_list_create_patch(api, city):  # noqa: F811
    client = api(city.command)
    listed = client.get("/api/v1/schemes/")
    assert_matches_schema(listed)
    assert [s["name"] for s in listed.json()["results"]] == [city.scheme.name]
    body = {
        "name": "社区周考核",
        "period_kind": "week",
        "object_group": "communities",
        "area": city.world.city.pk,
        "grade_bands": [{"grade": "A", "min": "85"}, {"grade": "B", "min": "0"}],
        "components": [
            {"key": "inspection_rate", "weight": "1"},
            {"key": "late_rectification_deduction", "params": {"points_per_item": "-2"}},
        ],
    }
    created = client.post("/api/v1/schemes/", body, format="json")
    assert created.status_code == 201, created.json()
    assert_matches_schema(created)
    scheme = Scheme.objects.get(name="社区周考核")
    assert scheme.components.count() == 2
    patched = client.patch(
        f"/api/v1/schemes/{scheme.pk}/",
        {"red_list_size": 5, "components": [{"key": "inspection_rate", "weight": "2"}]},
        format="json",
    )
    assert patched.status_code == 200
    assert_matches_schema(patched)
    assert patched.json()["red_list_size"] == 5 and len(patched.json()["components"]) == 1
    bad = client.post("/api/v1/schemes/", {**body, "components": [{"key": "nope"}]}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "validation_error"


def test_handler_cannot_write_and_citizen_sees_nothing(api, city):  # noqa: F811
    handler = api(city.world.p.handler_a)
    assert handler.post(f"/api/v1/periods/{city.week1.pk}/compute/").status_code == 403
    assert handler.patch(f"/api/v1/schemes/{city.scheme.pk}/", {"name": "x"}).status_code == 403
    citizen = api(city.world.p.citizen)
    assert citizen.get(f"/api/v1/schemes/{city.scheme.pk}/").status_code == 404
    assert citizen.get(f"/api/v1/periods/{city.week1.pk}/").status_code == 404
    city.scheme.refresh_from_db()
    assert city.scheme.name == "点位责任单位周考核" and not city.week1.computations.exists()


def test_compute_status_publish_versions_rankings(
    api,
    city,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    client = api(city.command)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/api/v1/periods/{city.week1.pk}/compute/")
    assert started.status_code == 202
    assert_matches_schema(started)
    assert started.json()["status"] == "queued"
    job = client.get(f"/api/v1/computations/{started.json()['id']}/")
    assert_matches_schema(job)
    # The computation uses the wall clock here; the numbers are checked elsewhere.
    assert job.json()["status"] == "succeeded" and job.json()["progress"] == 100
    scores = client.get(f"/api/v1/periods/{city.week1.pk}/scores/")
    assert_matches_schema(scores)
    assert len(scores.json()["results"]) == 6
    published = client.post(f"/api/v1/periods/{city.week1.pk}/publish/", {}, format="json")
    assert published.status_code == 201
    assert_matches_schema(published)
    again = client.post(f"/api/v1/periods/{city.week1.pk}/publish/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"
    reopen = client.post(
        f"/api/v1/periods/{city.week1.pk}/reopen/", {"reason": "更正"}, format="json"
    )
    assert reopen.status_code == 200 and reopen.json()["status"] == PeriodStatus.DRAFT
    assert_matches_schema(reopen)
    versions = client.get(f"/api/v1/periods/{city.week1.pk}/versions/")
    assert_matches_schema(versions)
    assert [v["version"] for v in versions.json()["results"]] == [1]
    rankings = client.get(f"/api/v1/rankings/?period={city.week1.pk}")
    assert_matches_schema(rankings)
    snap_id = rankings.json()["results"][0]["id"]
    ranking = client.get(f"/api/v1/rankings/{snap_id}/")
    assert_matches_schema(ranking)
    rows = ranking.json()["rows"]
    ranks = [r["rank"] for r in rows]
    assert ranks[-1] is None and ranks[:-1] == sorted(ranks[:-1])
    assert rows[0]["rank_change"] == "新"


def test_rankings_need_a_period(api, city):  # noqa: F811
    response = api(city.command).get("/api/v1/rankings/")
    assert response.status_code == 400


def test_create_period_via_scheme(api, city):  # noqa: F811
    client = api(city.command)
    response = client.post(
        f"/api/v1/schemes/{city.scheme.pk}/periods/", {"day": "2025-03-12"}, format="json"
    )
    assert response.status_code == 201
    assert_matches_schema(response)
    assert response.json()["start_date"] == "2025-03-10"
    listed = client.get(f"/api/v1/schemes/{city.scheme.pk}/periods/")
    assert_matches_schema(listed)
    assert len(listed.json()["results"]) == 2
