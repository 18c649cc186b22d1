"""Forms of the registry pages (Chinese labels and errors).

Edit forms validate input only; the write itself goes through `civicloop.orgs.services`.
Model forms work on a *copy* of the instance so that validation never mutates the object
the service later compares against (services detect changes and re-parenting by comparing
old and new values).
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q, QuerySet

from civicloop.accounts.models import Role, User
from civicloop.accounts.scope import scope_of
from civicloop.core import geo
from civicloop.core.errors import DomainError
from civicloop.orgs import selectors
from civicloop.orgs.models import (
    Area,
    AreaLevel,
    Point,
    PointType,
    ResponsibilityKind,
    Unit,
    UnitKind,
)


def _name_code(obj) -> str:
    return f"{obj.name}（{obj.code}）"


class BootstrapMixin:
    """Give every widget the Bootstrap class it needs."""

    def _style_widgets(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class DomainErrorMixin:
    """Show a service's DomainError on the form instead of a stack trace."""

    def add_domain_error(self, exc: DomainError) -> None:
        details = exc.details
        if isinstance(details, dict) and details:
            for name, messages in details.items():
                target = name if name in self.fields else None
                items = messages if isinstance(messages, list | tuple) else [messages]
                for message in items:
                    self.add_error(target, str(message))
            return
        if isinstance(details, list) and details:
            for message in details:
                self.add_error(None, str(message))
            return
        self.add_error(None, exc.message)


class RegistryModelForm(BootstrapMixin, DomainErrorMixin, forms.ModelForm):
    """A model form bound to a user's scope; `service_data()` feeds the service call."""

    def __init__(self, *args: Any, user, instance=None, **kwargs: Any) -> None:
        self.user = user
        self.original = instance
        super().__init__(*args, instance=copy.copy(instance) if instance else None, **kwargs)
        self._restrict_choices()
        self._style_widgets()

    def _restrict_choices(self) -> None:
        """Limit foreign-key choices to what the user may see."""

    def _choices(self, name: str, qs: QuerySet) -> None:
        """Offer `qs` (ordered by path) plus the current value.

        The current value may lie outside the user's scope (a district's parent city, a
        city-level responsible unit); it must stay valid so the form can be saved unchanged.
        """
        current = getattr(self.original, f"{name}_id", None) if self.original else None
        if current is not None:
            qs = qs.model.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk=current))
        field = self.fields[name]
        field.queryset = qs.select_related(None).order_by("path")
        field.label_from_instance = _name_code

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}


class UnitForm(RegistryModelForm):
    class Meta:
        model = Unit
        fields = [
            "name",
            "short_name",
            "code",
            "kind",
            "area",
            "parent",
            "contact_person",
            "contact_phone",
            "submission_needs_leader_approval",
            "is_active",
            "sort_order",
        ]

    def _restrict_choices(self) -> None:
        self._choices("area", selectors.area_list(user=self.user))
        self._choices("parent", selectors.unit_list(user=self.user))


class AreaForm(RegistryModelForm):
    class Meta:
        model = Area
        fields = ["name", "code", "level", "parent", "boundary", "sort_order"]
        widgets = {"boundary": forms.Textarea(attrs={"rows": 6, "class": "font-monospace"})}
        help_texts = {
            "boundary": "可选。粘贴 Polygon / MultiPolygon 的 GeoJSON（WGS-84 经纬度），"
            "也接受只含一个要素的 Feature 或 FeatureCollection。",
        }

    def _restrict_choices(self) -> None:
        areas = selectors.area_list(user=self.user).exclude(level=AreaLevel.GRID)
        self._choices("parent", areas)


