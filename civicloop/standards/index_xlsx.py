"""Index systems (测评体系) in and out of Excel, the way campaign offices keep them.

Two layouts are read, recognised by their header row:

* **Flat form** (the usual office table): one row per 测评标准, the upper levels
  (测评项目 | 指标 | 测评内容) in merged cells or repeated on every row, then 测评方法,
  分值, 牵头单位, 配合单位, the three leaders, 适用点位类型, 负面清单. Title rows may stand
  above the header, the header may span two rows (e.g. 责任领导 over 主要/分管/直接领导),
  blank rows and full-width spaces are tolerated, and Chinese numbering (一、 1. （1） Ⅰ-1 ①)
  is split from the text into `numbering`. A blank upper-level cell means "same as the row
  above" unless a higher level changed on this row, in which case that level is skipped
  (tables without a 指标 column or level simply have no such nodes). The row's own
  attributes (score, methods, units…) belong to the deepest node the row names. Codes are
  generated from positions: 01, 01.02, 01.02.03…
* **Code form**: 编码 | 上级编码 | 层级 | 序号 | 内容 | … one row per node, every level.

Parsing is all-or-nothing: every problem is collected as a row/column error
(civicloop.core.xlsx.ErrorList) and nothing is returned when there is one.

Both layouts are written back: the flat form with merged upper-level cells under a title
row, the code form as a plain table. Exporting then importing gives the same tree (the
flat form carries attributes of the leaf rows only; upper-level scores travel in the code
form).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from civicloop.core.errors import ImportFailed
from civicloop.core.xlsx import (
    CellError,
    Column,
    ErrorList,
    check_xlsx_bytes,
    norm_header,
    norm_text,
)
from civicloop.orgs.models import PointType, Unit
from civicloop.standards.models import INDICATOR_LEVEL_ORDER, IndicatorLevel, Method

LEVELS: list[str] = [level.value for level in INDICATOR_LEVEL_ORDER]
LEVEL_LABELS = dict(IndicatorLevel.choices)
HEADER_SCAN_ROWS = 30
MAX_NODES = 20_000

# --- Numbering ----------------------------------------------------------------------------

_CN_NUM = "一二三四五六七八九十百零〇"
_ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ"
_DIGIT = "0-9０-９"
_NUMBERING_RES = [
    # 第一部分 / 第三项
    re.compile(rf"^第[{_CN_NUM}{_DIGIT}]+[部分项条章节类]+[、.．:：]?"),
    # 一、  一.
    re.compile(rf"^[{_CN_NUM}]+[、.．]"),
    # （1） (一) 【1】
    re.compile(rf"^[（(【\[][{_CN_NUM}{_DIGIT}]+[)）】\]][、.．]?"),
    # Ⅰ-1  Ⅱ-3-2  Ⅲ
    re.compile(rf"^[{_ROMAN}]+(?:[-－—][{_DIGIT}]+)*[、.．]?"),
    # ① ⑳
    re.compile(r"^[\u2460-\u2473\u3251-\u325f][、.．]?"),
    # 1、 1. 1.2. 1.2.3 1) A1.
    re.compile(
        rf"^[{_DIGIT}]{{1,3}}(?:[.．][{_DIGIT}]{{1,3}})*(?:[、)）]|[.．](?![{_DIGIT}])|(?=\s))"
    ),
]


def clean_text(value: Any) -> str:
    """Cell text with full-width/no-break spaces folded and whitespace runs collapsed."""
    if value is None:
        return ""
    text = str(value).replace("\u3000", " ").replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip()


def split_numbering(value: Any) -> tuple[str, str]:
    """("一、", "公共文明") from "一、公共文明"; ("", text) when there is no numbering."""
    text = clean_text(value)
    for pattern in _NUMBERING_RES:
        match = pattern.match(text)
        if match:
            rest = text[match.end() :].lstrip(" 、.．:：")
            if rest:  # a cell holding only a number is text, not numbering
                return match.group(0).strip(), rest
    return "", text


def join_numbering(numbering: str, text: str) -> str:
    if not numbering:
        return text
    if numbering[-1] in "、.．)）】]":
        return f"{numbering}{text}"
    return f"{numbering} {text}"


# --- Specs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A column: its key, the header written on export, and other headers accepted."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    kind: str = "str"
    width: int = 14

    @property
    def names(self) -> set[str]:
        return {norm_header(h) for h in (self.header, *self.aliases)}


LEVEL_FIELDS = (
    Field("item", "测评项目", ("项目", "一级指标", "测评类别"), width=16),
    Field("indicator", "指标", ("测评指标", "二级指标"), width=16),
    Field("content", "测评内容", ("内容", "三级指标"), width=30),
    Field("standard", "测评标准", ("标准", "测评要求", "四级指标"), width=50),
)
ATTR_FIELDS = (
    Field("methods", "测评方法", ("测评方式", "考核方式", "方法"), width=12),
    Field("score", "分值", ("分数", "标准分", "标准分值", "权重分"), kind="decimal", width=8),
    Field("weight", "权重", ("权重系数",), kind="decimal", width=8),
    Field("lead_unit", "牵头单位", ("牵头部门", "责任单位", "主责单位"), width=20),
    Field("cooperating_units", "配合单位", ("配合部门", "协同单位", "协办单位"), width=24),
    Field("principal_leader", "主要领导", ("主要负责领导",), width=10),
    Field("deputy_leader", "分管领导", ("分管负责领导",), width=10),
    Field("direct_leader", "直接领导", ("直接负责领导", "直接责任人"), width=10),
    Field("point_types", "适用点位类型", ("点位类型", "适用点位"), width=20),
    Field("is_negative", "负面清单", ("是否负面清单", "负面清单项"), kind="bool", width=8),
)
CODE_FIELDS = (
    Field("code", "编码", ("指标编码", "代码"), kind="code", width=14),
    Field("parent_code", "上级编码", ("父级编码", "上级代码"), kind="code", width=14),
    Field("level", "层级", ("级别", "指标层级"), kind="level", width=10),
    Field("numbering", "序号", ("原始序号", "编号"), width=8),
    Field("text", "内容", ("名称", "指标内容", "文本"), width=50),
    Field("sort_order", "排序", (), kind="int", width=6),
)
FLAT_FIELDS = LEVEL_FIELDS + ATTR_FIELDS
CODE_FORM_FIELDS = CODE_FIELDS + ATTR_FIELDS

_LEVEL_ALIASES = {
    "item": ("测评项目", "项目", "一级", "1"),
    "indicator": ("指标", "测评指标", "二级", "2"),
    "content": ("测评内容", "内容", "三级", "3"),
    "standard": ("测评标准", "标准", "四级", "4"),
}
_METHOD_ALIASES = {
    Method.FIELD: ("实地考察", "实地测评", "实地察看", "实地检查", "实地", "暗访", "明察暗访"),
    Method.SURVEY: ("问卷调查", "问卷", "入户调查", "电话调查", "调查"),
    Method.ONLINE: ("网上申报", "网报", "网上报送", "网络申报", "网上填报"),
    Method.MATERIAL: ("材料审核", "材料", "资料审核", "资料", "材料审查", "台账审核"),
    Method.DATA: ("数据监测", "数据", "数据采集", "监测"),
}
_SPLIT_RE = re.compile(r"[、，,；;/／|｜\n\r\t ]+|\s+")
_BOOL = Column("b", "负面清单", kind="bool")
_CODE = Column("c", "编码", kind="code", max_length=64)
_INT = Column("i", "排序", kind="int")


# --- Parsed tree --------------------------------------------------------------------------


@dataclass
class NodeSpec:
    """One node before it is written (or after it is read back for export/copy)."""

    level: str
    text: str
    code: str = ""
    numbering: str = ""
    row: int = 0
    parent: NodeSpec | None = None
    score: Decimal | None = None
    weight: Decimal | None = None
    methods: list[str] = field(default_factory=list)
    lead_unit: Unit | None = None
    cooperating_units: list[Unit] = field(default_factory=list)
    principal_leader: str = ""
    deputy_leader: str = ""
    direct_leader: str = ""
    point_types: list[PointType] = field(default_factory=list)
    is_negative: bool = False
    sort_order: int = 0
    children: list[NodeSpec] = field(default_factory=list, repr=False)
    parent_code: str = ""  # code form, before parents are resolved

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth + 1


@dataclass
class ParsedTree:
    form: str  # "flat" or "code"
    roots: list[NodeSpec]
    header_row: int = 1

    def walk(self) -> Iterable[NodeSpec]:
        """Depth-first, parents before children, siblings in order."""
        stack = list(reversed(self.roots))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    @property
    def count(self) -> int:
        return sum(1 for _ in self.walk())


# --- Lookups ------------------------------------------------------------------------------


class UnitLookup:
    """Units by full name or short name; a short name shared by several units resolves to
    the highest-level one (a city department over its district namesakes), else errors."""

    def __init__(self, units: Iterable[Unit] | None = None) -> None:
        self.by_name: dict[str, list[Unit]] = {}
        self.by_short: dict[str, list[Unit]] = {}
        if units is None:
            units = Unit.objects.only("id", "name", "short_name", "depth", "code")
        for unit in units:
            self.by_name.setdefault(norm_text(unit.name), []).append(unit)
            if unit.short_name:
                self.by_short.setdefault(norm_text(unit.short_name), []).append(unit)
            self.by_short.setdefault(norm_text(unit.code), []).append(unit)

    def find(self, word: str) -> Unit:
        key = norm_text(word)
        found = self.by_name.get(key) or self.by_short.get(key) or []
        if not found:
            raise CellError(f"未找到单位「{word}」（请填写单位全称、简称或编码）")
        if len(found) > 1:
            top = min(u.depth for u in found)
            found = [u for u in found if u.depth == top]
        if len(found) > 1:
            names = "、".join(u.name for u in found[:4])
            raise CellError(f"单位「{word}」对应多个单位（{names}），请填写全称")
        return found[0]


class PointTypeLookup:
    def __init__(self, types: Iterable[PointType] | None = None) -> None:
        self.index: dict[str, PointType] = {}
        if types is None:
            types = PointType.objects.only("id", "code", "name")
        for pt in types:
            self.index[norm_text(pt.name)] = pt
            self.index[norm_text(pt.code)] = pt

    def find(self, word: str) -> PointType:
        found = self.index.get(norm_text(word))
        if found is None:
            raise CellError(f"未找到点位类型「{word}」")
        return found


def split_words(value: Any) -> list[str]:
    return [w for w in _SPLIT_RE.split(clean_text(value)) if w]


def parse_methods(value: Any) -> list[str]:
    methods: list[str] = []
    for word in split_words(value):
        key = norm_text(word)
        code = next(
            (
                m.value
                for m, names in _METHOD_ALIASES.items()
                if key in {norm_text(m.value), *(norm_text(n) for n in names)}
            ),
            None,
        )
        if code is None:
            allowed = "、".join(Method.labels)
            raise CellError(f"未知的测评方法「{word}」，可选：{allowed}")
        if code not in methods:
            methods.append(code)
    return methods


def parse_decimal(value: Any, what: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise CellError(f"{what}应为数字")
    text = norm_text(str(value)).removesuffix("分").removesuffix("%")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(f"{what}「{value}」不是有效的数字") from None
    if not number.is_finite():
        raise CellError(f"{what}「{value}」不是有效的数字")
    if number < 0:
        raise CellError(f"{what}不能为负数")
    if number >= Decimal("1000000"):
        raise CellError(f"{what}「{value}」过大")
    return number.quantize(Decimal("0.0001")).normalize() if number else Decimal(0)


def parse_level(value: Any) -> str:
    key = norm_text(str(value))
    for level, names in _LEVEL_ALIASES.items():
        if key == level or key in {norm_text(n) for n in names}:
            return level
    raise CellError(f"「{value}」不是有效的层级，可选：测评项目、指标、测评内容、测评标准")


# --- Reading ------------------------------------------------------------------------------


def _fail(message: str) -> ImportFailed:
    return ImportFailed(message, details=[{"row": 0, "column": "", "message": message}])


def _load_grid(source: str | IO[bytes]) -> tuple[list[list[Any]], set[int]]:
    """All cells of the first sheet with merged ranges filled in, and the numbers of the
    rows that are a single merged band (title/footnote rows)."""
    if hasattr(source, "read"):
        source.seek(0)
        check_xlsx_bytes(source.read(8))
        source.seek(0)
    else:
        with open(source, "rb") as fh:
            check_xlsx_bytes(fh.read(8))
    try:
        # Not read-only: merged ranges are only available on a fully loaded sheet.
        wb = load_workbook(source, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _fail("文件已损坏或不是有效的 Excel（.xlsx）文件") from exc
    ws = wb.worksheets[0]
    grid = [list(row) for row in ws.iter_rows(values_only=True)]
    bands: set[int] = set()
    for rng in ws.merged_cells.ranges:
        value = grid[rng.min_row - 1][rng.min_col - 1]
        if rng.min_row == rng.max_row and rng.max_col - rng.min_col >= 2:
            bands.add(rng.min_row)
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                grid[r - 1][c - 1] = value
    wb.close()
    return grid, bands


def _match(cells: list[Any], fields: tuple[Field, ...]) -> dict[int, Field]:
    found: dict[int, Field] = {}
    taken: set[str] = set()
    for index, cell in enumerate(cells):
        key = norm_header(cell)
        if not key:
            continue
        for f in fields:
            if key in f.names and f.key not in taken:
                found[index] = f
                taken.add(f.key)
                break
    return found


def _find_header(
    grid: list[list[Any]],
) -> tuple[str, int, dict[int, Field]]:
    """(form, 1-based number of the last header row, column map)."""
    for i, cells in enumerate(grid[:HEADER_SCAN_ROWS]):
        code_map = _match(cells, CODE_FORM_FIELDS)
        keys = {f.key for f in code_map.values()}
        if {"code", "text"} <= keys:
            columns, last = _with_second_row(grid, i, code_map, CODE_FORM_FIELDS)
            return "code", last, columns
        flat_map = _match(cells, FLAT_FIELDS)
        keys = {f.key for f in flat_map.values()}
        if len(keys & set(LEVELS)) >= 2 or ({"standard", "content"} & keys and len(keys) >= 3):
            columns, last = _with_second_row(grid, i, flat_map, FLAT_FIELDS)
            return "flat", last, columns
    raise _fail(
        "未找到表头：请确认前 30 行中有一行包含「测评项目」「测评内容」「测评标准」等列名"
        "（层级表），或「编码」「上级编码」「内容」（编码表）"
    )


def _with_second_row(grid, i: int, found: dict[int, Field], fields) -> tuple:
    """Add columns named on a second header row (under a merged group header)."""
    if i + 1 >= len(grid):
        return found, i + 1
    extra = _match(grid[i + 1], fields)
    taken = {f.key for f in found.values()}
    # Only columns the first row did not name make it a header row: a data row may
    # happen to repeat header words, and vertically merged headers repeat them too.
    added = {k: f for k, f in extra.items() if f.key not in taken and k not in found}
    if not added:
        return found, i + 1
    return {**found, **added}, i + 2


def _cell(cells: list[Any], index: int) -> Any:
    return cells[index] if index < len(cells) else None


def _blank(value: Any) -> bool:
    return value is None or clean_text(value) == ""


class _RowReader:
    """Coerces the attribute cells of one row into a NodeSpec, errors to the list."""

    def __init__(self, columns: dict[int, Field], errors: ErrorList) -> None:
        self.columns = columns
        self.errors = errors
        self.units = UnitLookup()
        self.types = PointTypeLookup()

    def attrs(self, number: int, cells: list[Any], node: NodeSpec) -> None:
        for index, f in self.columns.items():
            if f.key in LEVELS or f.key in {"code", "parent_code", "level", "text"}:
                continue
            raw = _cell(cells, index)
            if _blank(raw):
                continue
            try:
                self._set(node, f, raw)
            except CellError as exc:
                self.errors.add(number, f.header, str(exc))

    def _set(self, node: NodeSpec, f: Field, raw: Any) -> None:
        key = f.key
        if key == "methods":
            node.methods = parse_methods(raw)
        elif key in {"score", "weight"}:
            setattr(node, key, parse_decimal(raw, f.header))
        elif key == "lead_unit":
            words = split_words(raw)
            if len(words) > 1:
                raise CellError("牵头单位只能填写一个单位（其余请填入配合单位）")
            node.lead_unit = self.units.find(words[0])
        elif key == "cooperating_units":
            node.cooperating_units = _unique(self.units.find(w) for w in split_words(raw))
        elif key == "point_types":
            node.point_types = _unique(self.types.find(w) for w in split_words(raw))
        elif key == "is_negative":
            node.is_negative = _BOOL.coerce(raw)
        elif key == "numbering":
            node.numbering = clean_text(raw)[:32]
        elif key == "sort_order":
            node.sort_order = _INT.coerce(raw)
        elif key.endswith("_leader"):
            text = clean_text(raw)
            if len(text) > 64:
                raise CellError("内容过长（最多 64 个字符）")
            setattr(node, key, text)


def _unique(items: Iterable) -> list:
    seen: dict[int, Any] = {}
    for item in items:
        seen.setdefault(item.pk, item)
    return list(seen.values())


def read_index_system(source: str | IO[bytes]) -> ParsedTree:
    """Read either layout; raise ImportFailed listing every bad row and column."""
    grid, bands = _load_grid(source)
    form, last_header, columns = _find_header(grid)
    errors = ErrorList()
    reader = _RowReader(columns, errors)
    data = [
        (number, cells)
        for number, cells in enumerate(grid[last_header:], start=last_header + 1)
        if number not in bands and not all(_blank(c) for c in cells)
    ]
    if not data:
        raise _fail("文件中没有数据行")
    if len(data) > MAX_NODES:
        raise _fail(f"数据行过多（超过 {MAX_NODES} 行）")
    if form == "flat":
        roots = _read_flat(data, columns, reader, errors)
    else:
        roots = _read_code_form(data, columns, reader, errors)
    errors.raise_if_any()
    tree = ParsedTree(form=form, roots=roots, header_row=last_header)
    if not roots:
        raise _fail("文件中没有测评项目")
    return tree


def _read_flat(data, columns: dict[int, Field], reader: _RowReader, errors: ErrorList):
    level_cols = {f.key: i for i, f in columns.items() if f.key in LEVELS}
    present = [lvl for lvl in LEVELS if lvl in level_cols]
    if "item" not in level_cols:
        raise _fail("表头缺少「测评项目」列")
    roots: list[NodeSpec] = []
    # The current node and its raw cell text at each level.
    current: dict[str, tuple[str, NodeSpec] | None] = {lvl: None for lvl in LEVELS}
    for number, cells in data:
        changed = False
        deepest: NodeSpec | None = None
        new_on_row = False
        for lvl in present:
            raw = clean_text(_cell(cells, level_cols[lvl]))
            cur = current[lvl]
            if not raw:
                if changed:
                    current[lvl] = None  # a higher level changed: this level is skipped
                    continue
                if cur is not None:
                    deepest = cur[1]
                continue
            if lvl != "standard" and cur is not None and cur[0] == raw and not changed:
                deepest = cur[1]
                continue
            parent = _nearest_parent(current, lvl)
            if lvl != "item" and parent is None:
                errors.add(number, LEVEL_LABELS[lvl], "缺少上级：请先填写所属的测评项目")
                continue
            numbering, text = split_numbering(raw)
            node = NodeSpec(level=lvl, text=text, numbering=numbering, row=number, parent=parent)
            if parent is None:
                roots.append(node)
            else:
                parent.children.append(node)
            current[lvl] = (raw, node)
            changed = True
            new_on_row = True
            deepest = node
        if deepest is None:
            if not errors or not any(e.row == number for e in errors.items):
                errors.add(number, "测评项目", "本行没有测评项目、测评内容或测评标准")
            continue
        if not new_on_row:
            errors.add(
                number, LEVEL_LABELS[deepest.level], "本行与上一行重复，没有新的测评内容或标准"
            )
            continue
        reader.attrs(number, cells, deepest)
    _assign_position_codes(roots)
    return roots


def _nearest_parent(current, lvl: str) -> NodeSpec | None:
    for upper in reversed(LEVELS[: LEVELS.index(lvl)]):
        if current[upper] is not None:
            return current[upper][1]
    return None


def _assign_position_codes(nodes: list[NodeSpec], prefix: str = "") -> None:
    for i, node in enumerate(nodes, start=1):
        node.code = f"{prefix}{i:02d}"
        node.sort_order = i
        _assign_position_codes(node.children, node.code + ".")


def _read_code_form(data, columns: dict[int, Field], reader: _RowReader, errors: ErrorList):
    cols = {f.key: i for i, f in columns.items()}
    missing = [h for k, h in (("level", "层级"), ("text", "内容")) if k not in cols]
    if missing:
        raise _fail(f"表头缺少必填列：{'、'.join(missing)}")
    nodes: dict[str, NodeSpec] = {}
    ordered: list[NodeSpec] = []
    for number, cells in data:
        node = _code_row(number, cells, cols, errors)
        if node is None:
            continue
        reader.attrs(number, cells, node)
        if node.code in nodes:
            first = nodes[node.code].row
            errors.add(number, "编码", f"编码「{node.code}」重复（第 {first} 行已使用）")
            continue
        nodes[node.code] = node
        ordered.append(node)
    return _link_code_form(ordered, nodes, errors)


def _code_row(number: int, cells, cols: dict[str, int], errors: ErrorList) -> NodeSpec | None:
    values: dict[str, Any] = {}
    ok = True
    for key, column, what in (
        ("code", _CODE, "编码"),
        ("parent_code", _CODE, "上级编码"),
    ):
        raw = _cell(cells, cols[key]) if key in cols else None
        try:
            values[key] = column.coerce(raw) or ""
        except CellError as exc:
            errors.add(number, what, str(exc))
            ok = False
    if ok and not values["code"]:
        errors.add(number, "编码", "必填项不能为空")
        ok = False
    raw_level = _cell(cells, cols["level"])
    level = None
    if _blank(raw_level):
        errors.add(number, "层级", "必填项不能为空")
    else:
        try:
            level = parse_level(raw_level)
        except CellError as exc:
            errors.add(number, "层级", str(exc))
    numbering, text = split_numbering(_cell(cells, cols["text"]))
    if not text:
        errors.add(number, "内容", "必填项不能为空")
    if not ok or level is None or not text:
        return None
    return NodeSpec(
        level=level,
        text=text,
        code=values["code"],
        numbering=numbering,
        row=number,
        parent_code=values["parent_code"],
    )


def _link_code_form(ordered: list[NodeSpec], nodes: dict[str, NodeSpec], errors: ErrorList):
    roots: list[NodeSpec] = []
    for node in ordered:
        if not node.parent_code:
            if node.level != "item":
                errors.add(node.row, "上级编码", "只有测评项目可以没有上级编码")
            roots.append(node)
            continue
        parent = nodes.get(node.parent_code)
        if parent is None:
            errors.add(node.row, "上级编码", f"上级编码「{node.parent_code}」在文件中不存在")
            continue
        if parent is node:
            errors.add(node.row, "上级编码", "上级编码不能是自己")
            continue
        if LEVELS.index(node.level) <= LEVELS.index(parent.level):
            errors.add(
                node.row,
                "层级",
                f"层级顺序错误：{LEVEL_LABELS[node.level]}不能在"
                f"{LEVEL_LABELS[parent.level]}「{parent.code}」之下",
            )
            continue
        node.parent = parent
        parent.children.append(node)
    # Levels strictly increase downwards, so a cycle is impossible once levels are checked.
    for node in ordered:
        if node.sort_order == 0:
            siblings = node.parent.children if node.parent else roots
            node.sort_order = siblings.index(node) + 1 if node in siblings else 0
    for group in [roots, *(n.children for n in ordered)]:
        group.sort(key=lambda n: n.sort_order)
    return roots


# --- Writing ------------------------------------------------------------------------------

_TITLE_FONT = Font(bold=True, size=14)
_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
_WRAP = Alignment(wrap_text=True, vertical="center")


def _attr_values(node: NodeSpec) -> dict[str, Any]:
    return {
        "methods": "、".join(Method(m).label for m in node.methods if m in Method.values),
        "score": _num(node.score),
        "weight": _num(node.weight),
        "lead_unit": node.lead_unit.name if node.lead_unit else None,
        "cooperating_units": "、".join(u.name for u in node.cooperating_units) or None,
        "principal_leader": node.principal_leader or None,
        "deputy_leader": node.deputy_leader or None,
        "direct_leader": node.direct_leader or None,
        "point_types": "、".join(pt.name for pt in node.point_types) or None,
        "is_negative": "是" if node.is_negative else None,
    }


def _num(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _head(ws, row: int, fields: tuple[Field, ...]) -> None:
    for col, f in enumerate(fields, start=1):
        cell = ws.cell(row=row, column=col, value=f.header)
        cell.font = _HEAD_FONT
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = f.width


def write_flat(out: str | IO[bytes], tree: ParsedTree, title: str) -> int:
    """One row per leaf, upper levels merged; returns the number of data rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = "测评体系"
    ws.cell(row=1, column=1, value=title).font = _TITLE_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(FLAT_FIELDS))
    _head(ws, 2, FLAT_FIELDS)
    ws.freeze_panes = "A3"
    row = 3
    spans: dict[int, list[tuple[int, int]]] = {}  # column -> [(first row, last row)]
    for leaf in (n for n in tree.walk() if not n.children):
        chain = _chain(leaf)
        for lvl_index, lvl in enumerate(LEVELS, start=1):
            node = chain.get(lvl)
            if node is None:
                continue
            _put(ws, row, lvl_index, join_numbering(node.numbering, node.text))
            if node is not leaf:
                runs = spans.setdefault(lvl_index, [])
                if runs and runs[-1][2] is node and runs[-1][1] == row - 1:
                    runs[-1] = (runs[-1][0], row, node)
                else:
                    runs.append((row, row, node))
        values = _attr_values(leaf)
        for col, f in enumerate(ATTR_FIELDS, start=len(LEVEL_FIELDS) + 1):
            _put(ws, row, col, values[f.key])
        for col in range(1, len(FLAT_FIELDS) + 1):
            ws.cell(row=row, column=col).alignment = _WRAP
        row += 1
    for col, runs in spans.items():
        for first, last, _node in runs:
            if last > first:
                ws.merge_cells(start_row=first, start_column=col, end_row=last, end_column=col)
    wb.save(out)
    return row - 3


