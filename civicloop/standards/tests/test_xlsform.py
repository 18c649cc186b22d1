"""XLSForm → check items via pyxform: mapping and the report of what was not imported."""

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook

from civicloop.core.errors import ImportFailed, NotPermitted
from civicloop.standards.models import CheckItem, JudgeMode
from civicloop.standards.xlsform import import_xlsform, read_xlsform

pytestmark = pytest.mark.django_db

SURVEY_HEADER = [
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "calculation",
    "critical",
    "category",
    "max_score",
    "deduction",
]


def form(survey_rows, choices=None):
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(SURVEY_HEADER)
    for row in survey_rows:
        ws.append(row + [None] * (len(SURVEY_HEADER) - len(row)))
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label"])
    for row in choices or [
        ["yn", "yes", "是"],
        ["yn", "no", "否"],
        ["yn", "na", "不适用"],
        ["grade", "a", "优"],
        ["grade", "b", "良"],
        ["grade", "c", "差"],
    ]:
        ch.append(row)
    settings = wb.create_sheet("settings")
    settings.append(["form_title", "form_id"])
    settings.append(["农贸市场检查表", "market_check"])
    buf = BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


FULL = [
    [
        "select_one yn",
        "clean",
        "地面无垃圾",
        "重点看摊位下方",
        "yes",
        None,
        None,
        None,
        "yes",
        "0101",
        2,
    ],
    ["integer", "ads", "小广告数量", "逐处计数", "yes", None, ". >= 0", None, None, None, 3, 0.5],
    ["decimal", "deduct", "公示牌扣分", None, "no"],
    ["select_one grade", "grade", "总体评价", None, "yes"],
    ["begin_group", "g1", "消防", None, None, "${clean} = 'yes'"],
    ["select_one yn", "fire", "灭火器在有效期内", None, "yes", "${ads} > 0"],
    ["end_group"],
    ["begin_repeat", "stalls", "摊位"],
    ["select_one yn", "stall_ok", "摊位整洁", None, "yes"],
    ["text", "stall_note", "备注"],
    ["end_repeat"],
    ["calculate", "total", None, None, None, None, None, "${ads} * 2"],
    ["geopoint", "loc", "位置"],
    ["note", "intro", "请按顺序检查"],
    ["select_multiple yn", "multi", "多选"],
    ["start", "start"],
]


def test_mapping_and_report(world):
    result = import_xlsform(form(FULL), user=world.p.command, point_type=world.market)
    assert (result.title, result.form_id) == ("农贸市场检查表", "market_check")
    items = {i.code: i for i in CheckItem.objects.filter(point_type=world.market)}
    assert set(items) == {"clean", "ads", "deduct", "fire"}
    clean = items["clean"]
    assert (clean.judge_mode, clean.text, clean.guidance) == (
        JudgeMode.PASS_FAIL,
        "地面无垃圾",
        "重点看摊位下方",
    )
    assert clean.is_critical and clean.category == world.cat_litter
    assert clean.max_score == Decimal("2")
    ads = items["ads"]
    assert (ads.judge_mode, ads.max_score, ads.deduction_per_count) == (
        JudgeMode.COUNT,
        Decimal("3"),
        Decimal("0.5"),
    )
    assert items["deduct"].judge_mode == JudgeMode.DEDUCTION
    assert [
        i.code for i in CheckItem.objects.filter(point_type=world.market).order_by("sort_order")
    ] == ["clean", "ads", "deduct", "fire"]

    unsupported = {f.name: f for f in result.unsupported}
    assert set(unsupported) == {"grade", "g1", "stalls", "total", "loc", "intro", "multi", "start"}
    assert "优、良、差" in unsupported["grade"].reason
    assert "relevant" in unsupported["g1"].reason
    assert (
        "stall_ok" in unsupported["stalls"].reason and "stall_note" in unsupported["stalls"].reason
    )
    assert unsupported["total"].type == "calculate"
    assert "位置" in unsupported["loc"].reason
    notes = {(f.name, f.reason.split("（")[0]) for f in result.notes}
    assert ("fire", "显示条件") in notes
    assert ("ads", "约束条件") in notes
    assert ("deduct", "原题非必答；导入后每次检查都须作答") in notes
    assert result.saved.created == 4


def test_reimport_updates_by_name(world):
    import_xlsform(form(FULL[:1]), user=world.p.command, point_type=world.market)
    changed = [["select_one yn", "clean", "地面无垃圾、无积水", None, "yes"]]
    result = import_xlsform(form(changed), user=world.p.command, point_type=world.market)
    assert result.saved.updated == 1 and result.saved.created == 0
    assert CheckItem.objects.get(code="clean").text == "地面无垃圾、无积水"


def test_dry_run_writes_nothing(world):
    result = read_xlsform(form(FULL), point_type=world.market)
    assert len(result.items) == 4
    assert not CheckItem.objects.exists()


def test_invalid_xlsform_is_refused_by_pyxform(world):
    broken = [["select_one missing_list", "q", "问题"]]
    with pytest.raises(ImportFailed) as exc:
        import_xlsform(form(broken), user=world.p.command, point_type=world.market)
    assert "XLSForm" in exc.value.message
    assert not CheckItem.objects.exists()


def test_form_with_nothing_mappable(world):
    with pytest.raises(ImportFailed) as exc:
        import_xlsform(form([["text", "t", "备注"]]), user=world.p.command, point_type=world.market)
    assert exc.value.details[0]["column"] == "t"


def test_bad_extra_columns_are_reported_not_imported(world):
    rows = [
        ["select_one yn", "q1", "问题一", None, "yes", None, None, None, None, "404404"],
        ["select_one yn", "q2", "问题二", None, "yes"],
    ]
    result = import_xlsform(form(rows), user=world.p.command, point_type=world.market)
    assert [f.name for f in result.unsupported] == ["q1"]
    assert "未找到问题分类「404404」" in result.unsupported[0].reason
    assert list(CheckItem.objects.values_list("code", flat=True)) == ["q2"]


def test_non_command_cannot_import(world):
    with pytest.raises(NotPermitted):
        import_xlsform(form(FULL), user=world.p.handler_a, point_type=world.market)
    assert not CheckItem.objects.exists()
