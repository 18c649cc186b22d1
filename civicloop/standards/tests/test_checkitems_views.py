"""Check item pages: list, create/edit/delete/order, XLSX and XLSForm import, permissions."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from civicloop.standards.models import CheckItem
from civicloop.standards.tests.test_checkitems import sheet
from civicloop.standards.tests.test_xlsform import FULL, form

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_command_edits_items(client, world):
    client.force_login(world.p.command)
    pt = world.market.pk
    response = client.post(
        f"/standards/check-items/type/{pt}/new/",
        {
            "code": "M1",
            "text": "地面无垃圾",
            "judge_mode": "pass_fail",
            "max_score": "1",
            "category": world.cat_litter.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    client.post(
        f"/standards/check-items/type/{pt}/new/",
        {
            "code": "M2",
            "text": "公平秤",
            "judge_mode": "pass_fail",
            "max_score": "1",
            "is_active": "on",
        },
    )
    bad = client.post(
        f"/standards/check-items/type/{pt}/new/",
        {"code": "M3", "text": "计数", "judge_mode": "count", "max_score": "1", "is_active": "on"},
    )
    assert "每处扣分" in bad.content.decode() and not CheckItem.objects.filter(code="M3").exists()
    m1, m2 = CheckItem.objects.get(code="M1"), CheckItem.objects.get(code="M2")
    client.post(f"/standards/check-items/{m2.pk}/move/", {"direction": "up"})
    page = client.get(f"/standards/check-items/type/{pt}/").content.decode()
    assert page.index("公平秤") < page.index("地面无垃圾")
    client.post(
        f"/standards/check-items/{m1.pk}/edit/",
        {
            "code": "M1",
            "text": "地面无垃圾、无积水",
            "judge_mode": "pass_fail",
            "max_score": "2",
            "is_critical": "on",
            "is_active": "on",
        },
    )
    m1.refresh_from_db()
    assert m1.is_critical and m1.text == "地面无垃圾、无积水"
    client.post(f"/standards/check-items/{m1.pk}/delete/")
    assert not CheckItem.objects.filter(code="M1").exists()


def test_staff_read_items(client, world, django_assert_max_num_queries):
    for n in range(10):
        CheckItem.objects.create(
            point_type=world.market, code=f"C{n}", text=f"项{n}", category=world.cat_litter
        )
    client.force_login(world.p.handler_b)
    with django_assert_max_num_queries(12):
        page = client.get(f"/standards/check-items/type/{world.market.pk}/")
    assert page.status_code == 200 and "项9" in page.content.decode()
    assert "编辑" not in page.content.decode()
    index = client.get("/standards/check-items/").content.decode()
    assert "农贸市场" in index
    exported = client.get("/standards/check-items/export/")
    rows = list(load_workbook(BytesIO(exported.content))["检查项"].values)
    assert len(rows) == 11


@pytest.mark.parametrize("persona", ["outsider", "inspector", "handler_a"])
def test_non_command_cannot_edit(client, world, persona):
    item = CheckItem.objects.create(point_type=world.market, code="C1", text="x")
    client.force_login(getattr(world.p, persona))
    pt = world.market.pk
    assert client.get(f"/standards/check-items/type/{pt}/new/").status_code == 403
    assert client.post(f"/standards/check-items/{item.pk}/edit/", {"text": "y"}).status_code == 403
    assert client.post(f"/standards/check-items/{item.pk}/delete/").status_code == 403
    assert client.post("/standards/check-items/import/").status_code == 403
    assert client.post("/standards/check-items/xlsform/").status_code == 403
    item.refresh_from_db()
    assert item.text == "x" and CheckItem.objects.count() == 1


def test_citizen_gets_404_for_items(client, world):
    item = CheckItem.objects.create(point_type=world.market, code="C1", text="x")
    client.force_login(world.p.citizen)
    assert client.get(f"/standards/check-items/type/{world.market.pk}/").status_code == 404
    assert client.get("/standards/check-items/").status_code == 403
    assert item.pk


def test_xlsx_import_page(client, world):
    client.force_login(world.p.command)
    bad = client.post(
        "/standards/check-items/import/", {"file": _named(sheet([["月球", "X", "y"]]))}
    )
    assert "未找到点位类型「月球」" in bad.content.decode()
    ok = client.post(
        "/standards/check-items/import/", {"file": _named(sheet([["农贸市场", "M1", "地面"]]))}
    )
    assert ok.status_code == 302 and CheckItem.objects.filter(code="M1").exists()


def test_xlsform_preview_then_import(client, world):
    client.force_login(world.p.command)
    preview = client.post(
        "/standards/check-items/xlsform/",
        {"file": _named(form(FULL)), "point_type": world.market.pk, "dry_run": "on"},
    )
    html = preview.content.decode()
    assert "预览，未写入" in html and "重复组（repeat）不支持" in html
    assert not CheckItem.objects.exists()
    done = client.post(
        "/standards/check-items/xlsform/",
        {"file": _named(form(FULL)), "point_type": world.market.pk},
    )
    assert "新增 4 个" in done.content.decode()
    assert CheckItem.objects.count() == 4


def _named(buf):
    buf.name = "f.xlsx"
    return buf
