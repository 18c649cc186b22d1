"""Serializers of the inspections API: rounds (with quotas and teams), progress, sample
points, inspections with their item results, the draft/submit bodies, score roll-ups.

Reads are flat (ids plus display names loaded by the viewsets' select_related); writes
never go through `serializer.save()`: the API view calls the service.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from civicloop.orgs.models import AreaLevel
from civicloop.problems.models import Status as ProblemStatus

from .models import (
    Inspection,
    InspectionStatus,
    ItemOutcome,
    ItemResult,
    ProblemLink,
    Round,
    RoundKind,
    RoundQuota,
    RoundTeam,
    SamplePoint,
)


def _name(source: str) -> serializers.CharField:
    return serializers.CharField(source=source, read_only=True, allow_null=True, default=None)


# --- Rounds ------------------------------------------------------------------------------


class RoundQuotaSerializer(serializers.ModelSerializer):
    per_level = serializers.ChoiceField(
        choices=[("", "不分"), *AreaLevel.choices],
        required=False,
        allow_blank=True,
        default="",
        help_text="对范围内每个该层级的区域分别抽取 count 个",
    )

    class Meta:
        model = RoundQuota
        fields = ["point_type", "area", "per_level", "count"]
        extra_kwargs = {
            "point_type": {"required": False, "allow_null": True},
            "area": {"required": False, "allow_null": True},
        }


class RoundTeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoundTeam
        fields = ["id", "name", "leader", "inspectors", "sort_order"]
        read_only_fields = ["id"]
        extra_kwargs = {"inspectors": {"required": False}, "leader": {"required": False}}


class TeamWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    inspectors = serializers.ListField(child=serializers.IntegerField(), required=False)
    leader = serializers.IntegerField(required=False, allow_null=True)
    sort_order = serializers.IntegerField(required=False, default=0)


class TeamMembersSerializer(serializers.Serializer):
    inspectors = serializers.ListField(child=serializers.IntegerField())
    leader = serializers.IntegerField(required=False, allow_null=True)


class RoundSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    index_system_name = _name("index_system.name")
    sample_count = serializers.IntegerField(read_only=True)
    done_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Round
        fields = [
            "id",
            "kind",
            "kind_label",
            "title",
            "start_date",
            "end_date",
            "index_system",
            "index_system_name",
            "areas",
            "point_types",
            "status",
            "status_label",
            "seed",
            "include_revisits",
            "default_category",
            "description",
            "created_by",
            "drawn_at",
            "published_at",
            "closed_at",
            "version",
            "sample_count",
            "done_count",
        ]
        read_only_fields = fields


class RoundDetailSerializer(RoundSerializer):
    quotas = RoundQuotaSerializer(many=True, read_only=True)
    teams = RoundTeamSerializer(many=True, read_only=True)

    class Meta(RoundSerializer.Meta):
        fields = [*RoundSerializer.Meta.fields, "quotas", "teams"]
        read_only_fields = fields


class RoundWriteSerializer(serializers.Serializer):
    """Create (all required fields) or update (partial) a round. Quotas replace the
    round's quotas (draft only); teams are created with the round."""

    kind = serializers.ChoiceField(choices=RoundKind.choices)
    title = serializers.CharField(max_length=200)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    index_system = serializers.IntegerField(required=False, allow_null=True)
    areas = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    point_types = serializers.ListField(child=serializers.IntegerField(), required=False)
    seed = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    include_revisits = serializers.BooleanField(required=False)
    default_category = serializers.IntegerField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True)
    quotas = RoundQuotaSerializer(many=True, required=False)
    teams = TeamWriteSerializer(many=True, required=False, help_text="仅创建时")


class ProgressSerializer(serializers.Serializer):
    team_id = serializers.IntegerField(allow_null=True)
    team_name = serializers.CharField()
    total = serializers.IntegerField()
    drafts = serializers.IntegerField()
    done = serializers.IntegerField()


class DrawResultSerializer(serializers.Serializer):
    sample_size = serializers.IntegerField()
    round = RoundDetailSerializer()


# --- Samples -----------------------------------------------------------------------------


class SamplePointSerializer(serializers.ModelSerializer):
    point_code = serializers.CharField(source="point.code", read_only=True)
    point_name = serializers.CharField(source="point.name", read_only=True)
    point_type = serializers.IntegerField(source="point.point_type_id", read_only=True)
    point_type_name = serializers.CharField(source="point.point_type.name", read_only=True)
    area = serializers.IntegerField(source="point.area_id", read_only=True)
    area_name = serializers.CharField(source="point.area.name", read_only=True)
    responsible_unit = serializers.IntegerField(
        source="point.responsible_unit_id", read_only=True, allow_null=True
    )
    responsible_unit_name = _name("point.responsible_unit.name")
    lng = serializers.FloatField(source="point.lng", read_only=True, allow_null=True)
    lat = serializers.FloatField(source="point.lat", read_only=True, allow_null=True)
    team_name = _name("team.name")
    inspection = serializers.SerializerMethodField()
    inspection_status = serializers.SerializerMethodField()
    rate = serializers.SerializerMethodField()
    passed = serializers.SerializerMethodField()

    class Meta:
        model = SamplePoint
        fields = [
            "id",
            "round",
            "point",
            "point_code",
            "point_name",
            "point_type",
            "point_type_name",
            "area",
            "area_name",
            "responsible_unit",
            "responsible_unit_name",
            "lng",
            "lat",
            "team",
            "team_name",
            "reason",
            "is_revisit",
            "position",
            "inspection",
            "inspection_status",
            "rate",
            "passed",
        ]
        read_only_fields = fields

    @staticmethod
    def _insp(obj):
        try:
            return obj.inspection
        except Inspection.DoesNotExist:
            return None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_inspection(self, obj):
        insp = self._insp(obj)
        return insp.pk if insp else None

    @extend_schema_field(serializers.ChoiceField(choices=InspectionStatus.choices, allow_null=True))
    def get_inspection_status(self, obj):
        insp = self._insp(obj)
        return insp.status if insp else None

    @extend_schema_field(serializers.DecimalField(max_digits=7, decimal_places=6, allow_null=True))
    def get_rate(self, obj):
        insp = self._insp(obj)
        return None if insp is None or insp.rate is None else f"{insp.rate:.6f}"

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_passed(self, obj):
        insp = self._insp(obj)
        return None if insp is None else insp.passed


