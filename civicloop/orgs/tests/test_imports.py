"""Excel import/export of the registry: every kind, every error, round trips, permissions."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from civicloop.accounts.models import Membership, Role, User
from civicloop.core import geo, trees
from civicloop.core.errors import ImportFailed, NotPermitted
from civicloop.core.models import AuditEvent
from civicloop.orgs import exports
from civicloop.orgs.imports import (
    AREAS,
    POINT_TYPES,
    POINTS,
    UNITS,
    import_areas,
    import_point_types,
    import_points,
    import_registry,
    import_units,
    kinds,
)
from civicloop.orgs.models import Area, AreaLevel, Point, PointType, Unit

KINDS = ["areas", "units", "point_types", "points", "users"]


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def xlsx(headers: list, rows: list[list], title: str = "Sheet") -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "test.xlsx"
    return buf


def sheet(spec, rows: list[dict]) -> io.BytesIO:
    """A file in the spec's column order; dict keys are column keys."""
    headers = [c.header for c in spec.columns]
    return xlsx(headers, [[r.get(c.key) for c in spec.columns] for r in rows], spec.title)


def errors_of(exc_info) -> set[tuple[int, str]]:
    return {(d["row"], d["column"]) for d in exc_info.value.details}


def messages_of(exc_info) -> str:
    return "\n".join(d["message"] for d in exc_info.value.details)


def snapshot() -> dict:
    """Everything an import could touch, to prove that nothing was written."""
    return {
        "areas": list(Area.objects.order_by("pk").values()),
        "units": list(Unit.objects.order_by("pk").values()),
        "types": list(PointType.objects.order_by("pk").values()),
        "points": list(Point.objects.order_by("pk").values()),
        "users": list(
            User.objects.order_by("pk").values(
                "pk", "username", "display_name", "phone", "password"
            )
        ),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "audit": AuditEvent.objects.count(),
    }


def assert_paths_correct(model) -> None:
    for node in model.objects.select_related("parent"):
        expected = trees.path_for(node)
        assert node.path == expected, node
        assert node.depth == expected.count("/") - 2


# --- Templates ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_template_has_headers_notes_and_dropdowns(kind, tmp_path):
    out = tmp_path / "t.xlsx"
    exports.write_template(kind, str(out))
    wb = load_workbook(out)
    spec = kinds()[kind].spec
    ws = wb[spec.title]
    assert [c.value for c in ws[1]] == [c.header for c in spec.columns]
    assert ws.max_row == 1
    assert "说明" in wb.sheetnames
    notes = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    for col in spec.columns:
        assert col.header in notes
    choice_cols = [c for c in spec.columns if c.choices]
    assert len(ws.data_validations.dataValidation) == len(choice_cols)
    formulas = " ".join(dv.formula1 for dv in ws.data_validations.dataValidation)
    for col in choice_cols:
        assert col.choice_labels[0] in formulas


# --- Areas ----------------------------------------------------------------------------


def test_areas_import_children_before_parents_and_paths(world):
    boundary = json.dumps(
        {
            "type": "Polygon",
            "coordinates": [[[117.0, 36.0], [117.02, 36.0], [117.02, 36.02], [117.0, 36.0]]],
        }
    )
    f = sheet(
        AREAS,
        [
            {
                "code": "370101002001001",
                "name": "新村第一网格",
                "level": "网格",
                "parent": "370101002001",
                "boundary": boundary,
            },
            {"code": "370101002001", "name": "新村社区", "level": "社区/村", "parent": "370101002"},
            {"code": "370101002", "name": "新华街道", "level": "街道", "parent": "370101"},
        ],
    )
    result = import_areas(f, user=world.p.command)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    grid = Area.objects.get(code="370101002001001")
    assert grid.level == AreaLevel.GRID
    assert grid.parent.code == "370101002001"
    assert grid.parent.parent.parent == world.east
    assert (grid.min_lng, grid.min_lat, grid.max_lng, grid.max_lat) == (117.0, 36.0, 117.02, 36.02)
    assert_paths_correct(Area)
    event = AuditEvent.objects.get(action="registry.import")
    assert event.actor == world.p.command
    assert event.data["created"] == 3 and event.data["kind"] == "areas"


