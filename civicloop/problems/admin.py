"""Read-mostly admin: status and history change only through services."""

from django.contrib import admin

from civicloop.problems.models import (
    Evidence,
    Problem,
    ProblemEvent,
    ProblemRequest,
    RoutingRule,
)


class EventInline(admin.TabularInline):
    model = ProblemEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "from_status", "to_status", "actor", "unit", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "status",
        "category",
        "area",
        "responsible_unit",
        "due_at",
        "is_overdue",
        "escalation_level",
        "created_at",
    )
    list_filter = ("status", "source", "severity", "is_overdue", "escalation_level")
    search_fields = ("number", "title", "description", "address")
    list_select_related = ("category", "area", "responsible_unit")
    raw_id_fields = (
        "point",
        "area",
        "responsible_unit",
        "reporter",
        "created_by",
        "merged_into",
        "category",
    )
    inlines = [EventInline]

    def get_readonly_fields(self, request, obj=None):
        # The workflow owns these; editing them here would desynchronise the history.
        return [f.name for f in Problem._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProblemRequest)
class ProblemRequestAdmin(admin.ModelAdmin):
    list_display = ("problem", "kind", "status", "requested_by", "requested_at", "decided_by")
    list_filter = ("kind", "status")
    raw_id_fields = ("problem", "requested_by", "decided_by", "unit")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ("problem", "kind", "original_name", "content_type", "size", "at")
    list_filter = ("kind",)
    raw_id_fields = ("problem", "event", "uploaded_by")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "area", "point_type", "unit", "priority", "is_active")
    list_filter = ("is_active",)
    raw_id_fields = ("category", "area", "point_type", "unit")

    def has_add_permission(self, request):
        return False  # through services (audited) from the command pages

    def has_change_permission(self, request, obj=None):
        return False