class PointTypeForm(RegistryModelForm):
    class Meta:
        model = PointType
        fields = ["code", "name", "group", "lead_unit", "description", "sort_order", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def _restrict_choices(self) -> None:
        self._choices("lead_unit", selectors.unit_list(user=self.user))


class PointForm(RegistryModelForm):
    coord_system = forms.ChoiceField(
        label="坐标系",
        choices=list(geo.COORD_SYSTEMS.items()),
        initial=geo.WGS84,
        help_text="从高德/腾讯地图取的坐标选 GCJ-02，从百度地图取的选 BD-09；保存时统一换算为 WGS-84。",
    )

    class Meta:
        model = Point
        fields = [
            "code",
            "name",
            "point_type",
            "area",
            "address",
            "coord_system",
            "lng",
            "lat",
            "responsible_unit",
            "person_in_charge",
            "person_phone",
            "is_active",
        ]
        labels = {"lng": "经度", "lat": "纬度"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Range errors belong on the field, in words, not as a violated DB constraint.
        for name, limit in (("lng", 180), ("lat", 90)):
            field = self.fields[name]
            field.min_value, field.max_value = -limit, limit
            field.validators += [MinValueValidator(-limit), MaxValueValidator(limit)]

    def _restrict_choices(self) -> None:
        current_type = self.original.point_type_id if self.original else None
        self.fields["point_type"].queryset = PointType.objects.filter(
            Q(is_active=True) | Q(pk=current_type)
        )
        self._choices("area", selectors.area_list(user=self.user))
        self._choices("responsible_unit", selectors.unit_list(user=self.user))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("lng") is None) != (data.get("lat") is None):
            raise forms.ValidationError("经度和纬度需同时填写或同时留空")
        return data


class ResponsibilityForm(BootstrapMixin, DomainErrorMixin, forms.Form):
    """Add a 包片领导 (account or name) or a 包保单位 to an area."""

    kind = forms.ChoiceField(label="类型", choices=ResponsibilityKind.choices)
    unit = forms.ModelChoiceField(label="包保单位", queryset=Unit.objects.none(), required=False)
    leader = forms.ModelChoiceField(label="领导账号", queryset=User.objects.none(), required=False)
    person_name = forms.CharField(label="姓名", max_length=64, required=False)
    title = forms.CharField(label="职务", max_length=64, required=False)

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = selectors.unit_list(user=user).order_by("path")
        self.fields["leader"].queryset = _leader_accounts(user)
        self._style_widgets()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        if kind == ResponsibilityKind.SUPPORTING_UNIT and not data.get("unit"):
            self.add_error("unit", "包保单位必须选择单位")
        if kind == ResponsibilityKind.LEADER and not (
            data.get("leader") or data.get("person_name")
        ):
            self.add_error("person_name", "包片领导请选择领导账号或填写姓名")
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        is_unit = data["kind"] == ResponsibilityKind.SUPPORTING_UNIT
        return {
            "kind": data["kind"],
            "unit": data["unit"] if is_unit else None,
            "leader": None if is_unit else data["leader"],
            "person_name": "" if is_unit else data["person_name"],
            "title": data["title"],
        }


def _leader_accounts(user):
    """Accounts holding the leader role in an area the user can see."""
    # area_q is empty (everything) for a superuser.
    area_q = scope_of(user).area_q(prefix="memberships__area__")
    return (
        User.objects.filter(area_q, memberships__role=Role.LEADER, is_active=True)
        .distinct()
        .order_by("display_name", "username")
    )


# --- Filters of the list pages ---------------------------------------------------------


class FilterForm(BootstrapMixin, forms.Form):
    """A GET filter form: invalid values are dropped rather than reported."""

    q = forms.CharField(label="搜索", required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style_widgets()

    def values(self) -> dict[str, Any]:
        if self.is_valid():
            return self.cleaned_data
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}


class UnitFilterForm(FilterForm):
    kind = forms.ChoiceField(
        label="单位类型", required=False, choices=[("", "全部类型"), *UnitKind.choices]
    )


class AreaFilterForm(FilterForm):
    level = forms.ChoiceField(
        label="层级", required=False, choices=[("", "全部层级"), *AreaLevel.choices]
    )


class PointFilterForm(FilterForm):
    point_type = forms.ModelChoiceField(
        label="点位类型", required=False, queryset=PointType.objects.all(), empty_label="全部类型"
    )
    area = forms.ModelChoiceField(
        label="区域（含下级）", required=False, queryset=Area.objects.none(), empty_label="全部区域"
    )
    unit = forms.ModelChoiceField(
        label="责任单位", required=False, queryset=Unit.objects.none(), empty_label="全部单位"
    )

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Grids are too many for a drop-down; a grid chosen elsewhere (a link from the
        # grid's page) is still accepted.
        chosen = self.data.get("area") if self.is_bound else None
        keep = Q(pk=int(chosen)) if chosen and str(chosen).isdigit() else Q(pk__in=[])
        self.fields["area"].queryset = (
            selectors.area_list(user=user)
            .filter(~Q(level=AreaLevel.GRID) | keep)
            .only("pk", "name", "path", "level")
            .order_by("path")
        )
        self.fields["unit"].queryset = (
            selectors.unit_list(user=user)
            .select_related(None)
            .only("pk", "name", "path")
            .order_by("path")
        )