def test_area_move_updates_whole_subtree_paths(world):
    # Move the east street (with its community and grid) under the west district.
    f = sheet(
        AREAS, [{"code": "370101001", "name": "东华街道", "level": "street", "parent": "370102"}]
    )
    result = import_areas(f)
    assert result.updated == 1
    world.east_grid.refresh_from_db()
    assert world.east_grid.path.startswith(world.west.path)
    assert_paths_correct(Area)


def test_area_errors_every_row_and_column_nothing_written(world):
    before = snapshot()
    f = sheet(
        AREAS,
        [
            {"code": "A1", "name": "甲", "level": "street", "parent": "NOPE"},  # 2 unknown parent
            {"code": "A1", "name": "甲2", "level": "street", "parent": "370101"},  # 3 duplicate
            {"code": "A3", "name": "乙", "level": "镇级", "parent": "370101"},  # 4 bad level
            {
                "code": "12345",
                "name": "丙",
                "level": "grid",
                "parent": "370101001001",
            },  # 5 grid code
            {"code": "A5", "name": "", "level": "street", "parent": "370101"},  # 6 missing name
            {
                "code": "A6",
                "name": "丁",
                "level": "district",
                "parent": "370101001",
            },  # 7 level order
            {
                "code": "A7",
                "name": "戊",
                "level": "street",
                "parent": "370101",
                "boundary": "{not json",
            },  # 8 bad JSON
            {
                "code": "A8",
                "name": "己",
                "level": "street",
                "parent": "370101",
                "boundary": json.dumps({"type": "Point", "coordinates": [1, 2]}),
            },  # 9 not a polygon
            {
                "code": "370101001001002",
                "name": "庚",
                "level": "grid",
                "parent": "370102001001",
            },  # 10 grid code does not start with community code
            {"code": "A10", "name": "辛", "level": "street", "parent": "A10"},  # 11 self parent
        ],
    )
    with pytest.raises(ImportFailed) as exc:
        import_areas(f, user=world.p.command)
    assert errors_of(exc) == {
        (2, "上级区域编码"),
        (3, "区域编码"),
        (4, "层级"),
        (5, "区域编码"),
        (6, "区域名称"),
        (7, "层级"),
        (8, "边界GeoJSON"),
        (9, "边界GeoJSON"),
        (10, "区域编码"),
        (11, "上级区域编码"),
    }
    text = messages_of(exc)
    assert "上级区域「NOPE」不存在" in text
    assert "在文件中重复（与第 2 行相同）" in text
    assert "15位数字" in text and "必填项不能为空" in text
    assert snapshot() == before


def test_area_cycle_is_reported(world):
    f = sheet(
        AREAS,
        [
            {"code": "C1", "name": "一", "level": "street", "parent": "C2"},
            {"code": "C2", "name": "二", "level": "street", "parent": "C1"},
        ],
    )
    with pytest.raises(ImportFailed) as exc:
        import_areas(f)
    assert (2, "上级区域编码") in errors_of(exc)
    assert "循环" in messages_of(exc)
    assert not Area.objects.filter(code__in=["C1", "C2"]).exists()


def test_area_create_mode_refuses_existing_code(world):
    f = sheet(
        AREAS, [{"code": "370101", "name": "东城区", "level": "district", "parent": "370100"}]
    )
    with pytest.raises(ImportFailed) as exc:
        import_areas(f, mode="create")
    assert errors_of(exc) == {(2, "区域编码")}
    assert "已存在于系统中" in messages_of(exc)


def test_area_outside_jurisdiction_is_an_error(world):
    # outsider = command of the west district only
    f = sheet(
        AREAS,
        [
            {"code": "370101009", "name": "越界街道", "level": "street", "parent": "370101"},
            {"code": "370101001", "name": "改名", "level": "street", "parent": "370101"},
        ],
    )
    with pytest.raises(ImportFailed) as exc:
        import_areas(f, user=world.p.outsider)
    assert errors_of(exc) == {(2, "上级区域编码"), (3, "区域编码")}
    assert "不在您的管辖范围内" in messages_of(exc)
    assert Area.objects.get(code="370101001").name == "东华街道"


# --- Units ----------------------------------------------------------------------------


