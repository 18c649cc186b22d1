"""Read-only admin: schemes are edited on the scheme page, everything else is written by
services (status changes, snapshots) and must never be edited by hand."""

from django.contrib import admin

from civicloop.scoring.models import (
    Computation,
    ManualAdjustment,
    Period,
    PublishedSnapshot,
    Scheme,
    SchemeComponent,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ComponentInline(admin.TabularInline):
    model = SchemeComponent
    extra = 0
    fields = ("key", "label", "weight", "params", "sort_order", "is_active")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Scheme)
class SchemeAdmin(ReadOnly):
    list_display = ("name", "period_kind", "object_group", "area", "is_active")
    list_filter = ("period_kind", "object_group", "is_active")
    inlines = [ComponentInline]


@admin.register(Period)
class PeriodAdmin(ReadOnly):
    list_display = ("scheme", "label", "status", "computed_at", "published_at")
    list_filter = ("status", "scheme")


@admin.register(Computation)
class ComputationAdmin(ReadOnly):
    list_display = ("period", "status", "progress", "created_at", "duration_ms")
    list_filter = ("status",)


@admin.register(ManualAdjustment)
class ManualAdjustmentAdmin(ReadOnly):
    list_display = ("period", "obj", "points", "reason", "created_by", "is_void")
    list_filter = ("is_void",)


@admin.register(PublishedSnapshot)
class PublishedSnapshotAdmin(ReadOnly):
    list_display = ("period", "version", "published_by", "published_at", "reason")
    exclude = ("data",)
