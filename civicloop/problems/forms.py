"""Forms of the ledger pages (Chinese labels and errors).

Forms only validate input; every write goes through `civicloop.problems.services`, whose
DomainError is put back on the form (`DomainErrorMixin`). The action forms are built from
one table (`ACTION_FIELDS`) so that every action of the workflow has a form and the API
serializers can use the same service mapping (`SERVICE_FOR`, `service_kwargs`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from civicloop.core.errors import ConcurrentUpdate
from civicloop.orgs import selectors as org_selectors
from civicloop.orgs.forms import BootstrapMixin
from civicloop.orgs.models import Area, PointType, Unit
from civicloop.problems import deadlines, services
from civicloop.problems.models import Action, Severity, Source, Status
from civicloop.problems.selectors import ORDERINGS, LedgerFilters
from civicloop.standards.models import Category

A = Action


class DomainErrorMixin:
    """Show a service's DomainError on the form. The ledger's errors carry their whole
    explanation in the message (details are machine data such as the action and status,
    not per-field messages), so the message is what the user sees."""

    def add_domain_error(self, exc) -> None:
        self.add_error(None, exc.message)


# --- Multiple file upload (Django's documented pattern) ----------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; type/size checks are the service's (evidence.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def photo_field(label: str, *, required: bool = False, camera: bool = True) -> MultipleFileField:
    attrs = {"multiple": True, "accept": "image/*,.pdf,.docx,.xlsx"}
    if camera:
        # Phones open the rear camera directly; desktops get the normal file dialog.
        attrs = {"multiple": True, "accept": "image/*", "capture": "environment"}
    return MultipleFileField(label=label, required=required, widget=MultipleFileInput(attrs=attrs))


def _datetime_field(label: str, *, required: bool) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


def _date_field(label: str, *, required: bool) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _text(label: str, *, required: bool, rows: int = 2) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, widget=forms.Textarea(attrs={"rows": rows})
    )


# --- Ledger filters ----------------------------------------------------------------------

BOOL_CHOICES = [("", "全部"), ("1", "是"), ("0", "否")]
ORDERING_LABELS = {
    "-created_at": "登记时间（新→旧）",
    "created_at": "登记时间（旧→新）",
    "due_at": "整改时限（近→远）",
    "-due_at": "整改时限（远→近）",
    "number": "问题编号",
    "-escalation_level": "督办级别",
    "status": "状态",
}
LIGHT_CHOICES = [("", "全部"), *deadlines.LIGHT_LABELS.items()]


def _bool(value: str | None) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


class LedgerFilterForm(BootstrapMixin, forms.Form):
    """The ledger's filters; `ledger_filters()` turns them into selectors.LedgerFilters."""

    keyword = forms.CharField(label="关键词", required=False)
    status = forms.ChoiceField(label="状态", required=False)
    unit = forms.ModelChoiceField(label="责任单位", queryset=Unit.objects.none(), required=False)
    area = forms.ModelChoiceField(label="所属区域", queryset=Area.objects.none(), required=False)
    category = forms.ModelChoiceField(
        label="问题分类", queryset=Category.objects.none(), required=False
    )
    source = forms.ChoiceField(label="来源", required=False)
    severity = forms.ChoiceField(label="整改类型", required=False)
    overdue = forms.ChoiceField(label="超期", required=False, choices=BOOL_CHOICES)
    light = forms.ChoiceField(label="红黄绿灯", required=False, choices=LIGHT_CHOICES)
    escalated = forms.ChoiceField(label="督办", required=False, choices=BOOL_CHOICES)
    created_from = _date_field("登记日期自", required=False)
    created_to = _date_field("至", required=False)
    ordering = forms.ChoiceField(
        label="排序", required=False, choices=[(k, ORDERING_LABELS.get(k, k)) for k in ORDERINGS]
    )

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "全部状态"), *Status.choices]
        self.fields["source"].choices = [("", "全部来源"), *Source.choices]
        self.fields["severity"].choices = [("", "全部类型"), *Severity.choices]
        self.fields["unit"].queryset = org_selectors.unit_list(user=user).order_by("path")
        self.fields["unit"].empty_label = "全部单位"
        self.fields["area"].queryset = (
            org_selectors.area_list(user=user).exclude(level="grid").order_by("path")
        )
        self.fields["area"].empty_label = "全部区域"
        self.fields["category"].queryset = Category.objects.select_related("parent").order_by(
            "code"
        )
        self.fields["category"].label_from_instance = _category_label
        self.fields["category"].empty_label = "全部分类"
        self.fields["keyword"].widget.attrs["placeholder"] = "编号、描述或地址"
        self._style_widgets()

    def ledger_filters(self) -> LedgerFilters:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return LedgerFilters(
            status=data.get("status") or None,
            unit=data.get("unit"),
            area=data.get("area"),
            category=data.get("category"),
            source=data.get("source") or None,
            severity=data.get("severity") or None,
            overdue=_bool(data.get("overdue")),
            light=data.get("light") or None,
            escalated=_bool(data.get("escalated")),
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            keyword=data.get("keyword") or "",
            ordering=data.get("ordering") or "-created_at",
        )


