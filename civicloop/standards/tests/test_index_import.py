"""Index system import/export: merged cells, numbering, both layouts, errors, round trips."""

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook

from civicloop.core.errors import ImportFailed, NotPermitted, TransitionNotAllowed
from civicloop.standards import index_xlsx
from civicloop.standards.models import IndexSystem, IndexSystemStatus, Indicator
from civicloop.standards.services import index_systems as svc

pytestmark = pytest.mark.django_db

FLAT_HEADER = [
    "测评项目",
    "指标",
    "测评内容",
    "测评标准",
    "测评方法",
    "分值",
    "牵头单位",
    "配合单位",
    "主要领导",
    "分管领导",
    "直接领导",
    "适用点位类型",
    "负面清单",
]


def xlsx(rows, merges=(), title_rows=()):
    """An in-memory workbook: title rows, then `rows`; merges as 'A3:A5' strings."""
    wb = Workbook()
    ws = wb.active
    for row in title_rows:
        ws.append(row)
    for row in rows:
        ws.append(row)
    for rng in merges:
        ws.merge_cells(rng)
    buf = BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def office_table():
    """A flat sheet as offices keep it: title row, merged upper levels, numbering,
    a stray blank row, full-width spaces, several methods in a cell."""
    rows = [
        FLAT_HEADER,
        [
            "一、公共文明",
            "（一）文明交通",
            "1.机动车礼让斑马线",
            "①路口机动车礼让行人",
            "实地考察",
            2,
            "交警",
            "市城管局、东华街道办事处",
            "张市长",
            "李副市长",
            "王支队长",
            "",
            "",
        ],
        [
            None,
            None,
            None,
            "②无行人闯红灯　",
            "实地考察、问卷调查",
            "1.5",
            "交警",
            "",
            "",
            "",
            "",
            "",
            "否",
        ],
        [
            None,
            None,
            "2.公交站台整洁有序",
            "Ⅰ-1 站台无小广告",
            "实地考察/材料审核",
            1,
            "市城管局",
            "",
            "",
            "",
            "",
            "背街小巷",
            "",
        ],
        [None] * 13,
        [
            "二、城市环境",
            None,
            "1.背街小巷环境整洁",
            "（1）无暴露垃圾",
            "实地考察",
            3,
            "U-CGJ",
            "",
            "",
            "",
            "",
            "背街小巷、农贸市场",
            "是",
        ],
        [
            "二、城市环境",
            None,
            "1.背街小巷环境整洁",
            "（2）公益广告设置规范，数量充足",
            "实地考察",
            2,
            "市城管局",
            "",
            "",
            "",
            "",
            "PT-STREET",
            "",
        ],
    ]
    return xlsx(
        rows,
        merges=["A4:A6", "B4:B6", "C4:C5"],
        title_rows=[["全国文明城市测评体系（示范市细则）"], ["2025年版"]],
    )


@pytest.fixture
def traffic_unit(world):
    from civicloop.core import trees
    from civicloop.orgs.models import Unit, UnitKind

    unit = Unit.objects.create(
        name="市公安局交通警察支队",
        short_name="交警",
        code="U-JJ",
        kind=UnitKind.DEPARTMENT,
        area=world.city,
    )
    trees.assign_path(unit)
    return unit


def outline(system):
    """The tree as comparable tuples (DFS order), independent of database ids."""
    tree = svc.read_tree(system)
    return [
        (
            n.depth,
            n.level,
            n.code if tree.form == "code" else "",
            n.numbering,
            n.text,
            n.score,
            n.methods,
            n.lead_unit and n.lead_unit.code,
            [u.code for u in n.cooperating_units],
            n.principal_leader,
            n.deputy_leader,
            n.direct_leader,
            [t.code for t in n.point_types],
            n.is_negative,
            n.sort_order,
        )
        for n in tree.walk()
    ]


NEW = {"name": "测评体系", "code": "SYS-1", "kind": "civilised_city", "version": "2025版"}


