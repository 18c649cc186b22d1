"""Index system pages (测评体系): list, tree browser, node detail, unit filter, search,
import / export / copy / status for the city command centre.

All staff read (citizens get 403, objects 404 through the selectors); writes go through
civicloop.standards.services and need the city command centre.
"""

from __future__ import annotations

from io import BytesIO

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicloop.accounts.scope import scope_of
from civicloop.core.errors import DomainError, ImportFailed
from civicloop.orgs.models import Unit
from civicloop.standards import index_xlsx, search, selectors
from civicloop.standards.models import (
    IndexSystem,
    IndexSystemKind,
    IndexSystemStatus,
    Indicator,
    Method,
)
from civicloop.standards.services import index_systems as svc

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_SHOWN_ERRORS = 500
METHOD_LABELS = dict(Method.choices)


class BootstrapForm(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if isinstance(field.widget, forms.CheckboxInput):
                css = "form-check-input"
            field.widget.attrs.setdefault("class", css)


class ImportForm(BootstrapForm):
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        help_text="层级表（测评项目/测评内容/测评标准…，可合并单元格）或编码表（编码/上级编码/层级/内容…）",
    )
    target = forms.ModelChoiceField(
        label="导入到",
        required=False,
        queryset=IndexSystem.objects.none(),
        empty_label="新建测评体系",
        help_text="选择草稿体系将替换其全部指标；检查项按编码重新关联",
    )
    name = forms.CharField(label="体系名称", required=False, max_length=128)
    code = forms.CharField(label="体系编码", required=False, max_length=64)
    kind = forms.ChoiceField(label="体系类型", choices=IndexSystemKind.choices, required=False)
    version = forms.CharField(label="版本", required=False, max_length=32)
    year = forms.IntegerField(label="年度", required=False, min_value=1990, max_value=2100)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = IndexSystem.objects.filter(status=IndexSystemStatus.DRAFT)

    def clean(self):
        data = super().clean()
        if not data.get("target"):
            for key in ("name", "code", "kind", "version"):
                if not data.get(key):
                    self.add_error(key, "新建体系时必填")
        upload = data.get("file")
        if upload is not None and upload.size > MAX_UPLOAD_BYTES:
            self.add_error("file", "文件过大（最大 20 MB）")
        return data


class CopyForm(BootstrapForm):
    code = forms.CharField(label="新体系编码", max_length=64)
    version = forms.CharField(label="新版本", max_length=32)
    name = forms.CharField(
        label="新体系名称", max_length=128, required=False, help_text="留空沿用原名称"
    )
    year = forms.IntegerField(label="年度", required=False, min_value=1990, max_value=2100)


def _require_staff(request: HttpRequest) -> None:
    if not scope_of(request.user).is_staff_user:
        raise PermissionDenied


def _require_editor(request: HttpRequest) -> None:
    if not svc.can_edit_standards(request.user):
        raise PermissionDenied("只有市创文办（指挥中心）可以维护测评体系")


@login_required
@require_GET
def index_system_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    systems = selectors.index_system_list(user=request.user).order_by("-year", "name")
    return render(
        request,
        "standards/index/system_list.html",
        {
            "systems": systems,
            "can_edit": svc.can_edit_standards(request.user),
        },
    )


