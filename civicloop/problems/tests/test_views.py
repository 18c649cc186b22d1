"""Ledger pages: per-persona rendering, actions through the page, errors, scope, queries."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from civicloop.problems.models import Evidence, Problem, ProblemEvent, Status
from civicloop.problems.tests.actions import snapshot
from civicloop.problems.tests.conftest import photo

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def action_buttons(response) -> set[str]:
    """The actions offered on a problem page (the accordion buttons' data-action)."""
    return set(re.findall(r'data-bs-toggle="collapse"[^>]*data-action="([a-z_]+)"', text(response)))


def test_smoke_pages(client, ledger, bring):
    p = bring(Status.DISPATCHED)
    c = login(client, ledger.p.command)
    for url in [
        reverse("problems:ledger"),
        reverse("problems:workbench"),
        reverse("problems:detail", args=[p.pk]),
        reverse("problems:new"),
        reverse("problems:notice", args=[p.pk]),
        reverse("problems:notice_docx", args=[p.pk]),
        reverse("problems:kpi"),
        reverse("problems:rule_list"),
        reverse("problems:rule_create"),
        reverse("problems:export"),
    ]:
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code)


def test_handler_a_sees_sign_handler_b_gets_404(client, ledger, bring):
    p = bring(Status.DISPATCHED)
    r = login(client, ledger.p.handler_a).get(reverse("problems:detail", args=[p.pk]))
    assert r.status_code == 200
    assert action_buttons(r) == {"sign", "request_return"}
    client.logout()
    r = login(client, ledger.p.handler_b).get(reverse("problems:detail", args=[p.pk]))
    assert r.status_code == 404


def test_command_sees_dispatch_with_suggestion_preselected(client, ledger, bring):
    p = bring(Status.REGISTERED)
    r = login(client, ledger.p.command).get(reverse("problems:detail", args=[p.pk]))
    assert {"dispatch", "void"} <= action_buttons(r)
    body = text(r)
    assert "建议责任单位" in body and "点位“东华农贸市场”的责任单位为东华街道办事处" in body
    assert f'<option value="{ledger.unit_a.pk}" selected>' in body


def test_leader_sees_no_actions_and_timeline(client, ledger, bring):
    p = bring(Status.RECTIFYING)
    r = login(client, ledger.p.leader).get(reverse("problems:detail", args=[p.pk]))
    assert action_buttons(r) == set()
    body = text(r)
    for label in ("登记", "派遣", "签收"):
        assert label in body
    assert "待签收 → 整改中" in body  # from → to in the timeline
    assert "整改时限：" in body  # the dispatch event's due_at shown from data


