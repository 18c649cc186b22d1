"""Ledger API: every action endpoint, scope, error codes, schema conformance, query bounds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from civicloop.api.openapi_check import assert_matches_schema
from civicloop.problems import services
from civicloop.problems.models import (
    Evidence,
    Problem,
    ProblemEvent,
    RequestStatus,
    RoutingRule,
    Status,
)
from civicloop.problems.tests.actions import snapshot
from civicloop.problems.tests.conftest import photo

pytestmark = pytest.mark.django_db
V1 = "/api/v1"
S = Status


@pytest.fixture
def api():
    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


def later(problem: Problem, days: int = 5) -> str:
    return ((problem.due_at or services.now()) + timedelta(days=days)).isoformat()


# action → (start status, persona, body builder, expected status afterwards, pending request)
CASES = {
    "accept": (S.PENDING_REVIEW, "command", lambda w, p: {"note": "属实"}, S.REGISTERED, None),
    "reject": (S.PENDING_REVIEW, "command", lambda w, p: {"reason": "不属实"}, S.REJECTED, None),
    "dispatch": (
        S.REGISTERED,
        "command",
        lambda w, p: {"unit": w.unit_a.pk, "note": "尽快处理"},
        S.DISPATCHED,
        None,
    ),
    "sign": (S.DISPATCHED, "handler_a", lambda w, p: {}, S.RECTIFYING, None),
    "request_return": (
        S.DISPATCHED,
        "handler_a",
        lambda w, p: {"reason": "不属于本单位职责"},
        S.DISPATCHED,
        None,
    ),
    "approve_return": (S.DISPATCHED, "command", lambda w, p: {}, S.REGISTERED, "return"),
    "deny_return": (
        S.DISPATCHED,
        "command",
        lambda w, p: {"note": "属于你单位"},
        S.DISPATCHED,
        "return",
    ),
    "request_extension": (
        S.RECTIFYING,
        "handler_a",
        lambda w, p: {"reason": "需要采购", "requested_due_at": later(p)},
        S.RECTIFYING,
        None,
    ),
    "approve_extension": (S.RECTIFYING, "command", lambda w, p: {}, S.RECTIFYING, "extension"),
    "deny_extension": (
        S.RECTIFYING,
        "command",
        lambda w, p: {"note": "时间足够"},
        S.RECTIFYING,
        "extension",
    ),
    "park": (
        S.RECTIFYING,
        "command",
        lambda w, p: {"reason": "纳入改造计划", "review_on": "2100-01-01"},
        S.PARKED,
        None,
    ),
    "unpark": (S.PARKED, "command", lambda w, p: {}, S.RECTIFYING, None),
    "leader_approve": (S.LEADER_REVIEW, "unit_leader_a", lambda w, p: {}, S.SUBMITTED, None),
    "leader_deny": (
        S.LEADER_REVIEW,
        "unit_leader_a",
        lambda w, p: {"reason": "照片不清楚"},
        S.RECTIFYING,
        None,
    ),
    "verify_pass": (S.SUBMITTED, "inspector", lambda w, p: {}, S.CLOSED, None),
    "verify_fail": (
        S.SUBMITTED,
        "inspector",
        lambda w, p: {"reason": "仍有垃圾"},
        S.RECTIFYING,
        None,
    ),
    "reopen": (S.CLOSED, "inspector", lambda w, p: {"reason": "回头看反弹"}, S.DISPATCHED, None),
    "urge": (S.RECTIFYING, "command", lambda w, p: {"note": "请加快"}, S.RECTIFYING, None),
    "void": (S.REGISTERED, "command", lambda w, p: {"reason": "重复登记"}, S.VOIDED, None),
}


def _pending(ledger, problem, kind):
    p = ledger.p
    if kind == "return":
        services.problem_request_return(user=p.handler_a, problem=problem, reason="不归我们")
    elif kind == "extension":
        services.problem_request_extension(
            user=p.handler_a,
            problem=problem,
            reason="材料未到",
            requested_due_at=problem.due_at + timedelta(days=3),
        )
    return Problem.objects.get(pk=problem.pk)


@pytest.mark.parametrize("action", sorted(CASES))
def test_every_json_action_endpoint(api, ledger, bring, action):
    start, persona, body, expected, pending = CASES[action]
    problem = bring(start)
    if pending:
        problem = _pending(ledger, problem, pending)
    events_before = ProblemEvent.objects.filter(problem=problem).count()
    user = getattr(ledger.p, persona)
    response = api(user).post(f"{V1}/problems/{problem.pk}/{action}/", body(ledger, problem))
    assert response.status_code == 200, response.json()
    assert_matches_schema(response)
    problem.refresh_from_db()
    assert problem.status == expected
    last = ProblemEvent.objects.filter(problem=problem).order_by("-id").first()
    assert last.action == action and last.actor == user
    assert ProblemEvent.objects.filter(problem=problem).count() == events_before + 1
    assert response.json()["status"] == expected
    assert response.json()["version"] == problem.version


def test_merge_endpoint(api, ledger, helpers):
    kept = helpers.new_problem(ledger, report=True)
    dup = helpers.new_problem(ledger, report=True)
    r = api(ledger.p.command).post(f"{V1}/problems/{dup.pk}/merge/", {"into": kept.pk})
    assert r.status_code == 200, r.json()
    assert_matches_schema(r)
    dup.refresh_from_db()
    assert dup.status == S.REJECTED and dup.merged_into_id == kept.pk


def test_submit_endpoint_takes_multipart_photos(
    api, ledger, bring, django_capture_on_commit_callbacks
):
    problem = bring(S.RECTIFYING)
    with django_capture_on_commit_callbacks(execute=True):
        r = api(ledger.p.handler_a).post(
            f"{V1}/problems/{problem.pk}/submit/",
            {"description": "已清理完毕", "files": [photo("a.jpg"), photo("b.jpg")]},
            format="multipart",
        )
    assert r.status_code == 200, r.json()
    assert_matches_schema(r)
    assert Problem.objects.get(pk=problem.pk).status == S.SUBMITTED
    after = r.json()["evidence"]
    assert [e["kind"] for e in after] == ["after", "after"]
    assert all(e["event"] for e in after)


def test_submit_without_photo_is_a_validation_error_and_changes_nothing(api, ledger, bring):
    problem = bring(S.RECTIFYING)
    before = snapshot(problem)
    r = api(ledger.p.handler_a).post(
        f"{V1}/problems/{problem.pk}/submit/", {"description": "已清理"}
    )
    assert r.status_code == 400
    assert r.json()["code"] == "validation_error"
    assert "整改后照片" in r.json()["message"]
    assert_matches_schema(r)
    assert snapshot(problem) == before


def test_error_codes(api, ledger, bring):
    p = ledger.p
    problem = bring(S.DISPATCHED)
    before = snapshot(problem)
    # transition not allowed: verify a dispatched problem
    r = api(p.inspector).post(f"{V1}/problems/{problem.pk}/verify_pass/", {})
    assert (r.status_code, r.json()["code"]) == (409, "transition_not_allowed")
    assert_matches_schema(r)
    # not permitted: the leader reads but may not dispatch/urge
    r = api(p.leader).post(f"{V1}/problems/{problem.pk}/urge/", {})
    assert (r.status_code, r.json()["code"]) == (403, "not_permitted")
    assert_matches_schema(r)
    # not found: handler of another unit, and the outsider
    for user in (p.handler_b, p.outsider):
        r = api(user).post(f"{V1}/problems/{problem.pk}/sign/", {})
        assert (r.status_code, r.json()["code"]) == (404, "not_found")
        assert_matches_schema(r)
        assert api(user).get(f"{V1}/problems/{problem.pk}/").status_code == 404
    # validation: required reason missing
    r = api(p.command).post(f"{V1}/problems/{problem.pk}/void/", {})
    assert (r.status_code, r.json()["code"]) == (400, "validation_error")
    assert_matches_schema(r)
    # concurrent update: the client saw an older version
    r = api(p.handler_a).post(f"{V1}/problems/{problem.pk}/sign/", {"version": problem.version - 1})
    assert (r.status_code, r.json()["code"]) == (409, "concurrent_update")
    assert r.json()["message"] == "数据已被他人修改，请刷新后重试"
    assert_matches_schema(r)
    assert snapshot(problem) == before


def test_dispatch_to_a_unit_outside_scope_is_refused(api, ledger, bring):
    problem = bring(S.REGISTERED)
    before = snapshot(problem)
    # The east inspector cannot see unit B (west); a west unit id is just "unknown".
    r = api(ledger.p.outsider).post(
        f"{V1}/problems/{problem.pk}/dispatch/", {"unit": ledger.unit_b.pk}
    )
    assert r.status_code == 404
    assert snapshot(problem) == before


def test_list_filters_scope_schema_and_query_bound(api, ledger, bring, helpers):
    p = ledger.p
    dispatched = bring(S.DISPATCHED)
    registered = bring(S.REGISTERED)
    west = helpers.new_problem(ledger, point=ledger.point_b)
    client = api(p.command)
    r = client.get(f"{V1}/problems/")
    assert r.status_code == 200
    assert_matches_schema(r)
    assert {row["id"] for row in r.json()["results"]} == {dispatched.pk, registered.pk, west.pk}
    r = client.get(f"{V1}/problems/", {"status": "dispatched"})
    assert [row["id"] for row in r.json()["results"]] == [dispatched.pk]
    assert r.json()["results"][0]["light"] == "green"
    r = client.get(f"{V1}/problems/", {"unit": ledger.unit_a.pk})
    assert [row["id"] for row in r.json()["results"]] == [dispatched.pk]
    r = client.get(f"{V1}/problems/", {"area": ledger.west.pk})
    assert [row["id"] for row in r.json()["results"]] == [west.pk]
    r = client.get(f"{V1}/problems/", {"keyword": dispatched.number})
    assert [row["id"] for row in r.json()["results"]] == [dispatched.pk]
    r = client.get(f"{V1}/problems/", {"status": "nonsense"})
    assert (r.status_code, r.json()["code"]) == (400, "validation_error")
    # scope: the handler of unit A sees only A's problem; the outsider only the west one
    ids = {row["id"] for row in api(p.handler_a).get(f"{V1}/problems/").json()["results"]}
    assert ids == {dispatched.pk}
    ids = {row["id"] for row in api(p.outsider).get(f"{V1}/problems/").json()["results"]}
    assert ids == {west.pk}
    for _ in range(15):
        helpers.new_problem(ledger)
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(f"{V1}/problems/", {"page_size": 50})
    assert r.status_code == 200 and r.json()["count"] == 18
    assert len(ctx.captured_queries) <= 6, [q["sql"] for q in ctx.captured_queries]


def test_detail_lists_exactly_the_callers_actions(api, ledger, bring):
    p = ledger.p
    problem = bring(S.DISPATCHED)
    r = api(p.handler_a).get(f"{V1}/problems/{problem.pk}/")
    assert r.status_code == 200
    assert_matches_schema(r)
    body = r.json()
    assert set(body["available_actions"]) == {"sign", "request_return"}
    assert [e["action"] for e in body["events"]] == ["create", "dispatch"]
    assert body["suggested_unit"] is None and body["suggestion_reason"] is None
    assert (
        set(api(p.leader).get(f"{V1}/problems/{problem.pk}/").json()["available_actions"]) == set()
    )
    registered = bring(S.REGISTERED)
    body = api(p.command).get(f"{V1}/problems/{registered.pk}/").json()
    assert "dispatch" in body["available_actions"]
    assert body["suggested_unit"] == ledger.unit_a.pk
    assert "东华农贸市场" in body["suggestion_reason"]


def test_create_and_report(api, ledger):
    p = ledger.p
    body = {
        "category": ledger.cat_litter.pk,
        "description": "垃圾桶满溢",
        "lng": 117.01,
        "lat": 36.01,
        "source": "inspection",
    }
    r = api(p.inspector).post(f"{V1}/problems/", body)
    assert r.status_code == 201, r.json()
    assert_matches_schema(r)
    created = Problem.objects.get(pk=r.json()["id"])
    assert created.status == S.REGISTERED and created.area == ledger.east_grid
    report = {k: v for k, v in body.items() if k != "source"}
    r = api(p.citizen).post(f"{V1}/problems/report/", report)
    assert r.status_code == 201, r.json()
    assert_matches_schema(r)
    assert Problem.objects.get(pk=r.json()["id"]).status == S.PENDING_REVIEW
    # a citizen may not register directly, and nothing is created
    count = Problem.objects.count()
    r = api(p.citizen).post(f"{V1}/problems/", body)
    assert (r.status_code, r.json()["code"]) == (403, "not_permitted")
    r = api(p.inspector).post(f"{V1}/problems/", {**body, "category": 999999})
    assert (r.status_code, r.json()["code"]) == (400, "validation_error")
    assert Problem.objects.count() == count


def test_evidence_upload(api, ledger, bring, django_capture_on_commit_callbacks):
    problem = bring(S.RECTIFYING)
    with django_capture_on_commit_callbacks(execute=True):
        r = api(ledger.p.handler_a).post(
            f"{V1}/problems/{problem.pk}/evidence/",
            {"kind": "after", "file": photo()},
            format="multipart",
        )
    assert r.status_code == 201, r.json()
    assert_matches_schema(r)
    ev = Evidence.objects.get(pk=r.json()["id"])
    assert ev.event_id is None and ev.content_type == "image/jpeg"
    # bad file type → validation error, nothing stored
    r = api(ledger.p.handler_a).post(
        f"{V1}/problems/{problem.pk}/evidence/",
        {"kind": "after", "file": _fake_file()},
        format="multipart",
    )
    assert (r.status_code, r.json()["code"]) == (400, "validation_error")
    assert Evidence.objects.filter(problem=problem).count() == 1
    r = api(ledger.p.handler_b).post(
        f"{V1}/problems/{problem.pk}/evidence/",
        {"kind": "after", "file": photo()},
        format="multipart",
    )
    assert r.status_code == 404


def test_evidence_download_with_a_token(
    api, ledger, bring, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    problem = bring(S.RECTIFYING)
    with django_capture_on_commit_callbacks(execute=True):
        uploaded = api(ledger.p.handler_a).post(
            f"{V1}/problems/{problem.pk}/evidence/",
            {"kind": "after", "file": photo()},
            format="multipart",
        )
    ev = Evidence.objects.get(pk=uploaded.json()["id"])
    for variant, stored in (("file", ev.file), ("thumb", ev.thumbnail)):
        r = api(ledger.p.command).get(f"{V1}/evidence/{ev.pk}/{variant}/")
        assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
        with stored.open("rb") as handle:
            assert b"".join(r.streaming_content) == handle.read()
    # Another unit's handler and an outsider see nothing, not even that it exists.
    for user in (ledger.p.handler_b, ledger.p.outsider):
        r = api(user).get(f"{V1}/evidence/{ev.pk}/file/")
        assert (r.status_code, r.json()["code"]) == (404, "not_found")
    assert APIClient().get(f"{V1}/evidence/{ev.pk}/file/").status_code == 401


def _fake_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")


def test_workbench_counts(api, ledger, bring):
    bring(S.DISPATCHED)
    bring(S.REGISTERED)
    r = api(ledger.p.command).get(f"{V1}/problems/workbench/")
    assert r.status_code == 200
    assert_matches_schema(r)
    assert r.json()["dispatched"] == 1 and r.json()["registered"] == 1
    r = api(ledger.p.handler_b).get(f"{V1}/problems/workbench/")
    assert r.json()["dispatched"] == 0


def test_routing_rules_crud(api, ledger):
    client = api(ledger.p.command)
    body = {
        "name": "东城区垃圾归城管",
        "category": ledger.cat_env.pk,
        "area": ledger.east.pk,
        "unit": ledger.cgj.pk,
        "priority": 10,
    }
    r = client.post(f"{V1}/routing-rules/", body)
    assert r.status_code == 201, r.json()
    assert_matches_schema(r)
    rule_id = r.json()["id"]
    r = client.patch(f"{V1}/routing-rules/{rule_id}/", {"priority": 5})
    assert r.status_code == 200 and r.json()["priority"] == 5
    assert_matches_schema(r)
    r = client.get(f"{V1}/routing-rules/")
    assert_matches_schema(r)
    assert [x["id"] for x in r.json()] == [rule_id]
    # non-command: refused, nothing changed
    r = api(ledger.p.handler_a).post(f"{V1}/routing-rules/", body)
    assert (r.status_code, r.json()["code"]) == (403, "not_permitted")
    assert api(ledger.p.handler_a).get(f"{V1}/routing-rules/{rule_id}/").status_code == 404
    r = client.delete(f"{V1}/routing-rules/{rule_id}/")
    assert r.status_code == 204
    assert not RoutingRule.objects.exists()


def test_kpi_endpoint(api, ledger, bring):
    bring(S.CLOSED)
    r = api(ledger.p.command).get(f"{V1}/problem-kpis/", {"group_by": "unit"})
    assert r.status_code == 200, r.json()
    assert_matches_schema(r)
    rows = {row["label"]: row for row in r.json()["rows"]}
    assert rows["东华街道办事处"]["dispatched"] == 1
    assert r.json()["total"]["dispatched"] == 1
    r = api(ledger.p.command).get(f"{V1}/problem-kpis/", {"group_by": "area"})
    assert r.status_code == 200
    assert_matches_schema(r)
    r = api(ledger.p.command).get(f"{V1}/problem-kpis/", {"group_by": "nope"})
    assert r.status_code == 400
    assert api(ledger.p.citizen).get(f"{V1}/problem-kpis/").status_code == 403


def test_pending_requests_resolved_through_api(api, ledger, bring):
    problem = _pending(ledger, bring(S.RECTIFYING), "extension")
    new_due = (problem.due_at + timedelta(days=10)).isoformat()
    r = api(ledger.p.command).post(
        f"{V1}/problems/{problem.pk}/approve_extension/", {"due_at": new_due, "note": "同意"}
    )
    assert r.status_code == 200, r.json()
    req = r.json()["requests"][0]
    assert req["status"] == RequestStatus.APPROVED
    ev = r.json()["events"][-1]
    assert ev["data"]["due_at_after"] and ev["data"]["due_at_before"]
