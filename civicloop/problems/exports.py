"""Ledger export to XLSX and the rectification notice as DOCX.

The ledger export must work for 100 000+ rows in constant memory:
- the queryset is read with `.values_list(...).iterator(chunk_size=2000)`: plain tuples,
  never model instances, and no per-row queries (every name comes from the same SELECT);
- 包片领导 of a problem's area and its ancestors come from one precomputed dict;
- openpyxl's write-only workbook streams rows to its own temporary files, and the result
  goes to a SpooledTemporaryFile that FileResponse streams to the client.
"""

from __future__ import annotations

import io
import math
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from civicloop.orgs.models import Area, AreaResponsibility, ResponsibilityKind
from civicloop.problems.models import UNIT_OPEN_STATUSES, Source, Status

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

COLUMNS: list[tuple[str, int]] = [
    ("问题编号", 18),
    ("来源", 14),
    ("问题分类", 24),
    ("位置", 36),
    ("所属区域", 18),
    ("责任单位", 22),
    ("包片领导", 22),
    ("派遣时间", 17),
    ("整改时限", 17),
    ("状态", 10),
    ("超期天数", 9),
    ("返工次数", 9),
]

# The one SELECT of the export (joins, no model instances).
FIELDS = (
    "number",
    "source",
    "category__name",
    "category__parent__name",
    "point__name",
    "address",
    "lng",
    "lat",
    "area__name",
    "area__path",
    "responsible_unit__name",
    "dispatched_at",
    "due_at",
    "status",
    "submitted_at",
    "rework_count",
)

_SOURCE = dict(Source.choices)
_STATUS = dict(Status.choices)
_OPEN_WITH_UNIT = frozenset(str(s) for s in UNIT_OPEN_STATUSES)
_DAY = 86400.0


def _leader_names(resp: dict[str, Any]) -> str:
    name = resp["user__display_name"] or resp["user__username"] or resp["person_name"]
    return f"{name}（{resp['title']}）" if resp["title"] and name else (name or "")


def leaders_by_area() -> dict[int, list[str]]:
    """area id → its own 包片领导 names (one query over the responsibilities)."""
    own: dict[int, list[str]] = defaultdict(list)
    rows = (
        AreaResponsibility.objects.filter(kind=ResponsibilityKind.LEADER)
        .order_by("area_id", "id")
        .values("area_id", "user__display_name", "user__username", "person_name", "title")
    )
    for row in rows:
        name = _leader_names(row)
        if name:
            own[row["area_id"]].append(name)
    return dict(own)


class LeaderLookup:
    """包片领导 of an area *and its ancestors*, nearest first, cached per area path."""

    def __init__(self) -> None:
        self.own = leaders_by_area()
        self.cache: dict[str, str] = {}

    def __call__(self, path: str | None) -> str:
        if not path:
            return ""
        found = self.cache.get(path)
        if found is None:
            ids = [int(x) for x in path.strip("/").split("/") if x]
            names: list[str] = []
            for area_id in reversed(ids):  # the grid's leader before the district's
                for name in self.own.get(area_id, ()):
                    if name not in names:
                        names.append(name)
            found = self.cache[path] = "、".join(names)
        return found


def leaders_for_area(area: Area) -> str:
    return LeaderLookup()(area.path)


def _local(value: datetime | None, tz) -> datetime | None:
    # Excel has no time zones: write the city's wall-clock time.
    return value.astimezone(tz).replace(tzinfo=None) if value else None


def overdue_days(status: str, due_at, submitted_at, now: datetime) -> int | None:
    """Whole days (rounded up) past the deadline: still open with the unit, or submitted
    late. None when not overdue."""
    if due_at is None:
        return None
    if status in _OPEN_WITH_UNIT:
        late = (now - due_at).total_seconds()
    elif submitted_at is not None:
        late = (submitted_at - due_at).total_seconds()
    else:
        return None
    return math.ceil(late / _DAY) if late > 0 else None


def _location(point_name, address, lng, lat) -> str:
    parts = [p for p in (point_name, address) if p]
    if not parts and lng is not None:
        parts.append(f"{lng:.6f}, {lat:.6f}")
    return " · ".join(parts)


def _header(ws) -> list[WriteOnlyCell]:
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="B71C1C")
    cells = []
    for title, _width in COLUMNS:
        cell = WriteOnlyCell(ws, value=title)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cells.append(cell)
    return cells


