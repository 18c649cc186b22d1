"""Inspections API: rounds (create with quotas/teams, draw, publish, progress, scores),
sample points, inspections (start, draft save, photo, submit once), item results.
Every response is validated against the OpenAPI schema."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from civicloop.accounts.models import Role
from civicloop.api.openapi_check import assert_matches_schema
from civicloop.inspections import services
from civicloop.inspections.models import (
    Inspection,
    InspectionStatus,
    ItemOutcome,
    ItemResult,
    Round,
    RoundKind,
    RoundStatus,
)
from civicloop.inspections.tests.conftest import inspect, make_user, photo
from civicloop.problems.models import Problem, Source

FAIL = {"outcome": ItemOutcome.FAIL}


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ok(response, status=200):
    assert response.status_code == status, response.content.decode()[:2000]
    assert_matches_schema(response)
    return response.json()


def answers(insp, **overrides):
    out = []
    for it in (
        insp.items.clean,
        insp.items.deduct,
        insp.items.count,
        insp.items.critical,
        insp.items.na,
    ):
        out.append({"check_item": it.pk, **overrides.get(it.code, {"outcome": "pass"})})
    return out


def test_round_list_detail_progress_validate(insp):
    c = api(insp.w.p.command)
    body = ok(c.get("/api/v1/rounds/"))
    assert [r["title"] for r in body["results"]] == ["第1周排查"]
    assert body["results"][0]["sample_count"] == 2
    detail = ok(c.get(f"/api/v1/rounds/{insp.round.pk}/"))
    assert {t["name"] for t in detail["teams"]} == {"第一组", "第二组"}
    progress = ok(c.get(f"/api/v1/rounds/{insp.round.pk}/progress/"))
    assert progress == [
        {"team_id": insp.team.pk, "team_name": "第一组", "total": 2, "drafts": 0, "done": 0}
    ]
    assert ok(c.get("/api/v1/rounds/", {"kind": "monthly_drill"}))["count"] == 0


def test_round_list_query_count_is_bounded(insp, django_assert_max_num_queries):
    c = api(insp.w.p.command)
    c.get("/api/v1/rounds/")
    with django_assert_max_num_queries(8):
        ok(c.get("/api/v1/rounds/"))


def test_rounds_invisible_out_of_scope(insp, world):
    c = api(world.p.handler_a)
    assert ok(c.get("/api/v1/rounds/"))["count"] == 0
    r = c.get(f"/api/v1/rounds/{insp.round.pk}/")
    assert r.status_code == 404
    assert_matches_schema(r)


def test_create_draw_publish_close_round(insp):
    w = insp.w
    c = api(w.p.command)
    body = ok(
        c.post(
            "/api/v1/rounds/",
            {
                "kind": "monthly_drill",
                "title": "API拉练",
                "start_date": "2026-03-10",
                "end_date": "2026-03-20",
                "areas": [w.city.pk],
                "seed": 5,
                "quotas": [{"point_type": w.market.pk, "count": 1}],
                "teams": [{"name": "A组", "inspectors": [insp.member.pk]}],
            },
            format="json",
        ),
        201,
    )
    rid = body["id"]
    assert body["status"] == "draft" and body["quotas"][0]["count"] == 1
    assert body["teams"][0]["inspectors"] == [insp.member.pk]
    drawn = ok(c.post(f"/api/v1/rounds/{rid}/draw/"))
    assert drawn["sample_size"] == 1
    samples = ok(c.get("/api/v1/sample-points/", {"round": rid}))
    assert [s["point"] for s in samples["results"]] == [w.point_a.pk]
    ok(c.patch(f"/api/v1/rounds/{rid}/", {"title": "API拉练（改）"}, format="json"))
    assert ok(c.post(f"/api/v1/rounds/{rid}/publish/"))["status"] == "published"
    # Frozen: the seed can no longer change; a second publish is a 409.
    r = c.patch(f"/api/v1/rounds/{rid}/", {"seed": 9}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "transition_not_allowed"
    assert_matches_schema(r)
    r = c.post(f"/api/v1/rounds/{rid}/publish/")
    assert r.status_code == 409
    assert_matches_schema(r)
    team = ok(c.post(f"/api/v1/rounds/{rid}/teams/", {"name": "B组"}, format="json"), 201)
    ok(
        c.post(
            f"/api/v1/rounds/{rid}/teams/{team['id']}/members/",
            {"inspectors": [insp.stranger.pk]},
            format="json",
        )
    )
    assert ok(c.post(f"/api/v1/rounds/{rid}/close/"))["status"] == "closed"
    assert Round.objects.get(pk=rid).seed == 5


def test_create_round_refused_for_inspector_and_nothing_written(insp, world):
    c = api(world.p.inspector)
    r = c.post(
        "/api/v1/rounds/",
        {
            "kind": "weekly_check",
            "title": "x",
            "start_date": "2026-03-01",
            "end_date": "2026-03-02",
            "areas": [world.city.pk],
        },
        format="json",
    )
    assert r.status_code == 403
    assert_matches_schema(r)
    # The west-district command may not plan a city-wide round either.
    r = api(world.p.outsider).post(
        "/api/v1/rounds/",
        {
            "kind": "weekly_check",
            "title": "x",
            "start_date": "2026-03-01",
            "end_date": "2026-03-02",
            "areas": [world.city.pk],
        },
        format="json",
    )
    assert r.status_code == 403
    assert not Round.objects.filter(title="x").exists()


def test_inspect_through_api_creates_problems_exactly_once(insp):
    c = api(insp.member)
    mine = ok(c.get("/api/v1/sample-points/", {"mine": "true"}))
    assert {s["point"] for s in mine["results"]} == {insp.w.point_a.pk, insp.w.point_b.pk}
    started = ok(
        c.post(f"/api/v1/sample-points/{insp.sample_a.pk}/start/", {"lng": 117.01, "lat": 36.01})
    )
    again = ok(c.post(f"/api/v1/sample-points/{insp.sample_a.pk}/start/", {}))
    assert started["id"] == again["id"] and started["status"] == "draft"
    iid = started["id"]
    body = {
        "answers": answers(
            insp, M1={"outcome": "fail", "note": "有垃圾"}, M2={"outcome": "fail", "deduction": "2"}
        ),
        "lng": 117.01,
        "lat": 36.01,
    }
    first = ok(c.post(f"/api/v1/inspections/{iid}/save/", body, format="json"))
    second = ok(c.post(f"/api/v1/inspections/{iid}/save/", body, format="json"))
    assert len(first["results"]) == len(second["results"]) == 5
    assert ItemResult.objects.filter(inspection_id=iid).count() == 5
    submitted = ok(c.post(f"/api/v1/inspections/{iid}/submit/", {}, format="json"))
    assert submitted["status"] == "submitted"
    # max 2+5+3+4+2 = 16, earned 0+3+3+4+2 = 12 → 0.75
    assert Decimal(submitted["rate"]) == Decimal("0.75")
    failed = [r for r in submitted["results"] if r["outcome"] == "fail"]
    assert len(failed) == 2 and all(r["problem_status"] == "dispatched" for r in failed)
    assert Problem.objects.filter(source=Source.INSPECTION).count() == 2
    r = c.post(f"/api/v1/inspections/{iid}/submit/", {}, format="json")
    assert r.status_code == 409 and "不能重复提交" in r.json()["message"]
    assert_matches_schema(r)
    assert Problem.objects.count() == 2
    results = ok(c.get("/api/v1/item-results/", {"round": insp.round.pk, "has_problem": "true"}))
    assert results["count"] == 2
    listed = ok(c.get("/api/v1/inspections/", {"round": insp.round.pk, "status": "submitted"}))
    assert [i["id"] for i in listed["results"]] == [iid]


def test_out_of_team_inspector_gets_403_and_nothing_changes(insp):
    c = api(insp.stranger)
    r = c.post(f"/api/v1/sample-points/{insp.sample_a.pk}/start/", {})
    assert r.status_code == 403
    assert_matches_schema(r)
    assert not Inspection.objects.exists()
    inspection = services.inspection_start(user=insp.member, sample=insp.sample_a)
    r = c.post(
        f"/api/v1/inspections/{inspection.pk}/save/",
        {"answers": [{"check_item": insp.items.clean.pk, "outcome": "fail"}]},
        format="json",
    )
    assert r.status_code == 403
    r = c.post(f"/api/v1/inspections/{inspection.pk}/submit/", {}, format="json")
    assert r.status_code == 403
    assert not ItemResult.objects.exists()
    assert Inspection.objects.get().status == InspectionStatus.DRAFT


def test_inspector_outside_the_round_gets_404(insp, world):
    lone = make_user("lone", (Role.INSPECTOR, world.west_grid))
    c = api(lone)
    r = c.post(f"/api/v1/sample-points/{insp.sample_a.pk}/start/", {})
    assert r.status_code == 404
    assert ok(c.get("/api/v1/sample-points/"))["count"] == 0
    assert not Inspection.objects.exists()


def test_item_with_photo_multipart(insp, django_capture_on_commit_callbacks):
    inspection = services.inspection_start(user=insp.member, sample=insp.sample_a)
    c = api(insp.member)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            f"/api/v1/inspections/{inspection.pk}/item/",
            {"check_item": insp.items.count.pk, "outcome": "fail", "count": 3, "photo": photo()},
            format="multipart",
        )
    body = ok(r)
    assert body["photo_url"] and body["count"] == 3 and Decimal(body["earned"]) == Decimal("1.5")
    bad = c.post(
        f"/api/v1/inspections/{inspection.pk}/item/",
        {"check_item": insp.items.count.pk, "outcome": "fail"},
        format="multipart",
    )
    assert bad.status_code == 400 and "发现处数" in bad.json()["message"]
    assert_matches_schema(bad)


def test_scores_endpoint_numbers_and_delta(insp):
    w = insp.w
    prev = services.round_create(
        user=w.p.command,
        kind=RoundKind.WEEKLY_CHECK,
        title="上周",
        start_date=date(2026, 2, 23),
        end_date=date(2026, 3, 1),
        areas=[w.city],
        seed=1,
    )
    team = services.team_create(user=w.p.command, round_=prev, name="组", inspectors=[insp.member])
    services.round_draw_sample(user=w.p.command, round_=prev)
    services.round_publish(user=w.p.command, round_=prev)
    sample = prev.samples.get(point=w.point_a)
    services.sample_assign(user=w.p.command, sample=sample, team=team)
    inspect(insp, sample, insp.member)  # 100 %
    inspect(insp, insp.sample_a, insp.member, M1=FAIL, M4=FAIL)  # 10/16, critical
    c = api(w.p.leader)
    body = ok(c.get(f"/api/v1/rounds/{insp.round.pk}/scores/", {"by": "area"}))
    assert body["previous_round"] == prev.pk
    east = next(r for r in body["rows"] if r["key"] == w.east.pk)
    assert Decimal(east["rate"]) == Decimal("0.625")
    assert Decimal(east["delta"]) == Decimal("-0.375")
    assert Decimal(east["pass_rate"]) == 0 and east["failed_items"] == 2
    body = ok(c.get(f"/api/v1/rounds/{insp.round.pk}/scores/", {"by": "indicator"}))
    clean = next(r for r in body["rows"] if r["key"] == insp.std_clean.pk)
    # M1 0/2, M3 3/3 → mean 0.5; weight 4 → 2.
    assert Decimal(clean["rate"]) == Decimal("0.5") and Decimal(clean["score"]) == 2
    for by in ("unit", "point_type"):
        rows = ok(c.get(f"/api/v1/rounds/{insp.round.pk}/scores/", {"by": by}))["rows"]
        assert len(rows) == 1 and Decimal(rows[0]["rate"]) == Decimal("0.625")
    r = c.get(f"/api/v1/rounds/{insp.round.pk}/scores/", {"by": "nonsense"})
    assert r.status_code == 400


@pytest.mark.parametrize(
    "path",
    ["/api/v1/rounds/", "/api/v1/sample-points/", "/api/v1/inspections/", "/api/v1/item-results/"],
)
def test_anonymous_is_401(path, insp):
    r = APIClient().get(path)
    assert r.status_code == 401
    assert_matches_schema(r)


def test_round_status_after_first_start_is_in_progress(insp):
    ok(api(insp.member).post(f"/api/v1/sample-points/{insp.sample_b.pk}/start/", {}))
    insp.round.refresh_from_db()
    assert insp.round.status == RoundStatus.IN_PROGRESS