def test_units_import_parent_later_in_file(world):
    f = sheet(
        UNITS,
        [
            {
                "code": "U-NEW-1",
                "name": "东华社区二居",
                "kind": "社区/村",
                "parent": "U-NEW",
                "area": "370101001001",
                "contact_phone": 13800138000,
            },
            {
                "code": "U-NEW",
                "name": "东城区城管分局",
                "kind": "department",
                "parent": "U-CGJ",
                "area": "370101",
                "contact_phone": "0531-88886666",
                "submission_needs_leader_approval": "是",
                "is_active": "否",
            },
        ],
    )
    result = import_units(f, user=world.p.command)
    assert result.created == 2
    child = Unit.objects.get(code="U-NEW-1")
    assert child.parent.code == "U-NEW" and child.parent.parent == world.cgj
    assert child.contact_phone == "13800138000"  # a number cell becomes text
    parent = Unit.objects.get(code="U-NEW")
    assert parent.submission_needs_leader_approval is True and parent.is_active is False
    assert_paths_correct(Unit)


def test_unit_errors_nothing_written(world):
    before = snapshot()
    f = sheet(
        UNITS,
        [
            {"code": "X1", "name": "甲", "kind": "部门", "area": "999999"},  # unknown area
            {"code": "X2", "name": "乙", "kind": "部门", "area": "370101", "parent": "NOPE"},
            {"code": "X3", "name": "丙", "kind": "机关", "area": "370101"},  # bad kind
            {
                "code": "X4",
                "name": "丁",
                "kind": "部门",
                "area": "370101",
                "contact_phone": "12ab",
            },  # bad phone
            {
                "code": "U-A",
                "name": "东华街道办事处",
                "kind": "township",
                "area": "370101001",
                "parent": "U-A1",
            },  # cycle: U-A1's parent is U-A
            {"code": "X 6", "name": "戊", "kind": "部门", "area": "370101"},  # space in code
            {"code": "X7", "name": "己", "kind": "部门", "area": "370101", "sort_order": "第一"},
        ],
    )
    with pytest.raises(ImportFailed) as exc:
        import_units(f, user=world.p.command)
    assert errors_of(exc) == {
        (2, "所属区域编码"),
        (3, "上级单位编码"),
        (4, "单位类型"),
        (5, "联系电话"),
        (6, "上级单位编码"),
        (7, "单位编码"),
        (8, "排序"),
    }
    assert "U-A → U-A1 → U-A" in messages_of(exc)
    assert snapshot() == before


def test_unit_in_other_district_is_refused_for_outsider(world):
    f = sheet(
        UNITS,
        [
            {"code": "U-A", "name": "改名", "kind": "township", "area": "370101001"},
            {"code": "U-W", "name": "西城新单位", "kind": "department", "area": "370102"},
        ],
    )
    with pytest.raises(ImportFailed) as exc:
        import_units(f, user=world.p.outsider)
    assert errors_of(exc) == {(2, "单位编码"), (2, "所属区域编码")}
    assert not Unit.objects.filter(code="U-W").exists()


# --- Point types ----------------------------------------------------------------------


def test_point_types_import_and_errors(world):
    f = sheet(
        POINT_TYPES,
        [
            {"code": "PT-BANK", "name": "银行网点", "group": "窗口单位", "lead_unit": "U-CGJ"},
            {"code": "PT-MARKET", "name": "农贸市场（改）", "sort_order": 3},
        ],
    )
    result = import_point_types(f, user=world.p.command)
    assert (result.created, result.updated) == (1, 1)
    assert PointType.objects.get(code="PT-BANK").lead_unit == world.cgj
    market = PointType.objects.get(code="PT-MARKET")
    assert market.name == "农贸市场（改）" and market.lead_unit is None

    before = snapshot()
    bad = sheet(
        POINT_TYPES,
        [
            {"code": "PT-X", "name": "背街小巷"},  # name already used by PT-STREET
            {"code": "PT-Y", "name": "学校", "lead_unit": "NOPE"},  # unknown unit
            {"code": "PT-Z", "name": "学校"},  # duplicate name in file
        ],
    )
    with pytest.raises(ImportFailed) as exc:
        import_point_types(bad, user=world.p.command)
    assert errors_of(exc) == {(2, "类型名称"), (3, "行业牵头单位编码"), (4, "类型名称")}
    assert "已被类型编码「PT-STREET」使用" in messages_of(exc)
    assert snapshot() == before


