"""Query parameters of the inspections API (validated and documented by django-filter).

The querysets they filter come from `selectors` (already scoped to the user)."""

from __future__ import annotations

import django_filters

from .models import (
    Inspection,
    InspectionStatus,
    ItemOutcome,
    ItemResult,
    Round,
    RoundKind,
    RoundStatus,
    SamplePoint,
)


class RoundFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=RoundKind.choices)
    status = django_filters.ChoiceFilter(choices=RoundStatus.choices)
    period_from = django_filters.DateFilter(
        field_name="end_date", lookup_expr="gte", help_text="检查期间晚于（含）此日期"
    )
    period_to = django_filters.DateFilter(
        field_name="start_date", lookup_expr="lte", help_text="检查期间早于（含）此日期"
    )

    class Meta:
        model = Round
        fields = ["kind", "status", "period_from", "period_to"]


class SamplePointFilter(django_filters.FilterSet):
    round = django_filters.NumberFilter(field_name="round_id")
    team = django_filters.NumberFilter(field_name="team_id")
    mine = django_filters.BooleanFilter(method="filter_mine", help_text="只看我所在督查组的点位")
    is_revisit = django_filters.BooleanFilter()

    class Meta:
        model = SamplePoint
        fields = ["round", "team", "mine", "is_revisit"]

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value and user is not None:
            return queryset.filter(team__inspectors=user)
        return queryset


class InspectionFilter(django_filters.FilterSet):
    round = django_filters.NumberFilter(field_name="round_id")
    point = django_filters.NumberFilter(field_name="point_id")
    status = django_filters.ChoiceFilter(choices=InspectionStatus.choices)
    passed = django_filters.BooleanFilter()

    class Meta:
        model = Inspection
        fields = ["round", "point", "status", "passed"]


class ItemResultFilter(django_filters.FilterSet):
    round = django_filters.NumberFilter(field_name="inspection__round_id")
    inspection = django_filters.NumberFilter(field_name="inspection_id")
    outcome = django_filters.ChoiceFilter(choices=ItemOutcome.choices)
    has_problem = django_filters.BooleanFilter(
        field_name="problem", lookup_expr="isnull", exclude=True, help_text="已关联问题"
    )

    class Meta:
        model = ItemResult
        fields = ["round", "inspection", "outcome", "has_problem"]