@login_required
@require_GET
def index_system_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Tree browser; ?unit= lists what a unit owns; ?q= searches the text with jieba."""
    system = selectors.index_system_get(user=request.user, pk=pk)
    query = request.GET.get("q", "").strip()
    unit = None
    if request.GET.get("unit", "").isdigit():
        unit = get_object_or_404(Unit, pk=int(request.GET["unit"]))
    context = {
        "system": system,
        "query": query,
        "unit": unit,
        "can_edit": svc.can_edit_standards(request.user),
        "units": Unit.objects.filter(led_indicators__system=system).distinct().order_by("path"),
        "method_labels": METHOD_LABELS,
        "copy_form": CopyForm(),
        "status_moves": [
            (s, IndexSystemStatus(s).label) for s in sorted(svc.STATUS_MOVES.get(system.status, ()))
        ],
    }
    if query or unit:
        hits = selectors.indicator_list(user=request.user, system=system, unit=unit, query=query)
        hits = list(hits.select_related("lead_unit")[:300])
        for hit in hits:
            hit.highlighted = search.highlight(hit.text, query)
        context["hits"] = hits
        context["query_tokens"] = search.query_tokens(query) if query else []
    else:
        context["roots"] = selectors.indicator_tree(system=system)
    return render(request, "standards/index/system_detail.html", context)


@login_required
@require_GET
def indicator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    node = selectors.indicator_get(user=request.user, pk=pk)
    return render(
        request,
        "standards/index/indicator_detail.html",
        {
            "node": node,
            "system": node.system,
            "ancestors": selectors.indicator_ancestors(node),
            "children": Indicator.objects.filter(parent=node)
            .select_related("lead_unit")
            .order_by("sort_order", "code"),
            "check_items": node.check_items.select_related("point_type", "category"),
            "methods": [METHOD_LABELS.get(m, m) for m in node.methods],
        },
    )


@login_required
@require_GET
def index_system_export(request: HttpRequest, pk: int) -> HttpResponse:
    system = selectors.index_system_get(user=request.user, pk=pk)
    form = request.GET.get("form", "flat")
    tree = svc.read_tree(system)
    out = BytesIO()
    if form == "code":
        index_xlsx.write_code_form(out, tree)
        suffix = "编码表"
    else:
        index_xlsx.write_flat(out, tree, title=str(system))
        suffix = "层级表"
    stamp = timezone.localtime().strftime("%Y%m%d")
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    filename = f"{system.code}-{suffix}-{stamp}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@login_required
@require_http_methods(["GET", "POST"])
def index_system_import(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    errors, error_count = [], 0
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            target = data["target"]
            new = (
                None
                if target
                else {k: data[k] for k in ("name", "code", "kind", "version", "year")}
            )
            try:
                result = svc.index_system_import(
                    user=request.user, source=data["file"], system=target, new_system=new
                )
            except ImportFailed as exc:
                details = exc.details or []
                error_count = len(details)
                errors = details[:MAX_SHOWN_ERRORS]
                messages.error(request, exc.message)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, result.summary())
                return redirect("standards:index_system_detail", pk=result.system.pk)
    else:
        initial = {"target": request.GET.get("target")} if request.GET.get("target") else {}
        form = ImportForm(initial=initial)
    return render(
        request,
        "standards/index/import.html",
        {
            "form": form,
            "errors": errors,
            "error_count": error_count,
            "shown_limit": MAX_SHOWN_ERRORS,
        },
    )


@login_required
@require_POST
def index_system_copy(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    system = selectors.index_system_get(user=request.user, pk=pk)
    form = CopyForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "复制失败："
            + "；".join(f"{form.fields[k].label}：{' '.join(v)}" for k, v in form.errors.items()),
        )
        return redirect("standards:index_system_detail", pk=pk)
    data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    try:
        copy = svc.index_system_copy(user=request.user, system=system, **data)
    except DomainError as exc:
        detail = (
            "；".join(" ".join(v) for v in (exc.details or {}).values())
            if isinstance(exc.details, dict)
            else ""
        )
        messages.error(request, f"复制失败：{exc.message}{('：' + detail) if detail else ''}")
        return redirect("standards:index_system_detail", pk=pk)
    messages.success(request, f"已复制为新版本「{copy}」（草稿）")
    return redirect("standards:index_system_detail", pk=copy.pk)


@login_required
@require_POST
def index_system_status(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    system = selectors.index_system_get(user=request.user, pk=pk)
    try:
        result = svc.index_system_set_status(
            user=request.user, system=system, status=request.POST.get("status", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        text = f"状态已改为「{system.get_status_display()}」"
        if result["archived"]:
            text += f"，{result['archived']} 个同类旧版本已归档"
        if result["relinked"]:
            text += f"，{result['relinked']} 个检查项已关联到本版本"
        messages.success(request, text)
    return redirect("standards:index_system_detail", pk=pk)
