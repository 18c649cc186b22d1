"""Bulletin pages (download scope, job card) and the exposure board (admin + public)."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from civicloop.bulletins import services
from civicloop.bulletins.masking import mask_text, street_of_address
from civicloop.bulletins.models import Bulletin, ExposureItem
from civicloop.bulletins.tests.conftest import add_photo
from civicloop.core.models import AuditEvent
from civicloop.problems.models import EvidenceKind


@pytest.fixture
def bulletin(published) -> Bulletin:
    b = services.bulletin_request(published.city.command, published.snapshot)
    return services.bulletin_generate(b.pk)


def test_masking_rules():
    text = "市民张三丰（13812345678，身份证370102199001011234）举报：东华路12号3单元有垃圾，联系人：李四 0531-88886666"
    masked = mask_text(text, ["张三丰"])
    assert "13812345678" not in masked and "138****5678" in masked
    assert "19900101" not in masked and "88886666" not in masked
    assert "张三丰" not in masked and "张某" in masked
    assert "联系人：李某" in masked and "12号" not in masked
    assert street_of_address("东华路12号院3栋") == "东华路"


@pytest.mark.parametrize(
    "persona,status", [("command", 200), ("leader", 200), ("handler_b", 404), ("outsider", 404)]
)
def test_bulletin_download_is_scoped(client, bulletin, published, persona, status):
    client.force_login(getattr(published.city.world.p, persona))
    response = client.get(reverse("bulletins:download", args=[bulletin.pk, "docx"]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert "attachment" in response["Content-Disposition"]
        b"".join(response.streaming_content)
    detail = client.get(reverse("bulletins:detail", args=[bulletin.pk]))
    assert detail.status_code == status


def test_bulletin_download_needs_login(client, bulletin):
    response = client.get(reverse("bulletins:download", args=[bulletin.pk, "xlsx"]))
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_create_page_flow_and_status_card(client, published, django_capture_on_commit_callbacks):
    client.force_login(published.city.command)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("bulletins:create"),
            {
                "snapshot": published.snapshot.pk,
                "doc_number": "示范创城办〔2025〕7号",
                "title": "",
                "include_photos": "on",
            },
        )
    b = Bulletin.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/bulletins/{b.pk}/")
    assert b.doc_number == "示范创城办〔2025〕7号"
    card = client.get(reverse("bulletins:status", args=[b.pk]), HTTP_HX_REQUEST="true")
    assert card.status_code == 200 and "已生成" in card.content.decode()
    assert 'hx-trigger="every 1s"' not in card.content.decode()  # done: no more polling
    assert client.get(reverse("bulletins:index")).status_code == 200


def test_leader_cannot_create(client, published):
    client.force_login(published.city.world.p.leader)
    response = client.post(reverse("bulletins:create"), {"snapshot": published.snapshot.pk})
    assert response.status_code == 403 and not Bulletin.objects.exists()


def test_xlsx_numbers_equal_the_ranking_page(client, bulletin, published):
    client.force_login(published.city.command)
    page = client.get(reverse("scoring:snapshot", args=[published.snapshot.pk])).content.decode()
    table = page.split('id="ranking"', 1)[1].split("</table>", 1)[0]
    page_rows = []
    for tr in re.findall(r"<tr data-obj.*?</tr>", table, flags=re.S):
        cells = [re.sub(r"<[^>]+>", "", td).strip() for td in re.findall(r"<td.*?</td>", tr, re.S)]
        page_rows.append((cells[0], cells[1], cells[2], cells[3]))
    xlsx = client.get(reverse("bulletins:download", args=[bulletin.pk, "xlsx"]))
    wb = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    sheet_rows = [
        (
            str(r[0]) if r[0] is not None else "—",
            r[1],
            f"{r[2]:.2f}" if r[2] is not None else "—",
            r[3] or "—",
        )
        for r in wb["考核排名"].iter_rows(min_row=2, values_only=True)
    ]
    assert len(page_rows) == 6
    assert page_rows == sheet_rows


# --- exposure board ------------------------------------------------------------------------


@pytest.fixture
def exposable(published):
    city = published.city
    problem = city.d_open
    problem.description = "市民王小明反映：西华路88号门口垃圾堆积，电话13912345678"
    problem.address = "西华路88号"
    reporter = city.world.p.citizen
    reporter.display_name = "赵大伟"
    reporter.save(update_fields=["display_name"])
    problem.reporter = reporter
    problem.title = "赵大伟反映的垃圾问题"
    problem.save(update_fields=["description", "address", "reporter", "title"])
    add_photo(problem, EvidenceKind.AFTER, color=(20, 150, 20))
    return problem


def test_only_command_publishes_and_public_page_masks(client, published, exposable):
    city = published.city
    url = reverse("bulletins:exposure_publish")
    client.force_login(city.world.p.handler_b)
    assert client.post(url, {"problem": exposable.pk}).status_code == 403
    client.force_login(city.world.p.leader)
    assert client.post(url, {"problem": exposable.pk}).status_code == 403
    client.force_login(city.world.p.outsider)  # west-district command: D's point is west
    # (west problem: in the outsider's scope) – a problem of the east is out of it.
    east_problem = city.b.problem(
        city.units.A, city.points.A, created=exposable.created_at, due=exposable.due_at
    )
    add_photo(east_problem, EvidenceKind.BEFORE)
    assert client.post(url, {"problem": east_problem.pk}).status_code == 404
    assert not ExposureItem.objects.exists()

    client.force_login(city.command)
    response = client.post(url, {"problem": exposable.pk})
    assert response.status_code == 302
    item = ExposureItem.objects.get()
    assert AuditEvent.objects.filter(action="exposure_publish", object_id=str(item.pk)).exists()

    client.logout()
    page = client.get(reverse("exposure_public:list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "13912345678" not in html and "139****5678" in html
    assert "王小明" not in html and "市民王某反映" in html
    assert "赵大伟" not in html and "赵某反映的垃圾问题" in html
    assert "88号" not in html and "西城区西华街道西华路" in html
    assert "/static/vendor/bootstrap/" in html and "cdn" not in html.lower()
    photo = client.get(reverse("exposure_public:photo", args=[item.pk, "before"]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"


def test_unpublished_items_disappear_and_keep_history(client, published, exposable):
    city = published.city
    item = services.exposure_publish(city.command, exposable.pk)
    client.force_login(city.world.p.handler_b)
    url = reverse("bulletins:exposure_unpublish", args=[item.pk])
    assert client.post(url, {"reason": "x"}).status_code == 403
    client.force_login(city.command)
    assert client.post(url, {"reason": ""}).status_code == 302  # reason required: message
    item.refresh_from_db()
    assert item.is_published
    client.post(url, {"reason": "群众已认可整改"})
    item.refresh_from_db()
    assert not item.is_published and item.unpublish_reason == "群众已认可整改"
    assert AuditEvent.objects.filter(action="exposure_unpublish").count() == 1
    client.logout()
    html = client.get(reverse("exposure_public:list")).content.decode()
    assert item.title not in html
    photo = client.get(reverse("exposure_public:photo", args=[item.pk, "before"]))
    assert photo.status_code == 404
    # Admin still lists it (taken down); the problem may be published again.
    client.force_login(city.command)
    admin = client.get(reverse("bulletins:exposure_admin")).content.decode()
    assert "已撤下" in admin
    again = services.exposure_publish(city.command, exposable.pk)
    assert again.pk != item.pk and ExposureItem.objects.count() == 2


def test_public_page_is_paginated_with_bounded_queries(
    client, published, exposable, django_assert_max_num_queries
):
    city = published.city
    for i in range(14):
        p = city.b.problem(
            city.units.D, city.points.D, created=exposable.created_at, due=exposable.due_at
        )
        add_photo(p, EvidenceKind.BEFORE, color=(i * 10, 0, 0))
        services.exposure_publish(city.command, p.pk)
    with django_assert_max_num_queries(3):
        first = client.get(reverse("exposure_public:list"))
    assert first.content.decode().count("<article") == 12
    second = client.get(reverse("exposure_public:list") + "?page=2")
    assert second.content.decode().count("<article") == 2


def test_publish_needs_a_before_photo(published):
    from civicloop.core.errors import ValidationFailed

    city = published.city
    p = city.b.problem(
        city.units.D, city.points.D, created=city.d_open.created_at, due=city.d_open.due_at
    )
    with pytest.raises(ValidationFailed):
        services.exposure_publish(city.command, p.pk)


def test_public_location_keeps_district_street_and_road_once(exposable):
    from civicloop.bulletins.services import street_location

    area_names = [
        a.name
        for a in [
            exposable.area,
            *exposable.area.__class__.objects.filter(
                pk__in=[int(x) for x in exposable.area.path.strip("/").split("/")]
            ),
        ]
    ]
    district = next(n for n in area_names if n.endswith("区"))
    exposable.address = f"示范市{district}西华路88号"
    location = street_location(exposable)
    assert location.count(district) == 1
    assert location.endswith("西华路") and "88" not in location and "示范市" not in location
