"""Forms of the inspection pages: round (with quotas and teams), filters, one item answer.

Forms only parse and validate input; the services decide (and raise DomainErrors, which
the views put back on the form with `add_domain_error`).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q

from civicloop.accounts.models import Role, User
from civicloop.accounts.scope import scope_of
from civicloop.orgs.forms import BootstrapMixin, DomainErrorMixin
from civicloop.orgs.models import Area, AreaLevel, PointType
from civicloop.standards.models import Category, IndexSystem, IndexSystemStatus

from .models import ItemOutcome, RoundKind, RoundStatus
from .services import QuotaInput

# Scope areas are picked down to streets: deeper levels make the select unusable and
# rounds are planned by district/street.
SCOPE_LEVELS = (AreaLevel.CITY, AreaLevel.DISTRICT, AreaLevel.STREET)


def command_areas(user):
    """Areas a command user may put in a round's scope (their subtrees, down to streets)."""
    scope = scope_of(user)
    qs = Area.objects.filter(level__in=SCOPE_LEVELS)
    if not scope.is_superuser:
        q = Q(pk__in=[])
        for path in scope.area_paths.get(Role.COMMAND, ()):
            q |= Q(path__startswith=path)
        qs = qs.filter(q)
    return qs.order_by("path")


def inspector_users(user):
    """People who can be put in a team: inspectors and command staff in the user's areas."""
    scope = scope_of(user)
    qs = User.objects.filter(
        is_active=True, memberships__role__in=[Role.INSPECTOR, Role.COMMAND]
    ).distinct()
    if not scope.is_superuser:
        q = Q(pk__in=[])
        for path in scope.area_paths.get(Role.COMMAND, ()):
            # Members anywhere in the jurisdiction, or above it (city inspectors join
            # district rounds).
            q |= Q(memberships__area__path__startswith=path)
            parts = path.strip("/").split("/")
            ancestors = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]
            if ancestors:
                q |= Q(memberships__area__path__in=ancestors)
        qs = qs.filter(q)
    return qs.order_by("username")


def _label_area(area: Area) -> str:
    indent = {"city": "", "district": "　", "street": "　　"}.get(area.level, "")
    return f"{indent}{area.name}"


class RoundFilterForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label="类型", required=False, choices=[("", "全部类型"), *RoundKind.choices]
    )
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部状态"), *RoundStatus.choices]
    )
    start = forms.DateField(
        label="起", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="止", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()
        for field in self.fields.values():
            field.widget.attrs["class"] += " form-control-sm"

    def apply(self, qs):
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data.get("kind"):
            qs = qs.filter(kind=data["kind"])
        if data.get("status"):
            qs = qs.filter(status=data["status"])
        if data.get("start"):
            qs = qs.filter(end_date__gte=data["start"])
        if data.get("end"):
            qs = qs.filter(start_date__lte=data["end"])
        return qs


class RoundForm(BootstrapMixin, DomainErrorMixin, forms.Form):
    kind = forms.ChoiceField(label="轮次类型", choices=RoundKind.choices)
    title = forms.CharField(label="标题", max_length=200)
    start_date = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label="结束日期", widget=forms.DateInput(attrs={"type": "date"}))
    index_system = forms.ModelChoiceField(
        label="测评体系", queryset=IndexSystem.objects.none(), required=False
    )
    areas = forms.ModelMultipleChoiceField(
        label="检查区域（含下级）", queryset=Area.objects.none(), help_text="可多选（按住 Ctrl）"
    )
    point_types = forms.ModelMultipleChoiceField(
        label="点位类型",
        queryset=PointType.objects.none(),
        required=False,
        help_text="不选 = 全部类型",
    )
    seed = forms.IntegerField(
        label="随机种子",
        required=False,
        min_value=0,
        help_text="留空则随机生成；同一种子抽样结果相同",
    )
    include_revisits = forms.BooleanField(label="纳入回头看点位", required=False)
    default_category = forms.ModelChoiceField(
        label="默认问题分类",
        queryset=Category.objects.none(),
        required=False,
        help_text="检查项未设置问题分类时使用",
    )
    description = forms.CharField(
        label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    # Fields that stay editable after publishing (the services refuse the rest).
    FROZEN_OK = ("title", "description", "default_category")

    def __init__(self, *args, user, round_=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["index_system"].queryset = IndexSystem.objects.exclude(
            status=IndexSystemStatus.ARCHIVED
        )
        self.fields["areas"].queryset = command_areas(user)
        self.fields["areas"].label_from_instance = _label_area
        self.fields["point_types"].queryset = PointType.objects.filter(is_active=True).order_by(
            "sort_order", "code"
        )
        self.fields["default_category"].queryset = Category.objects.filter(
            parent__isnull=False, is_active=True
        ).select_related("parent")
        self.fields["areas"].widget.attrs["size"] = 8
        self.fields["point_types"].widget.attrs["size"] = 8
        self._style_widgets()
        if round_ is not None and round_.is_frozen:
            for name, field in self.fields.items():
                if name not in self.FROZEN_OK:
                    field.disabled = True

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "结束日期不能早于开始日期")
        return data

    @staticmethod
    def initial_for(round_) -> dict:
        return {
            "kind": round_.kind,
            "title": round_.title,
            "start_date": round_.start_date,
            "end_date": round_.end_date,
            "index_system": round_.index_system_id,
            "areas": list(round_.areas.all()),
            "point_types": list(round_.point_types.all()),
            "seed": round_.seed,
            "include_revisits": round_.include_revisits,
            "default_category": round_.default_category_id,
            "description": round_.description,
        }

    def service_fields(self, *, frozen: bool = False) -> dict:
        data = self.cleaned_data
        names = self.FROZEN_OK if frozen else list(self.fields)
        return {name: data[name] for name in names if name in data}


class QuotaForm(BootstrapMixin, forms.Form):
    point_type = forms.ModelChoiceField(
        label="点位类型", queryset=PointType.objects.none(), required=False, empty_label="任意类型"
    )
    area = forms.ModelChoiceField(
        label="区域", queryset=Area.objects.none(), required=False, empty_label="整个范围"
    )
    per_level = forms.ChoiceField(
        label="按层级分别抽取",
        required=False,
        choices=[("", "不分"), *[(v, f"每个{lbl}") for v, lbl in AreaLevel.choices]],
    )
    count = forms.IntegerField(label="数量", min_value=1, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point_type"].queryset = PointType.objects.filter(is_active=True)
        self.fields["area"].queryset = command_areas(user)
        self.fields["area"].label_from_instance = _label_area
        self._style_widgets()
        for field in self.fields.values():
            field.widget.attrs["class"] += " form-control-sm"

    def to_input(self) -> QuotaInput | None:
        data = getattr(self, "cleaned_data", None) or {}
        if not data.get("count"):
            return None  # an empty row
        return QuotaInput(
            count=data["count"],
            point_type=data.get("point_type"),
            area=data.get("area"),
            per_level=data.get("per_level") or "",
        )


class TeamForm(BootstrapMixin, forms.Form):
    team_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label="组名", max_length=64, required=False)
    inspectors = forms.ModelMultipleChoiceField(
        label="组员", queryset=User.objects.none(), required=False
    )
    leader = forms.ModelChoiceField(label="组长", queryset=User.objects.none(), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        people = inspector_users(user)
        self.fields["inspectors"].queryset = people
        self.fields["leader"].queryset = people
        for name in ("inspectors", "leader"):
            self.fields[name].label_from_instance = lambda u: f"{u.name}（{u.username}）"
        self.fields["inspectors"].widget.attrs["size"] = 4
        self._style_widgets()
        for field in self.fields.values():
            field.widget.attrs["class"] += " form-control-sm"

    def clean(self):
        data = super().clean()
        if (data.get("inspectors") or data.get("leader")) and not (data.get("name") or "").strip():
            self.add_error("name", "请填写督查组名称")
        return data

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", None) or {}
        return not (data.get("name") or "").strip() and not data.get("team_id")


class _QuotaBase(forms.BaseFormSet):
    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "user": self.user}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            user=self.user,
        )
        self.add_fields(form, None)
        return form


QuotaFormSet = forms.formset_factory(QuotaForm, formset=_QuotaBase, extra=3, max_num=50)
TeamFormSet = forms.formset_factory(TeamForm, formset=_QuotaBase, extra=2, max_num=30)


class ItemAnswerForm(forms.Form):
    """One check item answer as the phone posts it (auto-save)."""

    outcome = forms.ChoiceField(choices=ItemOutcome.choices)
    deduction = forms.DecimalField(required=False, min_value=Decimal("0"), decimal_places=2)
    count = forms.IntegerField(required=False, min_value=0)
    note = forms.CharField(required=False, max_length=2000)
    photo = forms.ImageField(required=False)
    remove_photo = forms.BooleanField(required=False)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90)

    def location(self) -> tuple[float | None, float | None]:
        lng, lat = self.cleaned_data.get("lng"), self.cleaned_data.get("lat")
        if lng is None or lat is None:
            return None, None
        return lng, lat

    def first_error(self) -> str:
        for field, errors in self.errors.items():
            label = {"outcome": "检查结果", "deduction": "扣分", "count": "发现处数"}.get(field, "")
            return f"{label}：{errors[0]}" if label else errors[0]
        return "提交的数据有误"


class SubmitForm(forms.Form):
    note = forms.CharField(required=False, max_length=4000)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90)

    def location(self) -> tuple[float | None, float | None]:
        lng, lat = self.cleaned_data.get("lng"), self.cleaned_data.get("lat")
        if lng is None or lat is None:
            return None, None
        return lng, lat
