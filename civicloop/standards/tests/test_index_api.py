"""API of index systems, indicators and check items: reads, writes, permissions, schema."""

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from civicloop.api.openapi_check import assert_matches_schema
from civicloop.standards.models import CheckItem, IndexSystem, Indicator
from civicloop.standards.services import index_systems as svc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def api(user=None):
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def flat_file():
    wb = Workbook()
    ws = wb.active
    ws.append(["测评项目", "测评内容", "测评标准", "测评方法", "分值", "牵头单位"])
    ws.append(["一、城市环境", "1.背街小巷", "（1）公益广告设置规范", "实地考察", 2, "市城管局"])
    ws.append([None, None, "（2）无暴露垃圾", "实地考察", 1, "市城管局"])
    ws.append(["二、公共服务", "1.农贸市场", "（1）设置公平秤", "实地考察", 1, "东华街道办事处"])
    buf = BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "体系.xlsx"
    return buf


@pytest.fixture
def system(world):
    result = svc.index_system_import(
        user=None,
        source=flat_file(),
        new_system={"name": "体系", "code": "S1", "kind": "civilised_city", "version": "v1"},
    )
    return result.system


def test_list_detail_tree_search(world, system):
    client = api(world.p.handler_a)
    listed = client.get("/api/v1/index-systems/")
    assert_matches_schema(listed)
    assert listed.json()["results"][0]["standard_count"] == 3
    detail = client.get(f"/api/v1/index-systems/{system.pk}/")
    assert_matches_schema(detail)
    tree = client.get(f"/api/v1/index-systems/{system.pk}/tree/")
    assert_matches_schema(tree)
    roots = tree.json()
    assert [r["text"] for r in roots] == ["城市环境", "公共服务"]
    assert roots[0]["standard_count"] == 2 and roots[0]["subtree_score"] == "3.00"
    assert roots[0]["children"][0]["children"][0]["numbering"] == "（1）"
    found = client.get(f"/api/v1/index-systems/{system.pk}/search/", {"q": "公益广告"})
    assert_matches_schema(found)
    hits = found.json()["results"]
    assert [h["text"] for h in hits] == ["公益广告设置规范"]
    assert hits[0]["highlighted"] == "<mark>公益广告</mark>设置规范"
    assert (
        client.get(f"/api/v1/index-systems/{system.pk}/search/", {"q": "火箭"}).json()["count"] == 0
    )


def test_indicators_by_unit(world, system):
    client = api(world.p.handler_a)
    mine = client.get("/api/v1/indicators/", {"unit": world.unit_a.pk, "level": "standard"})
    assert_matches_schema(mine)
    assert [r["text"] for r in mine.json()["results"]] == ["设置公平秤"]
    node = Indicator.objects.get(text="设置公平秤")
    detail = client.get(f"/api/v1/indicators/{node.pk}/")
    assert_matches_schema(detail)
    assert detail.json()["lead_unit_name"] == "东华街道办事处"
    assert detail.json()["methods"] == ["field"]


def test_citizen_sees_nothing(world, system):
    client = api(world.p.citizen)
    assert client.get("/api/v1/index-systems/").json()["count"] == 0
    assert client.get(f"/api/v1/index-systems/{system.pk}/").status_code == 404
    assert client.get(f"/api/v1/index-systems/{system.pk}/tree/").status_code == 404
    assert client.get("/api/v1/check-items/").json()["count"] == 0


