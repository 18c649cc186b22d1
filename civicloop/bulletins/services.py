"""Every write of the bulletins app: bulletin jobs and the exposure board.

Bulletins: `bulletin_request` (command) freezes the settings and the typical problems and
queues `bulletins.generate` after commit; `bulletin_generate` (the task body) claims the
queued row (compare-and-set), renders DOCX → XLSX → PDF (when LibreOffice exists), keeps
the files in the default storage and records progress / errors on the row. It never
raises: the page polls the row.

Exposure: `exposure_publish` copies a problem's masked text and chosen photos into an
`ExposureItem`; `exposure_unpublish` takes it down (the row stays, with who/when/why).
"""

from __future__ import annotations

import time
import traceback

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from civicloop.accounts.models import Role
from civicloop.accounts.scope import scope_of
from civicloop.bulletins import masking, permissions
from civicloop.bulletins.content import build_content
from civicloop.bulletins.models import Bulletin, ExposureItem, JobStatus, PdfStatus
from civicloop.bulletins.renderers import pdf as pdf_renderer
from civicloop.bulletins.renderers.docx import render_docx
from civicloop.bulletins.renderers.xlsx import render_xlsx
from civicloop.core import audit
from civicloop.core.errors import (
    NotFound,
    NotPermitted,
    TransitionNotAllowed,
    ValidationFailed,
)
from civicloop.orgs.models import Area, AreaLevel
from civicloop.scoring import periods as scoring_periods
from civicloop.scoring import permissions as scoring_permissions
from civicloop.scoring.models import PublishedSnapshot, Scheme

TYPICAL_LIMIT = 4
MAX_TYPICAL = 60


# --- defaults for a new bulletin -----------------------------------------------------------


def _root_area(scheme: Scheme) -> Area | None:
    if not scheme.area_id:
        return Area.objects.filter(parent__isnull=True).order_by("sort_order", "id").first()
    ids = [int(x) for x in scheme.area.path.strip("/").split("/") if x]
    return Area.objects.filter(pk=ids[0]).first() if ids else scheme.area


