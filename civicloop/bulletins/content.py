"""What a bulletin says, built from a published snapshot (never from live tables).

`build_content(bulletin)` turns `PublishedSnapshot.data` (frozen by the scoring app) and
the bulletin's own frozen settings into a `BulletinContent` the renderers (DOCX, XLSX)
print. Photos are the only thing read from storage: evidence files are immutable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.files.storage import default_storage
from django.utils import timezone

from civicloop.scoring.models import ObjectGroup

GROUP_NOUN = {
    ObjectGroup.DEPARTMENTS: "部门",
    ObjectGroup.STREETS: "街道（乡镇）",
    ObjectGroup.COMMUNITIES: "社区（村）",
    ObjectGroup.POINT_UNITS: "点位责任单位",
}

CN_DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99 the way dates are written in official documents: 十一, 二十, 二十二."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CN_DIGITS[tens]
    return f"{head}十{CN_DIGITS[ones] if ones else ''}"


def chinese_date(d: date) -> str:
    """2026-11-22 → 二〇二六年十一月二十二日 (GB/T 9704 成文日期)."""
    year = "".join(CN_DIGITS[int(c)] for c in str(d.year))
    return f"{year}年{chinese_number(d.month)}月{chinese_number(d.day)}日"


def rank_change(delta: int | None, previous_rank: int | None) -> str:
    """Arrow text for a rank change: ↑2, ↓1, — (unchanged), 新 (no previous rank)."""
    if previous_rank is None or delta is None:
        return "新"
    if delta > 0:
        return f"↑{delta}"
    if delta < 0:
        return f"↓{-delta}"
    return "—"


def fmt(value) -> str:
    """Numbers as the page shows them: two places, '—' for none."""
    if value in (None, ""):
        return "—"
    return f"{Decimal(str(value)):.2f}"


def ranked_first(rows: list[dict]) -> list[dict]:
    """Snapshot rows in rank order with unranked objects last. The snapshot's own
    position order puts rank NULL first on SQLite (ORDER BY rank), last on PostgreSQL;
    documents must not depend on the database."""
    return sorted(
        rows, key=lambda r: (r.get("rank") is None, r.get("rank") or 0, r.get("position", 0))
    )


@dataclass
class TypicalProblem:
    number: str
    title: str
    unit: str
    area: str
    description: str
    before: bytes | None = None
    after: bytes | None = None


@dataclass
class BulletinContent:
    issuer: str
    doc_number: str
    title: str
    addressee: str
    signed_on: date
    scheme_name: str
    period_label: str
    start_date: str
    end_date: str
    group_noun: str
    version: int
    correction_reason: str
    settings: dict
    rows: list[dict]
    red_list: list[dict]
    black_list: list[dict]
    red_flag: list[dict]
    accountability: list[dict]
    overdue: list[dict]
    typical: list[TypicalProblem] = field(default_factory=list)

    @property
    def components(self) -> list[dict]:
        return self.settings.get("components", [])

    def overdue_by_unit(self) -> list[tuple[str, list[dict]]]:
        """Overdue problems grouped by responsible unit, in the frozen order."""
        groups: dict[str, list[dict]] = {}
        for p in self.overdue:
            groups.setdefault(p.get("unit") or p.get("object") or "未派遣单位", []).append(p)
        return list(groups.items())


def read_photo(name: str | None) -> bytes | None:
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        return None  # a missing file leaves a captioned blank cell, not a failed bulletin


def _photo_names(evidence_ids: set[int]) -> dict[int, str]:
    from civicloop.problems.models import Evidence

    out = {}
    for pk, file, thumb in Evidence.objects.filter(pk__in=evidence_ids).values_list(
        "pk", "file", "thumbnail"
    ):
        # Thumbnails (320 px) print well at 7 cm and keep a 50-photo bulletin small.
        out[pk] = thumb or file
    return out


def build_content(bulletin) -> BulletinContent:
    snapshot = bulletin.snapshot
    data = snapshot.data
    settings = data.get("scheme", {})
    typical: list[TypicalProblem] = []
    names: dict[int, str] = {}
    if bulletin.include_photos:
        ids = {t.get(k) for t in bulletin.typical for k in ("before_id", "after_id")} - {None}
        names = _photo_names(ids)
    for t in bulletin.typical:
        typical.append(
            TypicalProblem(
                number=t.get("number", ""),
                title=t.get("title", ""),
                unit=t.get("unit", ""),
                area=t.get("area", ""),
                description=t.get("description", ""),
                before=read_photo(names.get(t.get("before_id"))),
                after=read_photo(names.get(t.get("after_id"))),
            )
        )
    period = data.get("period", {})
    return BulletinContent(
        issuer=bulletin.issuer,
        doc_number=bulletin.doc_number,
        title=bulletin.title,
        addressee="各区、各有关单位：",
        signed_on=timezone.localdate(snapshot.published_at),
        scheme_name=settings.get("name", ""),
        period_label=period.get("label", ""),
        start_date=period.get("start_date", ""),
        end_date=period.get("end_date", ""),
        group_noun=GROUP_NOUN.get(settings.get("object_group"), "考核对象"),
        version=snapshot.version,
        correction_reason=snapshot.reason,
        settings=settings,
        rows=ranked_first(data.get("rows", [])),
        red_list=data.get("red_list", []),
        black_list=data.get("black_list", []),
        red_flag=data.get("red_flag", []),
        accountability=data.get("accountability", []),
        overdue=data.get("overdue_problems", []),
        typical=typical,
    )
