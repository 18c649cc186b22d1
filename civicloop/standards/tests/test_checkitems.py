"""Check items: service validation, ordering, XLSX import/export, permissions."""

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from civicloop.core.errors import ImportFailed, NotPermitted, ValidationFailed
from civicloop.standards import checkitem_xlsx
from civicloop.standards.models import CheckItem, IndexSystemStatus, Indicator
from civicloop.standards.services import check_items as svc
from civicloop.standards.services import index_systems

pytestmark = pytest.mark.django_db

HEADER = [c.header for c in checkitem_xlsx.SPEC.columns]


def sheet(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row + [None] * (len(HEADER) - len(row)))
    buf = BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


@pytest.fixture
def system(world):
    sysm = index_systems.index_system_create(
        user=None, name="体系", code="S1", kind="civilised_city", version="v1"
    )
    root = Indicator.objects.create(system=sysm, level="item", code="01", text="城市环境")
    std = Indicator.objects.create(
        system=sysm, level="standard", code="01.01", text="无暴露垃圾", parent=root
    )
    index_systems.index_system_set_status(user=None, system=sysm, status=IndexSystemStatus.ACTIVE)
    return std


def test_create_validates_and_orders(world):
    c = world.p.command
    first = svc.check_item_create(
        user=c, point_type=world.market, code="M1", text="地面干净", category=world.cat_litter
    )
    second = svc.check_item_create(user=c, point_type=world.market, code="M2", text="公平秤")
    assert (first.sort_order, second.sort_order) == (10, 20)
    with pytest.raises(ValidationFailed) as exc:
        svc.check_item_create(
            user=c,
            point_type=world.market,
            code="M3",
            text="x",
            judge_mode="count",
            max_score=Decimal(0),
            category=world.cat_env,
        )
    assert set(exc.value.details) == {"max_score", "deduction_per_count", "category"}
    with pytest.raises(ValidationFailed):
        svc.check_item_create(user=c, point_type=world.market, code="M1", text="dup")
    svc.check_item_move(user=c, item=second, direction="up")
    assert list(
        CheckItem.objects.filter(point_type=world.market)
        .order_by("sort_order")
        .values_list("code", flat=True)
    ) == ["M2", "M1"]
    svc.check_item_update(user=c, item=first, is_critical=True, text="地面无垃圾")
    first.refresh_from_db()
    assert first.is_critical and first.text == "地面无垃圾"
    svc.check_item_delete(user=c, item=first)
    assert not CheckItem.objects.filter(code="M1").exists()


@pytest.mark.parametrize("persona", ["outsider", "leader", "inspector", "handler_a", "citizen"])
def test_non_command_cannot_write(world, persona):
    user = getattr(world.p, persona)
    item = CheckItem.objects.create(point_type=world.market, code="M1", text="x")
    with pytest.raises(NotPermitted):
        svc.check_item_create(user=user, point_type=world.market, code="M2", text="y")
    with pytest.raises(NotPermitted):
        svc.check_item_update(user=user, item=item, text="z")
    with pytest.raises(NotPermitted):
        svc.check_item_delete(user=user, item=item)
    item.refresh_from_db()
    assert item.text == "x" and CheckItem.objects.count() == 1


def test_xlsx_import_upserts_and_links(world, system):
    rows = [
        [
            "农贸市场",
            "M1",
            "地面无垃圾",
            "达标/不达标",
            2,
            None,
            "是",
            "0101",
            None,
            "01.01",
            "看地面",
        ],
        ["PT-STREET", "S1", "小广告", "计数", 3, 0.5, "否", None, "S1", "01.01"],
    ]
    result = checkitem_xlsx.import_check_items(sheet(rows), user=world.p.command)
    assert (result.created, result.updated) == (2, 0)
    m1 = CheckItem.objects.get(code="M1")
    assert m1.is_critical and m1.category == world.cat_litter and m1.indicator == system
    assert m1.max_score == Decimal("2.00") and m1.guidance == "看地面"
    s1 = CheckItem.objects.get(code="S1")
    assert (s1.judge_mode, s1.deduction_per_count) == ("count", Decimal("0.50"))
    rows[0][2] = "地面无垃圾、无积水"
    again = checkitem_xlsx.import_check_items(sheet(rows), user=world.p.command)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)


def test_xlsx_round_trip(world, system):
    svc.check_item_create(
        user=None,
        point_type=world.market,
        code="M1",
        text="地面",
        judge_mode="deduction",
        max_score=Decimal("3"),
        is_critical=True,
        category=world.cat_litter,
        indicator=system,
        guidance="看",
    )
    svc.check_item_create(
        user=None,
        point_type=world.street_type,
        code="S1",
        text="广告",
        judge_mode="count",
        max_score=Decimal("2"),
        deduction_per_count=Decimal("0.5"),
    )
    fields = [
        "point_type_id",
        "code",
        "text",
        "judge_mode",
        "max_score",
        "deduction_per_count",
        "is_critical",
        "category_id",
        "indicator_id",
        "guidance",
        "sort_order",
        "is_active",
    ]
    before = list(CheckItem.objects.order_by("code").values(*fields))
    out = BytesIO()
    assert checkitem_xlsx.export_check_items(out) == 2
    CheckItem.objects.all().delete()
    out.seek(0)
    checkitem_xlsx.import_check_items(out, user=world.p.command)
    assert list(CheckItem.objects.order_by("code").values(*fields)) == before


def test_bad_rows_are_reported_and_nothing_written(world, system):
    rows = [
        ["月球", "X1", "a"],
        ["农贸市场", "M1", "b", "扣分", 0],
        ["农贸市场", "M2", "c", "计数", 2, None, None, "01"],
        ["农贸市场", "M3", "d", None, None, None, "也许", "9999", "NOPE", "01.01"],
        ["农贸市场", "M4", "e", None, None, None, None, None, None, "99.99"],
        ["农贸市场", "M4", "f"],
        ["农贸市场", None, ""],
    ]
    with pytest.raises(ImportFailed) as exc:
        checkitem_xlsx.import_check_items(sheet(rows), user=world.p.command)
    found = {(d["row"], d["column"]): d["message"] for d in exc.value.details}
    assert "未找到点位类型「月球」" in found[(2, "点位类型")]
    assert "满分必须大于 0" in found[(3, "满分")]
    assert "每处扣分" in found[(4, "每处扣分")]
    assert "大类" in found[(4, "问题分类编码")]
    assert (5, "关键项") in found
    assert "未找到问题分类「9999」" in found[(5, "问题分类编码")]
    assert "未找到测评体系「NOPE」" in found[(5, "测评体系编码")]
    assert "没有编码「99.99」" in found[(6, "测评标准编码")]
    assert "与第 6 行重复" in found[(7, "检查项编码")]
    assert "必填" in found[(8, "检查项编码")] and "必填" in found[(8, "检查内容")]
    assert not CheckItem.objects.exists()


def test_template_has_headers_and_notes(tmp_path):
    path = tmp_path / "t.xlsx"
    checkitem_xlsx.write_template(str(path))
    wb = load_workbook(path)
    assert [c.value for c in wb["检查项"][1]] == HEADER
    assert "说明" in wb.sheetnames