def test_non_command_may_not_import(world):
    f = sheet(POINT_TYPES, [{"code": "PT-X", "name": "X"}])
    for persona in (world.p.inspector, world.p.handler_a, world.p.leader, world.p.citizen):
        with pytest.raises(NotPermitted):
            import_point_types(f, user=persona)
    assert not PointType.objects.filter(code="PT-X").exists()


# --- Points ---------------------------------------------------------------------------


def test_points_import_converts_coordinates(world):
    gcj = geo.wgs84_to_gcj02(117.02, 36.02)
    bd = geo.gcj02_to_bd09(*geo.wgs84_to_gcj02(117.03, 36.03))
    f = sheet(
        POINTS,
        [
            {
                "code": "P-N1",
                "name": "新市场",
                "point_type": "农贸市场",
                "area": "370101001001001",
                "responsible_unit": "U-A",
                "lng": gcj[0],
                "lat": gcj[1],
                "coord_system": "GCJ-02",
            },
            {
                "code": "P-N2",
                "name": "新巷",
                "point_type": "PT-STREET",
                "area": "370101001001001",
                "responsible_unit": "U-A1",
                "lng": bd[0],
                "lat": bd[1],
                "coord_system": "百度",
                "person_phone": "13912345678",
            },
            {
                "code": "P-N3",
                "name": "无坐标",
                "point_type": "PT-STREET",
                "area": "370101001",
                "responsible_unit": "U-A",
            },
            {
                "code": "P-A-1",
                "name": "东华农贸市场（更新）",
                "point_type": "PT-MARKET",
                "area": "370101001001001",
                "responsible_unit": "U-A",
                "lng": 117.01,
                "lat": 36.01,
            },
        ],
    )
    result = import_points(f, user=world.p.command)
    assert (result.created, result.updated) == (3, 1)
    p1, p2, p3 = (Point.objects.get(code=c) for c in ("P-N1", "P-N2", "P-N3"))
    assert p1.point_type == world.market
    assert p1.lng == pytest.approx(117.02, abs=1e-6) and p1.lat == pytest.approx(36.02, abs=1e-6)
    assert p2.lng == pytest.approx(117.03, abs=1e-5) and p2.lat == pytest.approx(36.03, abs=1e-5)
    assert p3.lng is None and p3.lat is None and p3.is_active
    world.point_a.refresh_from_db()
    assert world.point_a.name == "东华农贸市场（更新）"
    assert world.point_a.address == ""  # blank cell clears the field on update


def test_point_errors_every_row_and_column_nothing_written(world):
    before = snapshot()
    base = {
        "name": "点",
        "point_type": "PT-MARKET",
        "area": "370101001001001",
        "responsible_unit": "U-A",
    }
    f = sheet(
        POINTS,
        [
            {**base, "code": "E1", "point_type": "菜场"},  # 2 unknown type
            {**base, "code": "E2", "area": "000"},  # 3 unknown area
            {**base, "code": "E3", "responsible_unit": "U-ZZZ"},  # 4 unknown unit
            {**base, "code": "E4", "lng": 117.0},  # 5 lat missing
            {**base, "code": "E5", "lng": 36.01, "lat": 117.01},  # 6 swapped: lat out of range
            {**base, "code": "E6", "lng": 2.35, "lat": 48.85},  # 7 outside China
            {**base, "code": "E7", "lng": "东经117", "lat": 36.0},  # 8 not a number
            {**base, "code": "E8", "lng": 117.0, "lat": 36.0, "coord_system": "北京54"},  # 9
            {**base, "code": "E1"},  # 10 duplicate code in file
            {**base, "code": "E10", "person_phone": "call me"},  # 11 bad phone
            {**base, "code": "", "name": ""},  # 12 missing code and name
        ],
    )
    with pytest.raises(ImportFailed) as exc:
        import_points(f, user=world.p.command)
    assert errors_of(exc) == {
        (2, "点位类型"),
        (3, "所属区域编码"),
        (4, "责任单位编码"),
        (5, "纬度"),
        (6, "纬度"),
        (7, "经度"),
        (8, "经度"),
        (9, "坐标系"),
        (10, "点位编码"),
        (11, "责任人电话"),
        (12, "点位编码"),
        (12, "点位名称"),
    }
    text = messages_of(exc)
    assert "点位类型「菜场」不存在" in text and "不在中国境内" in text
    assert "与第 2 行相同" in text
    assert exc.value.message.startswith("导入失败：11 行共 12 处错误")
    assert snapshot() == before


