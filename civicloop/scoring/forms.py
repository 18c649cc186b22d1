"""Forms of the scoring pages: the scheme editor (settings + components) and small action
forms. Validation of meaning (bands, params, weights) stays in the services; the forms
only parse what the browser sends."""

from __future__ import annotations

import json

from django import forms

from civicloop.core.errors import ValidationFailed
from civicloop.orgs.models import Area
from civicloop.scoring import components as comp
from civicloop.scoring.models import ObjectGroup, PeriodKind, RedFlagRule, Scheme
from civicloop.scoring.services import ComponentSpec

SCHEME_FORM_FIELDS = (
    "name",
    "period_kind",
    "object_group",
    "area",
    "is_active",
    "base_score",
    "red_list_size",
    "black_list_size",
    "red_flag_rule",
    "accountability_bottom_n",
    "accountability_periods",
    "description",
)
EXTRA_COMPONENT_ROWS = 3


class SchemeForm(forms.Form):
    name = forms.CharField(label="方案名称", max_length=128)
    period_kind = forms.ChoiceField(label="考核周期", choices=PeriodKind.choices)
    object_group = forms.ChoiceField(label="考核对象", choices=ObjectGroup.choices)
    area = forms.ModelChoiceField(
        label="考核范围（含下级）",
        queryset=Area.objects.none(),
        required=False,
        empty_label="全部区域",
    )
    is_active = forms.BooleanField(label="启用", required=False, initial=True)
    base_score = forms.DecimalField(label="基础分", max_digits=7, decimal_places=2, initial=100)
    grade_bands = forms.CharField(
        label="等次划分",
        initial="A:90, B:75, C:60, D:0",
        help_text="格式：等次:下限分，逗号分隔，如 A:90, B:75, C:60, D:0",
    )
    red_list_size = forms.IntegerField(label="红榜名额", min_value=0, initial=3)
    black_list_size = forms.IntegerField(label="黑榜名额", min_value=0, initial=3)
    red_flag_rule = forms.ChoiceField(label="流动红旗规则", choices=RedFlagRule.choices)
    accountability_bottom_n = forms.IntegerField(label="问责：后N名", min_value=0, initial=3)
    accountability_periods = forms.IntegerField(label="问责：连续K期", min_value=1, initial=2)
    description = forms.CharField(
        label="说明", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, areas=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas if areas is not None else Area.objects.none()
        for field in self.fields.values():
            css = "form-check-input" if isinstance(field, forms.BooleanField) else "form-control"
            if isinstance(field, forms.ChoiceField):
                css = "form-select"
            field.widget.attrs.setdefault("class", css)

    def clean_grade_bands(self) -> list[dict]:
        raw = self.cleaned_data["grade_bands"]
        bands = []
        for part in raw.replace("，", ",").split(","):
            if not part.strip():
                continue
            grade, sep, minimum = part.replace("：", ":").partition(":")
            if not sep:
                raise forms.ValidationError("每一档写成 等次:下限分，如 A:90")
            bands.append({"grade": grade.strip(), "min": minimum.strip()})
        if not bands:
            raise forms.ValidationError("至少需要一档等次")
        return bands

    def scheme_fields(self) -> dict:
        data = {k: self.cleaned_data[k] for k in SCHEME_FORM_FIELDS}
        data["grade_bands"] = self.cleaned_data["grade_bands"]
        return data


def bands_text(scheme: Scheme) -> str:
    return ", ".join(f"{b['grade']}:{b['min']}" for b in scheme.grade_bands)


def initial_for(scheme: Scheme) -> dict:
    data = {k: getattr(scheme, k) for k in SCHEME_FORM_FIELDS}
    data["grade_bands"] = bands_text(scheme)
    return data


def component_rows(scheme: Scheme | None) -> list[dict]:
    """Rows for the editor table: existing components, then blank rows."""
    rows = []
    if scheme is not None:
        for c in scheme.components.all():
            rows.append(
                {
                    "key": c.key,
                    "label": c.label,
                    "weight": c.weight,
                    "params": json.dumps(c.params, ensure_ascii=False),
                    "is_active": c.is_active,
                }
            )
    rows += [{"key": "", "label": "", "weight": "", "params": "", "is_active": True}] * (
        EXTRA_COMPONENT_ROWS
    )
    return rows


def parse_components(post) -> list[ComponentSpec]:
    """comp_key / comp_label / comp_weight / comp_params / comp_active lists → specs.
    Rows without a key are ignored; bad JSON params are a clear error."""
    keys = post.getlist("comp_key")
    labels = post.getlist("comp_label")
    weights = post.getlist("comp_weight")
    params = post.getlist("comp_params")
    active = set(post.getlist("comp_active"))
    specs = []
    for i, key in enumerate(keys):
        if not key:
            continue
        raw = (params[i] if i < len(params) else "").strip()
        try:
            parsed = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            raise ValidationFailed(f"第{i + 1}行指标参数不是有效的 JSON") from None
        if not isinstance(parsed, dict):
            raise ValidationFailed(f"第{i + 1}行指标参数应为 JSON 对象")
        specs.append(
            ComponentSpec(
                key=key,
                label=(labels[i] if i < len(labels) else "").strip(),
                weight=(weights[i] if i < len(weights) else "") or 1,
                params=parsed,
                is_active=str(i) in active,
            )
        )
    if not specs:
        raise ValidationFailed("至少需要一个考核指标")
    return specs


def component_choices() -> list[tuple[str, str]]:
    return [("", "—"), *comp.choices()]