def _category_label(cat: Category) -> str:
    return f"{cat.parent.name} / {cat.name}" if cat.parent_id else f"【{cat.name}】"


# --- New problem -------------------------------------------------------------------------


class ProblemNewForm(BootstrapMixin, DomainErrorMixin, forms.Form):
    """Report (citizen, grid worker) or create (inspector, command) a problem.

    `category` is the 小类; the page shows a 大类 select that narrows it (problems.js).
    The location is a point, or a coordinate from the device or a map click, or an area.
    """

    category = forms.ModelChoiceField(label="问题分类", queryset=Category.objects.none())
    description = _text("问题描述", required=True, rows=3)
    title = forms.CharField(label="标题", required=False, max_length=200)
    source = forms.ChoiceField(label="问题来源", choices=Source.choices, initial=Source.INSPECTION)
    severity = forms.ChoiceField(label="整改类型", choices=Severity.choices, initial=Severity.SHORT)
    point = forms.ModelChoiceField(
        label="点位", queryset=org_selectors.Point.objects.none(), required=False
    )
    lng = forms.FloatField(label="经度", required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(label="纬度", required=False, widget=forms.HiddenInput)
    area = forms.ModelChoiceField(label="所属区域", queryset=Area.objects.none(), required=False)
    address = forms.CharField(label="地址", required=False, max_length=255)
    photos = photo_field("现场照片")

    def __init__(self, *args: Any, user, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.creating = user, creating
        self.fields["category"].queryset = (
            Category.objects.filter(parent__isnull=False, is_active=True)
            .select_related("parent")
            .order_by("parent__sort_order", "parent__code", "sort_order", "code")
        )
        self.fields["category"].label_from_instance = _category_label
        self.fields["point"].queryset = org_selectors.point_list(user=user).filter(is_active=True)
        self.fields["area"].queryset = org_selectors.area_list(user=user).order_by("path")
        if not creating:  # reports: the office decides source and severity on acceptance
            del self.fields["source"], self.fields["severity"]
        self._style_widgets()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("lng") is None) != (data.get("lat") is None):
            raise forms.ValidationError("经度和纬度需同时提供")
        if not (data.get("point") or data.get("lng") is not None or data.get("area")):
            raise forms.ValidationError(
                "请提供问题位置：选择点位、使用手机定位、在地图上点选或选择区域"
            )
        return data

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        kwargs = {
            "category": d["category"],
            "description": d["description"],
            "title": d.get("title") or "",
            "point": d.get("point"),
            "lng": d.get("lng"),
            "lat": d.get("lat"),
            "area": d.get("area"),
            "address": d.get("address") or "",
            "photos": d.get("photos") or [],
        }
        if self.creating:
            kwargs.update(source=d["source"], severity=d["severity"])
        return kwargs


# --- Actions -----------------------------------------------------------------------------

# The service of every action a person takes on an existing problem.
SERVICE_FOR = {
    A.ACCEPT: services.problem_accept,
    A.REJECT: services.problem_reject,
    A.MERGE: services.problem_merge,
    A.DISPATCH: services.problem_dispatch,
    A.SIGN: services.problem_sign,
    A.REQUEST_RETURN: services.problem_request_return,
    A.APPROVE_RETURN: services.problem_approve_return,
    A.DENY_RETURN: services.problem_deny_return,
    A.REQUEST_EXTENSION: services.problem_request_extension,
    A.APPROVE_EXTENSION: services.problem_approve_extension,
    A.DENY_EXTENSION: services.problem_deny_extension,
    A.PARK: services.problem_park,
    A.UNPARK: services.problem_unpark,
    A.SUBMIT: services.problem_submit,
    A.LEADER_APPROVE: services.problem_leader_approve,
    A.LEADER_DENY: services.problem_leader_deny,
    A.VERIFY_PASS: services.problem_verify_pass,
    A.VERIFY_FAIL: services.problem_verify_fail,
    A.REOPEN: services.problem_reopen,
    A.URGE: services.problem_urge,
    A.VOID: services.problem_void,
}
PERSON_ACTIONS = tuple(str(a) for a in SERVICE_FOR)

# action → [(field name, required, label)]; field names are the services' keyword names.
ACTION_FIELDS: dict[str, list[tuple[str, bool, str]]] = {
    A.ACCEPT: [("severity", False, "整改类型"), ("note", False, "受理意见")],
    A.REJECT: [("reason", True, "不予受理理由")],
    A.MERGE: [("into", True, "合并到"), ("reason", False, "说明")],
    A.DISPATCH: [
        ("unit", True, "责任单位"),
        ("due_at", False, "整改时限（留空按分类时限自动计算）"),
        ("severity", False, "整改类型"),
        ("note", False, "派遣要求"),
    ],
    A.SIGN: [("note", False, "签收说明")],
    A.REQUEST_RETURN: [("reason", True, "退回理由（为何不属于本单位职责）")],
    A.APPROVE_RETURN: [("note", False, "审批意见")],
    A.DENY_RETURN: [("note", True, "驳回理由")],
    A.REQUEST_EXTENSION: [
        ("reason", True, "延期理由"),
        ("requested_due_at", True, "申请延期至"),
    ],
    A.APPROVE_EXTENSION: [
        ("due_at", False, "延期至（留空按申请时间）"),
        ("note", False, "审批意见"),
    ],
    A.DENY_EXTENSION: [("note", True, "驳回理由")],
    A.PARK: [("reason", True, "挂账理由及整改计划"), ("review_on", True, "复核日期")],
    A.UNPARK: [("note", False, "说明")],
    A.SUBMIT: [("description", True, "整改情况说明"), ("files", False, "整改后照片")],
    A.LEADER_APPROVE: [("note", False, "审核意见")],
    A.LEADER_DENY: [("reason", True, "退回理由")],
    A.VERIFY_PASS: [("note", False, "核查意见")],
    A.VERIFY_FAIL: [("reason", True, "不通过原因"), ("files", False, "核查照片")],
    A.REOPEN: [
        ("reason", True, "反弹情况"),
        ("due_at", False, "整改时限（留空自动计算）"),
        ("photos", False, "现场照片"),
    ],
    A.URGE: [("note", False, "催办说明")],
    A.VOID: [("reason", True, "作废理由")],
}
FILE_FIELDS = frozenset({"files", "photos"})

# Buttons: the style of the action's button on the problem page.
ACTION_STYLE = {
    A.VERIFY_PASS: "success",
    A.DISPATCH: "danger",
    A.SIGN: "danger",
    A.SUBMIT: "danger",
    A.ACCEPT: "primary",
    A.LEADER_APPROVE: "success",
    A.APPROVE_RETURN: "primary",
    A.APPROVE_EXTENSION: "primary",
    A.VOID: "outline-secondary",
    A.REJECT: "outline-secondary",
    A.MERGE: "outline-secondary",
}


def _unit_label(unit: Unit) -> str:
    return unit.name


class ActionForm(BootstrapMixin, DomainErrorMixin, forms.Form):
    """The form of one action on one problem; fields from ACTION_FIELDS.

    `version` is the problem version the page showed: a stale page gets "refresh and
    retry" instead of silently acting on a problem someone else has just moved.
    """

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        action: str,
        problem,
        user,
        suggested_unit: Unit | None = None,
        duplicates=None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.action, self.problem, self.user = action, problem, user
        self.fields["version"].initial = problem.version
        for name, required, label in ACTION_FIELDS[action]:
            self.fields[name] = self._make_field(name, required, label, suggested_unit, duplicates)
        self._style_widgets()

    def _make_field(self, name, required, label, suggested_unit, duplicates) -> forms.Field:
        if name in ("note", "reason", "description"):
            return _text(label, required=required, rows=3 if name == "description" else 2)
        if name in ("due_at", "requested_due_at"):
            return _datetime_field(label, required=required)
        if name == "review_on":
            return _date_field(label, required=required)
        if name == "severity":
            return forms.ChoiceField(
                label=label,
                required=required,
                choices=Severity.choices,
                initial=self.problem.severity,
            )
        if name == "unit":
            field = forms.ModelChoiceField(
                label=label,
                queryset=org_selectors.unit_list(user=self.user)
                .filter(is_active=True)
                .order_by("path"),
                initial=suggested_unit.pk if suggested_unit else None,
            )
            field.label_from_instance = _unit_label
            return field
        if name == "into":
            from civicloop.problems.models import Problem

            qs = duplicates if duplicates is not None else Problem.objects.none()
            ids = [p.pk for p in qs] if duplicates is not None else []
            field = forms.ModelChoiceField(
                label=label, queryset=Problem.objects.filter(pk__in=ids), required=required
            )
            field.label_from_instance = lambda p: f"{p.number} {p.description[:30]}"
            return field
        if name in FILE_FIELDS:
            return photo_field(label, required=required)
        raise KeyError(name)  # pragma: no cover - ACTION_FIELDS and this stay in step

    def clean_version(self):
        version = self.cleaned_data.get("version")
        if version is not None and version != self.problem.version:
            raise forms.ValidationError(ConcurrentUpdate.code.label)
        return version

    @property
    def stale(self) -> bool:
        return "version" in self.errors

    def service_kwargs(self) -> dict[str, Any]:
        return service_kwargs(self.action, self.cleaned_data)


def service_kwargs(action: str, data: dict[str, Any]) -> dict[str, Any]:
    """Cleaned form/serializer data → keyword arguments of the action's service.

    Optional values that were left empty are dropped so the services' defaults apply
    (e.g. due_at from the category policy).
    """
    kwargs: dict[str, Any] = {}
    for name, _required, _label in ACTION_FIELDS[action]:
        value = data.get(name)
        if value in (None, "", []) and name not in ("note", "reason", "description"):
            continue
        kwargs[name] = value if value is not None else ""
    return kwargs


def perform_action(action: str, *, user, problem, kwargs: dict[str, Any]):
    """Run the action's service (raises DomainError)."""
    return SERVICE_FOR[action](user=user, problem=problem, **kwargs)


# --- Evidence upload (staged, e.g. after-photos before submitting) -----------------------


class EvidenceUploadForm(BootstrapMixin, DomainErrorMixin, forms.Form):
    kind = forms.ChoiceField(label="材料类型")
    files = MultipleFileField(
        label="照片或文件",
        widget=MultipleFileInput(attrs={"multiple": True, "accept": "image/*,.pdf,.docx,.xlsx"}),
    )

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        self._style_widgets()


# --- Routing rules -----------------------------------------------------------------------


class RoutingRuleForm(BootstrapMixin, DomainErrorMixin, forms.Form):
    name = forms.CharField(label="规则名称", max_length=128)
    category = forms.ModelChoiceField(
        label="问题分类（留空为全部）", queryset=Category.objects.none(), required=False
    )
    area = forms.ModelChoiceField(
        label="区域范围（含下级，留空为全市）", queryset=Area.objects.none(), required=False
    )
    point_type = forms.ModelChoiceField(
        label="点位类型（留空为全部）", queryset=PointType.objects.none(), required=False
    )
    unit = forms.ModelChoiceField(label="责任单位", queryset=Unit.objects.none())
    priority = forms.IntegerField(label="优先级（数字越小越优先）", initial=100)
    is_active = forms.BooleanField(label="启用", required=False, initial=True)
    note = forms.CharField(label="说明", max_length=255, required=False)

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.select_related("parent").order_by(
            "code"
        )
        self.fields["category"].label_from_instance = _category_label
        self.fields["area"].queryset = (
            org_selectors.area_list(user=user).exclude(level="grid").order_by("path")
        )
        self.fields["point_type"].queryset = PointType.objects.order_by("sort_order", "code")
        self.fields["unit"].queryset = Unit.objects.filter(is_active=True).order_by("path")
        self.fields["unit"].label_from_instance = _unit_label
        self._style_widgets()

    @classmethod
    def initial_from(cls, rule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "category": rule.category_id,
            "area": rule.area_id,
            "point_type": rule.point_type_id,
            "unit": rule.unit_id,
            "priority": rule.priority,
            "is_active": rule.is_active,
            "note": rule.note,
        }


# --- KPIs --------------------------------------------------------------------------------


def quarter_bounds(today: date) -> tuple[date, date]:
    """[first day of the quarter, first day of the next quarter)."""
    first_month = 3 * ((today.month - 1) // 3) + 1
    start = date(today.year, first_month, 1)
    end = date(today.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
    return start, end


class KpiForm(BootstrapMixin, forms.Form):
    group_by = forms.ChoiceField(
        label="统计维度",
        choices=[("unit", "按责任单位"), ("area", "按区域"), ("category", "按问题分类")],
        required=False,
    )
    start = _date_field("开始日期", required=False)
    end = _date_field("结束日期（含）", required=False)
    area = forms.ModelChoiceField(label="区域", queryset=Area.objects.none(), required=False)

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = (
            org_selectors.area_list(user=user).exclude(level="grid").order_by("path")
        )
        self.fields["area"].empty_label = "全部（我的辖区）"
        self._style_widgets()

    def period(self) -> tuple[date, date]:
        """(start, end inclusive), this quarter by default."""
        q_start, q_end = quarter_bounds(timezone.localdate())
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        start = data.get("start") or q_start
        end = data.get("end") or q_end - timedelta(days=1)
        return start, max(start, end)
