"""The bulletin as a Word document in the layout of Chinese official documents
(GB/T 9704-2012 《党政机关公文格式》).

Layout as built:
- A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm (type area 156 × 225 mm).
- 发文机关标志: the issuing office in red 方正小标宋简体, centred, sized to fit one line.
- 发文字号 (e.g. 示范创城办〔2026〕12号) centred below it, then the red separator line
  (a red bottom border on the 文号 paragraph, 1.5 pt, like the "版头中的分隔线").
- Title 方正小标宋简体 二号 (22 pt) centred; body 仿宋_GB2312 三号 (16 pt), first line
  indented two characters, exact 28 pt line spacing (≈ 22 lines per page).
- Level-1 headings 黑体 (一、), level-2 headings 楷体_GB2312 (（一）).
- Tables (ranking, overdue problems by unit) in 仿宋_GB2312 小四, header row 黑体, repeated
  on every page; typical problems with before/after photos side by side.
- Signature (issuing office) and the date in Chinese numerals (二〇二六年十一月二十二日).
- Page numbers "— 1 —" in 宋体 四号: odd pages right, even pages left.

Fonts: the document names the fonts offices use. Word has no per-run fallback list: a
machine without 方正小标宋简体 / 仿宋_GB2312 / 楷体_GB2312 substitutes (typically 华文中宋
or SimSun / FangSong / KaiTi), which keeps the layout close. The East Asian font must be
set on `w:rFonts/@w:eastAsia`; python-docx's `font.name` only sets ascii/hAnsi, so
`_set_font` writes the attribute itself.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from civicloop.bulletins.content import (
    BulletinContent,
    chinese_date,
    chinese_number,
    fmt,
    rank_change,
)

FONT_TITLE = "方正小标宋简体"  # fallback on machines without it: 华文中宋 / SimSun
FONT_BODY = "仿宋_GB2312"  # fallback: 仿宋 (FangSong)
FONT_HEI = "黑体"  # SimHei
FONT_KAI = "楷体_GB2312"  # fallback: 楷体 (KaiTi)
FONT_SONG = "宋体"  # SimSun; page numbers
FONT_LATIN = "Times New Roman"  # digits and Latin letters in the body

RED = RGBColor(0xFF, 0x00, 0x00)
BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
TABLE_PT = 12  # 小四
LINE_PT = 28
TYPE_WIDTH_MM = 156  # 210 − 28 − 26
PHOTO_WIDTH_MM = 72


# --- low-level helpers -------------------------------------------------------------------


def _set_font(run, east_asia: str, size: float | None = None, *, bold: bool = False, color=None):
    run.font.name = FONT_LATIN
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:hint"), "eastAsia")
    if size is not None:
        run.font.size = Pt(size)
    if bold:
        run.font.bold = True
    if color is not None:
        run.font.color.rgb = color
    return run


def _spacing(paragraph, *, exact: float | None = LINE_PT, before: float = 0, after: float = 0):
    pf = paragraph.paragraph_format
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    if exact is None:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        pf.line_spacing = Pt(exact)
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY


def _indent_chars(paragraph, chars: int = 2, size: float = BODY_PT) -> None:
    """First-line indent of N characters (w:firstLineChars keeps it right if the font
    size changes; the twips value is the fallback for readers that ignore it)."""
    paragraph.paragraph_format.first_line_indent = Pt(size * chars)
    ind = paragraph._p.get_or_add_pPr().find(qn("w:ind"))
    if ind is not None:
        ind.set(qn("w:firstLineChars"), str(chars * 100))


def _para(doc, text: str = "", *, font=FONT_BODY, size=BODY_PT, align=None, indent=True, **kw):
    p = doc.add_paragraph()
    _spacing(p)
    if align is not None:
        p.alignment = align
    if indent and text:
        _indent_chars(p, 2, size)
    if text:
        _set_font(p.add_run(text), font, size, **kw)
    return p


def _red_rule_below(paragraph) -> None:
    """The red separator line under the 文号 (版头分隔线): a paragraph bottom border."""
    ppr = paragraph._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "12")  # eighths of a point: 1.5 pt
    bottom.set(qn("w:space"), "6")
    bottom.set(qn("w:color"), "FF0000")
    bdr.append(bottom)
    ppr.append(bdr)


def _page_field(paragraph, size: float) -> None:
    """'— N —' with a PAGE field (Word fills in the number)."""
    _set_font(paragraph.add_run("— "), FONT_SONG, size)
    run = _set_font(paragraph.add_run(), FONT_SONG, size)
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("end", None)):
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._r.append(el)
        if kind == "separate":
            t = OxmlElement("w:t")
            t.text = "1"
            run._r.append(t)
    _set_font(paragraph.add_run(" —"), FONT_SONG, size)


def _footer(doc) -> None:
    section = doc.sections[0]
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),  # odd pages
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.alignment = align
        # One character in from the edge of the type area (GB/T 9704 7.5).
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            p.paragraph_format.right_indent = Pt(14)
        else:
            p.paragraph_format.left_indent = Pt(14)
        _page_field(p, 14)


def _page_setup(doc) -> None:
    s = doc.sections[0]
    s.page_width, s.page_height = Mm(210), Mm(297)
    s.top_margin, s.bottom_margin = Mm(37), Mm(35)
    s.left_margin, s.right_margin = Mm(28), Mm(26)
    s.footer_distance = Mm(28) - Mm(7)  # the page number sits 7 mm below the type area
    normal = doc.styles["Normal"]
    normal.font.name = FONT_LATIN
    normal.font.size = Pt(BODY_PT)
    rfonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), FONT_BODY)
    _table_styles(doc)


TABLE_STYLE = "CL表格正文"
TABLE_HEAD_STYLE = "CL表格表头"
STYLE_IDS: dict[str, str] = {}


def _table_styles(doc) -> None:
    """Paragraph styles for table cells: fonts and spacing are set once on the style,
    not on each of thousands of runs (a 500-row ranking renders ~3x faster)."""
    for name, east_asia in ((TABLE_STYLE, FONT_BODY), (TABLE_HEAD_STYLE, FONT_HEI)):
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        STYLE_IDS[name] = style.style_id  # the same for every document (from the name)
        style.base_style = doc.styles["Normal"]
        style.font.name = FONT_LATIN
        style.font.size = Pt(TABLE_PT)
        rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        rfonts.set(qn("w:eastAsia"), east_asia)
        pf = style.paragraph_format
        pf.space_before = pf.space_after = Pt(0)
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _cell_text(cell, text: str, *, header: bool = False, align=WD_ALIGN_PARAGRAPH.CENTER):
    p = cell.paragraphs[0]
    # Set w:pStyle directly: looking the style up by name per cell is slow.
    p._p.style = STYLE_IDS[TABLE_HEAD_STYLE if header else TABLE_STYLE]
    p.alignment = align
    p.add_run(text)


def _table(
    doc,
    headers: list[str],
    rows: Iterable[list[str]],
    widths_mm: list[float],
    *,
    left_cols: frozenset[int] = frozenset(),
):
    """A grid table: header row in 黑体 repeated on each page, body in 仿宋 小四."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head = table.rows[0]
    _repeat_header(head)
    for cell, text, width in zip(head.cells, headers, widths_mm, strict=True):
        cell.width = Mm(width)
        _cell_text(cell, text, header=True)
    # Column widths go on the grid (and the header cells); body cells inherit them, which
    # saves a tcW element per cell in long tables.
    for col, width in zip(table._tbl.tblGrid.gridCol_lst, widths_mm, strict=True):
        col.w = Mm(width)
    for values in rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, values, strict=True)):
            align = WD_ALIGN_PARAGRAPH.LEFT if i in left_cols else WD_ALIGN_PARAGRAPH.CENTER
            _cell_text(cell, text, align=align)
    return table


