"""Bulletin pages (generate, follow the job, download) and the exposure board (admin and
the public page).

Thin views: reads via selectors (out of scope → 404), writes via services. A DomainError
from a form post becomes a message on the page it came from (403 for roles).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from civicloop.bulletins import permissions, selectors, services
from civicloop.bulletins.models import JobStatus
from civicloop.bulletins.renderers.pdf import pdf_available
from civicloop.core.errors import DomainError, NotFound, NotPermitted
from civicloop.scoring import selectors as scoring_selectors

PAGE_SIZE = 20
PUBLIC_PAGE_SIZE = 12
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _call(func, *args, **kwargs):
    """Run a selector/service; NotFound → 404, NotPermitted → 403."""
    try:
        return func(*args, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc


def _page(request: HttpRequest, qs, size: int = PAGE_SIZE):
    return Paginator(qs, size).get_page(request.GET.get("page"))


# --- bulletins ------------------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    page = _page(request, selectors.bulletins(request.user))
    return render(
        request,
        "bulletins/index.html",
        {
            "page_obj": page,
            "can_expose": permissions.can_manage_exposure(request.user),
            "pdf_available": pdf_available(),
        },
    )


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    snapshot = _call(
        scoring_selectors.snapshot_get, request.user, int(request.POST.get("snapshot") or 0)
    )
    back = reverse("scoring:snapshot", args=[snapshot.pk])
    try:
        bulletin = _call(
            services.bulletin_request,
            request.user,
            snapshot,
            issuer=request.POST.get("issuer", ""),
            doc_number=request.POST.get("doc_number", ""),
            title=request.POST.get("title", ""),
            include_photos=request.POST.get("include_photos") == "on",
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, "已提交通报生成任务")
    return redirect("bulletins:detail", pk=bulletin.pk)


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _call(selectors.bulletin_get, request.user, pk)
    return render(
        request,
        "bulletins/detail.html",
        {
            "b": bulletin,
            "can_request": permissions.can_request(request.user, bulletin.snapshot.period.scheme),
        },
    )


@login_required
@require_GET
def status(request: HttpRequest, pk: int) -> HttpResponse:
    """The job card, polled by htmx while the bulletin is queued or running."""
    bulletin = _call(selectors.bulletin_get, request.user, pk)
    response = render(request, "bulletins/_status.html", {"b": bulletin})
    if bulletin.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        response["HX-Trigger"] = "bulletin-done"
    return response


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _call(selectors.bulletin_get, request.user, pk)
    try:
        _call(services.bulletin_retry, request.user, bulletin)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("bulletins:detail", pk=pk)


@login_required
@require_GET
def download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    bulletin, name = _call(selectors.bulletin_file, request.user, pk, kind)
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("文件不存在") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=selectors.download_name(bulletin, kind),
        content_type=CONTENT_TYPES[kind],
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- exposure board: admin --------------------------------------------------------------------


@login_required
@require_GET
def exposure_admin(request: HttpRequest) -> HttpResponse:
    if not permissions.can_manage_exposure(request.user):
        raise PermissionDenied("只有指挥中心可以管理曝光台")
    keyword = request.GET.get("q", "").strip()
    return render(
        request,
        "bulletins/exposure_admin.html",
        {
            "page_obj": _page(request, selectors.exposure_admin(request.user)),
            "candidates": selectors.exposure_candidates(request.user, keyword=keyword),
            "q": keyword,
        },
    )


@login_required
@require_POST
def exposure_publish(request: HttpRequest) -> HttpResponse:
    try:
        _call(
            services.exposure_publish,
            request.user,
            int(request.POST.get("problem") or 0),
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
        )
        messages.success(request, "已发布到曝光台")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("bulletins:exposure_admin")


@login_required
@require_POST
def exposure_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.can_manage_exposure(request.user):
        raise PermissionDenied("只有指挥中心可以管理曝光台")
    item = _call(selectors.exposure_item_get, request.user, pk)
    try:
        _call(
            services.exposure_unpublish, request.user, item, reason=request.POST.get("reason", "")
        )
        messages.success(request, "已从曝光台撤下")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("bulletins:exposure_admin")


# --- exposure board: public (no login) -----------------------------------------------------------


@require_GET
def public_exposure(request: HttpRequest) -> HttpResponse:
    page = _page(request, selectors.public_exposure(), PUBLIC_PAGE_SIZE)
    return render(request, "bulletins/public_exposure.html", {"page_obj": page})


@require_GET
def public_photo(request: HttpRequest, pk: int, which: str) -> HttpResponse:
    evidence = _call(selectors.public_photo, pk, which)
    name = (
        evidence.thumbnail.name
        if request.GET.get("size") == "thumb" and evidence.thumbnail
        else evidence.file.name
    )
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("文件不存在") from exc
    response = FileResponse(handle, content_type=evidence.content_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