def ledger_rows(queryset: QuerySet, *, now: datetime | None = None) -> Iterable[list]:
    """The export's rows (lists of cell values), streamed from the database."""
    now = now or timezone.now()
    leaders = LeaderLookup()
    tz = timezone.get_current_timezone()  # once, not per cell
    rows = queryset.values_list(*FIELDS).iterator(chunk_size=2000)
    for (
        number,
        source,
        category,
        major,
        point_name,
        address,
        lng,
        lat,
        area_name,
        area_path,
        unit_name,
        dispatched_at,
        due_at,
        status,
        submitted_at,
        rework_count,
    ) in rows:
        yield [
            number,
            _SOURCE.get(source, source),
            f"{major}/{category}" if major else category,
            _location(point_name, address, lng, lat),
            area_name,
            unit_name or "",
            leaders(area_path),
            _local(dispatched_at, tz),
            _local(due_at, tz),
            _STATUS.get(status, status),
            overdue_days(status, due_at, submitted_at, now),
            rework_count,
        ]


def export_ledger(queryset: QuerySet, fileobj: IO[bytes], *, now: datetime | None = None) -> int:
    """Write the ledger rows of `queryset` as XLSX to `fileobj`; returns the row count.

    Memory stays flat however many rows there are (write-only workbook, iterator).
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("问题台账")
    for index, (_title, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.append(_header(ws))
    count = 0
    for row in ledger_rows(queryset, now=now):
        ws.append(row)
        count += 1
    wb.save(fileobj)
    return count


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def ledger_response(queryset: QuerySet, *, filename: str | None = None) -> FileResponse:
    """Stream the export: built in a spooled temp file (spills to disk past 16 MB)."""
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    export_ledger(queryset, out)
    out.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        out,
        as_attachment=True,
        filename=filename or f"问题台账-{stamp}.xlsx",
        content_type=XLSX_TYPE,
    )


# --- Rectification notice (整改通知单) as DOCX ----------------------------------------


def notice_docx(context: dict[str, Any]) -> bytes:
    """The notice in the same layout as the printable page (python-docx)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    problem = context["problem"]
    doc = Document()
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(context["office"])
    run.bold, run.font.size = True, Pt(16)
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run("问题整改通知单")
    run.bold, run.font.size = True, Pt(22)
    number = doc.add_paragraph(context["notice_no"])
    number.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    doc.add_paragraph(f"{problem.responsible_unit.name}：")
    doc.add_paragraph(
        "经督查发现，你单位责任范围内存在以下问题，请按照要求限期整改到位，"
        "并在整改时限前通过平台提交整改情况及整改后照片。"
    )
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    location = " · ".join(
        p for p in (problem.point.name if problem.point_id else "", problem.address) if p
    )
    rows = [
        ("问题编号", problem.number),
        ("问题来源", problem.get_source_display()),
        ("问题分类", str(problem.category.name)),
        ("问题描述", problem.description),
        ("问题位置", location or problem.area.name),
        ("所属区域", problem.area.name),
        ("包片领导", context["leaders"] or "—"),
        ("整改类型", problem.get_severity_display()),
        (
            "整改时限",
            timezone.localtime(problem.due_at).strftime("%Y年%m月%d日 %H:%M")
            if problem.due_at
            else "—",
        ),
        (
            "整改要求",
            context["dispatch_note"] or problem.category.closing_condition or "按标准整改到位",
        ),
    ]
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, str(value)
        cells[0].width = Cm(3)
    for ev in context["photos"]:
        try:
            with default_storage.open(ev.file.name, "rb") as handle:
                doc.add_picture(io.BytesIO(handle.read()), width=Cm(7))
        except (FileNotFoundError, OSError):
            continue  # a missing file must not block the notice
    doc.add_paragraph("")
    sign = doc.add_paragraph(f"{context['office']}（盖章）")
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    issued = context["issued_on"]
    date_line = doc.add_paragraph(f"{issued.year}年{issued.month}月{issued.day}日")
    date_line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph("签收人：____________    签收时间：____年__月__日")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def notice_docx_response(context: dict[str, Any]) -> FileResponse:
    content = notice_docx(context)
    return FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=f"整改通知单-{context['problem'].number}.docx",
        content_type=DOCX_TYPE,
    )
