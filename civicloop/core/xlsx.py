"""Excel in and out: column specs with Chinese headers, tolerant reading, streaming writing.

Imports are all-or-nothing (DESIGN.md §4): reading never stops at the first bad cell, it
collects a `RowError(row, column, message)` for every problem so the user can fix the
whole file in one go. Row numbers are Excel's (the header is row 1).

Reading uses openpyxl's read_only mode and writing its write_only mode, so a 20 000-row
registry stays cheap in memory.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from civicloop.core.errors import ImportFailed

NOTES_SHEET = "说明"
MAX_ROWS = 100_000
# A text cell holds at most 32 767 characters in Excel.
MAX_CELL_CHARS = 32_767

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other OLE2 documents)

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Landline with optional area code and extension, a mobile, or a short service number.
PHONE_RE = re.compile(
    r"^(1[3-9]\d{9}|(0\d{2,3}-?)?\d{7,8}(-\d{1,6})?|[1-9]\d{4,5}|400-?\d{3}-?\d{4})$"
)

TRUE_WORDS = {"是", "y", "yes", "true", "1", "启用", "√", "✓", "对"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "停用", "禁用", "×", "✗", "不"}


class CellError(ValueError):
    """A single cell could not be understood; the message is shown to the user."""


# --- Specs ----------------------------------------------------------------------------


def norm_text(value: str) -> str:
    """Fold full-width forms and drop all whitespace: for matching headers and choices."""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text).lower()


def norm_header(value: Any) -> str:
    if value is None:
        return ""
    text = norm_text(value).replace("*", "")
    return text.replace("(必填)", "")


@dataclass(frozen=True)
class Column:
    """One column of an import/export sheet.

    kind: "str" (free text), "code" (identifier: full-width folded, no spaces; numbers typed
    into Excel come back as text), "int", "float", "bool", "choice", "mobile", "phone",
    "text" (long text, e.g. GeoJSON).
    choices: (code, label) pairs; a cell may hold either; exports write the label.
    """

    key: str
    header: str
    required: bool = False
    kind: str = "str"
    choices: tuple[tuple[str, str], ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)  # extra accepted words → code
    max_length: int | None = None
    note: str = ""
    width: int = 16

    # Reading -------------------------------------------------------------------------

    def coerce(self, raw: Any) -> Any:
        """Return the Python value of a cell, None for blank; raise CellError when bad."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        handler = getattr(self, f"_coerce_{self.kind}")
        return handler(raw)

    def _coerce_str(self, raw: Any) -> str:
        text = _number_text(raw) if isinstance(raw, (int, float)) else str(raw).strip()
        if self.max_length and len(text) > self.max_length:
            raise CellError(f"内容过长（{len(text)} 个字符，最多 {self.max_length} 个）")
        return text

    _coerce_text = _coerce_str

    def _coerce_code(self, raw: Any) -> str:
        text = self._coerce_str(unicodedata.normalize("NFKC", _number_text(raw)).strip())
        if re.search(r"\s", text):
            raise CellError(f"编码「{text}」不能包含空格")
        return text

    def _coerce_int(self, raw: Any) -> int:
        if isinstance(raw, bool):
            raise CellError("应为整数")
        if isinstance(raw, int):
            return raw
        number = self._coerce_float(raw)
        if number != int(number):
            raise CellError(f"「{raw}」不是整数")
        return int(number)

    def _coerce_float(self, raw: Any) -> float:
        if isinstance(raw, bool):
            raise CellError("应为数字")
        if isinstance(raw, (int, float)):
            number = float(raw)
        else:
            text = unicodedata.normalize("NFKC", str(raw)).strip()
            try:
                number = float(text)
            except ValueError:
                raise CellError(f"「{raw}」不是有效的数字") from None
        if not math.isfinite(number):
            raise CellError(f"「{raw}」不是有效的数字")
        return number

    def _coerce_bool(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        word = norm_text(_number_text(raw) if isinstance(raw, (int, float)) else raw)
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise CellError(f"「{raw}」无法识别，请填写“是”或“否”")

    def _coerce_choice(self, raw: Any) -> str:
        word = norm_text(_number_text(raw) if isinstance(raw, (int, float)) else raw)
        for code, label in self.choices:
            if word in (norm_text(code), norm_text(label)):
                return code
        for alias, code in self.aliases.items():
            if word == norm_text(alias):
                return code
        allowed = "、".join(label for _, label in self.choices)
        raise CellError(f"「{raw}」不是有效的{self.header}，可选：{allowed}")

    def _coerce_mobile(self, raw: Any) -> str:
        text = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", _number_text(raw)))
        if text.startswith("+86"):
            text = text[3:]
        if not MOBILE_RE.match(text):
            raise CellError(f"「{raw}」不是有效的手机号（11位，以1开头）")
        return text

    def _coerce_phone(self, raw: Any) -> str:
        text = unicodedata.normalize("NFKC", _number_text(raw)).strip().replace(" ", "")
        if not PHONE_RE.match(text):
            raise CellError(f"「{raw}」不是有效的电话号码（手机号或带区号的固定电话）")
        if self.max_length and len(text) > self.max_length:
            raise CellError(f"电话号码过长（最多 {self.max_length} 个字符）")
        return text

    # Writing -------------------------------------------------------------------------

    def to_cell(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        if self.kind == "bool":
            return "是" if value else "否"
        if self.kind == "choice":
            return dict(self.choices).get(value, value)
        return value

    @property
    def choice_labels(self) -> list[str]:
        return [label for _, label in self.choices]


@dataclass(frozen=True)
class SheetSpec:
    """A registry sheet: its kind key, Chinese title (also the sheet name) and columns."""

    kind: str
    title: str
    columns: tuple[Column, ...]
    notes: tuple[str, ...] = ()

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    def header(self, key: str) -> str:
        return self.column(key).header


# --- Errors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class ErrorList:
    """Collects every problem of a file; raises one ImportFailed at the end."""

    def __init__(self) -> None:
        self.items: list[RowError] = []

    def add(self, row: int, column: str, message: str) -> None:
        self.items.append(RowError(row, column, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def raise_if_any(self, message: str | None = None) -> None:
        if self.items:
            ordered = sorted(self.items, key=lambda e: (e.row, e.column))
            rows = len({e.row for e in ordered})
            raise ImportFailed(
                message or f"导入失败：{rows} 行共 {len(ordered)} 处错误，未写入任何数据",
                details=[e.as_dict() for e in ordered],
            )


def format_errors(details: Iterable[Mapping]) -> str:
    """Plain-text report, one line per error (for management commands and logs)."""
    lines = []
    for d in details:
        where = f"第 {d['row']} 行" if d.get("row") else "文件"
        column = f"「{d['column']}」列" if d.get("column") else ""
        lines.append(f"{where}{column}：{d['message']}")
    return "\n".join(lines)


# --- Reading --------------------------------------------------------------------------


@dataclass
class Row:
    """One data row: its Excel row number, coerced values, and the keys that were bad."""

    number: int
    values: dict[str, Any]
    bad: set[str] = field(default_factory=set)

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key)
        return default if value is None else value

    def has(self, key: str) -> bool:
        """The column was in the file and the cell was valid (maybe blank)."""
        return key in self.values and key not in self.bad


def _number_text(raw: Any) -> str:
    """Excel turns typed codes like 370101 or phone numbers into numbers; undo that."""
    if isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 1e16:
        return str(int(raw))
    return str(raw)


def _fail(message: str, column: str = "") -> ImportFailed:
    return ImportFailed(message, details=[{"row": 0, "column": column, "message": message}])


def check_xlsx_bytes(head: bytes) -> None:
    """Refuse obviously wrong uploads with a specific message before openpyxl sees them."""
    if not head:
        raise _fail("文件为空")
    if head.startswith(_OLE_MAGIC):
        raise _fail("不支持 Excel 97-2003（.xls）格式，请在 Excel 中另存为 .xlsx 后再上传")
    if not head.startswith(_ZIP_MAGIC):
        raise _fail("文件不是有效的 Excel（.xlsx）文件，请使用下载的模板填写")


def open_workbook(source: str | IO[bytes]):
    """Open an .xlsx read-only, translating the various openpyxl failures into Chinese."""
    if hasattr(source, "read"):
        source.seek(0)
        check_xlsx_bytes(source.read(8))
        source.seek(0)
    else:
        with open(source, "rb") as fh:
            check_xlsx_bytes(fh.read(8))
    try:
        return load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _fail("文件已损坏或不是有效的 Excel（.xlsx）文件") from exc


def _pick_sheet(wb, spec: SheetSpec):
    if spec.title in wb.sheetnames:
        return wb[spec.title]
    for name in wb.sheetnames:
        if name != NOTES_SHEET:
            return wb[name]
    raise _fail("文件中没有工作表")


def match_headers(header_row: Iterable[Any], spec: SheetSpec) -> dict[int, Column]:
    """Map column positions to specs; raise listing every missing required column."""
    wanted = {norm_header(c.header): c for c in spec.columns}
    found: dict[int, Column] = {}
    seen: dict[str, int] = {}
    errors = ErrorList()
    for index, cell in enumerate(header_row):
        key = norm_header(cell)
        col = wanted.get(key)
        if col is None:
            continue
        if key in seen:
            errors.add(1, col.header, f"表头「{col.header}」重复出现")
            continue
        seen[key] = index
        found[index] = col
    present = {c.key for c in found.values()}
    missing = [c.header for c in spec.columns if c.required and c.key not in present]
    for header in missing:
        errors.add(1, header, "表头缺少该必填列")
    if missing:
        errors.raise_if_any(
            f"表头缺少必填列：{'、'.join(missing)}（请使用下载的「{spec.title}」模板）"
        )
    errors.raise_if_any("表头有误：" + "；".join(e.message for e in errors.items))
    return found


def iter_rows(source: str | IO[bytes], spec: SheetSpec, errors: ErrorList) -> Iterator[Row]:
    """Yield each non-blank data row with coerced values; cell problems go to `errors`.

    A required cell that is blank is an error; blank optional cells are None. Columns
    absent from the file are absent from `Row.values`, so updates can leave them alone.
    """
    wb = open_workbook(source)
    try:
        ws = _pick_sheet(wb, spec)
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise _fail("文件中没有表头和数据")
        columns = match_headers(header, spec)
        count = 0
        for number, cells in enumerate(rows, start=2):
            if cells is None or all(c is None or str(c).strip() == "" for c in cells):
                continue
            count += 1
            if count > MAX_ROWS:
                raise _fail(f"数据行过多（超过 {MAX_ROWS} 行），请拆分文件后分批导入")
            yield _read_row(number, cells, columns, errors)
        if count == 0:
            raise _fail("文件中没有数据行（第 1 行为表头，请从第 2 行开始填写）")
    finally:
        wb.close()


def _read_row(number: int, cells, columns: dict[int, Column], errors: ErrorList) -> Row:
    row = Row(number=number, values={})
    for index, col in columns.items():
        raw = cells[index] if index < len(cells) else None
        try:
            value = col.coerce(raw)
        except CellError as exc:
            errors.add(number, col.header, str(exc))
            row.values[col.key] = None
            row.bad.add(col.key)
            continue
        if value is None and col.required:
            errors.add(number, col.header, "必填项不能为空")
            row.bad.add(col.key)
        row.values[col.key] = value
    return row


def read_rows(source: str | IO[bytes], spec: SheetSpec, errors: ErrorList) -> list[Row]:
    return list(iter_rows(source, spec, errors))


# --- Writing --------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_REQUIRED_FONT = Font(bold=True, color="C00000")
_HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")


def _header_cells(ws, spec: SheetSpec) -> list[WriteOnlyCell]:
    cells = []
    for col in spec.columns:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.font = _REQUIRED_FONT if col.required else _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        cells.append(cell)
    return cells


def _add_dropdowns(ws, spec: SheetSpec) -> None:
    for index, col in enumerate(spec.columns, start=1):
        labels = col.choice_labels
        formula = '"' + ",".join(labels) + '"'
        # Excel limits an inline list to 255 characters; longer lists get no dropdown.
        if not labels or len(formula) > 255:
            continue
        dv = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="输入有误",
            error=f"请从下拉列表中选择{col.header}",
        )
        letter = get_column_letter(index)
        dv.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        ws.data_validations.append(dv)


def _safe_value(ws, value: Any) -> Any:
    """Write text that looks like a formula as text (no formula injection on export)."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")) and len(value) > 1:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def _write_notes(wb, spec: SheetSpec) -> None:
    ws = wb.create_sheet(NOTES_SHEET)
    for letter, width in zip("ABCD", (18, 10, 60, 40), strict=True):
        ws.column_dimensions[letter].width = width
    title = WriteOnlyCell(ws, value=f"「{spec.title}」导入说明")
    title.font = Font(bold=True, size=14)
    ws.append([title])
    for line in spec.notes:
        ws.append([line])
    ws.append([])
    heads = []
    for text in ("列名", "是否必填", "填写说明", "可选值"):
        cell = WriteOnlyCell(ws, value=text)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        heads.append(cell)
    ws.append(heads)
    for col in spec.columns:
        ws.append(
            [col.header, "必填" if col.required else "选填", col.note, "、".join(col.choice_labels)]
        )


def write_workbook(
    out: str | IO[bytes],
    spec: SheetSpec,
    rows: Iterable[Mapping[str, Any]] = (),
    *,
    with_notes: bool = True,
) -> int:
    """Stream `rows` (dicts keyed by column key) under the header; return rows written.

    The same function writes templates (no rows) and exports, so both share headers,
    dropdowns and notes, and an export can be edited and imported again.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(spec.title)
    for index, col in enumerate(spec.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = col.width
    ws.freeze_panes = "A2"
    _add_dropdowns(ws, spec)
    ws.append(_header_cells(ws, spec))
    written = 0
    for data in rows:
        ws.append([_safe_value(ws, col.to_cell(data.get(col.key))) for col in spec.columns])
        written += 1
    if with_notes:
        _write_notes(wb, spec)
    wb.save(out)
    return written
