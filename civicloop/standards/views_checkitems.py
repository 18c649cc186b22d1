"""Check item pages (检查项): per point type list, create/edit/delete/order, XLSX import and
export, XLSForm import with a preview of what maps and what is not supported."""

from __future__ import annotations

from io import BytesIO

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicloop.core.errors import DomainError, ImportFailed
from civicloop.orgs import selectors as org_selectors
from civicloop.orgs.models import PointType
from civicloop.standards import checkitem_xlsx, selectors, xlsform
from civicloop.standards.models import Category, CheckItem, Indicator
from civicloop.standards.services import check_items as svc
from civicloop.standards.services.index_systems import can_edit_standards
from civicloop.standards.views_index import (
    MAX_SHOWN_ERRORS,
    MAX_UPLOAD_BYTES,
    XLSX,
    BootstrapForm,
    _quote,
    _require_editor,
    _require_staff,
)


class CheckItemForm(forms.ModelForm):
    indicator_code = forms.CharField(
        label="对应测评标准编码",
        required=False,
        help_text="当前启用体系中的编码，如 02.01.01.01；留空表示不关联",
    )

    class Meta:
        model = CheckItem
        fields = [
            "code",
            "text",
            "judge_mode",
            "max_score",
            "deduction_per_count",
            "is_critical",
            "category",
            "guidance",
            "example_photo",
            "is_active",
        ]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "guidance": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(
            parent__isnull=False
        ).select_related("parent")
        if self.instance.pk and self.instance.indicator_id:
            self.fields["indicator_code"].initial = self.instance.indicator.code
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def clean_indicator_code(self):
        code = (self.cleaned_data.get("indicator_code") or "").strip()
        if not code:
            return None
        system = (
            self.instance.indicator.system
            if self.instance.indicator_id
            else checkitem_xlsx.default_system()
        )
        found = Indicator.objects.filter(system=system, code=code).first() if system else None
        if found is None:
            raise forms.ValidationError(f"当前体系中没有编码为「{code}」的指标")
        return found


class XLSXUploadForm(BootstrapForm):
    file = forms.FileField(label="Excel 文件（.xlsx）")


class XLSFormUploadForm(BootstrapForm):
    file = forms.FileField(label="XLSForm 文件（.xlsx，含 survey / choices 工作表）")
    point_type = forms.ModelChoiceField(label="导入到点位类型", queryset=PointType.objects.all())
    dry_run = forms.BooleanField(label="只预览，不写入", required=False, initial=True)


def _point_type(request: HttpRequest, pk: int) -> PointType:
    return org_selectors.point_type_get(user=request.user, pk=pk)


@login_required
@require_GET
def checkitem_index(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    return render(
        request,
        "standards/checkitems/index.html",
        {
            "types": selectors.point_types_with_item_counts(user=request.user),
            "can_edit": can_edit_standards(request.user),
        },
    )


@login_required
@require_GET
def checkitem_list(request: HttpRequest, pt: int) -> HttpResponse:
    point_type = _point_type(request, pt)
    return render(
        request,
        "standards/checkitems/list.html",
        {
            "point_type": point_type,
            "items": selectors.check_item_list(user=request.user, point_type=point_type),
            "can_edit": can_edit_standards(request.user),
        },
    )


def _save(request: HttpRequest, point_type: PointType, item: CheckItem | None) -> HttpResponse:
    form = CheckItemForm(request.POST or None, request.FILES or None, instance=item)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "indicator_code"}
        data["indicator"] = form.cleaned_data["indicator_code"]
        if not data.get("example_photo"):
            data.pop("example_photo", None)
        try:
            if item is None:
                svc.check_item_create(user=request.user, point_type=point_type, **data)
            else:
                svc.check_item_update(user=request.user, item=item, **data)
        except DomainError as exc:
            form.add_error(None, exc.message)
            for key, errs in (exc.details or {}).items() if isinstance(exc.details, dict) else ():
                if key in form.fields:
                    for e in errs:
                        form.add_error(key, e)
        else:
            messages.success(request, "检查项已保存")
            return redirect("standards:checkitem_list", pt=point_type.pk)
    return render(
        request,
        "standards/checkitems/form.html",
        {
            "form": form,
            "point_type": point_type,
            "item": item,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def checkitem_create(request: HttpRequest, pt: int) -> HttpResponse:
    _require_editor(request)
    return _save(request, _point_type(request, pt), None)


@login_required
@require_http_methods(["GET", "POST"])
def checkitem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    item = selectors.check_item_get(user=request.user, pk=pk)
    return _save(request, item.point_type, item)


@login_required
@require_POST
def checkitem_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    item = selectors.check_item_get(user=request.user, pk=pk)
    try:
        svc.check_item_delete(user=request.user, item=item)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已删除检查项 {item.code}")
    return redirect("standards:checkitem_list", pt=item.point_type_id)


@login_required
@require_POST
def checkitem_move(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    item = selectors.check_item_get(user=request.user, pk=pk)
    try:
        svc.check_item_move(user=request.user, item=item, direction=request.POST.get("direction"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("standards:checkitem_list", pt=item.point_type_id)


@login_required
@require_GET
def checkitem_export(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    items = selectors.check_item_list(user=request.user)
    if request.GET.get("point_type", "").isdigit():
        items = items.filter(point_type_id=int(request.GET["point_type"]))
    out = BytesIO()
    if request.GET.get("template"):
        checkitem_xlsx.write_template(out)
        name = "检查项导入模板.xlsx"
    else:
        checkitem_xlsx.export_check_items(out, items)
        name = "检查项.xlsx"
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def checkitem_import(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    errors, error_count = [], 0
    form = XLSXUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            form.add_error("file", "文件过大（最大 20 MB）")
        else:
            try:
                result = checkitem_xlsx.import_check_items(upload, user=request.user)
            except ImportFailed as exc:
                error_count = len(exc.details or [])
                errors = (exc.details or [])[:MAX_SHOWN_ERRORS]
                messages.error(request, exc.message)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, result.summary())
                return redirect("standards:checkitem_index")
    return render(
        request,
        "standards/checkitems/import.html",
        {
            "form": form,
            "errors": errors,
            "error_count": error_count,
            "shown_limit": MAX_SHOWN_ERRORS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def checkitem_xlsform(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    result, errors = None, []
    form = XLSFormUploadForm(request.POST or None, request.FILES or None, initial={"dry_run": True})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = xlsform.import_xlsform(
                data["file"],
                user=request.user,
                point_type=data["point_type"],
                dry_run=data["dry_run"],
            )
        except ImportFailed as exc:
            errors = exc.details or []
            messages.error(request, exc.message)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            if result.saved:
                messages.success(request, result.saved.summary())
    return render(
        request,
        "standards/checkitems/xlsform.html",
        {
            "form": form,
            "result": result,
            "errors": errors,
        },
    )
