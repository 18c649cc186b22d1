"""Registry web pages: rendering, scope (404), edit permission (403), form errors, queries."""

import json
import re

import pytest
from django.urls import reverse

from civicloop.core import geo, trees
from civicloop.core.models import AuditEvent
from civicloop.orgs import views
from civicloop.orgs.models import (
    Area,
    AreaLevel,
    AreaResponsibility,
    Point,
    PointType,
    ResponsibilityKind,
    Unit,
    UnitKind,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    # The world fixture creates seven users; a slow hasher makes every test take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login(client, user):
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


# --- Rendering for command --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "arg", "expected"),
    [
        ("orgs:unit_list", None, ["东华街道办事处", "西华街道办事处", "市城管局"]),
        ("orgs:unit_tree", None, ["市城管局", "东华街道办事处", "1 个下级"]),
        ("orgs:unit_detail", "unit_a", ["东华街道办事处", "东华社区居委会", "U-A"]),
        ("orgs:unit_create", None, ["新增单位", "单位名称"]),
        ("orgs:unit_edit", "unit_a", ["编辑单位", 'value="东华街道办事处"']),
        ("orgs:area_list", None, ["东城区", "西华社区第一网格", "370101001001001"]),
        ("orgs:area_tree", None, ["示范市", "2 个下级"]),
        ("orgs:area_detail", "east", ["东城区", "示范市", "东华街道", "东华农贸市场"]),
        ("orgs:area_create", None, ["新增区域", "边界(GeoJSON)"]),
        ("orgs:area_edit", "east", ["编辑区域", "370101"]),
        ("orgs:point_type_list", None, ["农贸市场", "窗口单位", "市城管局"]),
        ("orgs:point_type_detail", "market", ["农贸市场", "东华农贸市场"]),
        ("orgs:point_type_create", None, ["新增点位类型"]),
        ("orgs:point_type_edit", "market", ["编辑点位类型"]),
        ("orgs:point_list", None, ["东华农贸市场", "西华小巷", "东华路1号"]),
        ("orgs:point_detail", "point_a", ["东华农贸市场", "东华路1号", "117.010000", "map-config"]),
        ("orgs:point_create", None, ["新增点位", "坐标系", "BD-09（百度）"]),
        ("orgs:point_edit", "point_a", ["编辑点位", "P-A-1"]),
        ("orgs:map", None, ["registry-map", "未配置底图", "vendor/leaflet/leaflet.js"]),
    ],
)
def test_pages_render_for_command_with_their_data(client, world, name, arg, expected):
    url = reverse(name, args=[getattr(world, arg).pk] if arg else None)
    response = login(client, world.p.command).get(url)
    assert response.status_code == 200
    body = text(response)
    for snippet in expected:
        assert snippet in body, snippet
    # Everything is served locally: no CDN reference on any page.
    # (Match URL-shaped references only: a random CSRF token may contain the letters "cdn".)
    assert not re.search(r"(https?:)?//[^\"' ]*cdn", body, re.IGNORECASE)