def test_flat_office_table_is_parsed(world, traffic_unit):
    result = svc.index_system_import(user=world.p.command, source=office_table(), new_system=NEW)
    assert result.form == "flat" and result.nodes == 11
    nodes = {n.code: n for n in Indicator.objects.filter(system=result.system)}
    item = nodes["01"]
    assert (item.level, item.numbering, item.text) == ("item", "一、", "公共文明")
    assert nodes["01.01"].level == "indicator" and nodes["01.01"].numbering == "（一）"
    content = nodes["01.01.01"]
    assert (content.numbering, content.text) == ("1.", "机动车礼让斑马线")
    first, second = nodes["01.01.01.01"], nodes["01.01.01.02"]
    assert (first.numbering, first.text) == ("①", "路口机动车礼让行人")
    assert first.lead_unit == traffic_unit  # matched by short name
    assert set(first.cooperating_units.all()) == {world.cgj, world.unit_a}  # name / prefix
    assert (first.principal_leader, first.deputy_leader, first.direct_leader) == (
        "张市长",
        "李副市长",
        "王支队长",
    )
    assert second.text == "无行人闯红灯"  # full-width space stripped
    assert second.methods == ["field", "survey"] and second.score == Decimal("1.5")
    # The merged 测评内容 stopped at row 4: row 5 starts a new content under the same 指标.
    bus = nodes["01.01.02"]
    assert bus.text == "公交站台整洁有序"
    stop = nodes["01.01.02.01"]
    assert (stop.numbering, stop.text, stop.methods) == (
        "Ⅰ-1",
        "站台无小广告",
        ["field", "material"],
    )
    # No 指标 under 城市环境: contents hang directly under the item; repeated cells = one node.
    env = nodes["02"]
    assert nodes["02.01"].parent_id == env.pk and nodes["02.01"].level == "content"
    litter = nodes["02.01.01"]
    assert litter.is_negative and litter.lead_unit == world.cgj
    assert set(litter.point_types.all()) == {world.street_type, world.market}
    assert nodes["02.01.02"].numbering == "（2）"
    # Paths and depths are consistent with parents.
    for node in nodes.values():
        parent = nodes_by_pk(nodes).get(node.parent_id)
        assert node.path == (parent.path if parent else "/") + f"{node.pk}/"
        assert node.depth == node.path.count("/") - 2
    assert " 公益广告 " in nodes["02.01.02"].search_tokens


def nodes_by_pk(nodes):
    return {n.pk: n for n in nodes.values()}


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("一、公共文明", ("一、", "公共文明")),
        ("十二. 其他", ("十二.", "其他")),
        ("（三）窗口服务", ("（三）", "窗口服务")),
        ("(3) 窗口服务", ("(3)", "窗口服务")),
        ("1.机动车礼让", ("1.", "机动车礼让")),
        ("1、机动车礼让", ("1、", "机动车礼让")),
        ("2.3 公交站台", ("2.3", "公交站台")),
        ("１．全角编号", ("１．", "全角编号")),
        ("Ⅰ-1 站台", ("Ⅰ-1", "站台")),
        ("Ⅱ-3-2站台", ("Ⅱ-3-2", "站台")),
        ("③无乱停车", ("③", "无乱停车")),
        ("第一部分 基础设施", ("第一部分", "基础设施")),
        ("　无编号文字　", ("", "无编号文字")),
        ("1.5米以上盲道连续", ("", "1.5米以上盲道连续")),
        ("100%的社区建有站点", ("", "100%的社区建有站点")),
        ("12345热线", ("", "12345热线")),
    ],
)
def test_numbering_is_split_from_text(raw, expected):
    assert index_xlsx.split_numbering(raw) == expected


def test_flat_round_trip(world, traffic_unit):
    first = svc.index_system_import(
        user=world.p.command, source=office_table(), new_system=NEW
    ).system
    out = BytesIO()
    index_xlsx.write_flat(out, svc.read_tree(first), title="导出")
    second = svc.index_system_import(
        user=world.p.command, source=out, new_system={**NEW, "code": "SYS-2"}
    ).system
    assert outline(second) == outline(first)
    assert len(outline(first)) == 11


