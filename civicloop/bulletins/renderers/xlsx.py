"""The bulletin's detailed tables as XLSX (openpyxl).

Sheets: 考核排名 (one row per object: rank, score, grade, changes, lists, and per
component its points and contribution), 指标明细 (long format: object × component with
raw value, points, effective weight, contribution), 红黑榜, 超期问题.

Numbers are written as numbers (2 places, from the frozen snapshot strings), so they are
exactly the ones the ranking page shows.
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from civicloop.bulletins.content import BulletinContent, rank_change

HEAD_FONT = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
NUM = "0.00"


def num(value) -> float | None:
    """Snapshot numbers are strings of 2-place decimals; Excel stores doubles, and a
    2-place decimal round-trips exactly through its shortest repr."""
    if value in (None, ""):
        return None
    return float(Decimal(str(value)))


def _sheet(wb, title: str, headers: list[str], widths: list[int] | None = None):
    ws = wb.create_sheet(title)
    ws.append(headers)
    for i, cell in enumerate(ws[1], start=1):
        cell.font = HEAD_FONT
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        width = widths[i - 1] if widths and i <= len(widths) else 12
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    return ws


def _yes(flag) -> str:
    return "是" if flag else ""


def _ranking(wb, c: BulletinContent) -> None:
    comps = c.components
    headers = [
        "名次",
        "考核对象",
        "总分",
        "等次",
        "加权得分",
        "加减分",
        "上期名次",
        "名次变化",
        "分数变化",
        "红榜",
        "黑榜",
        "流动红旗",
        "约谈问责",
    ]
    for comp in comps:
        headers += [f"{comp['label']}得分", f"{comp['label']}计入"]
    ws = _sheet(wb, "考核排名", headers, [6, 28, 9, 6, 9, 8, 8, 8, 8, 6, 6, 8, 8])
    for r in c.rows:
        by_key = {(b["key"], b["label"]): b for b in r.get("breakdown", [])}
        line = [
            r.get("rank"),
            r["name"],
            num(r.get("score")),
            r.get("grade") or "",
            num(r.get("weighted_score")),
            num(r.get("adjustment")),
            r.get("previous_rank"),
            rank_change(r.get("rank_delta"), r.get("previous_rank")),
            num(r.get("score_delta")),
            _yes(r.get("on_red_list")),
            _yes(r.get("on_black_list")),
            _yes(r.get("red_flag")),
            _yes(r.get("accountability")),
        ]
        for comp in comps:
            b = by_key.get((comp["key"], comp["label"]), {})
            line += [num(b.get("points")), num(b.get("contribution"))]
        ws.append(line)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, float):
                cell.number_format = NUM


def _breakdown(wb, c: BulletinContent) -> None:
    ws = _sheet(
        wb,
        "指标明细",
        [
            "名次",
            "考核对象",
            "指标",
            "计分方式",
            "权重",
            "适用",
            "原始值",
            "得分",
            "实际权重",
            "计入总分",
        ],
        [6, 28, 22, 10, 8, 6, 10, 9, 9, 9],
    )
    for r in c.rows:
        for b in r.get("breakdown", []):
            detail = b.get("detail") or {}
            ws.append(
                [
                    r.get("rank"),
                    r["name"],
                    b.get("label"),
                    "加权" if b.get("mode") == "weighted" else "加减分",
                    num(b.get("weight")),
                    "是" if b.get("applicable") else "否",
                    detail.get("value") if isinstance(detail.get("value"), str) else None,
                    num(b.get("points")),
                    num(b.get("effective_weight")),
                    num(b.get("contribution")),
                ]
            )


def _lists(wb, c: BulletinContent) -> None:
    ws = _sheet(wb, "红黑榜", ["类别", "名次", "考核对象", "得分"], [12, 8, 30, 10])
    for label, items in (
        ("红榜", c.red_list),
        ("黑榜", c.black_list),
        ("流动红旗", c.red_flag),
        ("约谈问责", c.accountability),
    ):
        for x in items:
            ws.append([label, x.get("rank"), x["name"], num(x.get("score"))])


def _overdue(wb, c: BulletinContent) -> None:
    ws = _sheet(
        wb,
        "超期问题",
        [
            "责任单位",
            "问题编号",
            "问题描述",
            "分类",
            "所在区域",
            "地址",
            "整改时限",
            "督办级别",
            "计入对象",
        ],
        [24, 18, 36, 14, 16, 24, 18, 8, 24],
    )
    for unit, problems in c.overdue_by_unit():
        for p in problems:
            ws.append(
                [
                    unit,
                    p.get("number"),
                    p.get("title"),
                    p.get("category"),
                    p.get("area"),
                    p.get("address"),
                    (p.get("due_at") or "")[:16].replace("T", " "),
                    p.get("escalation_level"),
                    p.get("object"),
                ]
            )


def render_xlsx(c: BulletinContent) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    _ranking(wb, c)
    _breakdown(wb, c)
    _lists(wb, c)
    _overdue(wb, c)
    wb.properties.title = c.title
    wb.properties.creator = c.issuer
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
