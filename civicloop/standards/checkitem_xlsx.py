"""Check items (检查项) in and out of Excel, on the shared civicloop.core.xlsx helpers.

One sheet, one row per check item, matched by (点位类型, 检查项编码): a new pair creates an
item, a known pair updates it, items not in the file are left alone. All-or-nothing with a
row/column error report. The export has the same layout, so it can be edited and imported
again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import IO, Any

from civicloop.core.errors import ValidationFailed
from civicloop.core.xlsx import (
    Column,
    ErrorList,
    Row,
    SheetSpec,
    norm_text,
    read_rows,
    write_workbook,
)
from civicloop.orgs.models import PointType
from civicloop.standards.models import (
    Category,
    CheckItem,
    IndexSystem,
    IndexSystemStatus,
    Indicator,
    JudgeMode,
)
from civicloop.standards.services.check_items import BulkResult, check_items_upsert, validate_item
from civicloop.standards.services.index_systems import require_editor

SPEC = SheetSpec(
    kind="check_items",
    title="检查项",
    columns=(
        Column(
            "point_type", "点位类型", True, note="点位类型名称或编码，如 农贸市场 / PT01", width=14
        ),
        Column(
            "code",
            "检查项编码",
            True,
            kind="code",
            max_length=64,
            note="同一点位类型下唯一",
            width=14,
        ),
        Column("text", "检查内容", True, kind="text", width=40),
        Column(
            "judge_mode",
            "判定方式",
            kind="choice",
            choices=tuple(JudgeMode.choices),
            aliases={
                "达标": "pass_fail",
                "是否达标": "pass_fail",
                "合格": "pass_fail",
                "扣分": "deduction",
                "计数": "count",
                "计数扣分": "count",
            },
            note="留空为“达标/不达标”",
            width=14,
        ),
        Column("max_score", "满分", kind="float", note="大于 0，留空为 1", width=8),
        Column("deduction_per_count", "每处扣分", kind="float", note="计数扣分时必填", width=8),
        Column("is_critical", "关键项", kind="bool", note="“是”表示不达标则点位不合格", width=8),
        Column(
            "category",
            "问题分类编码",
            kind="code",
            note="小类编码，如 0101；不达标时按此分类立案",
            width=12,
        ),
        Column("system", "测评体系编码", kind="code", note="留空为当前启用的测评体系", width=14),
        Column(
            "indicator", "测评标准编码", kind="code", note="对应测评标准的编码，可留空", width=14
        ),
        Column("guidance", "检查指引", kind="text", width=40),
        Column("sort_order", "排序", kind="int", width=6),
        Column("is_active", "启用", kind="bool", note="留空为“是”", width=6),
    ),
    notes=(
        "第 1 行为表头，请勿修改；从第 2 行开始每行填写一个检查项。红色表头为必填列。",
        "按“点位类型 + 检查项编码”匹配：已存在的更新，不存在的新增；文件中没有的检查项不会被删除。",
        "导入是“全部成功或全部不写入”的：只要有一处错误，就不会写入任何数据，并列出所有出错的行和列。",
    ),
)
_FIELD_COLUMNS = {
    "code": "检查项编码",
    "text": "检查内容",
    "judge_mode": "判定方式",
    "max_score": "满分",
    "deduction_per_count": "每处扣分",
    "category": "问题分类编码",
    "point_type": "点位类型",
}


def default_system() -> IndexSystem | None:
    """The index system check items link to when a row names none: the newest active one
    (a civilised-city system first)."""
    active = IndexSystem.objects.filter(status=IndexSystemStatus.ACTIVE)
    return (
        active.filter(kind="civilised_city").order_by("-year", "-pk").first()
        or active.order_by("-year", "-pk").first()
    )


class _Lookups:
    def __init__(self, system: IndexSystem | None) -> None:
        self.types: dict[str, PointType] = {}
        for pt in PointType.objects.all():
            self.types[norm_text(pt.code)] = pt
            self.types[norm_text(pt.name)] = pt
        self.categories = {c.code: c for c in Category.objects.all()}
        self.systems = {s.code: s for s in IndexSystem.objects.all()}
        self.default = system
        self._indicators: dict[int, dict[str, Indicator]] = {}

    def indicator(self, system: IndexSystem, code: str) -> Indicator | None:
        if system.pk not in self._indicators:
            self._indicators[system.pk] = {
                i.code: i
                for i in Indicator.objects.filter(system=system).only("pk", "code", "system_id")
            }
        return self._indicators[system.pk].get(code)


def read_check_items(
    source: str | IO[bytes], *, system: IndexSystem | None = None
) -> list[dict[str, Any]]:
    """Validated row dicts ready for check_items_upsert; ImportFailed listing every error."""
    errors = ErrorList()
    rows = read_rows(source, SPEC, errors)
    lookups = _Lookups(system if system is not None else default_system())
    seen: dict[tuple[int, str], int] = {}
    result = []
    for row in rows:
        point_type = lookups.types.get(norm_text(row.get("point_type") or ""))
        code = row.get("code")
        if point_type is not None and code:
            key = (point_type.pk, code)
            if key in seen:
                errors.add(
                    row.number,
                    "检查项编码",
                    f"与第 {seen[key]} 行重复（同一点位类型下编码「{code}」）",
                )
                continue
            seen[key] = row.number
        data = _row_values(row, lookups, errors)
        if data is not None:
            result.append(data)
    errors.raise_if_any()
    return result


def _row_values(row: Row, lookups: _Lookups, errors: ErrorList) -> dict[str, Any] | None:
    bad_before = len(errors)
    data: dict[str, Any] = {"code": row.get("code"), "text": row.get("text")}
    pt_name = row.get("point_type")
    data["point_type"] = lookups.types.get(norm_text(pt_name)) if pt_name else None
    if pt_name and data["point_type"] is None:
        errors.add(row.number, "点位类型", f"未找到点位类型「{pt_name}」")
    data["judge_mode"] = row.get("judge_mode", JudgeMode.PASS_FAIL)
    data["max_score"] = _decimal(row.get("max_score", 1))
    data["deduction_per_count"] = _decimal(row.get("deduction_per_count"))
    data["is_critical"] = row.get("is_critical", False)
    data["is_active"] = row.get("is_active", True)
    data["guidance"] = row.get("guidance", "")
    if row.has("sort_order"):
        data["sort_order"] = row.get("sort_order")
    code = row.get("category")
    data["category"] = lookups.categories.get(code) if code else None
    if code and data["category"] is None:
        errors.add(row.number, "问题分类编码", f"未找到问题分类「{code}」")
    data["indicator"] = _indicator(row, lookups, errors)
    if len(errors) > bad_before or row.bad:
        return None
    for key, messages in validate_item(data).items():
        if key == "point_type" and not pt_name:
            continue  # already reported as a blank required cell
        for message in messages:
            errors.add(row.number, _FIELD_COLUMNS.get(key, key), message)
    return None if len(errors) > bad_before else data


def _indicator(row: Row, lookups: _Lookups, errors: ErrorList) -> Indicator | None:
    code = row.get("indicator")
    system_code = row.get("system")
    system = lookups.systems.get(system_code) if system_code else lookups.default
    if system_code and system is None:
        errors.add(row.number, "测评体系编码", f"未找到测评体系「{system_code}」")
        return None
    if not code:
        return None
    if system is None:
        errors.add(row.number, "测评标准编码", "没有启用的测评体系，请在“测评体系编码”列注明体系")
        return None
    found = lookups.indicator(system, code)
    if found is None:
        errors.add(row.number, "测评标准编码", f"测评体系「{system.code}」中没有编码「{code}」")
    return found


def _decimal(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(round(value, 2)))


def import_check_items(
    source: str | IO[bytes], *, user, system: IndexSystem | None = None
) -> BulkResult:
    require_editor(user)
    rows = read_check_items(source, system=system)
    if not rows:
        raise ValidationFailed("文件中没有检查项")
    return check_items_upsert(user=user, rows=rows, source="Excel导入")


def export_rows(items) -> list[dict[str, Any]]:
    return [
        {
            "point_type": item.point_type.code,
            "code": item.code,
            "text": item.text,
            "judge_mode": item.judge_mode,
            "max_score": float(item.max_score),
            "deduction_per_count": float(item.deduction_per_count)
            if item.deduction_per_count is not None
            else None,
            "is_critical": item.is_critical,
            "category": item.category.code if item.category_id else None,
            "system": item.indicator.system.code if item.indicator_id else None,
            "indicator": item.indicator.code if item.indicator_id else None,
            "guidance": item.guidance,
            "sort_order": item.sort_order,
            "is_active": item.is_active,
        }
        for item in items
    ]


def export_check_items(out: str | IO[bytes], items=None) -> int:
    """Write check items (all by default) in the import layout; returns rows written."""
    if items is None:
        items = CheckItem.objects.select_related(
            "point_type", "category", "indicator__system"
        ).order_by("point_type__sort_order", "point_type__code", "sort_order", "code")
    return write_workbook(out, SPEC, export_rows(items))


def write_template(out: str | IO[bytes]) -> None:
    write_workbook(out, SPEC, [])
