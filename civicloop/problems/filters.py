"""Query parameters of GET /api/v1/problems/: the ledger page's filters.

The FilterSet validates and documents the parameters (OpenAPI); the filtering itself is
`selectors.problem_list`, shared with the ledger page and the export, so the three can
never disagree about what "overdue in unit X" means.
"""

from __future__ import annotations

import django_filters

from civicloop.problems import deadlines, selectors
from civicloop.problems.models import Problem, Severity, Source, Status


def _keep(queryset, name, value):
    return queryset  # applied together in filter_queryset


class ProblemFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, method=_keep, help_text="状态（可重复）"
    )
    unit = django_filters.NumberFilter(method=_keep, help_text="责任单位 id（含下级单位）")
    area = django_filters.NumberFilter(method=_keep, help_text="区域 id（含下级区域）")
    category = django_filters.NumberFilter(method=_keep, help_text="问题分类 id（大类含小类）")
    source = django_filters.ChoiceFilter(choices=Source.choices, method=_keep)
    severity = django_filters.ChoiceFilter(choices=Severity.choices, method=_keep)
    overdue = django_filters.BooleanFilter(method=_keep, help_text="已超期（true/false）")
    light = django_filters.ChoiceFilter(
        choices=list(deadlines.LIGHT_LABELS.items()), method=_keep, help_text="红黄绿灯"
    )
    escalated = django_filters.BooleanFilter(method=_keep, help_text="已催办/督办")
    created_from = django_filters.DateFilter(method=_keep, help_text="登记日期起（含）")
    created_to = django_filters.DateFilter(method=_keep, help_text="登记日期止（含）")
    keyword = django_filters.CharFilter(method=_keep, help_text="编号（精确）或描述/地址关键词")
    ordering = django_filters.ChoiceFilter(
        choices=[(k, k) for k in selectors.ORDERINGS], method=_keep, help_text="排序"
    )

    class Meta:
        model = Problem
        fields: list[str] = []

    def ledger_filters(self) -> selectors.LedgerFilters:
        d = self.form.cleaned_data
        return selectors.LedgerFilters(
            status=list(d.get("status") or []) or None,
            unit=d.get("unit"),
            area=d.get("area"),
            category=d.get("category"),
            source=d.get("source") or None,
            severity=d.get("severity") or None,
            overdue=d.get("overdue"),
            light=d.get("light") or None,
            escalated=d.get("escalated"),
            created_from=d.get("created_from"),
            created_to=d.get("created_to"),
            keyword=d.get("keyword") or "",
            ordering=d.get("ordering") or "-created_at",
        )

    def filter_queryset(self, queryset):
        # The scoped, annotated ledger for the requesting user (the incoming queryset is
        # the same selector without filters).
        return selectors.problem_list(user=self.request.user, filters=self.ledger_filters())