class _Numbering:
    """一、二、… for level-1 headings; （一）（二）… restarting under each level 1."""

    def __init__(self):
        self.top = 0
        self.sub = 0

    def h1(self, doc, text: str) -> None:
        self.top += 1
        self.sub = 0
        _para(doc, f"{chinese_number(self.top)}、{text}", font=FONT_HEI)

    def h2(self, doc, text: str) -> None:
        self.sub += 1
        _para(doc, f"（{chinese_number(self.sub)}）{text}", font=FONT_KAI)


def _names(items: list[dict], *, with_score: bool = True) -> str:
    if not items:
        return "无"
    if with_score:
        return "、".join(f"{x['name']}（{fmt(x.get('score'))}分）" for x in items)
    return "、".join(x["name"] for x in items)


# --- sections -------------------------------------------------------------------------------


def _header(doc, c: BulletinContent) -> None:
    # Fit the issuing office on one line of the 156 mm type area (≈ 2.83 pt per mm),
    # never larger than 初号-ish 42 pt.
    size = max(16, min(42, int(TYPE_WIDTH_MM * 2.83 * 0.92 / max(len(c.issuer), 1))))
    p = _para(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _spacing(p, exact=None, before=12, after=6)
    _set_font(p.add_run(c.issuer), FONT_TITLE, size, color=RED)
    _para(doc, indent=False)
    num = _para(doc, c.doc_number, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _red_rule_below(num)
    _para(doc, indent=False)
    title = _para(
        doc, c.title, font=FONT_TITLE, size=TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False
    )
    _spacing(title, exact=36)
    _para(doc, indent=False)
    _para(doc, c.addressee, indent=False)


def _intro(doc, c: BulletinContent) -> None:
    _para(
        doc,
        f"为深入推进全国文明城市创建工作，压紧压实各级创建责任，根据《{c.scheme_name}》，"
        f"现将{c.period_label}（{c.start_date}至{c.end_date}）各{c.group_noun}创城工作"
        f"考核结果通报如下：",
    )
    if c.version > 1 and c.correction_reason:
        _para(
            doc,
            f"本通报为第{c.version}版（更正版），更正原因：{c.correction_reason}。"
            f"此前版本同时作废。",
        )


def _ranking(doc, c: BulletinContent, n: _Numbering) -> None:
    n.h1(doc, "考核结果")
    ranked = [r for r in c.rows if r.get("rank") is not None]
    grades: dict[str, int] = {}
    for r in ranked:
        grades[r.get("grade") or "—"] = grades.get(r.get("grade") or "—", 0) + 1
    grade_text = "，".join(f"{g}等{k}个" for g, k in sorted(grades.items()))
    unranked = len(c.rows) - len(ranked)
    text = f"本期共考核{len(c.rows)}个{c.group_noun}"
    if ranked:
        text += f"，参与排名{len(ranked)}个（{grade_text}）"
    if unranked:
        text += f"，{unranked}个因本期无考核数据未参与排名"
    _para(doc, text + "。具体排名如下：")
    rows = [
        [
            str(r["rank"]) if r.get("rank") is not None else "—",
            r["name"],
            fmt(r.get("score")),
            r.get("grade") or "—",
            rank_change(r.get("rank_delta"), r.get("previous_rank")),
        ]
        for r in c.rows
    ]
    _table(
        doc,
        ["名次", "考核对象", "得分", "等次", "名次变化"],
        rows,
        [18, 70, 24, 18, 26],
        left_cols=frozenset({1}),
    )
    _para(doc, indent=False)


def _lists(doc, c: BulletinContent, n: _Numbering) -> None:
    n.h1(doc, "红黑榜")
    n.h2(doc, "红榜")
    _para(doc, f"{_names(c.red_list)}。")
    n.h2(doc, "黑榜")
    _para(doc, f"{_names(c.black_list)}。")
    n.h1(doc, "流动红旗和约谈问责")
    n.h2(doc, "流动红旗")
    if c.red_flag:
        _para(
            doc, f"经研究，授予{_names(c.red_flag, with_score=False)}本期“流动红旗”，予以通报表扬。"
        )
    else:
        _para(doc, "本期不授予“流动红旗”。")
    n.h2(doc, "约谈问责")
    if c.accountability:
        k = c.settings.get("accountability_periods")
        bottom = c.settings.get("accountability_bottom_n")
        _para(
            doc,
            f"{_names(c.accountability, with_score=False)}连续{k}期位列后{bottom}名，"
            f"按规定由市创城办对其主要负责同志进行约谈，限期提交书面整改报告。",
        )
    else:
        _para(doc, "本期无约谈问责对象。")


def _overdue(doc, c: BulletinContent, n: _Numbering) -> None:
    n.h1(doc, "超期未整改问题")
    groups = c.overdue_by_unit()
    if not groups:
        _para(doc, "截至本期末，无超期未整改问题。")
        return
    _para(doc, f"截至本期末，共有{len(c.overdue)}个问题超期未整改，按责任单位列示如下：")
    for unit, problems in groups:
        n.h2(doc, f"{unit}（{len(problems)}件）")
        rows = [
            [
                str(i),
                p.get("number", ""),
                p.get("title", ""),
                p.get("area", ""),
                (p.get("due_at") or "")[:10],
            ]
            for i, p in enumerate(problems, start=1)
        ]
        _table(
            doc,
            ["序号", "问题编号", "问题描述", "所在区域", "整改时限"],
            rows,
            [14, 34, 56, 30, 22],
            left_cols=frozenset({2}),
        )
        _para(doc, indent=False)


def _photo_cell(cell, data: bytes | None, caption: str) -> int:
    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(p, exact=None)  # exact spacing would clip an inline picture
    count = 0
    if data:
        try:
            p.add_run().add_picture(io.BytesIO(data), width=Mm(PHOTO_WIDTH_MM))
            count = 1
        except Exception:  # noqa: BLE001 - an unreadable image must not sink the bulletin
            _set_font(p.add_run("（照片无法读取）"), FONT_BODY, TABLE_PT)
    else:
        _set_font(p.add_run("（无照片）"), FONT_BODY, TABLE_PT)
    cap = cell.add_paragraph()
    cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(cap, exact=None)
    _set_font(cap.add_run(caption), FONT_KAI, TABLE_PT)
    return count


def _typical(doc, c: BulletinContent, n: _Numbering) -> int:
    if not c.typical:
        return 0
    n.h1(doc, "典型问题")
    photos = 0
    for t in c.typical:
        n.h2(doc, t.title or t.number)
        _para(
            doc,
            f"问题编号{t.number}，责任单位：{t.unit or '—'}，位置：{t.area or '—'}。"
            f"{t.description}",
        )
        table = doc.add_table(rows=1, cols=2)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        before, after = table.rows[0].cells
        before.width = after.width = Mm(TYPE_WIDTH_MM / 2)
        photos += _photo_cell(before, t.before, "整改前")
        photos += _photo_cell(after, t.after, "整改后")
        _para(doc, indent=False)
    return photos


def _requirements(doc, n: _Numbering) -> None:
    n.h1(doc, "工作要求")
    _para(
        doc,
        "各单位要对照本通报指出的问题，逐条建立整改台账，明确责任人和整改时限，"
        "做到问题不解决不销号、整改不到位不放过。",
    )
    _para(
        doc,
        "对排名靠后、连续被通报的单位，市创城办将会同有关部门进行督导约谈；"
        "对超期未整改问题，将按规定挂牌督办，并纳入年度考核。",
    )


def _signature(doc, c: BulletinContent) -> None:
    for _ in range(2):
        _para(doc, indent=False)
    for text in (c.issuer, chinese_date(c.signed_on)):
        p = _para(doc, text, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
        p.paragraph_format.right_indent = Pt(BODY_PT * 4)  # 右空四字 (GB/T 9704 7.3.5.1)


def render_docx(c: BulletinContent) -> tuple[bytes, int]:
    """The DOCX bytes and the number of photos embedded."""
    doc = Document()
    _page_setup(doc)
    _footer(doc)
    # The default template starts with an empty paragraph only in some versions.
    _header(doc, c)
    _intro(doc, c)
    n = _Numbering()
    _ranking(doc, c, n)
    _lists(doc, c, n)
    _overdue(doc, c, n)
    photos = _typical(doc, c, n)
    _requirements(doc, n)
    _signature(doc, c)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue(), photos
