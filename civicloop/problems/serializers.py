"""Serializers of the ledger API: problem list/detail, history, evidence, requests, the
request body of every action, routing rules, KPIs and workbench counts.

Reads are flat (ids plus display names from the selectors' select_related) so a list page
is one query; writes never go through `serializer.save()`: the API view calls the service.
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from civicloop.api.row_plan import RowPlan
from civicloop.problems import deadlines
from civicloop.problems.forms import ACTION_FIELDS, PERSON_ACTIONS
from civicloop.problems.models import (
    Action,
    Evidence,
    EvidenceKind,
    Problem,
    ProblemEvent,
    ProblemRequest,
    RoutingRule,
    Severity,
    Source,
)
from civicloop.problems.selectors import WORKBENCH_BUCKETS

LIGHT_CHOICES = [("", "无"), *deadlines.LIGHT_LABELS.items()]


def _name(source: str) -> serializers.CharField:
    """The display name of a nullable relation (None when the relation is empty)."""
    return serializers.CharField(source=source, read_only=True, allow_null=True, default=None)


def _path_getter(attrs: list[str]):
    """instance.a.b… that stops at None, as DRF's get_attribute does for read-only fields."""
    if len(attrs) == 1:
        return attrgetter(attrs[0])

    def get(instance):
        for attr in attrs:
            if instance is None:
                return None
            instance = getattr(instance, attr)
        return instance

    return get


def _call(getter):
    return lambda instance: getter(instance)()


class FastReadMixin:
    """`to_representation` without DRF's per-field machinery for flat read-only fields.

    A 50-row ledger page spent ~10 ms in DRF's get_attribute/to_representation calls (1M
    bench). The output is the same (test_serializers checks it against DRF's own path):
    each field's own to_representation still formats the value, only the attribute lookup
    is planned once per serializer. Fields it does not know (method fields, nested
    serializers) go through DRF as usual.
    """

    @property
    def _fast_plan(self) -> list[tuple]:
        plan = getattr(self, "_fast_plan_cache", None)
        if plan is None:
            plan = [self._fast_step(field) for field in self._readable_fields]
            self._fast_plan_cache = plan
        return plan

    @staticmethod
    def _fast_step(field) -> tuple:
        name = field.field_name
        simple = (
            not isinstance(field, (serializers.SerializerMethodField, serializers.BaseSerializer))
            and field.source != "*"
        )
        if not simple:
            return (name, None, field)
        if isinstance(field, serializers.PrimaryKeyRelatedField) and len(field.source_attrs) == 1:
            # DRF reads the raw foreign key (PKOnlyObject); so do we.
            return (name, attrgetter(f"{field.source_attrs[0]}_id"), lambda value: value)
        getter = _path_getter(field.source_attrs)
        if field.source_attrs[-1].startswith("get_") and field.source_attrs[-1].endswith(
            "_display"
        ):
            getter = _call(getter)
        return (name, getter, field.to_representation)

    fast_read = True

    def to_representation(self, instance) -> dict:
        if not self.fast_read:
            return super().to_representation(instance)
        out = {}
        for name, getter, to_repr in self._fast_plan:
            if getter is None:  # DRF's own path for this field
                field = to_repr
                attribute = field.get_attribute(instance)
                out[name] = None if attribute is None else field.to_representation(attribute)
                continue
            value = getter(instance)
            out[name] = None if value is None else to_repr(value)
        return out


class ProblemListSerializer(FastReadMixin, serializers.ModelSerializer):
    category_name = _name("category.name")
    area_name = _name("area.name")
    point_name = _name("point.name")
    responsible_unit_name = _name("responsible_unit.name")
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    light = serializers.ChoiceField(
        choices=LIGHT_CHOICES,
        read_only=True,
        help_text="红黄绿灯：green < 80% 时限已用，yellow 80–100%，red 已超期；空 = 未在计时",
    )

    class Meta:
        model = Problem
        fields = [
            "id",
            "number",
            "source",
            "category",
            "category_name",
            "title",
            "description",
            "point",
            "point_name",
            "lng",
            "lat",
            "area",
            "area_name",
            "address",
            "severity",
            "status",
            "status_label",
            "light",
            "responsible_unit",
            "responsible_unit_name",
            "dispatched_at",
            "due_at",
            "signed_at",
            "submitted_at",
            "closed_at",
            "escalation_level",
            "is_overdue",
            "rework_count",
            "return_count",
            "recurrence_count",
            "extension_count",
            "version",
            "created_at",
        ]
        read_only_fields = fields