def _short_place(name: str) -> str:
    """示范市 → 示范 (the 文号 uses the place without its administrative suffix)."""
    for suffix in ("自治州", "地区", "市", "区", "县", "盟", "旗"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def default_issuer(scheme: Scheme) -> str:
    root = _root_area(scheme)
    place = root.name if root else ""
    return f"{place}创建全国文明城市工作指挥部办公室"


def default_doc_number(scheme: Scheme, year: int) -> str:
    """示范创城办〔2026〕12号: the next number of the year for this prefix."""
    root = _root_area(scheme)
    prefix = f"{_short_place(root.name) if root else ''}创城办〔{year}〕"
    used = Bulletin.objects.filter(doc_number__startswith=prefix).count()
    return f"{prefix}{used + 1}号"


def default_title(snapshot: PublishedSnapshot) -> str:
    data = snapshot.data
    label = data.get("period", {}).get("label", "")
    name = data.get("scheme", {}).get("name", "")
    return f"关于{label}{name}考核结果的通报"


def _image_evidence(problem_ids: list[int]) -> dict[int, dict[str, int]]:
    """problem id → {"before": first before photo id, "after": last after photo id}."""
    from civicloop.problems.models import Evidence, EvidenceKind

    out: dict[int, dict[str, int]] = {}
    for pk, problem_id, kind in (
        Evidence.objects.filter(
            problem_id__in=problem_ids,
            kind__in=[EvidenceKind.BEFORE, EvidenceKind.AFTER],
            content_type__startswith="image/",
        )
        .order_by("at", "id")
        .values_list("pk", "problem_id", "kind")
    ):
        slot = out.setdefault(problem_id, {})
        if kind == EvidenceKind.BEFORE:
            slot.setdefault("before", pk)
        else:
            slot["after"] = pk  # the latest after-photo shows the final state
    return out


def pick_typical(snapshot: PublishedSnapshot, limit: int = TYPICAL_LIMIT) -> list[int]:
    """Default typical problems: the snapshot's overdue problems that have a before
    photo; then problems of the scheme's area rectified with before and after photos,
    registered in the period first, then the most recent ones before its end. Chosen
    once; the bulletin freezes them."""
    period = snapshot.period
    overdue = [p["id"] for p in snapshot.data.get("overdue_problems", [])]
    photos = _image_evidence(overdue)
    chosen = [pid for pid in overdue if "before" in photos.get(pid, {})][:limit]
    start, end = scoring_periods.window(period.start_date, period.end_date)
    for window_start in (start, None):
        if len(chosen) >= limit:
            break
        candidates = _rectified_with_photos(period.scheme, window_start, end, limit * 4)
        more = _image_evidence(candidates)
        for pid in candidates:
            if len(chosen) >= limit:
                break
            if pid not in chosen and "before" in more.get(pid, {}):
                chosen.append(pid)
    return chosen


def _rectified_with_photos(scheme: Scheme, start, end, limit: int) -> list[int]:
    """Ids of problems (newest first) with before- and after-photos, registered in
    [start, end)."""
    from civicloop.problems.models import Evidence, EvidenceKind

    images = Evidence.objects.filter(content_type__startswith="image/")
    qs = images.filter(
        kind=EvidenceKind.AFTER,
        problem__created_at__lt=end,
        problem_id__in=images.filter(kind=EvidenceKind.BEFORE).values("problem_id"),
    )
    if start is not None:
        qs = qs.filter(problem__created_at__gte=start)
    if scheme.area_id:
        qs = qs.filter(problem__area__path__startswith=scheme.area.path)
    ids = qs.order_by("-problem__created_at", "-problem_id").values_list("problem_id", flat=True)
    return list(dict.fromkeys(ids[: limit * 4]))[:limit]


def typical_entries(problem_ids: list[int]) -> list[dict]:
    """Freeze what the bulletin prints about each typical problem (2 queries)."""
    from civicloop.problems.models import Problem

    photos = _image_evidence(problem_ids)
    problems = {
        p.pk: p
        for p in Problem.objects.filter(pk__in=problem_ids).select_related(
            "responsible_unit", "area", "category", "point"
        )
    }
    out = []
    for pid in problem_ids:
        p = problems.get(pid)
        if p is None:
            continue
        text = masking.mask_phones(p.description or "")
        out.append(
            {
                "problem_id": p.pk,
                "number": p.number,
                "title": p.title or f"{p.category.name}问题",
                "unit": p.responsible_unit.name if p.responsible_unit else "",
                "area": p.point.name if p.point_id else p.area.name,
                "description": text[:200],
                "before_id": photos.get(pid, {}).get("before"),
                "after_id": photos.get(pid, {}).get("after"),
            }
        )
    return out


# --- bulletin jobs ---------------------------------------------------------------------------


def bulletin_request(
    user,
    snapshot: PublishedSnapshot,
    *,
    issuer: str = "",
    doc_number: str = "",
    title: str = "",
    include_photos: bool = True,
    typical_problem_ids: list[int] | None = None,
) -> Bulletin:
    """Queue a bulletin for a published snapshot; generated after commit (eagerly
    without a broker)."""
    scheme = snapshot.period.scheme
    if not permissions.can_request(user, scheme):
        if scoring_permissions.can_see_published(user, scheme):
            raise NotPermitted()
        raise NotFound()
    if typical_problem_ids is None:
        typical_problem_ids = pick_typical(snapshot)
    if len(typical_problem_ids) > MAX_TYPICAL:
        raise ValidationFailed(f"典型问题最多{MAX_TYPICAL}个")
    with transaction.atomic():
        bulletin = Bulletin.objects.create(
            snapshot=snapshot,
            issuer=(issuer or "").strip() or default_issuer(scheme),
            doc_number=(doc_number or "").strip()
            or default_doc_number(scheme, timezone.localdate().year),
            title=(title or "").strip() or default_title(snapshot),
            include_photos=include_photos,
            typical=typical_entries(list(typical_problem_ids)),
            requested_by=user if getattr(user, "pk", None) else None,
        )
        audit.record(
            user,
            "bulletin_request",
            bulletin,
            data={"snapshot": snapshot.pk, "version": snapshot.version},
        )

        def enqueue():
            from civicloop.bulletins.tasks import generate_bulletin

            generate_bulletin.delay(bulletin.pk)

        transaction.on_commit(enqueue)
    return bulletin


def _progress(pk: int, pct: int, message: str) -> None:
    Bulletin.objects.filter(pk=pk).update(progress=pct, message=message[:255])


def _save_file(bulletin: Bulletin, field: str, ext: str, data: bytes) -> str:
    # ASCII storage names; the download response gives the Chinese file name.
    getattr(bulletin, field).save(f"bulletin-{bulletin.pk}.{ext}", ContentFile(data), save=False)
    return getattr(bulletin, field).name


def _pdf(bulletin: Bulletin, docx: bytes) -> tuple[str, str]:
    if not pdf_renderer.pdf_available():
        return PdfStatus.UNAVAILABLE, ""
    _progress(bulletin.pk, 80, "转换PDF")
    try:
        return PdfStatus.READY, _save_file(bulletin, "pdf", "pdf", pdf_renderer.docx_to_pdf(docx))
    except pdf_renderer.PdfFailed:
        return PdfStatus.FAILED, ""  # the DOCX/XLSX are still good: not a failed job


def bulletin_generate(bulletin_id: int) -> Bulletin:
    """Render a queued bulletin. Idempotent: only a queued row is claimed."""
    started = time.perf_counter()
    claimed = Bulletin.objects.filter(pk=bulletin_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), progress=5, message="读取发布数据"
    )
    bulletin = Bulletin.objects.select_related("snapshot__period__scheme").get(pk=bulletin_id)
    if not claimed:
        return bulletin
    try:
        content = build_content(bulletin)
        _progress(bulletin_id, 30, "生成Word文档")
        docx, photos = render_docx(content)
        _progress(bulletin_id, 60, "生成Excel明细表")
        xlsx = render_xlsx(content)
        docx_name = _save_file(bulletin, "docx", "docx", docx)
        xlsx_name = _save_file(bulletin, "xlsx", "xlsx", xlsx)
        pdf_status, pdf_name = _pdf(bulletin, docx)
        Bulletin.objects.filter(pk=bulletin_id).update(
            status=JobStatus.SUCCEEDED,
            progress=100,
            message="生成完成",
            docx=docx_name,
            xlsx=xlsx_name,
            pdf=pdf_name,
            pdf_status=pdf_status,
            photo_count=photos,
            finished_at=timezone.now(),
            duration_ms=int((time.perf_counter() - started) * 1000),
        )
    except Exception as exc:  # noqa: BLE001 - recorded on the row for the page
        Bulletin.objects.filter(pk=bulletin_id).update(
            status=JobStatus.FAILED,
            message="生成失败",
            error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"[:20000],
            finished_at=timezone.now(),
            duration_ms=int((time.perf_counter() - started) * 1000),
        )
    bulletin.refresh_from_db()
    return bulletin