def test_post_action_through_page_changes_status_and_writes_event(client, ledger, bring):
    p = bring(Status.DISPATCHED)
    c = login(client, ledger.p.handler_a)
    url = reverse("problems:action", args=[p.pk, "sign"])
    r = c.post(url, {"note": "已签收", "version": p.version}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert r["HX-Redirect"] == reverse("problems:detail", args=[p.pk])
    p.refresh_from_db()
    assert p.status == Status.RECTIFYING
    event = ProblemEvent.objects.filter(problem=p).latest("id")
    assert (event.action, event.actor, event.note) == ("sign", ledger.p.handler_a, "已签收")


def test_dispatch_through_page_with_explicit_due(client, ledger, bring):
    p = bring(Status.REGISTERED)
    c = login(client, ledger.p.command)
    r = c.post(
        reverse("problems:action", args=[p.pk, "dispatch"]),
        {"unit": ledger.unit_b.pk, "due_at": "2099-05-01T17:30", "severity": "short"},
    )
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.status == Status.DISPATCHED and p.responsible_unit == ledger.unit_b
    assert p.due_at.year == 2099
    assert ProblemEvent.objects.filter(problem=p).latest("id").data["overridden"] is True


def test_bad_action_post_shows_chinese_error_and_changes_nothing(client, ledger, bring):
    p = bring(Status.DISPATCHED)
    before = snapshot(p)
    c = login(client, ledger.p.inspector)
    # verify a problem that was never submitted: transition not allowed → 409 in the form
    r = c.post(reverse("problems:action", args=[p.pk, "verify_pass"]), {}, HTTP_HX_REQUEST="true")
    assert r.status_code == 409
    assert "当前状态（待签收）不允许执行“核查通过（销号）”" in text(r)
    assert 'id="action-verify_pass"' in text(r)
    # a required reason missing → 400 with the field's Chinese error
    c.force_login(ledger.p.command)
    r = c.post(reverse("problems:action", args=[p.pk, "void"]), {"reason": ""})
    assert r.status_code == 400
    assert "作废理由" in text(r) and "该字段是必填项" in text(r)
    assert snapshot(p) == before


def test_stale_page_gets_refresh_message(client, ledger, bring):
    p = bring(Status.DISPATCHED)
    before = snapshot(p)
    r = login(client, ledger.p.handler_a).post(
        reverse("problems:action", args=[p.pk, "sign"]),
        {"version": p.version - 1},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 409
    assert "数据已被他人修改，请刷新后重试" in text(r)
    assert snapshot(p) == before


def test_submit_without_photo_is_refused_in_the_form(client, ledger, bring):
    p = bring(Status.RECTIFYING)
    before = snapshot(p)
    r = login(client, ledger.p.handler_a).post(
        reverse("problems:action", args=[p.pk, "submit"]),
        {"description": "已清理", "version": p.version},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 400
    assert "请至少上传一张整改后照片或一份整改材料" in text(r)
    assert snapshot(p) == before


def test_submit_with_photos_through_page(client, ledger, bring, django_capture_on_commit_callbacks):
    p = bring(Status.RECTIFYING)
    c = login(client, ledger.p.handler_a)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            reverse("problems:action", args=[p.pk, "submit"]),
            {"description": "已清理", "files": [photo("1.jpg"), photo("2.jpg")]},
        )
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.status == Status.SUBMITTED
    after = list(Evidence.objects.filter(problem=p, kind="after"))
    assert len(after) == 2 and all(e.event_id for e in after)
    # before/after side by side: both thumbnails served to people in scope only
    r = c.get(reverse("problems:detail", args=[p.pk]))
    assert reverse("problems:evidence_thumb", args=[after[0].pk]) in text(r)
    thumb = c.get(reverse("problems:evidence_thumb", args=[after[0].pk]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    c.force_login(ledger.p.handler_b)
    assert c.get(reverse("problems:evidence_file", args=[after[0].pk])).status_code == 404


def test_outsider_gets_404_everywhere_and_nothing_changes(client, ledger, bring):
    p = bring(Status.DISPATCHED)
    before = snapshot(p)
    c = login(client, ledger.p.outsider)
    for name in ("detail", "notice", "notice_docx"):
        assert c.get(reverse(f"problems:{name}", args=[p.pk])).status_code == 404
    for action in ("sign", "urge", "void", "dispatch"):
        r = c.post(reverse("problems:action", args=[p.pk, action]), {"reason": "x", "note": "x"})
        assert r.status_code == 404
    r = c.post(
        reverse("problems:evidence_upload", args=[p.pk]), {"kind": "after", "files": [photo()]}
    )
    assert r.status_code == 404
    assert snapshot(p) == before
    r = c.get(reverse("problems:ledger"))
    assert p.number not in text(r)


def test_evidence_upload_through_page(client, ledger, bring, django_capture_on_commit_callbacks):
    p = bring(Status.RECTIFYING)
    c = login(client, ledger.p.handler_a)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            reverse("problems:evidence_upload", args=[p.pk]),
            {"kind": "after", "files": [photo("x.jpg")]},
        )
    assert r.status_code == 302
    staged = Evidence.objects.get(problem=p)
    assert staged.event_id is None
    # a staged after-photo is enough to submit
    r = c.post(reverse("problems:action", args=[p.pk, "submit"]), {"description": "已整改"})
    assert r.status_code == 302
    staged.refresh_from_db()
    assert staged.event_id is not None
    # not an image → Chinese error, nothing stored
    from django.core.files.uploadedfile import SimpleUploadedFile

    p2 = bring(Status.RECTIFYING)
    bad = SimpleUploadedFile("x.jpg", b"plain text", content_type="image/jpeg")
    r = c.post(reverse("problems:evidence_upload", args=[p2.pk]), {"kind": "after", "files": [bad]})
    assert r.status_code == 400
    assert "不支持的文件类型" in text(r)
    assert not Evidence.objects.filter(problem=p2).exists()


def test_ledger_filters_htmx_and_query_bound(
    client, ledger, bring, helpers, django_assert_max_num_queries
):
    dispatched = bring(Status.DISPATCHED)
    registered = bring(Status.REGISTERED)
    for _ in range(20):
        helpers.new_problem(ledger)
    c = login(client, ledger.p.command)
    r = c.get(reverse("problems:ledger"), {"status": "dispatched"})
    assert dispatched.number in text(r) and registered.number not in text(r)
    assert "export.xlsx?status=dispatched" in text(r)
    r = c.get(
        reverse("problems:ledger"),
        {"keyword": registered.number},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="problem-results",
    )
    assert "<html" not in text(r) and registered.number in text(r)
    assert dispatched.number not in text(r)
    with django_assert_max_num_queries(12):
        r = c.get(reverse("problems:ledger"))
    assert r.status_code == 200 and "共 22 条" in text(r)


def test_workbench_counts_per_role(client, ledger, bring, django_assert_max_num_queries):
    bring(Status.DISPATCHED)
    bring(Status.REGISTERED)
    bring(Status.SUBMITTED)
    c = login(client, ledger.p.command)
    with django_assert_max_num_queries(12):
        r = c.get(reverse("problems:workbench"))
    buckets = dict(
        (k, int(v))
        for k, v in re.findall(
            r'data-bucket="(\w+)">\s*<div[^>]*>\s*<div[^>]*>[^<]*</div>\s*<div[^>]*>(\d+)', text(r)
        )
    )
    assert buckets["registered"] == 1 and buckets["dispatched"] == 1 and buckets["submitted"] == 1
    c.force_login(ledger.p.handler_b)
    r = c.get(reverse("problems:workbench"))
    assert "待签收" in text(r) and "待派遣" not in text(r)
    assert r.context["page_obj"].paginator.count == 0


def test_new_problem_form_report_and_create(client, ledger, django_capture_on_commit_callbacks):
    c = login(client, ledger.p.citizen)
    r = c.get(reverse("problems:new"))
    body = text(r)
    assert 'capture="environment"' in body and 'accept="image/*"' in body
    assert "随手拍上报" in body and 'name="source"' not in body
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            reverse("problems:new"),
            {
                "category": ledger.cat_litter.pk,
                "description": "垃圾",
                "lng": "117.01",
                "lat": "36.01",
                "photos": [photo()],
            },
        )
    assert r.status_code == 302
    problem = Problem.objects.latest("id")
    assert problem.status == Status.PENDING_REVIEW and problem.reporter == ledger.p.citizen
    assert problem.area == ledger.east_grid
    assert problem.evidence.filter(kind="before").count() == 1
    c.force_login(ledger.p.inspector)
    r = c.post(
        reverse("problems:new"),
        {
            "category": ledger.cat_litter.pk,
            "description": "垃圾",
            "point": ledger.point_a.pk,
            "source": "inspection",
            "severity": "immediate",
        },
    )
    assert r.status_code == 302
    assert Problem.objects.latest("id").status == Status.REGISTERED
    # no location at all → Chinese error
    r = c.post(
        reverse("problems:new"),
        {
            "category": ledger.cat_litter.pk,
            "description": "x",
            "source": "inspection",
            "severity": "short",
        },
    )
    assert r.status_code == 400 and "请提供问题位置" in text(r)
    # the inspector of the east may not register in the west (service refusal in the form)
    r = c.post(
        reverse("problems:new"),
        {
            "category": ledger.cat_litter.pk,
            "description": "x",
            "point": ledger.point_b.pk,
            "source": "inspection",
            "severity": "short",
        },
    )
    assert r.status_code in (400, 403)


def test_notice_only_for_dispatched(client, ledger, bring):
    c = login(client, ledger.p.command)
    registered = bring(Status.REGISTERED)
    assert c.get(reverse("problems:notice", args=[registered.pk])).status_code == 404
    p = bring(Status.DISPATCHED)
    body = text(c.get(reverse("problems:notice", args=[p.pk])))
    assert "问题整改通知单" in body and "东华街道办事处" in body and p.number in body
    r = c.get(reverse("problems:notice_docx", args=[p.pk]))
    import io

    from docx import Document

    doc = Document(io.BytesIO(b"".join(r.streaming_content)))
    texts = "\n".join(par.text for par in doc.paragraphs)
    assert "问题整改通知单" in texts
    cells = [cell.text for row in doc.tables[0].rows for cell in row.cells]
    assert p.number in cells and "东华街道办事处" not in cells  # unit is the addressee line
    assert "东华街道办事处：" in texts


def test_routing_rules_pages(client, ledger):
    c = login(client, ledger.p.command)
    r = c.post(
        reverse("problems:rule_create"),
        {
            "name": "东城垃圾",
            "category": ledger.cat_env.pk,
            "area": ledger.east.pk,
            "unit": ledger.cgj.pk,
            "priority": 10,
            "is_active": "on",
        },
    )
    assert r.status_code == 302
    from civicloop.problems.models import RoutingRule

    rule = RoutingRule.objects.get()
    r = c.post(
        reverse("problems:rule_edit", args=[rule.pk]),
        {
            "name": "东城垃圾2",
            "category": ledger.cat_env.pk,
            "area": ledger.east.pk,
            "unit": ledger.cgj.pk,
            "priority": 5,
        },
    )
    assert r.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.priority, rule.is_active) == ("东城垃圾2", 5, False)
    # a rule without any restriction is refused with the service's message
    r = c.post(
        reverse("problems:rule_create"), {"name": "全部", "unit": ledger.cgj.pk, "priority": 1}
    )
    assert r.status_code == 400 and "规则至少需限定" in text(r)
    c.force_login(ledger.p.handler_a)
    assert c.get(reverse("problems:rule_list")).status_code == 403
    assert c.post(reverse("problems:rule_delete", args=[rule.pk])).status_code == 403
    c.force_login(ledger.p.command)
    assert c.post(reverse("problems:rule_delete", args=[rule.pk])).status_code == 302
    assert not RoutingRule.objects.exists()


def test_kpi_page(client, ledger, bring):
    bring(Status.CLOSED)
    c = login(client, ledger.p.command)
    r = c.get(reverse("problems:kpi"))
    assert r.status_code == 200
    rows = r.context["rows"]
    assert [row["label"] for row in rows] == ["东华街道办事处"]
    assert rows[0]["dispatched"] == 1 and r.context["total"]["dispatched"] == 1
    r = c.get(reverse("problems:kpi"), {"group_by": "area"})
    assert r.status_code == 200
    assert any(row["label"] == "东城区" for row in r.context["rows"])
    c.force_login(ledger.p.citizen)
    assert c.get(reverse("problems:kpi")).status_code == 403


def test_home_lazy_loads_the_workbench_cards(client, ledger, bring, django_assert_max_num_queries):
    bring(Status.DISPATCHED)
    c = login(client, ledger.p.handler_a)
    assert reverse("problems:workbench_cards") in text(c.get(reverse("home")))
    with django_assert_max_num_queries(6):
        r = c.get(reverse("problems:workbench_cards"))
    assert "待签收" in text(r) and "待派遣" not in text(r)