def test_points_outside_jurisdiction(world):
    f = sheet(
        POINTS,
        [
            {
                "code": "P-A-1",
                "name": "东华农贸市场",
                "point_type": "PT-MARKET",
                "area": "370102001001001",
                "responsible_unit": "U-A",
            },  # existing east point
            {
                "code": "P-W-9",
                "name": "西城新点",
                "point_type": "PT-MARKET",
                "area": "370101001001001",
                "responsible_unit": "U-B",
            },  # new, in the east
        ],
    )
    with pytest.raises(ImportFailed) as exc:
        import_points(f, user=world.p.outsider)
    assert errors_of(exc) == {(2, "点位编码"), (3, "所属区域编码")}


def test_many_points_use_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    rows = [
        {
            "code": f"P-BULK-{i:05d}",
            "name": f"点位{i}",
            "point_type": "PT-STREET",
            "area": "370101001001001",
            "responsible_unit": "U-A",
            "lng": 117.0 + i / 1e5,
            "lat": 36.0 + i / 1e5,
        }
        for i in range(3000)
    ]
    f = sheet(POINTS, rows)
    # SQLite caps bound parameters per INSERT (~70 points each): ~45 batched inserts plus a
    # handful of lookups, against 3 000+ queries for a row-by-row import.
    with django_assert_max_num_queries(70):
        result = import_points(f, user=world.p.command)
    assert result.created == 3000
    assert Point.objects.filter(code__startswith="P-BULK-").count() == 3000
    with django_assert_max_num_queries(20):
        again = import_points(sheet(POINTS, rows), user=world.p.command)
    assert again.unchanged == 3000


# --- Users ----------------------------------------------------------------------------


def _users_file(rows: list[dict]) -> io.BytesIO:
    from civicloop.accounts.imports import USERS

    return sheet(USERS, rows)


def test_users_import_with_generated_and_given_passwords(world):
    f = _users_file(
        [
            {
                "username": "zhang3",
                "display_name": "张三",
                "phone": "138 0013 8001",
                "role": "督查员",
                "area": "370101",
            },
            {
                "username": "zhang3",
                "display_name": "张三",
                "role": "grid_worker",
                "area": "370101001001001",
            },
            {
                "username": "li4",
                "display_name": "李四",
                "role": "单位经办人",
                "unit": "U-A",
                "title": "联络员",
                "password": "Civic-loop-2026",
            },
            {
                "username": "handler_a",
                "display_name": "东华经办人",
                "role": "unit_leader",
                "unit": "U-A1",
            },
        ]
    )
    result = import_registry("users", f, user=world.p.command)
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    assert result.extra["memberships_added"] == 4
    z = User.objects.get(username="zhang3")
    assert z.phone == "13800138001"
    assert set(z.memberships.values_list("role", flat=True)) == {Role.INSPECTOR, Role.GRID_WORKER}
    [(username, password)] = result.passwords
    assert username == "zhang3" and z.check_password(password)
    assert User.objects.get(username="li4").check_password("Civic-loop-2026")
    assert Membership.objects.get(user__username="li4").title == "联络员"
    assert world.p.handler_a.memberships.count() == 2