_list_row_plan: RowPlan | None = None


def _light_at(now: datetime):
    return lambda status, due_at, warn_at: deadlines.light_from(status, due_at, warn_at, now)


def list_row_plan() -> RowPlan:
    """The process-wide plan of ProblemListSerializer (fields do not change at run time)."""
    global _list_row_plan
    if _list_row_plan is None:
        _list_row_plan = RowPlan(
            ProblemListSerializer(),
            computed={"light": (("status", "due_at", "warn_at"), _light_at)},
        )
    return _list_row_plan


class ProblemEventSerializer(serializers.ModelSerializer):
    from_status = serializers.CharField(
        read_only=True, help_text="Status before the event (empty for report/create)."
    )
    actor_name = _name("actor.name")
    unit_name = _name("unit.name")
    evidence = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = ProblemEvent
        fields = [
            "id",
            "action",
            "from_status",
            "to_status",
            "at",
            "actor",
            "actor_name",
            "note",
            "data",
            "unit",
            "unit_name",
            "due_at",
            "evidence",
        ]
        read_only_fields = fields


class EvidenceSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "kind",
            "event",
            "original_name",
            "content_type",
            "size",
            "width",
            "height",
            "exif_taken_at",
            "exif_lng",
            "exif_lat",
            "at",
            "url",
            "thumbnail_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(help_text="Download (session or token login)."))
    def get_url(self, obj: Evidence) -> str:
        return reverse("problems:evidence_file", args=[obj.pk])

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_thumbnail_url(self, obj: Evidence) -> str | None:
        return reverse("problems:evidence_thumb", args=[obj.pk]) if obj.thumbnail else None


class ProblemRequestSerializer(serializers.ModelSerializer):
    requested_by_name = _name("requested_by.name")
    decided_by_name = _name("decided_by.name")

    class Meta:
        model = ProblemRequest
        fields = [
            "id",
            "kind",
            "status",
            "unit",
            "requested_by",
            "requested_by_name",
            "requested_at",
            "reason",
            "requested_due_at",
            "decided_by",
            "decided_by_name",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class ProblemDetailSerializer(ProblemListSerializer):
    fast_read = False  # one row with nested lists: DRF's own path
    merged_into_number = _name("merged_into.number")
    events = ProblemEventSerializer(many=True, read_only=True, source="timeline")
    evidence = EvidenceSerializer(many=True, read_only=True, source="evidence_list")
    requests = ProblemRequestSerializer(many=True, read_only=True, source="request_list")
    available_actions = serializers.ListField(
        child=serializers.ChoiceField(choices=Action.choices),
        read_only=True,
        help_text="Exactly the actions the caller may take now (POST /problems/{id}/<action>/).",
    )
    # The routing suggestion, for the dispatcher while the problem waits for dispatch
    # (flat nullable fields: OpenAPI 3.0 cannot express a nullable $ref cleanly).
    suggested_unit = serializers.IntegerField(
        source="suggestion.unit.pk", read_only=True, allow_null=True, default=None
    )
    suggested_unit_name = serializers.CharField(
        source="suggestion.unit.name", read_only=True, allow_null=True, default=None
    )
    suggestion_reason = serializers.CharField(
        source="suggestion.reason",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="Why this unit (派遣建议理由); null when no dispatch is pending for the caller.",
    )

    class Meta(ProblemListSerializer.Meta):
        fields = [
            *ProblemListSerializer.Meta.fields,
            "park_review_on",
            "merged_into",
            "merged_into_number",
            "source_ref",
            "events",
            "evidence",
            "requests",
            "available_actions",
            "suggested_unit",
            "suggested_unit_name",
            "suggestion_reason",
        ]
        read_only_fields = fields


# --- Writes ------------------------------------------------------------------------------


class ProblemCreateSerializer(serializers.Serializer):
    """Body of POST /problems/ (create) and /problems/report/ (report).

    Location: a point, and/or WGS-84 lng+lat (the grid is found from them), or an area.
    Photos are added afterwards with POST /problems/{id}/evidence/.
    """

    category = serializers.IntegerField(help_text="问题小类 id")
    description = serializers.CharField()
    title = serializers.CharField(required=False, allow_blank=True, default="")
    point = serializers.IntegerField(required=False, allow_null=True, default=None)
    lng = serializers.FloatField(required=False, allow_null=True, default=None)
    lat = serializers.FloatField(required=False, allow_null=True, default=None)
    area = serializers.IntegerField(required=False, allow_null=True, default=None)
    address = serializers.CharField(required=False, allow_blank=True, default="")
    source = serializers.ChoiceField(
        choices=Source.choices, required=False, help_text="create only; report is 群众反映"
    )
    severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, help_text="create only"
    )
    source_ref = serializers.CharField(required=False, allow_blank=True, default="")


class EvidenceUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EvidenceKind.choices)
    file = serializers.FileField(help_text="JPG/PNG/WebP 图片或 PDF/DOCX/XLSX，≤ 10 MB")


def _action_field(name: str, required: bool, label: str) -> serializers.Field:
    if name in ("note", "reason", "description"):
        if required:
            return serializers.CharField(help_text=label)
        return serializers.CharField(required=False, allow_blank=True, default="", help_text=label)
    if name in ("due_at", "requested_due_at"):
        return serializers.DateTimeField(
            required=required, allow_null=not required, help_text=label
        )
    if name == "review_on":
        return serializers.DateField(required=required, help_text=label)
    if name == "severity":
        return serializers.ChoiceField(choices=Severity.choices, required=required, help_text=label)
    if name in ("unit", "into"):
        return serializers.IntegerField(required=required, help_text=f"{label}（id）")
    if name in ("files", "photos"):
        return serializers.ListField(
            child=serializers.FileField(),
            required=False,
            help_text=f"{label}（multipart/form-data，可多个）",
        )
    raise KeyError(name)  # pragma: no cover


def _camel(action: str) -> str:
    return "".join(part.capitalize() for part in action.split("_"))


def _action_serializer(action: str) -> type[serializers.Serializer]:
    attrs: dict = {
        "version": serializers.IntegerField(
            required=False,
            help_text="The problem version the client saw; a different current version → "
            "409 concurrent_update.",
        ),
        "__doc__": f"Body of the “{Action(action).label}” action.",
    }
    for name, required, label in ACTION_FIELDS[action]:
        attrs[name] = _action_field(name, required, label)
    return type(f"{_camel(action)}ActionSerializer", (serializers.Serializer,), attrs)


ACTION_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    action: _action_serializer(action) for action in PERSON_ACTIONS
}
FILE_ACTIONS = frozenset(
    a for a in PERSON_ACTIONS if any(f[0] in ("files", "photos") for f in ACTION_FIELDS[a])
)


class RoutingRuleSerializer(serializers.ModelSerializer):
    category_name = _name("category.name")
    area_name = _name("area.name")
    point_type_name = _name("point_type.name")
    unit_name = _name("unit.name")

    class Meta:
        model = RoutingRule
        fields = [
            "id",
            "name",
            "category",
            "category_name",
            "area",
            "area_name",
            "point_type",
            "point_type_name",
            "unit",
            "unit_name",
            "priority",
            "is_active",
            "note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class KpiQuerySerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(
        choices=[("unit", "unit"), ("area", "area"), ("category", "category")], default="unit"
    )
    start = serializers.DateField(required=False, help_text="默认本季度第一天")
    end = serializers.DateField(required=False, help_text="含当天；默认本季度最后一天")
    area = serializers.IntegerField(
        required=False, help_text="group_by=area: 上级区域；其他: 限定区域（含下级）"
    )
    major = serializers.BooleanField(required=False, default=False, help_text="按大类统计")


class KpiRowSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True)
    label = serializers.CharField()
    dispatched = serializers.IntegerField()
    due = serializers.IntegerField()
    closed = serializers.IntegerField()
    on_time = serializers.IntegerField()
    overdue_now = serializers.IntegerField()
    submissions = serializers.IntegerField()
    reworks = serializers.IntegerField()
    returns = serializers.IntegerField()
    recurrences = serializers.IntegerField()
    avg_sign_hours = serializers.FloatField(allow_null=True)
    avg_handling_hours = serializers.FloatField(allow_null=True)
    closure_rate = serializers.FloatField(allow_null=True)
    on_time_rate = serializers.FloatField(allow_null=True)
    rework_rate = serializers.FloatField(allow_null=True)


class KpiTableSerializer(serializers.Serializer):
    group_by = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    rows = KpiRowSerializer(many=True)
    total = KpiRowSerializer()


WorkbenchCountsSerializer = type(
    "WorkbenchCountsSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "Problem counts per workbench bucket in the caller's scope.",
        **{
            key: serializers.IntegerField(help_text=label)
            for key, (label, _q) in WORKBENCH_BUCKETS.items()
        },
        "pending_requests": serializers.IntegerField(help_text="待审批的退回/延期申请"),
    },
)
