"""Serializers of the scoring API: shapes only; validation of meaning is in services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from civicloop.orgs.models import Area
from civicloop.scoring import components as comp
from civicloop.scoring.models import (
    Computation,
    ComputationStatus,
    ObjectScore,
    Period,
    PeriodStatus,
    PublishedSnapshot,
    Scheme,
    SchemeComponent,
    SnapshotRow,
)


class GradeBandSerializer(serializers.Serializer):
    grade = serializers.CharField()
    min = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=True)


class ComponentSerializer(serializers.ModelSerializer):
    key = serializers.ChoiceField(choices=comp.choices())
    params = serializers.DictField(required=False, default=dict)

    class Meta:
        model = SchemeComponent
        fields = ["key", "label", "weight", "params", "sort_order", "is_active"]
        extra_kwargs = {"sort_order": {"required": False}}


class SchemeSerializer(serializers.ModelSerializer):
    components = ComponentSerializer(many=True)
    grade_bands = GradeBandSerializer(many=True, required=False)
    area = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Scheme
        fields = [
            "id",
            "name",
            "period_kind",
            "object_group",
            "area",
            "is_active",
            "base_score",
            "grade_bands",
            "red_list_size",
            "black_list_size",
            "red_flag_rule",
            "accountability_bottom_n",
            "accountability_periods",
            "description",
            "components",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class SchemeUpdateSerializer(SchemeSerializer):
    components = ComponentSerializer(many=True, required=False)


class PeriodSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=PeriodStatus.choices, read_only=True)

    class Meta:
        model = Period
        fields = [
            "id",
            "scheme",
            "label",
            "start_date",
            "end_date",
            "status",
            "version",
            "computed_at",
            "result_hash",
            "correction_reason",
            "published_at",
        ]
        read_only_fields = fields


class PeriodCreateSerializer(serializers.Serializer):
    day = serializers.DateField(help_text="Any day inside the wanted period.")


class VersionSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField(
        required=False, help_text="Period.version the client saw (compare-and-set)."
    )


class ReopenSerializer(VersionSerializer):
    reason = serializers.CharField()


class ComputationSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ComputationStatus.choices, read_only=True)

    class Meta:
        model = Computation
        fields = [
            "id",
            "period",
            "status",
            "progress",
            "message",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "object_count",
            "duration_ms",
        ]
        read_only_fields = fields


class ComponentScoreSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField(source="component.__str__")
    mode = serializers.CharField()
    applicable = serializers.BooleanField()
    points = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    effective_weight = serializers.DecimalField(max_digits=7, decimal_places=6, allow_null=True)
    contribution = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    detail = serializers.DictField()


class ObjectScoreSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="obj.name")
    components = ComponentScoreSerializer(many=True)

    class Meta:
        model = ObjectScore
        fields = [
            "obj",
            "name",
            "rank",
            "score",
            "weighted_score",
            "adjustment",
            "grade",
            "previous_rank",
            "previous_score",
            "rank_delta",
            "score_delta",
            "components",
        ]
        read_only_fields = fields


class BreakdownItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    mode = serializers.CharField()
    weight = serializers.CharField(allow_null=True)
    applicable = serializers.BooleanField()
    points = serializers.CharField(allow_null=True)
    effective_weight = serializers.CharField(allow_null=True)
    contribution = serializers.CharField(allow_null=True)
    detail = serializers.DictField()


class SnapshotRowSerializer(serializers.ModelSerializer):
    breakdown = BreakdownItemSerializer(many=True)
    rank_change = serializers.SerializerMethodField()

    class Meta:
        model = SnapshotRow
        fields = [
            "position",
            "obj",
            "name",
            "rank",
            "score",
            "weighted_score",
            "adjustment",
            "grade",
            "previous_rank",
            "rank_delta",
            "rank_change",
            "score_delta",
            "on_red_list",
            "on_black_list",
            "red_flag",
            "accountability",
            "breakdown",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(help_text="↑N, ↓N, — or 新 (no previous)."))
    def get_rank_change(self, row) -> str:
        from civicloop.bulletins.content import rank_change

        return rank_change(row.rank_delta, row.previous_rank)


class SnapshotSerializer(serializers.ModelSerializer):
    period_label = serializers.CharField(source="period.label", read_only=True)
    scheme = serializers.IntegerField(source="period.scheme_id", read_only=True)
    published_by_name = serializers.CharField(source="published_by.name", read_only=True)

    class Meta:
        model = PublishedSnapshot
        fields = [
            "id",
            "period",
            "period_label",
            "scheme",
            "version",
            "reason",
            "published_at",
            "published_by_name",
            "result_hash",
        ]
        read_only_fields = fields


class NamedEntrySerializer(serializers.Serializer):
    obj_id = serializers.IntegerField()
    name = serializers.CharField()
    rank = serializers.IntegerField(allow_null=True)
    score = serializers.CharField(allow_null=True)


class RankingSerializer(SnapshotSerializer):
    rows = serializers.SerializerMethodField()
    red_list = NamedEntrySerializer(source="data.red_list", many=True, read_only=True)
    black_list = NamedEntrySerializer(source="data.black_list", many=True, read_only=True)
    red_flag = NamedEntrySerializer(source="data.red_flag", many=True, read_only=True)
    accountability = NamedEntrySerializer(source="data.accountability", many=True, read_only=True)

    class Meta(SnapshotSerializer.Meta):
        fields = [
            *SnapshotSerializer.Meta.fields,
            "rows",
            "red_list",
            "black_list",
            "red_flag",
            "accountability",
        ]
        read_only_fields = fields

    @extend_schema_field(SnapshotRowSerializer(many=True))
    def get_rows(self, snapshot) -> list:
        rows = sorted(snapshot.rows.all(), key=lambda r: (r.rank is None, r.rank or 0, r.position))
        return SnapshotRowSerializer(rows, many=True).data