def test_user_errors_nothing_written(world):
    before = snapshot()
    f = _users_file(
        [
            {
                "username": "u1",
                "display_name": "甲",
                "phone": "12345",
                "role": "督查员",
                "area": "370101",
            },  # 2 bad phone
            {"username": "u2", "display_name": "乙", "role": "单位经办人"},  # 3 unit missing
            {"username": "u3", "display_name": "丙", "role": "督查员", "area": "999"},  # 4
            {"username": "u4", "display_name": "丁", "role": "超级管理员", "area": "370101"},  # 5
            {
                "username": "u5",
                "display_name": "戊",
                "role": "督查员",
                "area": "370101",
                "password": "123",
            },  # 6 weak password
            {"username": "u 6", "display_name": "己", "role": "督查员", "area": "370101"},  # 7
            {
                "username": "u7",
                "display_name": "庚",
                "role": "单位经办人",
                "unit": "U-A",
                "area": "370101",
            },  # 8 area given for a unit role
            {
                "username": "u1",
                "display_name": "另一个名字",
                "role": "网格员",
                "area": "370101001001001",
            },  # 9 contradicts row 2
            {"username": "u8", "display_name": "辛", "role": "市民"},  # 10 citizen not importable
        ]
    )
    with pytest.raises(ImportFailed) as exc:
        import_registry("users", f, user=world.p.command)
    assert errors_of(exc) == {
        (2, "手机号"),
        (3, "单位编码"),
        (4, "区域编码"),
        (5, "角色"),
        (6, "初始密码"),
        (7, "用户名"),
        (8, "区域编码"),
        (9, "姓名"),
        (10, "角色"),
    }
    assert snapshot() == before


def test_user_outside_jurisdiction(world):
    f = _users_file(
        [
            {"username": "handler_a", "display_name": "改名", "role": "单位经办人", "unit": "U-A"},
            {"username": "new_w", "display_name": "新", "role": "督查员", "area": "370101"},
        ]
    )
    with pytest.raises(ImportFailed) as exc:
        import_registry("users", f, user=world.p.outsider)
    assert errors_of(exc) == {(2, "用户名"), (2, "单位编码"), (3, "区域编码")}


# --- Files and headers ----------------------------------------------------------------


def test_header_matching_is_tolerant(world):
    headers = [
        "点位编码",
        "点位 名称",
        "\u3000点位类型*",
        "所属区域编码（必填）",
        "责任单位编码",
        "无关列",
    ]
    f = xlsx(headers, [["P-T1", "宽容表头", "PT-STREET", "370101001001001", "U-A", "x"]])
    assert import_points(f).created == 1
    assert Point.objects.get(code="P-T1").name == "宽容表头"


def test_missing_headers_are_listed(world):
    f = xlsx(["点位编码", "地址"], [["P-1", "某路"]])
    with pytest.raises(ImportFailed) as exc:
        import_points(f)
    assert "点位名称" in exc.value.message and "责任单位编码" in exc.value.message
    assert {d["column"] for d in exc.value.details} == {
        "点位名称",
        "点位类型",
        "所属区域编码",
        "责任单位编码",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件为空"),
        (b"code,name\n1,2\n", "不是有效的 Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
        (b"PK\x03\x04garbage", "已损坏"),
    ],
)
def test_bad_files_get_chinese_messages(world, content, message):
    with pytest.raises(ImportFailed) as exc:
        import_points(io.BytesIO(content))
    assert message in exc.value.message


def test_header_only_file_has_no_data_rows(world):
    with pytest.raises(ImportFailed) as exc:
        import_points(sheet(POINTS, []))
    assert "没有数据行" in exc.value.message


# --- Round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_export_import_round_trip_changes_nothing(world, kind):
    world.point_a.person_phone = "0531-12345678"
    # A converted coordinate has 17 significant digits; Excel keeps fewer.
    world.point_a.lng, world.point_a.lat = geo.to_wgs84(117.0123456789, 36.0123456789, geo.GCJ02)
    world.point_a.save()
    buf = io.BytesIO()
    written = exports.export_registry(kind, buf)
    assert written > 0
    before = snapshot()
    result = import_registry(kind, buf)
    assert result.created == 0 and result.updated == 0 and result.unchanged > 0
    after = snapshot()
    after["audit"] -= 1  # the import's own audit row
    assert after == before


@pytest.mark.parametrize("kind", KINDS)
def test_scoped_export_round_trip_for_district_command(world, kind):
    """A district office can re-import its own export, parents outside its district and all."""
    buf = io.BytesIO()
    exports.export_registry(kind, buf, user=world.p.outsider)
    wb = load_workbook(buf)
    codes = {row[0] for row in wb.worksheets[0].iter_rows(min_row=2, values_only=True)}
    if kind == "areas":
        assert "370101" not in codes and "370102" in codes
    if kind == "points":
        assert codes == {"P-B-1"}
    if kind == "users":
        assert "handler_a" not in codes and "outsider" in codes
    buf.seek(0)
    result = import_registry(kind, buf, user=world.p.outsider)
    assert result.created == 0 and result.updated == 0