def bulletin_retry(user, bulletin: Bulletin) -> Bulletin:
    """Queue a failed bulletin again (same frozen settings)."""
    if not permissions.can_request(user, bulletin.snapshot.period.scheme):
        raise NotPermitted()
    with transaction.atomic():
        moved = Bulletin.objects.filter(pk=bulletin.pk, status=JobStatus.FAILED).update(
            status=JobStatus.QUEUED, progress=0, message="", error=""
        )
        if not moved:
            raise TransitionNotAllowed("只有生成失败的通报可以重试")
        audit.record(user, "bulletin_retry", bulletin)

        def enqueue():
            from civicloop.bulletins.tasks import generate_bulletin

            generate_bulletin.delay(bulletin.pk)

        transaction.on_commit(enqueue)
    bulletin.refresh_from_db()
    return bulletin


# --- exposure board ----------------------------------------------------------------------------


def _command_problem(user, problem_id: int):
    """The problem if it lies in the command's own area subtree (else 404)."""
    from civicloop.problems.models import Problem

    if not permissions.can_manage_exposure(user):
        raise NotPermitted("只有指挥中心可以管理曝光台")
    scope = scope_of(user)
    qs = Problem.objects.select_related("area", "category", "responsible_unit", "point", "reporter")
    if not scope.is_superuser:
        qs = qs.filter(scope.area_q(prefix="area__", roles={Role.COMMAND}))
    problem = qs.filter(pk=problem_id).first()
    if problem is None:
        raise NotFound()
    return problem


