"""Uploads: EXIF kept as data and stripped from the file, limits with clear errors,
thumbnails, and nothing written to storage unless the transaction commits."""

import io
import zipfile
from datetime import datetime

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image

from civicloop.core.errors import ValidationFailed
from civicloop.problems import evidence, services
from civicloop.problems.models import Evidence, EvidenceKind, Status
from civicloop.problems.tests.conftest import bring_to, photo


def _exif_photo(name="scene.jpg", size=(800, 600)):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make: must not survive
    exif[0x0110] = "SecretPhone 12"  # Model
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2025:04:01 10:20:30"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (36.0, 30.0, 0.0)
    gps[3], gps[4] = "E", (117.0, 1.0, 12.0)
    return photo(name, size=size, exif=exif)


def test_exif_read_as_data_and_stripped_from_the_file():
    upload = _exif_photo()
    assert b"SecretPhone" in upload.read()
    processed = evidence.process_upload(upload)
    assert processed.exif_taken_at == datetime.fromisoformat("2025-04-01T10:20:30+08:00")
    assert processed.exif_lat == pytest.approx(36.5)
    assert processed.exif_lng == pytest.approx(117.02)
    assert processed.content_type == "image/jpeg"
    assert b"SecretPhone" not in processed.content and b"Exif" not in processed.content
    stored = Image.open(io.BytesIO(processed.content))
    assert len(stored.getexif()) == 0
    assert (processed.width, processed.height) == (800, 600)
    thumb = Image.open(io.BytesIO(processed.thumbnail))
    assert max(thumb.size) == evidence.THUMB_SIZE


def test_png_with_alpha_stays_png():
    buf = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(buf, "PNG")
    processed = evidence.process_upload(SimpleUploadedFile("a.png", buf.getvalue()))
    assert processed.content_type == "image/png" and processed.exif_taken_at is None


def test_size_and_type_limits_have_clear_messages():
    big = SimpleUploadedFile("big.jpg", b"\xff" * (evidence.MAX_UPLOAD_BYTES + 1))
    with pytest.raises(ValidationFailed, match="10 MB"):
        evidence.process_upload(big)
    with pytest.raises(ValidationFailed, match="不支持的文件类型"):
        evidence.process_upload(SimpleUploadedFile("x.jpg", b"just some text"))
    with pytest.raises(ValidationFailed, match="不支持的文件类型"):  # GIF is an image, not allowed
        buf = io.BytesIO()
        Image.new("RGB", (4, 4)).save(buf, "GIF")
        evidence.process_upload(SimpleUploadedFile("x.gif", buf.getvalue()))
    heic = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 32
    with pytest.raises(ValidationFailed, match="HEIC"):
        evidence.process_upload(SimpleUploadedFile("IMG_1.HEIC", heic))
    with pytest.raises(ValidationFailed, match="空文件"):
        evidence.process_upload(SimpleUploadedFile("e.pdf", b""))


def test_documents_by_content():
    pdf = evidence.process_upload(SimpleUploadedFile("report.pdf", b"%PDF-1.4\n..."))
    assert pdf.content_type == "application/pdf" and pdf.thumbnail is None
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    docx = evidence.process_upload(SimpleUploadedFile("整改报告.docx", buf.getvalue()))
    assert docx.extension == "docx" and docx.original_name == "整改报告.docx"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _files(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file())


@pytest.mark.django_db(transaction=True)
def test_files_written_on_commit_only(ledger, media):
    problem = bring_to(ledger, Status.RECTIFYING)
    assert _files(media) == []
    with pytest.raises(RuntimeError), transaction.atomic():
        services.problem_submit(
            user=ledger.p.handler_a, problem=problem, description="已清理", files=[_exif_photo()]
        )
        raise RuntimeError("something later in the request failed")
    assert _files(media) == [] and not Evidence.objects.filter(kind="after").exists()
    problem.refresh_from_db()
    assert problem.status == Status.RECTIFYING
    services.problem_submit(
        user=ledger.p.handler_a, problem=problem, description="已清理", files=[_exif_photo()]
    )
    row = Evidence.objects.get(problem=problem, kind=EvidenceKind.AFTER)
    assert default_storage.exists(row.file.name) and default_storage.exists(row.thumbnail.name)
    assert len(_files(media)) == 2
    assert row.exif_lat == pytest.approx(36.5) and row.event.action == "submit"
    with default_storage.open(row.file.name) as fh:
        assert b"SecretPhone" not in fh.read()


def test_validation_failure_stores_nothing(ledger, django_capture_on_commit_callbacks):
    problem = bring_to(ledger, Status.RECTIFYING)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationFailed):
        services.problem_submit(
            user=ledger.p.handler_a,
            problem=problem,
            description="已清理",
            files=[photo(), SimpleUploadedFile("x.exe", b"MZ....")],
        )
    assert callbacks == [] and not Evidence.objects.filter(problem=problem, kind="after").exists()


def test_submit_requires_after_evidence_and_uses_staged_uploads(ledger):
    problem = bring_to(ledger, Status.RECTIFYING)
    h = ledger.p.handler_a
    with pytest.raises(ValidationFailed, match="整改后照片"):
        services.problem_submit(user=h, problem=problem, description="已清理")
    with pytest.raises(ValidationFailed, match="整改情况"):
        services.problem_submit(user=h, problem=problem, description=" ", files=[photo()])
    staged = services.evidence_upload(user=h, problem=problem, kind="after", file=photo())
    assert staged.event_id is None
    services.problem_submit(user=h, problem=problem, description="已清理")
    staged.refresh_from_db()
    assert staged.event.action == "submit" and problem.status == Status.SUBMITTED


def test_upload_permissions(ledger):
    from civicloop.core.errors import NotFound, NotPermitted

    problem = bring_to(ledger, Status.DISPATCHED)
    with pytest.raises(NotFound):
        services.evidence_upload(
            user=ledger.p.handler_b, problem=problem, kind="after", file=photo()
        )
    with pytest.raises(NotPermitted):  # the unit adds after-photos only while rectifying
        services.evidence_upload(
            user=ledger.p.handler_a, problem=problem, kind="after", file=photo()
        )
    row = services.evidence_upload(
        user=ledger.p.inspector, problem=problem, kind="before", file=photo()
    )
    with pytest.raises(NotPermitted):
        services.evidence_delete(user=ledger.p.command, evidence=row)
    services.evidence_delete(user=ledger.p.inspector, evidence=row)
    assert not Evidence.objects.filter(pk=row.pk).exists()