def test_edited_export_updates_only_changed_rows(world):
    buf = io.BytesIO()
    exports.export_registry("points", buf)
    wb = load_workbook(buf)
    ws = wb["点位"]
    ws["B2"] = "东华农贸市场（新名）"
    out = io.BytesIO()
    wb.save(out)
    result = import_points(out)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    world.point_a.refresh_from_db()
    assert world.point_a.name == "东华农贸市场（新名）"
    assert world.point_a.lng == 117.01


# --- Management commands --------------------------------------------------------------


def test_management_commands(world, tmp_path, capsys):
    template = tmp_path / "tpl.xlsx"
    call_command("import_registry", "点位类型", str(template), "--template")
    assert load_workbook(template)["点位类型"]["A1"].value == "类型编码"

    good = tmp_path / "good.xlsx"
    good.write_bytes(sheet(POINT_TYPES, [{"code": "PT-SCH", "name": "校园周边"}]).getvalue())
    call_command("import_registry", "point_types", str(good), "--user", "command")
    assert "新增 1 条" in capsys.readouterr().out
    assert PointType.objects.filter(code="PT-SCH").exists()

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        sheet(
            POINT_TYPES,
            [{"code": "PT-B1", "name": "甲", "lead_unit": "NO"}, {"code": "PT-B2", "name": ""}],
        ).getvalue()
    )
    with pytest.raises(CommandError):
        call_command("import_registry", "point_types", str(bad))
    err = capsys.readouterr().err
    assert "第 2 行「行业牵头单位编码」列：单位「NO」不存在" in err
    assert "第 3 行「类型名称」列：必填项不能为空" in err
    assert not PointType.objects.filter(code__startswith="PT-B").exists()

    with pytest.raises(CommandError, match="不存在或已停用"):
        call_command("import_registry", "points", str(good), "--user", "nobody")
    with pytest.raises(CommandError, match="未知的数据类型"):
        call_command("export_registry", "things", str(tmp_path / "x.xlsx"))

    out = tmp_path / "areas.xlsx"
    call_command("export_registry", "areas", str(out), "--user", "outsider")
    rows = list(load_workbook(out)["区域"].iter_rows(min_row=2, values_only=True))
    assert {r[0] for r in rows} == {
        a.code for a in Area.objects.filter(path__startswith=world.west.path)
    }


def test_management_import_prints_generated_passwords(world, tmp_path, capsys):
    path = tmp_path / "users.xlsx"
    path.write_bytes(
        _users_file(
            [{"username": "wang5", "display_name": "王五", "role": "leader", "area": "370100"}]
        ).getvalue()
    )
    call_command("import_registry", "users", str(path))
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "wang5" in line)
    assert User.objects.get(username="wang5").check_password(line.split()[-1])


# --- Web pages ------------------------------------------------------------------------


def _upload(content: bytes | io.BytesIO, name: str = "data.xlsx") -> SimpleUploadedFile:
    data = content.getvalue() if isinstance(content, io.BytesIO) else content
    return SimpleUploadedFile(name, data)


