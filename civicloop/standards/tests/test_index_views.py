"""Index system pages: tree, node detail, unit filter, search, import/export/copy/status."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from civicloop.standards.models import IndexSystem, Indicator
from civicloop.standards.services import index_systems as svc
from civicloop.standards.tests.test_index_api import flat_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def system(world):
    return svc.index_system_import(
        user=None,
        source=flat_file(),
        new_system={"name": "测评体系", "code": "S1", "kind": "civilised_city", "version": "v1"},
    ).system


def test_staff_browse_tree_and_node(client, world, system, django_assert_max_num_queries):
    client.force_login(world.p.handler_a)
    listed = client.get("/standards/index-systems/")
    assert listed.status_code == 200 and "测评体系" in listed.content.decode()
    with django_assert_max_num_queries(12):
        page = client.get(f"/standards/index-systems/{system.pk}/")
    html = page.content.decode()
    assert "一、城市环境" in html and "2 条标准" in html and "3 分" in html
    node = Indicator.objects.get(text="设置公平秤")
    detail = client.get(f"/standards/indicators/{node.pk}/").content.decode()
    assert "东华街道办事处" in detail and "实地考察" in detail


def test_unit_filter_and_search(client, world, system):
    client.force_login(world.p.leader)
    mine = client.get(f"/standards/index-systems/{system.pk}/", {"unit": world.unit_a.pk})
    html = mine.content.decode()
    assert "设置公平秤" in html and "无暴露垃圾" not in html
    found = client.get(f"/standards/index-systems/{system.pk}/", {"q": "公益广告"})
    html = found.content.decode()
    assert "<mark>公益广告</mark>设置规范" in html and "设置公平秤" not in html


def test_citizen_is_refused(client, world, system):
    client.force_login(world.p.citizen)
    assert client.get("/standards/index-systems/").status_code == 403
    assert client.get(f"/standards/index-systems/{system.pk}/").status_code == 404


def test_export_both_forms(client, world, system):
    client.force_login(world.p.inspector)
    flat = client.get(f"/standards/index-systems/{system.pk}/export/?form=flat")
    ws = load_workbook(BytesIO(flat.content)).active
    assert ws.cell(3, 1).value == "一、城市环境"
    assert any(str(r) == "A3:A4" for r in ws.merged_cells.ranges)
    code = client.get(f"/standards/index-systems/{system.pk}/export/?form=code")
    ws = load_workbook(BytesIO(code.content)).active
    assert [c.value for c in ws[1]][:4] == ["编码", "上级编码", "层级", "序号"]


def test_command_imports_with_error_report(client, world):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["测评项目", "测评内容", "测评标准", "牵头单位"])
    wb.active.append(["项目", "内容", "标准", "火星局"])
    buf = BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "bad.xlsx"
    client.force_login(world.p.command)
    response = client.post(
        "/standards/index-systems/import/",
        {"file": buf, "name": "n", "code": "N", "kind": "local", "version": "v"},
    )
    html = response.content.decode()
    assert "第 2 行" in html and "未找到单位「火星局」" in html
    assert not IndexSystem.objects.exists()
    ok = client.post(
        "/standards/index-systems/import/",
        {"file": flat_file(), "name": "n", "code": "N", "kind": "local", "version": "v"},
    )
    assert ok.status_code == 302
    assert Indicator.objects.filter(system__code="N").count() == 7


def test_command_copies_and_activates(client, world, system):
    client.force_login(world.p.command)
    response = client.post(
        f"/standards/index-systems/{system.pk}/copy/", {"code": "S2", "version": "v2"}
    )
    copy = IndexSystem.objects.get(code="S2")
    assert response.status_code == 302 and copy.based_on == system
    client.post(f"/standards/index-systems/{copy.pk}/status/", {"status": "active"})
    copy.refresh_from_db()
    assert copy.status == "active"


@pytest.mark.parametrize("persona", ["outsider", "leader", "handler_a"])
def test_non_command_cannot_write_pages(client, world, system, persona):
    client.force_login(getattr(world.p, persona))
    assert client.get("/standards/index-systems/import/").status_code == 403
    assert (
        client.post(
            f"/standards/index-systems/{system.pk}/copy/", {"code": "S2", "version": "v2"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/standards/index-systems/{system.pk}/status/", {"status": "active"}
        ).status_code
        == 403
    )
    system.refresh_from_db()
    assert system.status == "draft" and IndexSystem.objects.count() == 1


def test_nav_links_to_index_systems(client, world):
    client.force_login(world.p.handler_a)
    assert "/standards/index-systems/" in client.get("/").content.decode()
