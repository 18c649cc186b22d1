"""Bulletin documents: DOCX content and layout, XLSX numbers, job status transitions."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from openpyxl import load_workbook

from civicloop.bulletins import services
from civicloop.bulletins.content import chinese_date, rank_change
from civicloop.bulletins.models import Bulletin, JobStatus, PdfStatus
from civicloop.bulletins.renderers import pdf as pdf_renderer
from civicloop.bulletins.tests.conftest import EXPECTED, add_photo
from civicloop.core.errors import NotFound, NotPermitted
from civicloop.core.models import AuditEvent
from civicloop.problems.models import EvidenceKind

pytestmark = pytest.mark.django_db(transaction=False)


def generate(published, **kw) -> Bulletin:
    with_commit = kw.pop("captured", None)
    bulletin = services.bulletin_request(published.city.command, published.snapshot, **kw)
    if with_commit is not None:
        return bulletin
    return (
        services.bulletin_generate(bulletin.pk)
        if bulletin.status == JobStatus.QUEUED
        else (bulletin)
    )


def open_docx(bulletin: Bulletin) -> Document:
    with default_storage.open(bulletin.docx.name, "rb") as fh:
        return Document(io.BytesIO(fh.read()))


def test_chinese_date_and_arrows():
    assert chinese_date(date(2026, 11, 22)) == "二〇二六年十一月二十二日"
    assert chinese_date(date(2025, 3, 10)) == "二〇二五年三月十日"
    assert chinese_date(date(2030, 10, 31)) == "二〇三〇年十月三十一日"
    assert [rank_change(2, 5), rank_change(-1, 1), rank_change(0, 3), rank_change(None, None)] == [
        "↑2",
        "↓1",
        "—",
        "新",
    ]


def test_docx_has_title_ranking_in_order_and_photos(published, django_capture_on_commit_callbacks):
    city = published.city
    add_photo(city.d_open, EvidenceKind.AFTER, color=(30, 160, 30))
    with django_capture_on_commit_callbacks(execute=True):
        b = services.bulletin_request(city.command, published.snapshot)
    b.refresh_from_db()
    assert b.status == JobStatus.SUCCEEDED, b.error
    assert b.doc_number == f"示范创城办〔{timezone.localdate().year}〕1号"
    doc = open_docx(b)
    texts = [p.text for p in doc.paragraphs]
    assert b.title in texts
    assert b.title == "关于2025年第10周（03.03—03.09）点位责任单位周考核考核结果的通报"
    assert texts[0] == "示范市创建全国文明城市工作指挥部办公室"
    assert b.doc_number in texts

    ranking = doc.tables[0]
    header = [c.text for c in ranking.rows[0].cells]
    assert header == ["名次", "考核对象", "得分", "等次", "名次变化"]
    names = {
        x.code: x.name
        for x in (
            city.units.A,
            city.units.B,
            city.units.C,
            city.units.D,
            city.units.E,
            city.units.F,
        )
    }
    body = [[c.text for c in row.cells] for row in ranking.rows[1:]]
    expected = [
        [str(rank) if rank else "—", names[code], score or "—", grade or "—", "新"]
        for rank, code, score, grade in EXPECTED
    ]
    # B and C tie at rank 1: their relative order is the snapshot's position order.
    assert sorted(body[:2]) == sorted(expected[:2])
    assert body[2:] == expected[2:]

    # The typical problem (D's overdue one) with before and after photos side by side.
    assert len(doc.inline_shapes) == 2
    assert b.photo_count == 2
    photo_table = doc.tables[-1]
    assert [c.paragraphs[-1].text for c in photo_table.rows[0].cells] == ["整改前", "整改后"]
    # Overdue problems by unit: D's unit heading and the problem number.
    assert any(t.startswith("（一）西兴街道办事处（1件）") for t in texts)
    assert any(city.d_open.number in c.text for t in doc.tables for r in t.rows for c in r.cells)
    # Signature and Chinese date.
    assert texts[-2] == b.issuer and texts[-1].startswith("二〇")


def test_docx_layout_fonts_margins_red_line_and_page_numbers(published):
    b = generate(published)
    doc = open_docx(b)
    s = doc.sections[0]
    assert (round(s.top_margin.mm), round(s.bottom_margin.mm)) == (37, 35)
    assert (round(s.left_margin.mm), round(s.right_margin.mm)) == (28, 26)
    assert abs(s.page_width - Mm(210)) < Mm(1) and abs(s.page_height - Mm(297)) < Mm(1)

    def east_asia(run) -> str:
        return run._element.rPr.rFonts.get(qn("w:eastAsia"))

    header_run = doc.paragraphs[0].runs[0]
    assert east_asia(header_run) == "方正小标宋简体"
    assert str(header_run.font.color.rgb) == "FF0000"
    title = next(p for p in doc.paragraphs if p.text == b.title)
    assert east_asia(title.runs[0]) == "方正小标宋简体" and title.runs[0].font.size.pt == 22
    body = next(p for p in doc.paragraphs if p.text.startswith("为深入推进"))
    assert east_asia(body.runs[0]) == "仿宋_GB2312" and body.runs[0].font.size.pt == 16
    assert body.paragraph_format.line_spacing.pt == 28
    h1 = next(p for p in doc.paragraphs if p.text == "一、考核结果")
    assert east_asia(h1.runs[0]) == "黑体"
    h2 = next(p for p in doc.paragraphs if p.text == "（一）红榜")
    assert east_asia(h2.runs[0]) == "楷体_GB2312"
    number = next(p for p in doc.paragraphs if p.text == b.doc_number)
    border = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert border.get(qn("w:color")) == "FF0000"
    footer_xml = s.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer_xml and s.footer.paragraphs[0].text.startswith("— ")
    assert s.even_page_footer.paragraphs[0].text.endswith(" —")


def test_xlsx_has_the_snapshot_numbers(published):
    b = generate(published)
    with default_storage.open(b.xlsx.name, "rb") as fh:
        wb = load_workbook(io.BytesIO(fh.read()))
    ws = wb["考核排名"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["名次", "考核对象", "总分", "等次"]
    assert "实地检查得分率得分" in header and "问题按期整改率计入" in header
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    snap_rows = sorted(
        published.snapshot.rows.all(), key=lambda r: (r.rank is None, r.rank or 0, r.position)
    )
    assert len(rows) == len(snap_rows) == 6
    for line, row in zip(rows, snap_rows, strict=True):
        assert line[0] == row.rank and line[1] == row.name and (line[3] or "") == row.grade
        assert (Decimal(str(line[2])) if line[2] is not None else None) == row.score
        assert Decimal(str(line[5])) == row.adjustment
        # Component columns equal the frozen breakdown.
        for b_item in row.breakdown:
            col = header.index(f"{b_item['label']}得分")
            want = b_item["points"]
            assert (None if want is None else Decimal(want)) == (
                None if line[col] is None else Decimal(str(line[col]))
            )
    assert {ws.title for ws in wb.worksheets} == {"考核排名", "指标明细", "红黑榜", "超期问题"}
    overdue = {r[1] for r in wb["超期问题"].iter_rows(min_row=2, values_only=True)}
    assert overdue == {p["number"] for p in published.snapshot.data["overdue_problems"]}
    assert published.city.d_open.number in overdue and len(overdue) == 2  # D's and E's


def test_published_numbers_frozen_in_bulletin_after_data_changes(published):
    from civicloop.scoring import services as scoring_services

    city = published.city
    # Reopen and change live data; the v1 bulletin must still show v1 numbers.
    scoring_services.period_reopen(city.command, city.week1, reason="更正材料")
    scoring_services.adjustment_create(
        city.command, city.week1, city.objs["D"], points="50", reason="补录加分"
    )
    b = generate(published)
    body = [[c.text for c in r.cells] for r in open_docx(b).tables[0].rows[1:]]
    assert ["5", city.units.D.name, "40.70", "D", "新"] in body


def test_job_status_transitions_and_idempotence(published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        b = services.bulletin_request(published.city.command, published.snapshot)
    assert b.status == JobStatus.QUEUED and b.progress == 0 and len(callbacks) == 1
    done = services.bulletin_generate(b.pk)
    assert done.status == JobStatus.SUCCEEDED and done.progress == 100
    assert done.started_at and done.finished_at and done.duration_ms is not None
    # A second run of the task does nothing (already claimed).
    again = services.bulletin_generate(b.pk)
    assert again.finished_at == done.finished_at
    expected_pdf = PdfStatus.READY if pdf_renderer.pdf_available() else PdfStatus.UNAVAILABLE
    assert done.pdf_status == expected_pdf
    assert AuditEvent.objects.filter(action="bulletin_request", object_id=str(b.pk)).exists()


def test_failure_is_recorded_and_retry_works(
    published, monkeypatch, django_capture_on_commit_callbacks
):
    b = services.bulletin_request(published.city.command, published.snapshot)
    Bulletin.objects.filter(pk=b.pk).update(status=JobStatus.QUEUED)

    def boom(_content):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "render_docx", boom)
    failed = services.bulletin_generate(b.pk)
    assert failed.status == JobStatus.FAILED and "disk full" in failed.error
    assert not failed.docx
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.bulletin_retry(published.city.command, failed)
    retried = Bulletin.objects.get(pk=b.pk)
    assert retried.status == JobStatus.SUCCEEDED  # eager: ran on commit


def test_no_photos_when_disabled(published):
    b = generate(published, include_photos=False)
    assert len(open_docx(b).inline_shapes) == 0 and b.photo_count == 0


def test_only_command_requests_bulletins(published):
    p = published.city.world.p
    with pytest.raises(NotPermitted):
        services.bulletin_request(p.leader, published.snapshot)
    with pytest.raises(NotFound):
        services.bulletin_request(p.citizen, published.snapshot)
    with pytest.raises((NotFound, NotPermitted)):
        services.bulletin_request(p.outsider, published.snapshot)
    assert not Bulletin.objects.exists()


def test_pdf_unavailable_is_not_an_error(published, monkeypatch):
    monkeypatch.setattr(pdf_renderer, "converter", lambda: None)
    b = generate(published)
    assert b.status == JobStatus.SUCCEEDED and b.pdf_status == PdfStatus.UNAVAILABLE
    assert not b.pdf
