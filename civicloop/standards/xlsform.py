"""Check items from an XLSForm (the ODK/Kobo field-form standard offices already use).

pyxform reads and validates the form (survey/choices sheets → its JSON dict; the survey is
then built and rendered to XForm XML without the Java validator, which catches broken
references and structure). The subset that maps to check items is taken:

* `select_one` whose choices are yes/no-like (是/否, 达标/不达标, 合格/不合格, yes/no, with an
  optional 不适用) → a pass/fail item;
* `integer` → a count item (每处扣分 × count, up to 满分);
* `decimal` → a deduction item (points deducted, up to 满分);
* label → text, `hint` → guidance, name → code; optional extra survey columns
  `critical`/关键项, `category`/问题分类, `max_score`/满分, `deduction`/每处扣分,
  `indicator`/测评标准编码.

Everything else is REPORTED with the question name, type and reason, never dropped
silently: repeats (and the questions inside them), relevance logic on groups and
questions, constraints, calculate, geopoint/geotrace/geoshape, select_multiple, free
text, dates, media, notes, metadata fields, non-yes/no choice lists, non-required
questions (a check item is always answered).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from pyxform import builder, xls2json
from pyxform.errors import PyXFormError

from civicloop.core.errors import ImportFailed
from civicloop.core.xlsx import check_xlsx_bytes, norm_text
from civicloop.orgs.models import PointType
from civicloop.standards.models import Category, IndexSystem, Indicator, JudgeMode
from civicloop.standards.services.check_items import BulkResult, check_items_upsert, validate_item
from civicloop.standards.services.index_systems import require_editor

YES = {"yes", "y", "是", "达标", "合格", "pass", "通过", "符合", "有", "true", "1", "√"}
NO = {"no", "n", "否", "不达标", "不合格", "fail", "不通过", "不符合", "没有", "false", "0", "×"}
NA = {"na", "n/a", "不适用", "不涉及", "无此项", "免检", "notapplicable"}
TRUE_WORDS = {"yes", "true", "true()", "是", "y", "1", "√"}

EXTRA_COLUMNS = {
    "critical": ("critical", "关键项", "is_critical"),
    "category": ("category", "问题分类", "问题分类编码"),
    "max_score": ("max_score", "满分", "score", "分值"),
    "deduction": ("deduction", "每处扣分", "deduction_per_count"),
    "indicator": ("indicator", "测评标准编码", "测评标准"),
}
META_TYPES = {
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
    "background-audio",
}
TYPE_REASONS = {
    "calculate": "计算字段（calculate）不对应检查项",
    "geopoint": "位置题不单独导入：检查时自动记录位置",
    "geotrace": "轨迹题（geotrace）不支持",
    "geoshape": "区域题（geoshape）不支持",
    "select all that apply": "多选题（select_multiple）不能对应一个检查项",
    "text": "文本题不能判定达标与否",
    "note": "说明文字（note）没有答案，未导入",
    "photo": "照片题不单独导入：每个检查项都可上传照片",
    "image": "照片题不单独导入：每个检查项都可上传照片",
    "audio": "音频题不支持",
    "video": "视频题不支持",
    "file": "文件题不支持",
    "date": "日期题不能判定达标与否",
    "time": "时间题不能判定达标与否",
    "dateTime": "日期时间题不能判定达标与否",
    "barcode": "条码题不支持",
    "range": "范围题（range）不支持",
    "rank": "排序题（rank）不支持",
    "acknowledge": "确认题（acknowledge）不支持",
    "trigger": "确认题（trigger）不支持",
    "hidden": "隐藏字段不支持",
}


@dataclass
class Finding:
    name: str
    type: str
    reason: str
    row_label: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "type": self.type,
            "label": self.row_label,
            "reason": self.reason,
        }


@dataclass
class XLSFormResult:
    title: str
    form_id: str
    items: list[dict[str, Any]] = field(default_factory=list)
    unsupported: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    saved: BulkResult | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "form_id": self.form_id,
            "items": [
                {
                    "code": i["code"],
                    "text": i["text"],
                    "judge_mode": i["judge_mode"],
                    "max_score": str(i["max_score"]),
                    "deduction_per_count": None
                    if i["deduction_per_count"] is None
                    else str(i["deduction_per_count"]),
                    "is_critical": i["is_critical"],
                    "category": i["category"].code if i["category"] else None,
                    "guidance": i["guidance"],
                }
                for i in self.items
            ],
            "unsupported": [f.as_dict() for f in self.unsupported],
            "notes": [f.as_dict() for f in self.notes],
            "warnings": self.warnings,
            "saved": self.saved.as_dict() if self.saved else None,
        }


def _fail(message: str) -> ImportFailed:
    return ImportFailed(message, details=[{"row": 0, "column": "", "message": message}])


def _parse(source: str | IO[bytes]) -> tuple[dict[str, Any], list[str]]:
    """pyxform's JSON dict of the form, after building and rendering it (validation)."""
    if hasattr(source, "read"):
        source.seek(0)
        data = source.read()
    else:
        with open(source, "rb") as fh:
            data = fh.read()
    check_xlsx_bytes(data[:8])
    fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="xlsform-")
    warnings: list[str] = []
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            form = xls2json.parse_file_to_json(path, default_name="form", warnings=warnings)
            survey = builder.create_survey_element_from_dict(form)
            survey.to_xml(validate=False, warnings=warnings)
        except PyXFormError as exc:
            raise _fail(f"XLSForm 表单有误：{exc}") from exc
        except (KeyError, ValueError) as exc:  # openpyxl/pyxform on malformed sheets
            raise _fail(f"XLSForm 表单无法读取：{exc}") from exc
    finally:
        os.unlink(path)
    return form, warnings


