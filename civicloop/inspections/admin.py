"""Read-mostly admin: rounds and inspections change only through services."""

from django.contrib import admin

from .models import Inspection, ItemResult, Round, RoundQuota, RoundTeam, SamplePoint


class QuotaInline(admin.TabularInline):
    model = RoundQuota
    extra = 0
    can_delete = False
    readonly_fields = ("point_type", "area", "per_level", "count")


class TeamInline(admin.TabularInline):
    model = RoundTeam
    extra = 0
    can_delete = False
    readonly_fields = ("name", "leader")
    exclude = ("inspectors",)


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "status", "start_date", "end_date", "seed")
    list_filter = ("kind", "status")
    search_fields = ("title",)
    readonly_fields = ("status", "seed", "drawn_at", "published_at", "closed_at", "version")
    inlines = [QuotaInline, TeamInline]


@admin.register(SamplePoint)
class SamplePointAdmin(admin.ModelAdmin):
    list_display = ("round", "point", "team", "reason", "is_revisit", "position")
    list_filter = ("reason", "is_revisit")
    list_select_related = ("round", "point", "team")
    raw_id_fields = ("round", "point", "team", "quota")


class ResultInline(admin.TabularInline):
    model = ItemResult
    extra = 0
    can_delete = False
    fields = ("code", "outcome", "deduction", "count", "earned", "problem", "problem_link")
    readonly_fields = fields


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ("round", "point", "inspector", "status", "rate", "passed", "submitted_at")
    list_filter = ("status", "passed")
    list_select_related = ("round", "point", "inspector")
    raw_id_fields = ("round", "sample", "point", "point_type", "area", "unit", "inspector")
    readonly_fields = (
        "status",
        "earned",
        "max_score",
        "rate",
        "passed",
        "failed_count",
        "critical_failed",
        "version",
    )
    inlines = [ResultInline]
