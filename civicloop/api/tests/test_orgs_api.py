"""Registry API: scoped reads, command-only writes, filters, schema conformance."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicloop.api.openapi_check import assert_matches_schema
from civicloop.core import geo
from civicloop.core.models import AuditEvent
from civicloop.orgs.models import Area, AreaResponsibility, Point, PointType, Unit
from conftest import square

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


def ids(response) -> set[int]:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return {row["id"] for row in rows}


def create_payloads(w) -> dict[str, dict]:
    """One valid create body per resource, all inside the east district."""
    return {
        "units": {
            "code": "U-A2",
            "name": "东华市场监管所",
            "kind": "department",
            "area": w.east_street.id,
            "parent": w.unit_a.id,
            "contact_phone": "0531-1234567",
        },
        "areas": {
            "code": "370101001001002",
            "name": "东华社区第二网格",
            "level": "grid",
            "parent": w.east_comm.id,
            "boundary": square(117.0, 36.05, 0.01),
        },
        "area-responsibilities": {
            "area": w.east_grid.id,
            "kind": "supporting_unit",
            "unit": w.unit_a_child.id,
            "title": "包保",
        },
        "point-types": {"code": "PT-BANK", "name": "银行网点", "group": "窗口单位"},
        "points": {
            "code": "P-A-2",
            "name": "东华小学周边",
            "point_type": w.street_type.id,
            "area": w.east_grid.id,
            "responsible_unit": w.unit_a.id,
            "address": "东华路9号",
            "lng": 117.02,
            "lat": 36.02,
        },
    }


def east_objects(w) -> dict[str, object]:
    """An existing east-district object per resource (out of scope for the outsider)."""
    resp = AreaResponsibility.objects.create(area=w.east_grid, kind="supporting_unit", unit=w.cgj)
    return {
        "units": w.unit_a,
        "areas": w.east_grid,
        "area-responsibilities": resp,
        "points": w.point_a,
    }


PATCHES = {
    "units": {"contact_person": "张三"},
    "areas": {"name": "东华社区一号网格"},
    "point-types": {"group": "重点窗口"},
    "points": {"person_in_charge": "李四"},
}

RESOURCES = ["units", "areas", "area-responsibilities", "point-types", "points"]


# --- command: list, read, write -------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_command_lists_and_reads_everything_in_city(world, api, resource):
    east_objects(world)
    client = api(world.p.command)
    response = client.get(f"{V1}/{resource}/")
    assert response.status_code == 200
    assert_matches_schema(response)
    assert response.json()["count"] >= 1
    first = response.json()["results"][0]["id"]
    detail = client.get(f"{V1}/{resource}/{first}/")
    assert detail.status_code == 200
    assert_matches_schema(detail)


@pytest.mark.parametrize("resource", RESOURCES)
def test_command_creates_through_service_with_audit(world, api, resource):
    payload = create_payloads(world)[resource]
    response = api(world.p.command).post(f"{V1}/{resource}/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert_matches_schema(response)
    body = response.json()
    assert AuditEvent.objects.filter(actor=world.p.command).count() == 1
    if "code" in payload:
        assert body["code"] == payload["code"]


def test_created_objects_get_tree_paths_and_names(world, api):
    client = api(world.p.command)
    payloads = create_payloads(world)
    unit = client.post(f"{V1}/units/", payloads["units"], format="json").json()
    assert unit["parent_name"] == "东华街道办事处" and unit["depth"] == 1
    assert Unit.objects.get(pk=unit["id"]).path == f"{world.unit_a.path}{unit['id']}/"
    area = client.post(f"{V1}/areas/", payloads["areas"], format="json").json()
    assert area["bbox"] == pytest.approx([117.0, 36.05, 117.01, 36.06])
    assert [a["name"] for a in area["ancestors"]] == ["示范市", "东城区", "东华街道", "东华社区"]
    point = client.post(f"{V1}/points/", payloads["points"], format="json").json()
    assert point["point_type_name"] == "背街小巷"
    assert point["area_name"] == "东华社区第一网格"
    assert point["responsible_unit_name"] == "东华街道办事处"


@pytest.mark.parametrize("resource", ["units", "areas", "point-types", "points"])
def test_command_updates_through_service(world, api, resource):
    obj = {
        "units": world.unit_a,
        "areas": world.east_grid,
        "point-types": world.market,
        "points": world.point_a,
    }[resource]
    patch = PATCHES[resource]
    response = api(world.p.command).patch(f"{V1}/{resource}/{obj.pk}/", patch, format="json")
    assert response.status_code == 200, response.json()
    assert_matches_schema(response)
    field, value = next(iter(patch.items()))
    obj.refresh_from_db()
    assert getattr(obj, field) == value and response.json()[field] == value
    event = AuditEvent.objects.get(actor=world.p.command)
    assert event.data["changed"] == [field]


def test_command_removes_responsibility(world, api):
    resp = east_objects(world)["area-responsibilities"]
    response = api(world.p.command).delete(f"{V1}/area-responsibilities/{resp.pk}/")
    assert response.status_code == 204
    assert not AreaResponsibility.objects.filter(pk=resp.pk).exists()
    assert AuditEvent.objects.get().action == "area.responsibility_remove"


def test_leader_responsibility_takes_leader_account(world, api):
    body = {"area": world.east.id, "kind": "leader", "leader": world.p.leader.id, "title": "副区长"}
    response = api(world.p.command).post(f"{V1}/area-responsibilities/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["leader_name"] == "包片领导"
    # A non-leader account is refused as 包片领导.
    body["leader"] = world.p.handler_a.id
    response = api(world.p.command).post(f"{V1}/area-responsibilities/", body, format="json")
    assert response.status_code == 400 and "leader" in response.json()["details"]


def test_responsibility_without_target_is_validation_error(world, api, unchanged):
    with unchanged():
        response = api(world.p.command).post(
            f"{V1}/area-responsibilities/",
            {"area": world.east.id, "kind": "leader"},
            format="json",
        )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert_matches_schema(response)


# --- outsider (command of the west district only) ---------------------------------------


@pytest.mark.parametrize("resource", ["units", "areas", "area-responsibilities", "points"])
def test_outsider_gets_404_for_east_objects_and_changes_nothing(world, api, unchanged, resource):
    obj = east_objects(world)[resource]
    client = api(world.p.outsider)
    assert obj.pk not in ids(client.get(f"{V1}/{resource}/"))
    response = client.get(f"{V1}/{resource}/{obj.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert_matches_schema(response)
    with unchanged():
        if resource == "area-responsibilities":
            response = client.delete(f"{V1}/{resource}/{obj.pk}/")
        else:
            response = client.patch(f"{V1}/{resource}/{obj.pk}/", PATCHES[resource], format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("resource", ["units", "areas", "area-responsibilities", "points"])
def test_outsider_cannot_create_in_east(world, api, unchanged, resource):
    payload = create_payloads(world)[resource]
    with unchanged():
        response = api(world.p.outsider).post(f"{V1}/{resource}/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    # The east area is refused as if it did not exist.
    assert set(body["details"]) & {"area", "parent"}
    assert_matches_schema(response)


def test_outsider_cannot_move_own_point_into_east(world, api, unchanged):
    with unchanged():
        response = api(world.p.outsider).patch(
            f"{V1}/points/{world.point_b.pk}/", {"area": world.east_grid.pk}, format="json"
        )
    assert response.status_code == 400 and "area" in response.json()["details"]


def test_outsider_sees_and_edits_own_district(world, api):
    client = api(world.p.outsider)
    assert ids(client.get(f"{V1}/points/")) == {world.point_b.pk}
    assert ids(client.get(f"{V1}/units/")) == {world.unit_b.pk}
    response = client.patch(f"{V1}/points/{world.point_b.pk}/", {"name": "西华新巷"}, format="json")
    assert response.status_code == 200
    world.point_b.refresh_from_db()
    assert world.point_b.name == "西华新巷"


# --- non-command roles: read in scope, never write --------------------------------------


@pytest.mark.parametrize("persona", ["handler_a", "leader", "inspector"])
@pytest.mark.parametrize("resource", RESOURCES)
def test_non_command_write_is_refused(world, api, unchanged, persona, resource):
    client = api(getattr(world.p, persona))
    objs = {**east_objects(world), "point-types": world.market}
    obj = objs[resource]
    with unchanged():
        created = client.post(f"{V1}/{resource}/", create_payloads(world)[resource], format="json")
        if resource == "area-responsibilities":
            changed = client.delete(f"{V1}/{resource}/{obj.pk}/")
        else:
            changed = client.patch(f"{V1}/{resource}/{obj.pk}/", PATCHES[resource], format="json")
    for response in (created, changed):
        assert response.status_code == 403
        assert response.json()["code"] == "not_permitted"
        assert_matches_schema(response)


def test_handler_reads_only_own_unit_territory(world, api):
    client = api(world.p.handler_a)
    assert ids(client.get(f"{V1}/points/")) == {world.point_a.pk}
    assert ids(client.get(f"{V1}/units/")) == {world.unit_a.pk, world.unit_a_child.pk}
    assert ids(client.get(f"{V1}/areas/")) == {
        world.east_street.pk,
        world.east_comm.pk,
        world.east_grid.pk,
    }
    assert client.get(f"{V1}/points/{world.point_b.pk}/").status_code == 404


# --- citizen: nothing ---------------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_citizen_sees_empty_lists_and_404(world, api, unchanged, resource):
    obj = {**east_objects(world), "point-types": world.market}[resource]
    client = api(world.p.citizen)
    response = client.get(f"{V1}/{resource}/")
    assert response.status_code == 200 and response.json()["count"] == 0
    assert_matches_schema(response)
    assert client.get(f"{V1}/{resource}/{obj.pk}/").status_code == 404
    with unchanged():
        response = client.post(f"{V1}/{resource}/", create_payloads(world)[resource], format="json")
    assert response.status_code == 403


def test_anonymous_gets_401_in_error_shape(world, api):
    response = api().get(f"{V1}/points/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert_matches_schema(response)


def test_non_numeric_id_is_404_not_500(world, api):
    assert api(world.p.command).get(f"{V1}/points/abc/").status_code == 404


# --- validation -------------------------------------------------------------------------


def test_duplicate_code_is_field_error(world, api, unchanged):
    payload = {**create_payloads(world)["points"], "code": world.point_a.code}
    with unchanged():
        response = api(world.p.command).post(f"{V1}/points/", payload, format="json")
    assert response.status_code == 400
    assert "code" in response.json()["details"]
    assert_matches_schema(response)


def test_invalid_boundary_is_refused_by_service(world, api, unchanged):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[117.0, 36.0], [117.01, 36.01], [117.01, 36.0], [117.0, 36.01], [117.0, 36.0]]
        ],
    }
    with unchanged():
        response = api(world.p.command).patch(
            f"{V1}/areas/{world.east_grid.pk}/", {"boundary": bowtie}, format="json"
        )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "边界图形无效" in response.json()["message"]


def test_area_cannot_move_below_itself(world, api, unchanged):
    with unchanged():
        response = api(world.p.command).patch(
            f"{V1}/areas/{world.east.pk}/", {"parent": world.east_grid.pk}, format="json"
        )
    assert response.status_code == 400 and "parent" in response.json()["details"]


def test_command_cannot_create_root_area(world, api, unchanged):
    payload = {"code": "370200", "name": "另一市", "level": "city"}
    with unchanged():
        response = api(world.p.command).post(f"{V1}/areas/", payload, format="json")
    assert response.status_code == 400 and "parent" in response.json()["details"]


def test_area_move_rewrites_subtree(world, api):
    response = api(world.p.command).patch(
        f"{V1}/areas/{world.east_comm.pk}/", {"parent": world.west_street.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    world.east_grid.refresh_from_db()
    assert world.east_grid.path.startswith(world.west_street.path)


def test_point_coordinates_converted_from_gcj02_and_bd09(world, api):
    client = api(world.p.command)
    wgs = (117.02, 36.02)
    for n, (system, convert) in enumerate(
        [
            ("gcj02", geo.wgs84_to_gcj02),
            ("bd09", lambda lng, lat: geo.gcj02_to_bd09(*geo.wgs84_to_gcj02(lng, lat))),
        ]
    ):
        lng, lat = convert(*wgs)
        payload = {
            **create_payloads(world)["points"],
            "code": f"P-C-{n}",
            "lng": lng,
            "lat": lat,
            "coord_system": system,
        }
        response = client.post(f"{V1}/points/", payload, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert "coord_system" not in body
        assert body["lng"] == pytest.approx(wgs[0], abs=1e-6)
        assert body["lat"] == pytest.approx(wgs[1], abs=1e-6)


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_points_returned_in_requested_coord_system(world, api, system):
    client = api(world.p.command)
    expected = geo.from_wgs84(world.point_a.lng, world.point_a.lat, system)
    listed = client.get(f"{V1}/points/", {"coord_system": system})
    row = next(r for r in listed.json()["results"] if r["id"] == world.point_a.pk)
    detail = client.get(f"{V1}/points/{world.point_a.pk}/", {"coord_system": system})
    assert_matches_schema(detail)
    for body in (row, detail.json()):
        assert (body["lng"], body["lat"]) == pytest.approx(expected)
    assert client.get(f"{V1}/points/{world.point_a.pk}/").json()["lng"] == world.point_a.lng
    bad = client.get(f"{V1}/points/{world.point_a.pk}/", {"coord_system": "utm"})
    assert bad.status_code == 400 and "coord_system" in bad.json()["details"]


def test_point_half_coordinate_refused(world, api, unchanged):
    with unchanged():
        response = api(world.p.command).patch(
            f"{V1}/points/{world.point_a.pk}/",
            {"lng": 117.03, "coord_system": "gcj02"},
            format="json",
        )
    assert response.status_code == 400 and "lat" in response.json()["details"]


# --- filters ----------------------------------------------------------------------------


@pytest.fixture
def more_points(world):
    bank = PointType.objects.create(code="PT-BANK", name="银行网点")
    Point.objects.create(
        code="P-A-2",
        name="东华银行",
        point_type=bank,
        area=world.east_comm,
        responsible_unit=world.unit_a_child,
        lng=117.04,
        lat=36.04,
        address="东华大道8号",
    )
    Point.objects.create(
        code="P-C-1",
        name="市政广场",
        point_type=bank,
        area=world.city,
        responsible_unit=world.cgj,
        address="人民路1号",
    )
    return bank


@pytest.mark.parametrize(
    "query, expected",
    [
        ("area={east}", {"P-A-1", "P-A-2"}),
        ("area={east_grid}", {"P-A-1"}),
        ("area={city}", {"P-A-1", "P-A-2", "P-B-1", "P-C-1"}),
        ("point_type={bank}", {"P-A-2", "P-C-1"}),
        ("responsible_unit={unit_a}", {"P-A-1"}),
        ("search=西华", {"P-B-1"}),
        ("search=P-A", {"P-A-1", "P-A-2"}),
        ("search=人民路", {"P-C-1"}),
        ("bbox=117.0,36.0,117.02,36.02", {"P-A-1"}),
        ("bbox=117.0,36.0,117.2,36.1", {"P-A-1", "P-A-2", "P-B-1"}),
        ("area={east}&point_type={bank}", {"P-A-2"}),
    ],
)
def test_point_filters(world, api, more_points, query, expected):
    query = query.format(
        east=world.east.pk,
        east_grid=world.east_grid.pk,
        city=world.city.pk,
        bank=more_points.pk,
        unit_a=world.unit_a.pk,
    )
    response = api(world.p.command).get(f"{V1}/points/?{query}")
    assert response.status_code == 200, response.json()
    assert {row["code"] for row in response.json()["results"]} == expected
    assert_matches_schema(response)


def test_point_bbox_in_gcj02(world, api):
    lo = geo.wgs84_to_gcj02(117.0, 36.0)
    hi = geo.wgs84_to_gcj02(117.02, 36.02)
    query = f"bbox={lo[0]},{lo[1]},{hi[0]},{hi[1]}&coord_system=gcj02"
    response = api(world.p.command).get(f"{V1}/points/?{query}")
    assert {row["code"] for row in response.json()["results"]} == {"P-A-1"}


@pytest.mark.parametrize(
    "query",
    ["bbox=1,2,3", "bbox=117.1,36,117.0,36.1", "bbox=a,b,c,d", "area=999999", "coord_system=utm"],
)
def test_bad_point_filters_are_validation_errors(world, api, query):
    response = api(world.p.command).get(f"{V1}/points/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert_matches_schema(response)


def test_outsider_cannot_filter_by_east_area(world, api):
    response = api(world.p.outsider).get(f"{V1}/points/?area={world.east.pk}")
    assert response.status_code == 400 and "area" in response.json()["details"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("kind=township", {"U-A", "U-B"}),
        ("parent={unit_a}", {"U-A1"}),
        ("area={east}", {"U-A", "U-A1"}),
        ("area={city}", {"U-CGJ", "U-A", "U-A1", "U-B"}),
        ("search=西华", {"U-B"}),
    ],
)
def test_unit_filters(world, api, query, expected):
    query = query.format(unit_a=world.unit_a.pk, east=world.east.pk, city=world.city.pk)
    response = api(world.p.command).get(f"{V1}/units/?{query}")
    assert response.status_code == 200, response.json()
    assert {row["code"] for row in response.json()["results"]} == expected


@pytest.mark.parametrize(
    "query, expected",
    [
        ("level=grid", {"370101001001001", "370102001001001"}),
        ("parent={city}", {"370101", "370102"}),
        ("within={east}", {"370101", "370101001", "370101001001", "370101001001001"}),
        ("search=西华", {"370102001", "370102001001", "370102001001001"}),
    ],
)
def test_area_filters(world, api, query, expected):
    query = query.format(city=world.city.pk, east=world.east.pk)
    response = api(world.p.command).get(f"{V1}/areas/?{query}")
    assert response.status_code == 200, response.json()
    assert {row["code"] for row in response.json()["results"]} == expected
    assert_matches_schema(response)


# --- area tree, children, detail, locate ------------------------------------------------


def test_area_tree_nests_scope(world, api):
    response = api(world.p.command).get(f"{V1}/areas/tree/")
    assert response.status_code == 200
    assert_matches_schema(response)
    (city,) = response.json()
    assert city["name"] == "示范市"
    assert [d["name"] for d in city["children"]] == ["东城区", "西城区"]
    grid = city["children"][0]["children"][0]["children"][0]["children"][0]
    assert grid["code"] == "370101001001001" and grid["children"] == []


def test_area_tree_roots_are_tops_of_jurisdiction(world, api):
    response = api(world.p.outsider).get(f"{V1}/areas/tree/")
    (west,) = response.json()
    assert west["name"] == "西城区" and west["parent"] == world.city.pk


def test_area_tree_root_and_max_level(world, api):
    client = api(world.p.command)
    response = client.get(f"{V1}/areas/tree/?root={world.east.pk}&max_level=street")
    (east,) = response.json()
    assert east["name"] == "东城区"
    assert [s["name"] for s in east["children"]] == ["东华街道"]
    assert east["children"][0]["children"] == []
    assert api(world.p.outsider).get(f"{V1}/areas/tree/?root={world.east.pk}").status_code == 404


def test_area_children(world, api):
    client = api(world.p.command)
    response = client.get(f"{V1}/areas/{world.city.pk}/children/")
    assert response.status_code == 200
    assert_matches_schema(response)
    assert [a["name"] for a in response.json()] == ["东城区", "西城区"]
    assert api(world.p.outsider).get(f"{V1}/areas/{world.east.pk}/children/").status_code == 404


def test_area_detail_has_boundary_ancestors_responsibilities(world, api):
    AreaResponsibility.objects.create(
        area=world.east_grid, kind="leader", user=world.p.leader, title="区长"
    )
    response = api(world.p.command).get(f"{V1}/areas/{world.east_grid.pk}/")
    body = response.json()
    assert body["boundary"]["type"] == "Polygon"
    assert [a["name"] for a in body["ancestors"]] == ["示范市", "东城区", "东华街道", "东华社区"]
    assert body["responsibilities"][0]["leader_name"] == "包片领导"
    list_row = api(world.p.command).get(f"{V1}/areas/?level=grid").json()["results"][0]
    assert "boundary" not in list_row


@pytest.mark.parametrize("system", ["wgs84", "gcj02", "bd09"])
def test_locate_grid_in_any_coord_system(world, api, system):
    wgs = (117.01, 36.01)
    lng, lat = geo.from_wgs84(*wgs, system)
    response = api(world.p.command).get(
        f"{V1}/areas/locate/", {"lng": lng, "lat": lat, "coord_system": system}
    )
    assert response.status_code == 200, response.json()
    assert_matches_schema(response)
    body = response.json()
    assert body["area"]["id"] == world.east_grid.pk
    assert body["lng"] == pytest.approx(wgs[0], abs=1e-6)
    assert [a["level"] for a in body["ancestors"]] == ["city", "district", "street", "community"]


def test_locate_other_level_and_failures(world, api):
    client = api(world.p.command)
    response = client.get(f"{V1}/areas/locate/", {"lng": 117.15, "lat": 36.08, "level": "district"})
    assert response.json()["area"]["id"] == world.west.pk
    nowhere = client.get(f"{V1}/areas/locate/", {"lng": 100.0, "lat": 30.0})
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "not_found"
    assert_matches_schema(nowhere)
    bad = client.get(f"{V1}/areas/locate/", {"lng": 200, "lat": 30, "coord_system": "x"})
    assert bad.status_code == 400
    assert set(bad.json()["details"]) == {"lng", "coord_system"}
    # The east grid exists, but not for the west district's dispatcher.
    outsider = api(world.p.outsider).get(f"{V1}/areas/locate/", {"lng": 117.01, "lat": 36.01})
    assert outsider.status_code == 404


# --- no N+1 -----------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow_registry(w, n: int) -> None:
    for i in range(n):
        unit = Unit.objects.create(
            name=f"单位{i}", code=f"U-X{i}", kind="enterprise", area=w.east_grid, parent=w.unit_a
        )
        Unit.objects.filter(pk=unit.pk).update(path=f"{w.unit_a.path}{unit.pk}/", depth=1)
        area = Area.objects.create(name=f"网格{i}", code=f"G{i}", level="grid", parent=w.east_comm)
        Area.objects.filter(pk=area.pk).update(path=f"{w.east_comm.path}{area.pk}/", depth=4)
        pt = PointType.objects.create(code=f"PT-X{i}", name=f"类型{i}", lead_unit=unit)
        Point.objects.create(
            code=f"P-X{i}", name=f"点位{i}", point_type=pt, area=area, responsible_unit=unit
        )
        AreaResponsibility.objects.create(area=area, kind="supporting_unit", unit=unit)
        AreaResponsibility.objects.create(area=area, kind="leader", user=w.p.leader)


@pytest.mark.parametrize(
    "url",
    [
        "points/",
        "units/",
        "areas/",
        "area-responsibilities/",
        "point-types/",
        "areas/tree/",
        "categories/",
    ],
)
def test_list_query_count_does_not_grow_with_rows(world, api, url):
    east_objects(world)  # at least one row of each, so the page query runs in both cases
    client = api(world.p.command)
    few = _count_queries(client, f"{V1}/{url}")
    _grow_registry(world, 25)
    many = _count_queries(client, f"{V1}/{url}")
    assert many == few
    assert many <= 5  # token, memberships, count, page (+ nothing per row)
