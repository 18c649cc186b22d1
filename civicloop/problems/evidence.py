"""Upload processing for problem evidence (photos and documents).

- Type is decided from the content (magic bytes / Pillow), never from the file name:
  JPEG, PNG, WebP images; PDF, DOCX, XLSX documents. HEIC gets its own clear message.
- Images are re-encoded with Pillow after applying the EXIF orientation: the stored file
  carries no metadata at all (no GPS, no camera serial). The EXIF capture time and GPS
  position are read first and kept as data on the Evidence row.
- Size limit MAX_UPLOAD_BYTES; images larger than MAX_IMAGE_SIDE are scaled down; a
  THUMB_SIZE thumbnail is made for every image.
- Files reach storage only when the transaction commits (`transaction.on_commit`), so a
  failed service leaves nothing behind. The Evidence row carries the final name from the
  start (a random UUID path, so the storage never renames it).
"""

from __future__ import annotations

import hashlib
import io
import logging
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from civicloop.core.errors import ValidationFailed

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_IMAGE_SIDE = 4096
THUMB_SIZE = 320
MAX_PIXELS = 60_000_000  # decompression-bomb guard (a 60 MP photo is already extreme)

IMAGE_FORMATS = {"JPEG", "PNG", "WEBP"}
DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ALLOWED_LABEL = "JPG、PNG、WebP 图片或 PDF、Word(docx)、Excel(xlsx) 文件"


@dataclass
class ProcessedUpload:
    content: bytes
    content_type: str
    extension: str
    original_name: str
    sha256: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None
    exif_taken_at: datetime | None = None
    exif_lng: float | None = None
    exif_lat: float | None = None

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def process_upload(upload) -> ProcessedUpload:
    """Validate and normalise one uploaded file (a Django UploadedFile or any file object
    with .read() and .name). Raises ValidationFailed with a Chinese message."""
    name = (getattr(upload, "name", "") or "").rsplit("/", 1)[-1][:255]
    declared = getattr(upload, "size", None)
    if declared is not None and declared > MAX_UPLOAD_BYTES:
        raise ValidationFailed(_too_big(name))
    if hasattr(upload, "seek"):
        upload.seek(0)
    raw = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(_too_big(name))
    if not raw:
        raise ValidationFailed(f"文件“{name}”是空文件")
    if _is_heic(raw):
        raise ValidationFailed(
            f"暂不支持 HEIC 格式的照片（{name}）。请在手机相机设置中选择“兼容性最佳”，"
            "或将照片转为 JPG 后上传。"
        )
    document = _document_type(raw)
    if document is not None:
        return ProcessedUpload(
            content=raw,
            content_type=DOCUMENT_TYPES[document],
            extension=document,
            original_name=name,
            sha256=hashlib.sha256(raw).hexdigest(),
        )
    return _process_image(raw, name)


def _too_big(name: str) -> str:
    return f"文件“{name}”超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB 的大小限制"


def _is_heic(raw: bytes) -> bool:
    return raw[4:8] == b"ftyp" and raw[8:12] in {b"heic", b"heix", b"mif1", b"msf1", b"hevc"}


def _document_type(raw: bytes) -> str | None:
    if raw.startswith(b"%PDF-"):
        return "pdf"
    if raw.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(raw)).namelist())
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    return None


def _process_image(raw: bytes, name: str) -> ProcessedUpload:
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationFailed(f"图片“{name}”像素过大，请压缩后上传")
        img = Image.open(io.BytesIO(raw))
        img.load()
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationFailed(f"不支持的文件类型（{name}），仅支持{ALLOWED_LABEL}") from exc
    if fmt not in IMAGE_FORMATS:
        raise ValidationFailed(f"不支持的文件类型（{name}），仅支持{ALLOWED_LABEL}")

    taken_at, lng, lat = read_exif(img)
    img = ImageOps.exif_transpose(img)  # keep the picture upright once EXIF is gone
    img.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    has_alpha = img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info)
    content = _encode(img, keep_alpha=has_alpha)
    thumb = img.copy()
    thumb.thumbnail((THUMB_SIZE, THUMB_SIZE))
    return ProcessedUpload(
        content=content,
        content_type="image/png" if has_alpha else "image/jpeg",
        extension="png" if has_alpha else "jpg",
        original_name=name,
        sha256=hashlib.sha256(content).hexdigest(),
        width=img.width,
        height=img.height,
        thumbnail=_encode(thumb, keep_alpha=has_alpha),
        exif_taken_at=taken_at,
        exif_lng=lng,
        exif_lat=lat,
    )


def _encode(img: Image.Image, *, keep_alpha: bool) -> bytes:
    """Write pixels only: a fresh image carries no EXIF/XMP/ICC text chunks."""
    out = io.BytesIO()
    if keep_alpha:
        img.convert("RGBA").save(out, "PNG", optimize=True)
    else:
        img.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


# --- EXIF -------------------------------------------------------------------------------


def read_exif(img: Image.Image) -> tuple[datetime | None, float | None, float | None]:
    """(capture time, WGS-84 longitude, latitude) from EXIF, each None when absent/bad."""
    try:
        exif = img.getexif()
    except Exception:  # corrupt EXIF must never block an upload
        return None, None, None
    taken_at = _exif_time(exif)
    lng, lat = _exif_gps(exif)
    return taken_at, lng, lat


def _exif_time(exif) -> datetime | None:
    try:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        raw = sub.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
        if not raw:
            return None
        value = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        offset = sub.get(ExifTags.Base.OffsetTimeOriginal)
        if offset:
            sign = -1 if str(offset).startswith("-") else 1
            hours, minutes = str(offset).lstrip("+-").split(":")
            tz = dt_timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
            return value.replace(tzinfo=tz)
        # Phones write local wall time without an offset: assume the city's zone.
        return timezone.make_aware(value, timezone.get_default_timezone())
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _dms(value, ref) -> float | None:
    degrees, minutes, seconds = (float(v) for v in value)
    result = degrees + minutes / 60 + seconds / 3600
    if str(ref).upper().startswith(("S", "W")):
        result = -result
    return result


def _exif_gps(exif) -> tuple[float | None, float | None]:
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        lat_v, lat_ref = gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef)
        lng_v, lng_ref = gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef)
        if not (lat_v and lng_v):
            return None, None
        lat, lng = _dms(lat_v, lat_ref or "N"), _dms(lng_v, lng_ref or "E")
        if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):
            return None, None
        return round(lng, 7), round(lat, 7)
    except (ValueError, TypeError, ZeroDivisionError, KeyError, AttributeError):
        return None, None


# --- Storage ----------------------------------------------------------------------------


def storage_names(processed: ProcessedUpload, now: datetime) -> tuple[str, str]:
    """Random, date-bucketed names: guessable names would leak other people's photos."""
    local = timezone.localtime(now)
    stem = f"problems/{local:%Y/%m}/{uuid.uuid4().hex}"
    thumb = f"{stem}_thumb.{processed.extension}" if processed.thumbnail else ""
    return f"{stem}.{processed.extension}", thumb


def write_on_commit(name: str, content: bytes) -> None:
    """Write the file once (and only if) the surrounding transaction commits."""

    def _write() -> None:
        saved = default_storage.save(name, ContentFile(content))
        if saved != name:  # only possible on a UUID collision; keep the row consistent
            logger.error("evidence stored as %s instead of %s", saved, name)

    transaction.on_commit(_write)
