"""Scoring pages: scheme editor, computation with htmx progress, breakdown and
drill-down, publish / reopen / versions, rankings with arrows, trend, scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from civicloop.scoring import services
from civicloop.scoring.models import PeriodStatus, Scheme
from civicloop.scoring.tests.conftest import NOW


@pytest.fixture
def computed(city):
    job = services.period_compute_now(city.command, city.week1, now=NOW)
    assert job.status == "succeeded", job.error
    return city


def test_index_and_scheme_pages_by_persona(client, city):
    client.force_login(city.command)
    html = client.get(reverse("scoring:index")).content.decode()
    assert city.scheme.name in html and "新建方案" in html
    assert client.get(reverse("scoring:scheme", args=[city.scheme.pk])).status_code == 200
    client.force_login(city.world.p.handler_a)  # sees published rankings, never edits
    assert client.get(reverse("scoring:scheme_new")).status_code == 403
    assert client.get(reverse("scoring:scheme_edit", args=[city.scheme.pk])).status_code == 403
    client.force_login(city.world.p.citizen)
    assert client.get(reverse("scoring:scheme", args=[city.scheme.pk])).status_code == 404


def _scheme_post(**over) -> dict:
    data = {
        "name": "街道月考核",
        "period_kind": "month",
        "object_group": "streets",
        "area": "",
        "is_active": "on",
        "base_score": "100",
        "grade_bands": "优:90, 良:75, 中:60, 差:0",
        "red_list_size": "2",
        "black_list_size": "2",
        "red_flag_rule": "most_improved",
        "accountability_bottom_n": "1",
        "accountability_periods": "3",
        "description": "",
        "comp_key": ["inspection_rate", "city_found_deduction", ""],
        "comp_label": ["", "督查扣分", ""],
        "comp_weight": ["70", "1", ""],
        "comp_params": ["", '{"points_per_item": "-0.5", "cap": "10"}', ""],
        "comp_active": ["0", "1"],
    }
    data.update(over)
    return data


def test_scheme_editor_creates_and_edits(client, city):
    client.force_login(city.command)
    assert client.get(reverse("scoring:scheme_new")).status_code == 200
    response = client.post(reverse("scoring:scheme_new"), _scheme_post())
    scheme = Scheme.objects.get(name="街道月考核")
    assert response.status_code == 302
    assert [b["grade"] for b in scheme.grade_bands] == ["优", "良", "中", "差"]
    comps = list(scheme.components.order_by("sort_order"))
    assert [(c.key, str(c.weight)) for c in comps] == [
        ("inspection_rate", "70.000"),
        ("city_found_deduction", "1.000"),
    ]
    assert comps[1].params["points_per_item"] == "-0.5" and comps[1].label == "督查扣分"
    # Edit: bad JSON is reported and nothing changes.
    url = reverse("scoring:scheme_edit", args=[scheme.pk])
    bad = client.post(url, _scheme_post(comp_params=["{oops", "", ""]))
    assert bad.status_code == 400 and "JSON" in bad.content.decode()
    assert scheme.components.count() == 2
    ok = client.post(
        url, _scheme_post(name="街道月考核（修订）", comp_key=["inspection_rate", "", ""])
    )
    assert ok.status_code == 302
    scheme.refresh_from_db()
    assert scheme.name == "街道月考核（修订）" and scheme.components.count() == 1
    # Unknown params are refused with the service's message.
    bad = client.post(url, _scheme_post(comp_params=['{"nope": 1}', "", ""]))
    assert bad.status_code == 400 and "不支持参数" in bad.content.decode()


def test_compute_with_htmx_progress_then_breakdown(
    client, city, django_capture_on_commit_callbacks
):
    client.force_login(city.command)
    url = reverse("scoring:period_compute", args=[city.week1.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, HTTP_HX_REQUEST="true")
        # The task runs after commit: the card polls the queued job.
        assert response.status_code == 200 and 'hx-trigger="every 1s"' in response.content.decode()
    job = city.week1.computations.get()
    card = client.get(reverse("scoring:computation", args=[job.pk]), HTTP_HX_REQUEST="true")
    # Finished: the card stops polling and the page reloads its tables.
    assert card["HX-Refresh"] == "true" and "100%" in card.content.decode()
    assert 'hx-trigger="every 1s"' not in card.content.decode()
    page = client.get(reverse("scoring:period", args=[city.week1.pk])).content.decode()
    table = page.split('id="breakdown"', 1)[1].split("</table>", 1)[0]
    assert table.index(city.units.B.name) < table.index(city.units.A.name)
    assert table.index(city.units.D.name) < table.index(city.units.F.name)  # unranked last
    assert "69.40" in table and "不适用" in table


def test_outsider_and_handler_cannot_compute(client, city):
    for persona in ("handler_a", "leader"):
        client.force_login(getattr(city.world.p, persona))
        response = client.post(reverse("scoring:period_compute", args=[city.week1.pk]))
        assert response.status_code in (302, 403, 404)
    city.week1.refresh_from_db()
    assert city.week1.status == PeriodStatus.DRAFT and not city.week1.computations.exists()


def test_drill_down_lists_inspections_and_problems(client, computed, django_assert_max_num_queries):
    city = computed
    client.force_login(city.command)
    url = reverse("scoring:object", args=[city.week1.pk, city.objs["D"].pk])
    with django_assert_max_num_queries(25):
        html = client.get(url).content.decode()
    assert city.points.D.name in html  # the inspection behind the 70 % rate
    assert city.d_open.number in html  # overdue problem
    assert reverse("problems:detail", args=[city.d_open.pk]) in html
    assert f"unit={city.units.D.pk}" in html and "created_from=2025-03-03" in html


def test_publish_reopen_versions_and_snapshot_page(client, computed):
    city = computed
    client.force_login(city.command)
    response = client.post(reverse("scoring:period_publish", args=[city.week1.pk]))
    snap = city.week1.snapshots.get()
    assert response["Location"].endswith(reverse("scoring:snapshot", args=[snap.pk]))
    page = client.get(reverse("scoring:snapshot", args=[snap.pk])).content.decode()
    ranking = page.split('id="ranking"', 1)[1].split("</table>", 1)[0]
    assert ranking.index(city.units.A.name) < ranking.index(city.units.E.name)
    assert "生成通报" in page
    # Reopen needs a reason; then a correction v2 with the reason, v1 still readable.
    url = reverse("scoring:period_reopen", args=[city.week1.pk])
    client.post(url, {"reason": ""})
    city.week1.refresh_from_db()
    assert city.week1.status == PeriodStatus.PUBLISHED
    client.post(url, {"reason": "东兴街道加分材料补录"})
    city.week1.refresh_from_db()
    services.adjustment_create(city.command, city.week1, city.objs["A"], points="1", reason="补录")
    services.period_compute_now(city.command, city.week1, now=NOW)
    client.post(reverse("scoring:period_publish", args=[city.week1.pk]))
    v2 = city.week1.snapshots.get(version=2)
    assert v2.reason == "东兴街道加分材料补录"
    old = client.get(reverse("scoring:snapshot", args=[snap.pk])).content.decode()
    assert "已被更正版本取代" in old and "69.40" in old
    new = client.get(reverse("scoring:snapshot", args=[v2.pk])).content.decode()
    assert "70.40" in new and "东兴街道加分材料补录" in new
    period_page = client.get(reverse("scoring:period", args=[city.week1.pk])).content.decode()
    assert "v1" in period_page and "v2" in period_page


def test_published_ranking_visible_to_unit_not_to_citizen(client, computed):
    city = computed
    snap = services.period_publish(city.command, city.week1)
    client.force_login(city.world.p.handler_a)
    page = client.get(reverse("scoring:snapshot", args=[snap.pk])).content.decode()
    assert city.units.B.name in page and "生成通报" not in page
    client.force_login(city.world.p.citizen)
    assert client.get(reverse("scoring:snapshot", args=[snap.pk])).status_code == 404


def test_trend_page_has_chart_data(client, computed):
    city = computed
    services.period_publish(city.command, city.week1)
    client.force_login(city.command)
    url = reverse("scoring:object_trend", args=[city.scheme.pk, city.objs["A"].pk])
    html = client.get(url).content.decode()
    assert 'id="trend-data"' in html and '"rank": 3' in html
    assert "/static/vendor/echarts/echarts.min.js" in html