def test_import_pages_for_command(client, world):
    client.force_login(world.p.command)
    assert client.get(reverse("orgs:import_index")).status_code == 200
    page = client.get(reverse("orgs:import_page", args=["points"]))
    assert page.status_code == 200 and "下载模板" in page.content.decode()

    tpl = client.get(reverse("orgs:template_download", args=["units"]))
    assert tpl.status_code == 200
    assert tpl["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(b"".join(tpl.streaming_content)))
    assert wb["单位"]["A1"].value == "单位编码"

    exp = client.get(reverse("orgs:export_download", args=["points"]))
    wb = load_workbook(io.BytesIO(b"".join(exp.streaming_content)))
    assert {r[0] for r in wb["点位"].iter_rows(min_row=2, values_only=True)} == {"P-A-1", "P-B-1"}
    assert client.get(reverse("orgs:import_page", args=["things"])).status_code == 404


def test_web_import_success_and_error_report(client, world):
    client.force_login(world.p.command)
    url = reverse("orgs:import_page", args=["point_types"])
    ok = client.post(
        url,
        {
            "file": _upload(sheet(POINT_TYPES, [{"code": "PT-WEB", "name": "网页导入"}])),
            "mode": "upsert",
        },
    )
    assert ok.status_code == 200
    assert "新增 <strong>1</strong> 条" in ok.content.decode()

    before = snapshot()
    bad = client.post(
        url,
        {
            "file": _upload(
                sheet(
                    POINT_TYPES,
                    [
                        {"code": "PT-W2", "name": "甲", "lead_unit": "NOPE"},
                        {"code": "PT-W3", "name": ""},
                    ],
                )
            ),
            "mode": "upsert",
        },
    )
    html = bad.content.decode()
    assert bad.status_code == 400
    assert "没有写入任何数据" in html and 'id="import-errors"' in html
    assert "第 2 行" in html and "行业牵头单位编码" in html and "单位「NOPE」不存在" in html
    assert "第 3 行" in html and "必填项不能为空" in html
    assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("data.csv", b"a,b", "只支持 .xlsx"),
        ("old.xls", b"\xd0\xcf\x11\xe0", ".xls"),
        ("empty.xlsx", b"", "为空"),
    ],
)
def test_web_upload_type_and_size_errors(client, world, name, content, message):
    client.force_login(world.p.command)
    response = client.post(
        reverse("orgs:import_page", args=["points"]), {"file": _upload(content, name)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()


def test_web_missing_headers_listed(client, world):
    client.force_login(world.p.command)
    response = client.post(
        reverse("orgs:import_page", args=["units"]),
        {"file": _upload(xlsx(["单位编码", "联系人"], [["U-1", "甲"]]))},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "表头缺少必填列" in html and "单位名称" in html and "所属区域编码" in html


def test_web_users_import_shows_generated_password_once(client, world):
    client.force_login(world.p.command)
    response = client.post(
        reverse("orgs:import_page", args=["users"]),
        {
            "file": _upload(
                _users_file(
                    [
                        {
                            "username": "zhao6",
                            "display_name": "赵六",
                            "role": "督查员",
                            "area": "370101",
                        }
                    ]
                )
            )
        },
    )
    assert response.status_code == 200
    assert 'id="generated-passwords"' in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("persona", ["inspector", "handler_a", "leader", "citizen"])
def test_non_command_users_get_403_and_nothing_changes(client, world, persona):
    client.force_login(getattr(world.p, persona))
    before = snapshot()
    assert client.get(reverse("orgs:import_index")).status_code == 403
    assert client.get(reverse("orgs:import_page", args=["points"])).status_code == 403
    assert client.get(reverse("orgs:template_download", args=["points"])).status_code == 403
    assert client.get(reverse("orgs:export_download", args=["users"])).status_code == 403
    response = client.post(
        reverse("orgs:import_page", args=["point_types"]),
        {"file": _upload(sheet(POINT_TYPES, [{"code": "PT-HACK", "name": "入侵"}]))},
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("orgs:import_page", args=["points"]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_write_conflict_becomes_import_failed_and_rolls_back(world, monkeypatch):
    from django.db import IntegrityError

    from civicloop.orgs import imports as imports_module

    def clash(*args, **kwargs):
        raise IntegrityError("UNIQUE constraint failed: orgs_point.code")

    monkeypatch.setattr(imports_module, "update_rows", clash)
    before = snapshot()
    f = sheet(
        POINTS,
        [
            {
                "code": "P-NEW",
                "name": "新点",
                "point_type": "PT-STREET",
                "area": "370101001001001",
                "responsible_unit": "U-A",
            },
            {
                "code": "P-A-1",
                "name": "改名触发更新",
                "point_type": "PT-MARKET",
                "area": "370101001001001",
                "responsible_unit": "U-A",
            },
        ],
    )
    with pytest.raises(ImportFailed, match="数据冲突"):
        import_points(f)
    assert snapshot() == before  # the new point created before the clash was rolled back