def test_command_imports_copies_activates(world, system):
    client = api(world.p.command)
    response = client.post(
        "/api/v1/index-systems/import/",
        {"file": flat_file(), "name": "新体系", "code": "S2", "kind": "local", "version": "v2"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert_matches_schema(response)
    assert response.json()["nodes"] == 7
    copied = client.post(
        f"/api/v1/index-systems/{system.pk}/copy/",
        {"code": "S1-2026", "version": "2026版"},
        format="json",
    )
    assert copied.status_code == 201
    assert_matches_schema(copied)
    new_id = copied.json()["id"]
    assert Indicator.objects.filter(system_id=new_id).count() == 7
    activated = client.post(
        f"/api/v1/index-systems/{new_id}/status/", {"status": "active"}, format="json"
    )
    assert activated.status_code == 200
    assert_matches_schema(activated)
    again = client.post(
        f"/api/v1/index-systems/{new_id}/status/", {"status": "draft"}, format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"


def test_bad_import_reports_rows(world):
    wb = Workbook()
    wb.active.append(["测评项目", "测评内容", "测评标准", "分值"])
    wb.active.append(["项目", "内容", "标准", "很多"])
    buf = BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "bad.xlsx"
    response = api(world.p.command).post(
        "/api/v1/index-systems/import/",
        {"file": buf, "name": "x", "code": "X", "kind": "local", "version": "v"},
        format="multipart",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import_failed"
    assert body["details"] == [
        {"row": 2, "column": "分值", "message": "分值「很多」不是有效的数字"}
    ]
    assert not IndexSystem.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "leader", "inspector", "handler_a"])
def test_non_command_cannot_write(world, system, persona):
    client = api(getattr(world.p, persona))
    before = (IndexSystem.objects.count(), Indicator.objects.count(), CheckItem.objects.count())
    responses = [
        client.post(
            "/api/v1/index-systems/",
            {"name": "x", "code": "Y", "kind": "local", "version": "v"},
            format="json",
        ),
        client.patch(f"/api/v1/index-systems/{system.pk}/", {"name": "改"}, format="json"),
        client.post(
            f"/api/v1/index-systems/{system.pk}/copy/", {"code": "Z", "version": "v"}, format="json"
        ),
        client.post(
            f"/api/v1/index-systems/{system.pk}/status/", {"status": "active"}, format="json"
        ),
        client.delete(f"/api/v1/index-systems/{system.pk}/"),
        client.post(
            "/api/v1/index-systems/import/",
            {"file": flat_file(), "name": "n", "code": "N", "kind": "local", "version": "v"},
            format="multipart",
        ),
        client.post(
            "/api/v1/check-items/",
            {"point_type": world.market.pk, "code": "C", "text": "t"},
            format="json",
        ),
    ]
    assert [r.status_code for r in responses] == [403] * len(responses)
    assert all(r.json()["code"] == "not_permitted" for r in responses)
    system.refresh_from_db()
    assert system.name == "体系" and system.status == "draft"
    assert (
        IndexSystem.objects.count(),
        Indicator.objects.count(),
        CheckItem.objects.count(),
    ) == before


def test_check_item_crud(world, system):
    client = api(world.p.command)
    std = Indicator.objects.get(text="无暴露垃圾")
    created = client.post(
        "/api/v1/check-items/",
        {
            "point_type": world.market.pk,
            "code": "M1",
            "text": "地面无垃圾",
            "judge_mode": "count",
            "max_score": "2",
            "deduction_per_count": "0.5",
            "category": world.cat_litter.pk,
            "indicator": std.pk,
            "is_critical": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert_matches_schema(created)
    body = created.json()
    assert body["indicator_code"] == std.code and body["category_name"] == "市容环境 / 暴露垃圾"
    pk = body["id"]
    bad = client.post(
        "/api/v1/check-items/",
        {"point_type": world.market.pk, "code": "M1", "text": "重复"},
        format="json",
    )
    assert bad.status_code == 400
    patched = client.patch(
        f"/api/v1/check-items/{pk}/", {"text": "地面无垃圾、无积水"}, format="json"
    )
    assert patched.status_code == 200
    assert_matches_schema(patched)
    invalid = client.patch(
        f"/api/v1/check-items/{pk}/", {"category": world.cat_env.pk}, format="json"
    )
    assert invalid.status_code == 400 and "category" in invalid.json()["details"]
    handler = api(world.p.handler_a)
    listed = handler.get("/api/v1/check-items/", {"point_type": world.market.pk})
    assert_matches_schema(listed)
    assert [r["code"] for r in listed.json()["results"]] == ["M1"]
    assert (
        handler.get("/api/v1/check-items/", {"point_type": world.street_type.pk}).json()["count"]
        == 0
    )
    assert (
        handler.patch(f"/api/v1/check-items/{pk}/", {"text": "x"}, format="json").status_code == 403
    )
    assert handler.delete(f"/api/v1/check-items/{pk}/").status_code == 403
    assert client.delete(f"/api/v1/check-items/{pk}/").status_code == 204
    assert not CheckItem.objects.exists()
    assert CheckItem._meta.get_field("max_score").decimal_places == 2
    assert Decimal(body["max_score"]) == Decimal("2")


def test_list_query_count_is_bounded(world, system, django_assert_max_num_queries):
    for n in range(20):
        CheckItem.objects.create(
            point_type=world.market,
            code=f"C{n}",
            text="x",
            category=world.cat_litter,
            indicator=Indicator.objects.filter(level="standard").first(),
        )
    client = api(world.p.command)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/check-items/").json()["count"] == 20
    with django_assert_max_num_queries(10):
        client.get("/api/v1/indicators/")
    with django_assert_max_num_queries(8):
        client.get(f"/api/v1/index-systems/{system.pk}/tree/")