class SampleAssignSerializer(serializers.Serializer):
    team = serializers.IntegerField(allow_null=True, help_text="督查组 id；null = 未分组")


# --- Inspections -------------------------------------------------------------------------


class ItemResultSerializer(serializers.ModelSerializer):
    photo_url = serializers.SerializerMethodField()
    problem_link = serializers.ChoiceField(
        choices=[("", "无"), *ProblemLink.choices],
        read_only=True,
        help_text="created 新建问题；reopened 回头看反弹重新派遣原问题；linked 关联未销号的原问题",
    )
    problem_number = _name("problem.number")
    problem_status = serializers.ChoiceField(
        source="problem.status",
        choices=ProblemStatus.choices,
        read_only=True,
        allow_null=True,
        default=None,
    )

    class Meta:
        model = ItemResult
        fields = [
            "id",
            "inspection",
            "check_item",
            "indicator",
            "category",
            "code",
            "text",
            "judge_mode",
            "item_max",
            "deduction_per_count",
            "is_critical",
            "outcome",
            "deduction",
            "count",
            "earned",
            "note",
            "photo_url",
            "photo_taken_at",
            "problem",
            "problem_number",
            "problem_status",
            "problem_link",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_photo_url(self, obj):
        if not obj.photo:
            return None
        return reverse("inspections:result_photo", args=[obj.pk])


class InspectionSerializer(serializers.ModelSerializer):
    point_name = serializers.CharField(source="point.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    inspector_name = serializers.CharField(source="inspector.name", read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "round",
            "sample",
            "point",
            "point_name",
            "point_type",
            "area",
            "unit",
            "unit_name",
            "inspector",
            "inspector_name",
            "status",
            "started_at",
            "submitted_at",
            "lng",
            "lat",
            "located_at",
            "note",
            "earned",
            "max_score",
            "rate",
            "passed",
            "failed_count",
            "critical_failed",
            "version",
        ]
        read_only_fields = fields


class InspectionDetailSerializer(InspectionSerializer):
    results = ItemResultSerializer(many=True, read_only=True, source="result_list")

    class Meta(InspectionSerializer.Meta):
        fields = [*InspectionSerializer.Meta.fields, "results"]
        read_only_fields = fields


class LocationSerializer(serializers.Serializer):
    lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)


class ItemAnswerSerializer(serializers.Serializer):
    check_item = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=ItemOutcome.choices)
    deduction = serializers.DecimalField(
        max_digits=6, decimal_places=2, required=False, allow_null=True
    )
    count = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SaveDraftSerializer(LocationSerializer):
    """Per-item upsert of any number of answers (re-sending the same answer is harmless)."""

    answers = ItemAnswerSerializer(many=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class ItemUploadSerializer(ItemAnswerSerializer, LocationSerializer):
    """One answer with its photo (multipart/form-data)."""

    photo = serializers.ImageField(required=False)
    remove_photo = serializers.BooleanField(required=False, default=False)


# --- Scores ------------------------------------------------------------------------------


class ScoreRowSerializer(serializers.Serializer):
    key = serializers.IntegerField(help_text="区域 / 单位 / 点位类型 / 测评指标 id")
    label = serializers.CharField()
    n = serializers.IntegerField(help_text="点位数（按指标时为检查项次）")
    failed_items = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    pass_rate = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    earned = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    max_score = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    value = serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True, help_text="指标权重或分值（按指标）"
    )
    score = serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True, help_text="指标得分（按指标）"
    )
    previous_rate = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    delta = serializers.DecimalField(
        max_digits=9, decimal_places=6, allow_null=True, help_text="较上一轮同类检查的得分率变化"
    )


class ScoreTotalSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    pass_rate = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    failed_items = serializers.IntegerField()


class ScoresSerializer(serializers.Serializer):
    by = serializers.ChoiceField(
        choices=[
            ("area", "按区域"),
            ("unit", "按责任单位"),
            ("point_type", "按点位类型"),
            ("indicator", "按测评指标"),
        ]
    )
    round = serializers.IntegerField()
    previous_round = serializers.IntegerField(allow_null=True)
    total = ScoreTotalSerializer()
    rows = ScoreRowSerializer(many=True)


class ScoresQuerySerializer(serializers.Serializer):
    by = serializers.ChoiceField(
        choices=["area", "unit", "point_type", "indicator"], required=False, default="area"
    )
    level = serializers.ChoiceField(choices=AreaLevel.choices, required=False)
    parent = serializers.IntegerField(required=False, help_text="按区域时：该区域的下级区域")