def test_navigation_shows_registry_menu_to_staff_only(client, world):
    body = text(login(client, world.p.command).get(reverse("home")))
    assert reverse("orgs:point_list") in body
    assert reverse("standards:category_list") in body
    client.logout()
    body = text(login(client, world.p.citizen).get(reverse("home")))
    assert reverse("orgs:point_list") not in body


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("orgs:point_list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_login_page_still_renders(client, world):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert "登录" in text(response)


def test_citizen_cannot_read_registry_pages(client, world):
    login(client, world.p.citizen)
    for name in ("orgs:unit_list", "orgs:point_list", "orgs:area_tree", "orgs:map"):
        assert client.get(reverse(name)).status_code == 403


# --- Scope: outsider gets 404 and nothing changes ----------------------------------------


@pytest.mark.parametrize(
    ("name", "arg"),
    [
        ("orgs:unit_detail", "unit_a"),
        ("orgs:unit_edit", "unit_a"),
        ("orgs:unit_children", "unit_a"),
        ("orgs:area_detail", "east"),
        ("orgs:area_edit", "east"),
        ("orgs:area_children", "east"),
        ("orgs:point_detail", "point_a"),
        ("orgs:point_edit", "point_a"),
    ],
)
def test_outsider_gets_404_on_other_district(client, world, name, arg):
    response = login(client, world.p.outsider).get(reverse(name, args=[getattr(world, arg).pk]))
    assert response.status_code == 404


def test_outsider_post_changes_nothing(client, world):
    login(client, world.p.outsider)
    audit_before = AuditEvent.objects.count()
    r1 = client.post(
        reverse("orgs:point_edit", args=[world.point_a.pk]),
        {"code": "HACK", "name": "改名", "point_type": world.market.pk},
    )
    r2 = client.post(
        reverse("orgs:unit_edit", args=[world.unit_a.pk]), {"name": "改名", "code": "HACK"}
    )
    r3 = client.post(reverse("orgs:area_edit", args=[world.east.pk]), {"name": "改名"})
    r4 = client.post(
        reverse("orgs:responsibility_add", args=[world.east.pk]),
        {"kind": ResponsibilityKind.LEADER, "person_name": "某领导"},
    )
    assert [r.status_code for r in (r1, r2, r3, r4)] == [404, 404, 404, 404]
    world.point_a.refresh_from_db()
    world.unit_a.refresh_from_db()
    world.east.refresh_from_db()
    assert world.point_a.name == "东华农贸市场"
    assert world.unit_a.name == "东华街道办事处"
    assert world.east.name == "东城区"
    assert not AreaResponsibility.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_outsider_cannot_create_a_point_in_another_district(client, world):
    response = login(client, world.p.outsider).post(
        reverse("orgs:point_create"),
        {
            "code": "P-X",
            "name": "越界点位",
            "point_type": world.market.pk,
            "area": world.east_grid.pk,
            "responsible_unit": world.unit_b.pk,
            "coord_system": geo.WGS84,
        },
    )
    assert response.status_code == 400
    assert "选择一个有效的选项" in text(response)
    assert not Point.objects.filter(code="P-X").exists()


# --- Non-command users cannot edit ---------------------------------------------------------


@pytest.mark.parametrize("persona", ["inspector", "leader", "handler_a"])
def test_non_command_cannot_edit(client, world, persona):
    login(client, getattr(world.p, persona))
    point_url = reverse("orgs:point_edit", args=[world.point_a.pk])
    assert client.get(point_url).status_code == 403
    response = client.post(
        point_url,
        {
            "code": "P-A-1",
            "name": "改名",
            "point_type": world.market.pk,
            "area": world.east_grid.pk,
            "responsible_unit": world.unit_a.pk,
            "coord_system": geo.WGS84,
        },
    )
    assert response.status_code == 403
    assert (
        client.post(reverse("orgs:point_type_create"), {"code": "X", "name": "X"}).status_code
        == 403
    )
    assert client.post(reverse("orgs:area_create"), {"name": "X"}).status_code == 403
    world.point_a.refresh_from_db()
    assert world.point_a.name == "东华农贸市场"
    assert not PointType.objects.filter(code="X").exists()
    assert not AuditEvent.objects.exists()


def test_non_command_sees_no_edit_buttons(client, world):
    body = text(
        login(client, world.p.inspector).get(reverse("orgs:point_detail", args=[world.point_a.pk]))
    )
    assert reverse("orgs:point_edit", args=[world.point_a.pk]) not in body


# --- Edits by command ---------------------------------------------------------------------


def point_form(world, **overrides):
    data = {
        "code": "P-A-2",
        "name": "东华银行网点",
        "point_type": world.market.pk,
        "area": world.east_grid.pk,
        "address": "东华路3号",
        "coord_system": geo.WGS84,
        "lng": "",
        "lat": "",
        "responsible_unit": world.unit_a.pk,
        "person_in_charge": "张三",
        "person_phone": "13800000000",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_command_creates_point_with_gcj02_converted_to_wgs84(client, world):
    response = login(client, world.p.command).post(
        reverse("orgs:point_create"),
        point_form(world, coord_system=geo.GCJ02, lng="117.02", lat="36.02"),
    )
    point = Point.objects.get(code="P-A-2")
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:point_detail", args=[point.pk])
    expected = geo.to_wgs84(117.02, 36.02, geo.GCJ02)
    assert point.lng == pytest.approx(expected[0], abs=1e-7)
    assert point.lat == pytest.approx(expected[1], abs=1e-7)
    assert abs(point.lng - 117.02) > 1e-4  # really converted, not stored as typed
    assert AuditEvent.objects.filter(action="point.create", object_id=str(point.pk)).exists()


def test_point_edit_with_bad_input_shows_chinese_error_and_writes_nothing(client, world):
    login(client, world.p.command)
    url = reverse("orgs:point_edit", args=[world.point_a.pk])
    bad_range = client.post(url, point_form(world, code="P-A-1", name="改名", lng="200", lat="36"))
    half = client.post(url, point_form(world, code="P-A-1", name="改名", lng="117", lat=""))
    duplicate = client.post(url, point_form(world, code="P-B-1", name="改名"))
    assert bad_range.status_code == half.status_code == duplicate.status_code == 400
    assert "180" in text(bad_range)
    assert "经度和纬度需同时填写或同时留空" in text(half)
    assert "已存在" in text(duplicate)
    world.point_a.refresh_from_db()
    assert (world.point_a.name, world.point_a.code, world.point_a.lng) == (
        "东华农贸市场",
        "P-A-1",
        117.01,
    )
    assert not AuditEvent.objects.exists()


def test_unit_edit_moves_the_subtree(client, world):
    login(client, world.p.command)
    response = client.post(
        reverse("orgs:unit_edit", args=[world.unit_a_child.pk]),
        {
            "name": "东华社区居委会",
            "code": "U-A1",
            "kind": UnitKind.COMMUNITY,
            "area": world.east_comm.pk,
            "parent": world.cgj.pk,
            "contact_person": "李四",
            "contact_phone": "",
            "is_active": "on",
            "sort_order": 0,
        },
    )
    assert response.status_code == 302
    world.unit_a_child.refresh_from_db()
    assert world.unit_a_child.parent == world.cgj
    assert world.unit_a_child.path == f"{world.cgj.path}{world.unit_a_child.pk}/"
    assert world.unit_a_child.contact_person == "李四"
    event = AuditEvent.objects.get(action="unit.update")
    assert set(event.data["changed"]) == {"contact_person", "parent"}


def test_unit_cannot_become_its_own_descendant(client, world):
    login(client, world.p.command)
    response = client.post(
        reverse("orgs:unit_edit", args=[world.unit_a.pk]),
        {
            "name": "东华街道办事处",
            "code": "U-A",
            "kind": UnitKind.TOWNSHIP,
            "area": world.east_street.pk,
            "parent": world.unit_a_child.pk,
            "is_active": "on",
            "sort_order": 0,
        },
    )
    assert response.status_code == 400
    assert "不能把节点移动到它自己或它的下级之下" in text(response)
    world.unit_a.refresh_from_db()
    assert world.unit_a.parent is None
    assert not AuditEvent.objects.exists()


def area_form(world, **overrides):
    data = {
        "name": "东华社区第二网格",
        "code": "370101001001002",
        "level": AreaLevel.GRID,
        "parent": world.east_comm.pk,
        "boundary": "",
        "sort_order": 0,
    }
    data.update(overrides)
    return data


def test_area_create_with_invalid_boundary_shows_service_error(client, world):
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    response = login(client, world.p.command).post(
        reverse("orgs:area_create"), area_form(world, boundary=json.dumps(bow_tie))
    )
    assert response.status_code == 400
    assert "边界图形无效" in text(response)
    assert not Area.objects.filter(code="370101001001002").exists()
    not_json = client.post(reverse("orgs:area_create"), area_form(world, boundary="{不是JSON"))
    assert not_json.status_code == 400
    assert "JSON" in text(not_json)
    assert not Area.objects.filter(code="370101001001002").exists()


def test_area_create_with_boundary(client, world):
    square = {
        "type": "Polygon",
        "coordinates": [
            [[117.0, 36.05], [117.05, 36.05], [117.05, 36.1], [117.0, 36.1], [117.0, 36.05]]
        ],
    }
    response = login(client, world.p.command).post(
        reverse("orgs:area_create"), area_form(world, boundary=json.dumps(square))
    )
    area = Area.objects.get(code="370101001001002")
    assert response.status_code == 302
    assert area.path == f"{world.east_comm.path}{area.pk}/"
    assert (area.min_lng, area.max_lat) == (117.0, 36.1)


def test_responsibility_add_and_remove(client, world):
    login(client, world.p.command)
    add_url = reverse("orgs:responsibility_add", args=[world.east.pk])
    missing = client.post(add_url, {"kind": ResponsibilityKind.SUPPORTING_UNIT})
    assert missing.status_code == 400
    assert "包保单位必须选择单位" in text(missing)
    assert not AreaResponsibility.objects.exists()

    ok = client.post(add_url, {"kind": ResponsibilityKind.SUPPORTING_UNIT, "unit": world.cgj.pk})
    assert ok.status_code == 302
    leader = client.post(
        add_url, {"kind": ResponsibilityKind.LEADER, "leader": world.p.leader.pk, "title": "副区长"}
    )
    assert leader.status_code == 302
    body = text(client.get(reverse("orgs:area_detail", args=[world.east.pk])))
    assert "市城管局" in body and "副区长" in body and "包片领导" in body

    resp = AreaResponsibility.objects.get(kind=ResponsibilityKind.SUPPORTING_UNIT)
    removed = client.post(reverse("orgs:responsibility_remove", args=[world.east.pk, resp.pk]))
    assert removed.status_code == 302
    assert not AreaResponsibility.objects.filter(pk=resp.pk).exists()
    assert AuditEvent.objects.filter(action="area.responsibility_remove").count() == 1


def test_responsibility_of_another_area_cannot_be_removed_through_this_one(client, world):
    resp = AreaResponsibility.objects.create(
        area=world.west, kind=ResponsibilityKind.LEADER, person_name="西区领导"
    )
    login(client, world.p.command)
    url = reverse("orgs:responsibility_remove", args=[world.east.pk, resp.pk])
    assert client.post(url).status_code == 404
    assert AreaResponsibility.objects.filter(pk=resp.pk).exists()


def test_point_type_edit(client, world):
    login(client, world.p.command)
    response = client.post(
        reverse("orgs:point_type_edit", args=[world.market.pk]),
        {
            "code": "PT-MARKET",
            "name": "农贸市场",
            "group": "窗口单位（改）",
            "lead_unit": world.cgj.pk,
            "sort_order": 1,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    world.market.refresh_from_db()
    assert world.market.group == "窗口单位（改）"
    dup = client.post(
        reverse("orgs:point_type_edit", args=[world.market.pk]),
        {"code": "PT-STREET", "name": "农贸市场", "sort_order": 1},
    )
    assert dup.status_code == 400
    assert "已存在" in text(dup)
    world.market.refresh_from_db()
    assert world.market.code == "PT-MARKET"


# --- Lists: filters, htmx, scoped counts, bounded queries ----------------------------------


def test_point_list_filters(client, world):
    login(client, world.p.command)
    url = reverse("orgs:point_list")
    assert "西华小巷" not in text(client.get(url, {"q": "东华路"}))
    assert "东华农贸市场" in text(client.get(url, {"q": "东华路"}))
    by_area = text(client.get(url, {"area": world.west.pk}))
    assert "西华小巷" in by_area and "东华农贸市场" not in by_area
    by_grid = text(client.get(url, {"area": world.east_grid.pk}))
    assert "东华农贸市场" in by_grid and "西华小巷" not in by_grid
    by_unit = text(client.get(url, {"unit": world.unit_b.pk}))
    assert "西华小巷" in by_unit and "东华农贸市场" not in by_unit
    by_type = text(client.get(url, {"point_type": world.street_type.pk}))
    assert "西华小巷" in by_type and "东华农贸市场" not in by_type


def test_point_list_htmx_returns_only_results(client, world):
    login(client, world.p.command)
    response = client.get(
        reverse("orgs:point_list"),
        {"q": "西华"},
        headers={"HX-Request": "true", "HX-Target": "point-results"},
    )
    body = text(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert "西华小巷" in body and "东华农贸市场" not in body


def test_lists_are_scoped(client, world):
    login(client, world.p.outsider)
    body = text(client.get(reverse("orgs:point_list")))
    assert "西华小巷" in body and "东华农贸市场" not in body
    body = text(client.get(reverse("orgs:unit_list")))
    assert "西华街道办事处" in body and "东华街道办事处" not in body
    body = text(client.get(reverse("orgs:area_tree")))
    assert "西城区" in body and "示范市" not in body
    # Point counts per type are counted within the scope.
    types = {
        pt.pk: pt.scoped_count
        for pt in client.get(reverse("orgs:point_type_list")).context["types"]
    }
    assert types == {world.market.pk: 0, world.street_type.pk: 1}


def test_unit_list_search_and_kind_filter(client, world):
    world.unit_b.contact_person = "王五"
    world.unit_b.save()
    login(client, world.p.command)
    body = text(client.get(reverse("orgs:unit_list"), {"q": "王五"}))
    assert "西华街道办事处" in body and "东华街道办事处" not in body
    body = text(client.get(reverse("orgs:unit_list"), {"kind": UnitKind.DEPARTMENT}))
    assert "市城管局" in body and "西华街道办事处" not in body


def test_area_list_level_filter(client, world):
    body = text(
        login(client, world.p.command).get(reverse("orgs:area_list"), {"level": AreaLevel.GRID})
    )
    assert "东华社区第一网格" in body and "东城区" not in body


def test_area_tree_children_load_lazily(client, world):
    login(client, world.p.command)
    response = client.get(reverse("orgs:area_children", args=[world.city.pk]))
    body = text(response)
    assert "东城区" in body and "西城区" in body and "东华街道" not in body
    assert reverse("orgs:area_children", args=[world.east.pk]) in body


@pytest.fixture
def many_rows(world):
    units = [
        Unit(
            name=f"单位{i}",
            code=f"U-M-{i}",
            kind=UnitKind.ENTERPRISE,
            area=world.east_grid,
            parent=world.unit_a,
        )
        for i in range(60)
    ]
    Unit.objects.bulk_create(units)
    for unit in Unit.objects.filter(code__startswith="U-M-"):
        trees.assign_path(unit)
    for i in range(60):
        area = Area.objects.create(
            name=f"网格{i}", code=f"G-M-{i}", level=AreaLevel.GRID, parent=world.east_comm
        )
        trees.assign_path(area)
    Point.objects.bulk_create(
        Point(code=f"P-M-{i}", name=f"点位{i}", point_type=world.market, area=world.east_grid,
              responsible_unit=world.unit_a, lng=117.0 + i / 1000, lat=36.0 + i / 1000)
        for i in range(60)
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "arg", "max_queries"),
    [
        ("orgs:unit_list", None, 8),
        ("orgs:area_list", None, 8),
        ("orgs:area_tree", None, 8),
        ("orgs:unit_tree", None, 8),
        ("orgs:point_list", None, 12),
        ("orgs:point_type_list", None, 8),
        ("orgs:point_type_detail", "market", 10),
        ("orgs:area_detail", "east_comm", 14),
        ("orgs:unit_detail", "unit_a", 10),
        ("home", None, 10),
    ],
)
def test_pages_have_bounded_queries(
    client, world, many_rows, django_assert_max_num_queries, name, arg, max_queries
):
    login(client, world.p.command)
    url = reverse(name, args=[getattr(world, arg).pk] if arg else None)
    with django_assert_max_num_queries(max_queries):
        response = client.get(url)
    assert response.status_code == 200


def test_point_list_paginates(client, world, many_rows):
    login(client, world.p.command)
    page1 = client.get(reverse("orgs:point_list"))
    assert len(page1.context["page_obj"]) == views.PAGE_SIZE
    assert page1.context["page_obj"].paginator.count == 62
    page3 = client.get(reverse("orgs:point_list"), {"page": 3})
    assert len(page3.context["page_obj"]) == 2


# --- Map endpoints -----------------------------------------------------------------------------


def test_map_points_returns_only_in_scope_points(client, world):
    login(client, world.p.outsider)
    data = client.get(reverse("orgs:map_points"), {"bbox": "116,35,118,37"}).json()
    assert data["truncated"] is False
    assert [p["code"] for p in data["points"]] == ["P-B-1"]
    client.logout()
    login(client, world.p.command)
    data = client.get(reverse("orgs:map_points"), {"bbox": "116,35,118,37"}).json()
    assert sorted(p["code"] for p in data["points"]) == ["P-A-1", "P-B-1"]
    inside_east = client.get(reverse("orgs:map_points"), {"bbox": "117,36,117.05,36.05"}).json()
    assert [p["code"] for p in inside_east["points"]] == ["P-A-1"]
    by_type = client.get(
        reverse("orgs:map_points"), {"bbox": "116,35,118,37", "type": world.street_type.pk}
    ).json()
    assert [p["code"] for p in by_type["points"]] == ["P-B-1"]


def test_map_points_aggregates_and_says_so_when_too_many(client, world, many_rows, monkeypatch):
    monkeypatch.setattr(views, "MAP_POINT_LIMIT", 10)
    login(client, world.p.command)
    data = client.get(reverse("orgs:map_points"), {"bbox": "116,35,118,37"}).json()
    assert data["truncated"] is True
    assert data["total"] == 62
    assert sum(c["count"] for c in data["clusters"]) == 62
    assert 1 < len(data["clusters"]) <= views.MAP_GRID_COLUMNS * views.MAP_GRID_ROWS
    assert "62" in data["message"] and "放大" in data["message"]


def test_map_points_rejects_bad_bbox(client, world):
    login(client, world.p.command)
    response = client.get(reverse("orgs:map_points"), {"bbox": "a,b,c"})
    assert response.status_code == 400
    assert "bbox" in response.json()["message"]


def test_map_areas_are_scoped(client, world):
    login(client, world.p.outsider)
    data = client.get(reverse("orgs:map_areas"), {"level": AreaLevel.STREET}).json()
    assert [f["properties"]["name"] for f in data["features"]] == ["西华街道"]
    assert data["features"][0]["geometry"]["type"] == "Polygon"


def test_map_page_adds_tile_layer_only_when_configured(client, world, settings):
    login(client, world.p.command)
    config = client.get(reverse("orgs:map")).context["map_config"]
    assert config["tileUrl"] == ""
    assert config["bounds"] == [[36.0, 117.0], [36.2, 117.2]]
    settings.CIVICLOOP = {
        **settings.CIVICLOOP,
        "MAP_TILE_URL": "http://tiles.intranet/{z}/{x}/{y}.png",
    }
    config = client.get(reverse("orgs:map")).context["map_config"]
    assert config["tileUrl"] == "http://tiles.intranet/{z}/{x}/{y}.png"


# --- Home ---------------------------------------------------------------------------------------


def test_home_shows_scoped_counts(client, world):
    login(client, world.p.outsider)
    counts = client.get(reverse("home")).context["counts"]
    # West district: district, street, community, grid; one unit; one point.
    assert counts == {"units": 1, "areas": 4, "points": 1}


def test_home_warns_about_calendar_fallback_years(client, world, monkeypatch):
    from civicloop.core import workcalendar

    monkeypatch.setattr(workcalendar, "fallback_years", lambda years: [max(years)])
    body = text(login(client, world.p.command).get(reverse("home")))
    assert "工作日历缺少" in body
    monkeypatch.setattr(workcalendar, "fallback_years", lambda years: [])
    body = text(client.get(reverse("home")))
    assert "工作日历缺少" not in body


def test_read_only_pages_refuse_post(client, world):
    login(client, world.p.command)
    for name, arg in (("orgs:point_list", None), ("orgs:point_detail", world.point_a.pk)):
        response = client.post(reverse(name, args=[arg] if arg else None), {"name": "改名"})
        assert response.status_code == 405
    world.point_a.refresh_from_db()
    assert world.point_a.name == "东华农贸市场"


def test_import_export_menu_item_for_command_only(client, world):
    io_url = reverse("orgs:io_entry")
    assert io_url == "/orgs/io/"
    assert f'href="{io_url}"' in text(login(client, world.p.command).get(reverse("home")))
    client.logout()
    assert f'href="{io_url}"' not in text(login(client, world.p.inspector).get(reverse("home")))


def test_district_command_can_save_its_district_whose_parent_is_out_of_scope(client, world):
    # The west district's parent (the city) is outside the outsider's scope; the form must
    # still accept the unchanged parent, and must not offer the city for a new area.
    login(client, world.p.outsider)
    response = client.post(
        reverse("orgs:area_edit", args=[world.west.pk]),
        area_form(
            world,
            name="西城区（新）",
            code="370102",
            level=AreaLevel.DISTRICT,
            parent=world.city.pk,
        ),
    )
    assert response.status_code == 302
    world.west.refresh_from_db()
    assert (world.west.name, world.west.parent_id) == ("西城区（新）", world.city.pk)
    create_form = client.get(reverse("orgs:area_create")).context["form"]
    assert world.city not in create_form.fields["parent"].queryset
    assert world.west in create_form.fields["parent"].queryset


def test_point_keeps_a_city_level_responsible_unit_on_edit(client, world):
    world.point_b.responsible_unit = world.cgj
    world.point_b.save()
    login(client, world.p.outsider)
    response = client.post(
        reverse("orgs:point_edit", args=[world.point_b.pk]),
        point_form(world, code="P-B-1", name="西华小巷（改）", point_type=world.street_type.pk,
                   area=world.west_grid.pk, responsible_unit=world.cgj.pk),
    )  # fmt: skip
    assert response.status_code == 302
    world.point_b.refresh_from_db()
    assert (world.point_b.name, world.point_b.responsible_unit) == ("西华小巷（改）", world.cgj)
