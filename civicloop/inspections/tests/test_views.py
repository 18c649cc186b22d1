"""Inspection pages: personas, the phone form (auto-save, submit once, out-of-team),
round management, point history, score tables with known numbers, query bounds."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

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
from civicloop.inspections.tests.conftest import inspect, photo
from civicloop.problems.models import Problem, Source, Status

FAIL = {"outcome": ItemOutcome.FAIL}


def login(client, user):
    client.force_login(user)
    return client


def item_url(sample, item):
    return reverse("inspections:item_save", args=[sample.pk, item.pk])


def answer_all(client, insp, sample, overrides=None):
    """Post one answer per market item through the page (as the phone does)."""
    overrides = overrides or {}
    for it in (
        insp.items.clean,
        insp.items.deduct,
        insp.items.count,
        insp.items.critical,
        insp.items.na,
    ):
        data = overrides.get(it.code, {"outcome": "pass"})
        r = client.post(item_url(sample, it), data, HTTP_HX_REQUEST="true")
        assert r.status_code == 200, r.content.decode()


# --- Round list / detail -----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["command", "leader", "inspector"])
def test_round_list_and_detail_render_for_staff_in_scope(client, insp, persona):
    user = getattr(insp.w.p, persona)
    login(client, user)
    r = client.get(reverse("inspections:round_list"))
    assert r.status_code == 200
    assert "第1周排查" in r.content.decode()
    r = client.get(reverse("inspections:round_detail", args=[insp.round.pk]))
    assert r.status_code == 200
    body = r.content.decode()
    assert "东华农贸市场" in body and 'id="round-map"' in body
    assert ("结束本轮" in body) == (persona == "command")


def test_round_is_invisible_to_handler_and_outsider_of_other_area(client, insp, world):
    # The outsider is command of the west district: the city-wide round contains it,
    # so it is visible; a handler has no area role at all.
    for user, status in ((world.p.handler_a, 404), (world.p.citizen, 404)):
        login(client, user)
        r = client.get(reverse("inspections:round_detail", args=[insp.round.pk]))
        assert r.status_code == status
        assert "第1周排查" not in client.get(reverse("inspections:round_list")).content.decode()


def test_round_list_shows_my_assignments_to_team_member(client, insp):
    login(client, insp.member)
    body = client.get(reverse("inspections:round_list")).content.decode()
    assert 'id="my-assignments"' in body and "东华农贸市场" in body


def test_round_list_filters(client, insp):
    login(client, insp.w.p.command)
    url = reverse("inspections:round_list")
    assert "第1周排查" in client.get(url, {"kind": "weekly_check"}).content.decode()
    assert "第1周排查" not in client.get(url, {"kind": "monthly_drill"}).content.decode()
    assert "第1周排查" not in client.get(url, {"status": "draft"}).content.decode()
    assert "第1周排查" not in client.get(url, {"start": "2026-04-01"}).content.decode()


def test_create_round_with_quota_and_team_then_draw_publish_close(client, insp):
    w = insp.w
    login(client, w.p.command)
    data = {
        "kind": "monthly_drill",
        "title": "三月拉练",
        "start_date": "2026-03-10",
        "end_date": "2026-03-20",
        "areas": [w.city.pk],
        "point_types": [w.market.pk, w.street_type.pk],
        "seed": "42",
        "quota-TOTAL_FORMS": "1",
        "quota-INITIAL_FORMS": "0",
        "quota-0-point_type": w.market.pk,
        "quota-0-count": "1",
        "team-TOTAL_FORMS": "1",
        "team-INITIAL_FORMS": "0",
        "team-0-name": "拉练一组",
        "team-0-inspectors": [insp.member.pk],
    }
    r = client.post(reverse("inspections:round_create"), data)
    assert r.status_code == 302, r.content.decode()[:2000]
    round_ = Round.objects.get(title="三月拉练")
    assert round_.seed == 42 and round_.quotas.get().count == 1
    assert list(round_.teams.get().inspectors.all()) == [insp.member]
    act = lambda a: client.post(reverse("inspections:round_action", args=[round_.pk, a]))  # noqa: E731
    assert act("draw").status_code == 302
    assert round_.samples.count() == 1
    assert round_.samples.get().point == w.point_a and round_.samples.get().team is not None
    act("publish")
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PUBLISHED
    # Frozen: the edit page only changes the title.
    r = client.post(
        reverse("inspections:round_edit", args=[round_.pk]),
        {
            **data,
            "title": "三月拉练（改）",
            "seed": "7",
            "team-TOTAL_FORMS": "1",
            "team-INITIAL_FORMS": "1",
            "team-0-team_id": round_.teams.get().pk,
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    round_.refresh_from_db()
    assert round_.title == "三月拉练（改）" and round_.seed == 42
    r = act("publish")  # a second publish: a message, nothing changes
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PUBLISHED
    act("close")
    round_.refresh_from_db()
    assert round_.status == RoundStatus.CLOSED


def test_create_round_refused_for_inspector_and_bad_dates_reported(client, insp):
    w = insp.w
    login(client, w.p.inspector)
    assert client.get(reverse("inspections:round_create")).status_code == 403
    login(client, w.p.command)
    r = client.post(
        reverse("inspections:round_create"),
        {
            "kind": "weekly_check",
            "title": "x",
            "start_date": "2026-03-10",
            "end_date": "2026-03-01",
            "areas": [w.city.pk],
            "quota-TOTAL_FORMS": "0",
            "quota-INITIAL_FORMS": "0",
            "team-TOTAL_FORMS": "0",
            "team-INITIAL_FORMS": "0",
        },
    )
    assert r.status_code == 400 and "结束日期不能早于开始日期" in r.content.decode()
    assert not Round.objects.filter(title="x").exists()


def test_round_actions_by_non_manager_change_nothing(client, insp):
    login(client, insp.w.p.leader)
    r = client.post(reverse("inspections:round_action", args=[insp.round.pk, "close"]))
    assert r.status_code == 403
    insp.round.refresh_from_db()
    assert insp.round.status == RoundStatus.PUBLISHED


def test_round_detail_query_count_is_bounded(client, insp, django_assert_max_num_queries):
    inspect(insp, insp.sample_a, insp.member, M1=FAIL)
    login(client, insp.w.p.command)
    url = reverse("inspections:round_detail", args=[insp.round.pk])
    client.get(url)
    with django_assert_max_num_queries(22):
        assert client.get(url).status_code == 200


# --- The inspection form -----------------------------------------------------------------


def test_team_member_opens_form_with_items_and_camera_input(client, insp):
    login(client, insp.member)
    r = client.get(reverse("inspections:sample", args=[insp.sample_a.pk]))
    assert r.status_code == 200
    body = r.content.decode()
    assert "地面无垃圾" in body and "无活禽宰杀" in body
    assert 'capture="environment"' in body and 'accept="image/*"' in body
    assert "inspection-form.js" in body
    assert not Inspection.objects.exists()  # opening the form writes nothing


def test_out_of_team_inspector_cannot_open_or_post(client, insp):
    login(client, insp.stranger)  # in the round's other team: sees the round, not this point
    assert client.get(reverse("inspections:sample", args=[insp.sample_a.pk])).status_code == 403
    r = client.post(item_url(insp.sample_a, insp.items.clean), {"outcome": "fail"})
    assert r.status_code == 403
    r = client.post(reverse("inspections:submit", args=[insp.sample_a.pk]))
    assert r.status_code == 403
    assert not Inspection.objects.exists() and not ItemResult.objects.exists()


def test_inspector_outside_round_gets_404(client, insp, world):
    from civicloop.accounts.models import Role
    from civicloop.inspections.tests.conftest import make_user

    lone = make_user("lone", (Role.INSPECTOR, world.west_grid))
    login(client, lone)
    assert client.get(reverse("inspections:sample", args=[insp.sample_a.pk])).status_code == 404
    r = client.post(item_url(insp.sample_a, insp.items.clean), {"outcome": "fail"})
    assert r.status_code == 404
    assert not Inspection.objects.exists()


def test_command_may_inspect_any_point_of_its_area(client, insp):
    login(client, insp.w.p.command)
    assert client.get(reverse("inspections:sample", args=[insp.sample_a.pk])).status_code == 200


def test_draft_autosave_is_idempotent_and_keeps_location(client, insp):
    login(client, insp.member)
    url = item_url(insp.sample_a, insp.items.deduct)
    data = {
        "outcome": "fail",
        "deduction": "1.5",
        "note": "摆放杂乱",
        "lng": "117.01",
        "lat": "36.01",
    }
    first = client.post(url, data, HTTP_HX_REQUEST="true")
    assert first.status_code == 200 and "已保存" in first.content.decode()
    again = client.post(url, data, HTTP_HX_REQUEST="true")
    assert again.status_code == 200
    inspection = Inspection.objects.get()
    assert inspection.status == InspectionStatus.DRAFT and inspection.lng == pytest.approx(117.01)
    rows = list(ItemResult.objects.filter(inspection=inspection))
    assert len(rows) == 1
    assert rows[0].deduction == Decimal("1.5") and rows[0].earned == Decimal("3.5")
    assert rows[0].note == "摆放杂乱"
    # Reload: the saved answer is in the form.
    body = client.get(reverse("inspections:sample", args=[insp.sample_a.pk])).content.decode()
    assert f'value="fail" id="o-{insp.items.deduct.pk}-fail" autocomplete="off" checked' in body
    assert not Problem.objects.exists()


def test_bad_item_answer_shows_chinese_message_and_saves_nothing(client, insp):
    login(client, insp.member)
    r = client.post(item_url(insp.sample_a, insp.items.count), {"outcome": "fail"})
    assert r.status_code == 400
    assert "发现处数" in r.content.decode()
    assert not ItemResult.objects.exists()


def test_item_of_other_point_type_is_404(client, insp):
    login(client, insp.member)
    r = client.post(item_url(insp.sample_a, insp.items.street), {"outcome": "pass"})
    assert r.status_code == 404


def test_photo_upload_and_served_only_in_scope(
    client, insp, world, django_capture_on_commit_callbacks
):
    login(client, insp.member)
    with django_capture_on_commit_callbacks(execute=True):  # files are stored on commit
        r = client.post(
            item_url(insp.sample_a, insp.items.clean),
            {"outcome": "fail", "photo": photo()},
            HTTP_HX_REQUEST="true",
        )
    assert r.status_code == 200, r.content.decode()
    result = ItemResult.objects.get()
    assert result.photo.name.startswith("inspections/")
    assert client.get(reverse("inspections:result_photo", args=[result.pk])).status_code == 200
    login(client, world.p.handler_b)
    assert client.get(reverse("inspections:result_photo", args=[result.pk])).status_code == 404


def test_submit_via_page_creates_problems_once(client, insp):
    login(client, insp.member)
    answer_all(
        client,
        insp,
        insp.sample_a,
        {
            "M1": {"outcome": "fail", "note": "地面有垃圾"},
            "M3": {"outcome": "fail", "count": "2"},
            "M5": {"outcome": "not_applicable"},
        },
    )
    url = reverse("inspections:submit", args=[insp.sample_a.pk])
    r = client.post(url, {"note": "整体尚可", "lng": "117.01", "lat": "36.01"})
    inspection = Inspection.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/inspection/{inspection.pk}/")
    assert inspection.status == InspectionStatus.SUBMITTED and inspection.note == "整体尚可"
    problems = Problem.objects.filter(source=Source.INSPECTION)
    assert problems.count() == 2
    assert set(problems.values_list("responsible_unit", flat=True)) == {insp.w.unit_a.pk}
    assert set(problems.values_list("status", flat=True)) == {Status.DISPATCHED}
    # A second submit: a Chinese message, still two problems.
    r = client.post(url, {}, follow=True)
    assert "不能重复提交" in r.content.decode()
    assert problems.count() == 2
    # The results page links the problems.
    body = client.get(reverse("inspections:inspection_detail", args=[inspection.pk])).content
    for p in problems:
        assert reverse("problems:detail", args=[p.pk]) in body.decode()
    # Opening the form again shows the results instead.
    r = client.get(reverse("inspections:sample", args=[insp.sample_a.pk]))
    assert r.status_code == 302


def test_incomplete_submit_says_what_is_missing(client, insp):
    login(client, insp.member)
    client.post(item_url(insp.sample_a, insp.items.clean), {"outcome": "pass"})
    r = client.post(reverse("inspections:submit", args=[insp.sample_a.pk]))
    assert r.status_code == 400
    assert "个检查项未填写" in r.content.decode()
    assert Inspection.objects.get().status == InspectionStatus.DRAFT


# --- Point history -----------------------------------------------------------------------


def test_point_history_lists_rounds_failed_items_and_problem_status(client, insp):
    inspect(insp, insp.sample_a, insp.member, M1=FAIL)
    login(client, insp.w.p.command)
    r = client.get(reverse("inspections:point_history", args=[insp.w.point_a.pk]))
    assert r.status_code == 200
    body = r.content.decode()
    problem = Problem.objects.get()
    assert "第1周排查" in body and reverse("problems:detail", args=[problem.pk]) in body
    assert "待签收" in body  # the dispatched problem's status
    login(client, insp.w.p.handler_b)
    assert (
        client.get(reverse("inspections:point_history", args=[insp.w.point_a.pk])).status_code
        == 404
    )


# --- Scores ------------------------------------------------------------------------------


def _previous_round(insp):
    """An earlier weekly round at point A, inspected with everything passing."""
    w = insp.w
    prev = services.round_create(
        user=w.p.command,
        kind=RoundKind.WEEKLY_CHECK,
        title="上周排查",
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
    inspect(insp, sample, insp.member)
    return prev


def test_score_tables_show_hand_computed_numbers_and_delta(client, insp):
    _previous_round(insp)  # point A: 100 %
    # This round at A: M1 fail (−2), M2 deduct 1 of 5, M3 2×0.5 of 3, M4 pass 4, M5 N/A.
    # earned = 0 + 4 + 2 + 4 = 10 of max 2+5+3+4 = 14 → 71.4 %; delta −28.6 points.
    inspect(
        insp,
        insp.sample_a,
        insp.member,
        M1=FAIL,
        M2={"outcome": ItemOutcome.FAIL, "deduction": Decimal("1")},
        M3={"outcome": ItemOutcome.FAIL, "count": 2},
        M5={"outcome": ItemOutcome.NOT_APPLICABLE},
    )
    login(client, insp.w.p.command)
    url = reverse("inspections:round_scores", args=[insp.round.pk])
    body = client.get(url, {"by": "area", "level": "district"}).content.decode()
    assert "东城区" in body and "71.4%" in body and "−28.6" in body
    assert "上周排查" in body
    body = client.get(url, {"by": "unit"}).content.decode()
    assert "东华街道办事处" in body and "71.4%" in body
    body = client.get(url, {"by": "point_type"}).content.decode()
    assert "农贸市场" in body and "71.4%" in body
    # Indicator 1.1 (weight 4): M1 0/2 and M3 2/3 → mean item rate 1/3 → score 1.33.
    body = client.get(url, {"by": "indicator"}).content.decode()
    assert "市场环境整洁" in body and "33.3%" in body and "1.33" in body
    # Drill-down: three failed items, each with its problem's status.
    r = client.get(
        reverse("inspections:round_failed", args=[insp.round.pk]), {"area": insp.w.east.pk}
    )
    body = r.content.decode()
    assert body.count("badge cl-status cl-status-dispatched") == 3
    assert "地面无垃圾" in body


def test_score_tables_query_count_is_bounded(client, insp, django_assert_max_num_queries):
    _previous_round(insp)
    inspect(insp, insp.sample_a, insp.member, M1=FAIL)
    login(client, insp.w.p.command)
    url = reverse("inspections:round_scores", args=[insp.round.pk])
    for by in ("area", "unit", "point_type", "indicator"):
        client.get(url, {"by": by})
        with django_assert_max_num_queries(16):
            assert client.get(url, {"by": by}).status_code == 200
    with django_assert_max_num_queries(12):
        client.get(reverse("inspections:round_failed", args=[insp.round.pk]))