def test_code_form_round_trip_keeps_codes_and_upper_scores(world, traffic_unit):
    first = svc.index_system_import(
        user=world.p.command, source=office_table(), new_system=NEW
    ).system
    Indicator.objects.filter(system=first, code="01").update(score=10, weight=Decimal("0.3"))
    out = BytesIO()
    index_xlsx.write_code_form(out, svc.read_tree(first))
    second = svc.index_system_import(
        user=world.p.command, source=out, new_system={**NEW, "code": "SYS-2"}
    ).system
    assert outline(second) == outline(first)
    codes = [(n.code, n.score, n.weight) for n in Indicator.objects.filter(system=second, depth=0)]
    assert ("01", Decimal("10.00"), Decimal("0.3000")) in codes


def test_code_form_parents_may_follow_children(world):
    rows = [
        ["编码", "上级编码", "层级", "内容", "分值"],
        ["A1.1", "A1", "测评内容", "1.内容甲", 5],
        ["A1", "", "测评项目", "一、项目甲", ""],
        ["A1.1.1", "A1.1", "测评标准", "标准甲", 2],
    ]
    system = svc.index_system_import(user=world.p.command, source=xlsx(rows), new_system=NEW).system
    nodes = {n.code: n for n in Indicator.objects.filter(system=system)}
    assert nodes["A1.1"].parent_id == nodes["A1"].pk
    assert nodes["A1.1.1"].parent_id == nodes["A1.1"].pk
    assert (nodes["A1"].numbering, nodes["A1"].text) == ("一、", "项目甲")


def errors_of(excinfo):
    return {(d["row"], d["column"]): d["message"] for d in excinfo.value.details}