def _chain(leaf: NodeSpec) -> dict[str, NodeSpec]:
    chain: dict[str, NodeSpec] = {}
    node: NodeSpec | None = leaf
    while node is not None:
        chain[node.level] = node
        node = node.parent
    return chain


def write_code_form(out: str | IO[bytes], tree: ParsedTree) -> int:
    wb = Workbook()
    ws = wb.active
    ws.title = "测评体系（编码）"
    _head(ws, 1, CODE_FORM_FIELDS)
    ws.freeze_panes = "A2"
    count = 0
    for count, node in enumerate(tree.walk(), start=1):  # noqa: B007 - count is the result
        values = {
            "code": node.code,
            "parent_code": node.parent.code if node.parent else None,
            "level": LEVEL_LABELS[node.level],
            "numbering": node.numbering or None,
            "text": node.text,
            "sort_order": node.sort_order,
            **_attr_values(node),
        }
        for col, f in enumerate(CODE_FORM_FIELDS, start=1):
            _put(ws, count + 1, col, values[f.key])
    wb.save(out)
    return count


def _put(ws, row: int, col: int, value: Any) -> None:
    """Write a cell; text that looks like a formula stays text (no formula injection)."""
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value[:1] == "=" and len(value) > 1:
        cell.data_type = "s"