def _label(value: Any) -> str:
    if isinstance(value, dict):
        for key, text in value.items():
            if "zh" in key.lower() or "chinese" in key.lower() or "中文" in key:
                return str(text).strip()
        return str(next(iter(value.values()), "")).strip()
    return str(value or "").strip()


def _extra(question: dict[str, Any], key: str) -> Any:
    for name in EXTRA_COLUMNS[key]:
        for candidate in (name, f"instance::{name}"):
            if question.get(candidate) not in (None, ""):
                return question[candidate]
    return None


def _choice_kind(choices: list[dict[str, Any]]) -> bool:
    """True when every choice is a yes, no or n/a word and both yes and no are present."""
    kinds = set()
    for choice in choices:
        words = {norm_text(choice.get("name", "")), norm_text(_label(choice.get("label", "")))}
        if words & YES:
            kinds.add("yes")
        elif words & NO:
            kinds.add("no")
        elif words & NA:
            kinds.add("na")
        else:
            return False
    return {"yes", "no"} <= kinds


class _Mapper:
    def __init__(
        self, result: XLSFormResult, point_type: PointType, system: IndexSystem | None
    ) -> None:
        self.result = result
        self.point_type = point_type
        self.categories = {c.code: c for c in Category.objects.all()}
        self.indicators = (
            {i.code: i for i in Indicator.objects.filter(system=system)} if system else {}
        )
        self.order = 0

    def walk(self, children: list[dict[str, Any]], path: str = "") -> None:
        for q in children:
            qtype = q.get("type", "")
            name = q.get("name", "")
            label = _label(q.get("label"))
            if qtype == "group":
                if name == "meta" and (q.get("control") or {}).get("bodyless"):
                    continue  # added by pyxform itself (instanceID), not by the author
                relevant = (q.get("bind") or {}).get("relevant")
                if relevant:
                    self._unsupported(
                        name,
                        "group",
                        label,
                        f"分组的显示条件（relevant: {relevant}）未导入，组内检查项将总是出现",
                    )
                self.walk(q.get("children", []), f"{path}{name}/")
                continue
            if qtype == "repeat":
                inner = [c.get("name", "") for c in q.get("children", [])]
                self._unsupported(
                    name,
                    "repeat",
                    label,
                    f"重复组（repeat）不支持，组内 {len(inner)} 个题目未导入：" + "、".join(inner),
                )
                continue
            self.question(q, qtype, name, label)

    def _unsupported(self, name: str, qtype: str, label: str, reason: str) -> None:
        self.result.unsupported.append(Finding(name, qtype, reason, label))

    def _note(self, name: str, qtype: str, label: str, reason: str) -> None:
        self.result.notes.append(Finding(name, qtype, reason, label))

    def question(self, q: dict[str, Any], qtype: str, name: str, label: str) -> None:
        if qtype in META_TYPES:
            self._unsupported(name, qtype, label, "元数据字段不对应检查项")
            return
        if qtype == "select one":
            if q.get("itemset", "").endswith((".csv", ".xml", ".geojson")) or not q.get("choices"):
                self._unsupported(name, qtype, label, "外部选项列表不支持")
                return
            if not _choice_kind(q.get("choices", [])):
                options = "、".join(
                    _label(c.get("label")) or c.get("name", "") for c in q.get("choices", [])
                )
                self._unsupported(
                    name,
                    "select_one",
                    label,
                    f"选项（{options}）不是“是/否（达标/不达标）”类，不能判定",
                )
                return
            mode = JudgeMode.PASS_FAIL
        elif qtype == "integer":
            mode = JudgeMode.COUNT
        elif qtype == "decimal":
            mode = JudgeMode.DEDUCTION
        else:
            self._unsupported(name, qtype, label, TYPE_REASONS.get(qtype, f"题型「{qtype}」不支持"))
            return
        self.map_item(q, mode, name, label)

    def map_item(self, q: dict[str, Any], mode: str, name: str, label: str) -> None:
        bind = q.get("bind") or {}
        if bind.get("relevant"):
            self._note(
                name,
                q["type"],
                label,
                f"显示条件（relevant: {bind['relevant']}）未导入，检查项将总是出现",
            )
        if bind.get("constraint"):
            self._note(
                name, q["type"], label, f"约束条件（constraint: {bind['constraint']}）未导入"
            )
        if str(bind.get("required", "")).strip().lower() not in TRUE_WORDS:
            self._note(name, q["type"], label, "原题非必答；导入后每次检查都须作答")
        if not label:
            self._unsupported(name, q["type"], label, "题目没有标签（label），无法作为检查内容")
            return
        problems: list[str] = []
        max_score = self._number(q, "max_score", Decimal(1), problems)
        per = None
        if mode == JudgeMode.COUNT:
            per = self._number(q, "deduction", Decimal(1), problems)
            if _extra(q, "deduction") is None:
                self._note(name, q["type"], label, f"未指定每处扣分，按 {per} 分计")
        category = None
        code = _extra(q, "category")
        if code is not None:
            category = self.categories.get(str(code).strip())
            if category is None:
                problems.append(f"未找到问题分类「{code}」")
        indicator = None
        ind_code = _extra(q, "indicator")
        if ind_code is not None:
            indicator = self.indicators.get(str(ind_code).strip())
            if indicator is None:
                problems.append(f"没有启用的测评体系包含测评标准编码「{ind_code}」")
        critical = str(_extra(q, "critical") or "").strip().lower() in TRUE_WORDS | {"关键"}
        self.order += 10
        item = {
            "point_type": self.point_type,
            "code": name[:64],
            "text": label,
            "judge_mode": mode,
            "max_score": max_score,
            "deduction_per_count": per,
            "is_critical": critical,
            "category": category,
            "indicator": indicator,
            "guidance": _label(q.get("hint")),
            "sort_order": self.order,
            "is_active": True,
        }
        for messages in validate_item(item).values():
            problems += messages
        if problems:
            self._unsupported(name, q["type"], label, "；".join(problems))
            return
        self.result.items.append(item)

    def _number(self, q, key: str, default: Decimal, problems: list[str]) -> Decimal:
        raw = _extra(q, key)
        if raw is None:
            return default
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            problems.append(f"{EXTRA_COLUMNS[key][1]}「{raw}」不是有效的数字")
            return default
        return value


def read_xlsform(
    source: str | IO[bytes], *, point_type: PointType, system: IndexSystem | None = None
) -> XLSFormResult:
    """Map an XLSForm to check items of `point_type` without writing anything."""
    form, warnings = _parse(source)
    result = XLSFormResult(
        title=str(form.get("title", "")), form_id=str(form.get("id_string", "")), warnings=warnings
    )
    if system is None:
        from civicloop.standards.checkitem_xlsx import default_system

        system = default_system()
    _Mapper(result, point_type, system).walk(form.get("children", []))
    return result


def import_xlsform(
    source: str | IO[bytes],
    *,
    user,
    point_type: PointType,
    system: IndexSystem | None = None,
    dry_run: bool = False,
) -> XLSFormResult:
    """Read, then (unless dry_run) upsert the mapped items; the report lists the rest."""
    require_editor(user)
    result = read_xlsform(source, point_type=point_type, system=system)
    if not result.items:
        raise ImportFailed(
            "表单中没有可导入为检查项的题目",
            details=[{"row": 0, "column": f.name, "message": f.reason} for f in result.unsupported],
        )
    if not dry_run:
        result.saved = check_items_upsert(
            user=user, rows=result.items, source=f"XLSForm {result.form_id}"
        )
    return result