def test_bad_flat_rows_are_reported_and_nothing_is_written(world, traffic_unit):
    rows = [
        FLAT_HEADER,
        [None, None, "孤立内容", "标准", "实地考察", 1, "", "", "", "", "", "", ""],
        [
            "一、项目",
            None,
            "内容",
            "标准甲",
            "实地考察、飞行检查",
            "两分",
            "不存在的局",
            "市城管局、火星局",
            "",
            "",
            "",
            "月球点位",
            "也许",
        ],
        [
            "一、项目",
            None,
            "内容",
            "标准乙",
            "实地考察",
            -1,
            "市城管局、交警",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    ]
    before = (IndexSystem.objects.count(), Indicator.objects.count())
    with pytest.raises(ImportFailed) as excinfo:
        svc.index_system_import(user=world.p.command, source=xlsx(rows), new_system=NEW)
    found = errors_of(excinfo)
    assert "缺少上级" in found[(2, "测评内容")]
    assert "未知的测评方法「飞行检查」" in found[(3, "测评方法")]
    assert "不是有效的数字" in found[(3, "分值")]
    assert "未找到单位「不存在的局」" in found[(3, "牵头单位")]
    assert "未找到单位「火星局」" in found[(3, "配合单位")]
    assert "未找到点位类型「月球点位」" in found[(3, "适用点位类型")]
    assert "是" in found[(3, "负面清单")]
    assert "负数" in found[(4, "分值")]
    assert "只能填写一个单位" in found[(4, "牵头单位")]
    assert (IndexSystem.objects.count(), Indicator.objects.count()) == before


def test_bad_code_rows_are_reported(world):
    rows = [
        ["编码", "上级编码", "层级", "内容"],
        ["A", "", "测评项目", "项目"],
        ["A", "", "测评项目", "重复"],
        ["B", "X", "测评内容", "孤儿"],
        ["C", "", "测评标准", "没有上级的标准"],
        ["D", "E", "测评项目", "项目在内容之下"],
        ["E", "A", "测评内容", "内容"],
        ["F", "A", "第五级", "坏层级"],
        ["G", "A", "测评标准", ""],
    ]
    with pytest.raises(ImportFailed) as excinfo:
        svc.index_system_import(user=world.p.command, source=xlsx(rows), new_system=NEW)
    found = errors_of(excinfo)
    assert "重复（第 2 行已使用）" in found[(3, "编码")]
    assert "「X」在文件中不存在" in found[(4, "上级编码")]
    assert "只有测评项目可以没有上级编码" in found[(5, "上级编码")]
    assert "层级顺序错误" in found[(6, "层级")]
    assert "不是有效的层级" in found[(8, "层级")]
    assert "必填" in found[(9, "内容")]
    assert len(found) == 6
    assert not IndexSystem.objects.exists()


def test_a_file_without_header_is_refused(world):
    with pytest.raises(ImportFailed) as excinfo:
        svc.index_system_import(
            user=world.p.command, source=xlsx([["甲", "乙"], [1, 2]]), new_system=NEW
        )
    assert "未找到表头" in excinfo.value.message


def test_two_row_header_under_a_group_header(world):
    rows = [
        ["测评项目", "测评内容", "测评标准", "责任领导", None, None],
        [None, None, None, "主要领导", "分管领导", "直接领导"],
        ["项目", "内容", "标准", "甲", "乙", "丙"],
    ]
    system = svc.index_system_import(
        user=world.p.command,
        source=xlsx(rows, merges=["D1:F1", "A1:A2", "B1:B2", "C1:C2"]),
        new_system=NEW,
    ).system
    leaf = Indicator.objects.get(system=system, level="standard")
    assert (leaf.principal_leader, leaf.deputy_leader, leaf.direct_leader) == ("甲", "乙", "丙")


def test_replacing_a_draft_tree_keeps_check_item_links(world):
    from civicloop.standards.models import CheckItem

    rows = [FLAT_HEADER[:4], ["项目", "", "内容", "标准"]]
    system = svc.index_system_import(user=world.p.command, source=xlsx(rows), new_system=NEW).system
    leaf = Indicator.objects.get(system=system, level="standard")
    item = CheckItem.objects.create(point_type=world.market, code="C1", text="x", indicator=leaf)
    result = svc.index_system_import(user=world.p.command, source=xlsx(rows), system=system)
    item.refresh_from_db()
    assert result.relinked == 1
    assert item.indicator.code == leaf.code and item.indicator.pk != leaf.pk


def test_only_drafts_take_imports(world):
    system = svc.index_system_create(user=None, **NEW)
    svc.index_system_set_status(user=world.p.command, system=system, status="active")
    with pytest.raises(TransitionNotAllowed):
        svc.index_system_import(
            user=world.p.command, system=system, source=xlsx([FLAT_HEADER[:4], ["a", "", "b", "c"]])
        )


@pytest.mark.parametrize("persona", ["outsider", "leader", "inspector", "handler_a", "citizen"])
def test_only_city_command_imports(world, persona):
    with pytest.raises(NotPermitted):
        svc.index_system_import(
            user=getattr(world.p, persona), source=office_table(), new_system=NEW
        )
    assert not IndexSystem.objects.exists()


def test_copy_then_activate_moves_check_items(world, traffic_unit):
    from civicloop.standards.models import CheckItem

    old = svc.index_system_import(
        user=world.p.command, source=office_table(), new_system=NEW
    ).system
    svc.index_system_set_status(user=world.p.command, system=old, status="active")
    leaf = Indicator.objects.get(system=old, code="02.01.01")
    item = CheckItem.objects.create(point_type=world.market, code="C1", text="x", indicator=leaf)
    new = svc.index_system_copy(user=world.p.command, system=old, code="SYS-2026", version="2026版")
    assert new.status == IndexSystemStatus.DRAFT and new.based_on == old
    assert outline(new) == outline(old)
    assert set(Indicator.objects.get(system=new, code="02.01.01").point_types.all()) == {
        world.street_type,
        world.market,
    }
    item.refresh_from_db()
    assert item.indicator_id == leaf.pk  # the copy is a draft: links stay
    result = svc.index_system_set_status(user=world.p.command, system=new, status="active")
    assert result == {"archived": 1, "relinked": 1}
    old.refresh_from_db()
    item.refresh_from_db()
    assert old.status == IndexSystemStatus.ARCHIVED
    assert item.indicator.system_id == new.pk and item.indicator.code == "02.01.01"
    with pytest.raises(TransitionNotAllowed):
        svc.index_system_set_status(user=world.p.command, system=new, status="draft")
