"""Excel import/export pages of the registry (command users only).

Per kind: download the template, upload a filled file (all-or-nothing; on error a table of
row / column / message and nothing written), export the current data in the same layout.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from civicloop.core.errors import DomainError, ImportFailed
from civicloop.orgs import exports
from civicloop.orgs.imports import MODES, Kind, import_registry, kinds
from civicloop.orgs.permissions import can_edit_registry

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# The error table stops here; the count above it still tells the whole story.
MAX_SHOWN_ERRORS = 1000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MODE_LABELS = {
    "upsert": "新增并更新（按编码匹配，已有的更新）",
    "create": "只新增（编码已存在则报错）",
}


def _require_command(request: HttpRequest) -> None:
    if not can_edit_registry(request.user):
        raise PermissionDenied("只有创文办（指挥中心）可以导入导出基础数据")


def _kind(key: str) -> Kind:
    found = kinds().get(key)
    if found is None:
        raise Http404("未知的数据类型")
    return found


@login_required
@require_GET
def import_index(request: HttpRequest) -> HttpResponse:
    _require_command(request)
    return render(request, "orgs/io/index.html", {"kinds": list(kinds().values())})


def _upload_error(upload) -> str | None:
    """A specific Chinese message for an unusable upload, before the workbook is opened."""
    if upload is None:
        return "请选择要上传的 Excel 文件"
    suffix = Path(upload.name or "").suffix.lower()
    if suffix == ".xls":
        return "不支持 Excel 97-2003（.xls）格式，请在 Excel 中另存为 .xlsx 后再上传"
    if suffix != ".xlsx":
        return f"只支持 .xlsx 格式的 Excel 文件（收到的是「{upload.name}」）"
    if upload.size == 0:
        return "上传的文件为空"
    if upload.size > MAX_UPLOAD_BYTES:
        return f"文件过大（{upload.size / 1024 / 1024:.1f} MB），最大 {MAX_UPLOAD_BYTES // 1024 // 1024} MB，请拆分后分批导入"
    return None


@never_cache  # the success page may show generated passwords once
@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest, kind: str) -> HttpResponse:
    _require_command(request)
    spec_kind = _kind(kind)
    context = {
        "kind": spec_kind,
        "columns": spec_kind.spec.columns,
        "modes": MODE_LABELS,
        "mode": request.POST.get("mode", "upsert"),
    }
    if request.method == "GET":
        return render(request, "orgs/io/import.html", context)
    upload = request.FILES.get("file")
    mode = context["mode"] if context["mode"] in MODES else "upsert"
    problem = _upload_error(upload)
    if problem:
        context["error"] = problem
        return render(request, "orgs/io/import.html", context, status=400)
    try:
        result = import_registry(spec_kind.key, upload, user=request.user, mode=mode)
    except ImportFailed as exc:
        details = exc.details or []
        context.update(
            error=exc.message,
            errors=details[:MAX_SHOWN_ERRORS],
            error_count=len(details),
            error_rows=len({d["row"] for d in details if d.get("row")}),
            truncated=len(details) > MAX_SHOWN_ERRORS,
            filename=upload.name,
        )
        return render(request, "orgs/io/import.html", context, status=400)
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "orgs/io/import.html", context, status=exc.status_code)
    context.update(result=result, filename=upload.name)
    return render(request, "orgs/io/import.html", context)


def _xlsx_response(write, filename: str) -> FileResponse:
    """Write the workbook to a temporary file and stream it back (constant memory)."""
    # FileResponse closes the file once the body has been sent.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        write(handle)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


@login_required
@require_GET
def template_download(request: HttpRequest, kind: str) -> FileResponse:
    _require_command(request)
    spec_kind = _kind(kind)
    return _xlsx_response(
        lambda out: exports.write_template(spec_kind.key, out), f"{spec_kind.title}导入模板.xlsx"
    )


@login_required
@require_GET
def export_download(request: HttpRequest, kind: str) -> FileResponse:
    _require_command(request)
    spec_kind = _kind(kind)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _xlsx_response(
        lambda out: exports.export_registry(spec_kind.key, out, user=request.user),
        f"{spec_kind.title}-{stamp}.xlsx",
    )