def street_location(problem) -> str:
    """District + street of the problem's area, then the road without the door number."""
    ids = [int(x) for x in problem.area.path.strip("/").split("/") if x]
    ancestors = list(Area.objects.filter(pk__in=ids).values_list("level", "name"))
    names = dict(ancestors)
    road = masking.street_of_address(problem.address)
    # Addresses often repeat the city/district/street names: keep only the road itself.
    for _, name in ancestors:
        road = road.replace(name, "")
    parts = [names.get(AreaLevel.DISTRICT, ""), names.get(AreaLevel.STREET, ""), road]
    return "".join(p for p in parts if p) or problem.area.name


def _people(problem) -> list[str]:
    names = []
    if problem.reporter_id:
        names += [problem.reporter.display_name, problem.reporter.get_full_name()]
    if problem.point_id:
        names.append(problem.point.person_in_charge)
    if problem.responsible_unit_id:
        names.append(problem.responsible_unit.contact_person)
    return [n for n in names if n]


@transaction.atomic
def exposure_publish(
    user,
    problem_id: int,
    *,
    title: str = "",
    description: str = "",
    before_evidence_id: int | None = None,
    after_evidence_id: int | None = None,
) -> ExposureItem:
    from civicloop.problems.models import Evidence, EvidenceKind, Status

    problem = _command_problem(user, problem_id)
    if problem.status in (Status.PENDING_REVIEW, Status.REJECTED, Status.VOIDED):
        raise TransitionNotAllowed("待受理、不予受理或已作废的问题不能曝光")
    photos = {
        e.pk: e for e in Evidence.objects.filter(problem=problem, content_type__startswith="image/")
    }
    defaults = _image_evidence([problem.pk]).get(problem.pk, {})
    before_id = before_evidence_id or defaults.get("before")
    after_id = after_evidence_id or defaults.get("after")
    if before_id not in photos or photos[before_id].kind != EvidenceKind.BEFORE:
        raise ValidationFailed("曝光需要一张该问题的整改前照片")
    if after_id is not None and (
        after_id not in photos or photos[after_id].kind != EvidenceKind.AFTER
    ):
        raise ValidationFailed("整改后照片应为该问题的整改后照片")
    people = _people(problem)
    text = description.strip() or problem.description
    try:
        with transaction.atomic():
            item = ExposureItem.objects.create(
                problem=problem,
                title=masking.mask_text(
                    title.strip() or problem.title or f"{problem.category.name}问题", people
                )[:200],
                description=masking.mask_text(text, people),
                location=street_location(problem),
                category=problem.category.name,
                unit_name=problem.responsible_unit.name if problem.responsible_unit_id else "",
                problem_status=problem.get_status_display(),
                before_evidence_id=before_id,
                after_evidence_id=after_id,
                published_by=user,
                published_at=timezone.now(),
            )
    except IntegrityError:
        raise TransitionNotAllowed("该问题已在曝光台上") from None
    audit.record(user, "exposure_publish", item, data={"problem": problem.pk})
    return item


@transaction.atomic
def exposure_unpublish(user, item: ExposureItem, *, reason: str) -> ExposureItem:
    _command_problem(user, item.problem_id)  # jurisdiction check
    if not (reason or "").strip():
        raise ValidationFailed("请填写撤下原因")
    moved = ExposureItem.objects.filter(pk=item.pk, is_published=True).update(
        is_published=False,
        unpublished_by=user,
        unpublished_at=timezone.now(),
        unpublish_reason=reason.strip(),
    )
    if not moved:
        raise TransitionNotAllowed("该曝光条目已撤下")
    audit.record(user, "exposure_unpublish", item, data={"reason": reason.strip()})
    item.refresh_from_db()
    return item
