"""API shapes of index systems, indicators and check items."""

from __future__ import annotations

from rest_framework import serializers

from civicloop.standards.models import (
    CheckItem,
    IndexSystem,
    IndexSystemStatus,
    Indicator,
    IndicatorLevel,
    Method,
)


class IndexSystemSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    based_on_name = serializers.CharField(
        source="based_on.__str__", read_only=True, allow_null=True, default=None
    )
    node_count = serializers.IntegerField(read_only=True, help_text="All nodes of the tree.")
    standard_count = serializers.IntegerField(read_only=True, help_text="测评标准 (leaves).")

    class Meta:
        model = IndexSystem
        fields = [
            "id",
            "name",
            "code",
            "kind",
            "kind_display",
            "version",
            "year",
            "status",
            "status_display",
            "total_score",
            "based_on",
            "based_on_name",
            "description",
            "node_count",
            "standard_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "based_on", "created_at", "updated_at"]


class IndexSystemStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IndexSystemStatus.choices)


class IndexSystemStatusResultSerializer(serializers.Serializer):
    system = IndexSystemSerializer()
    archived = serializers.IntegerField(help_text="Other active versions of the kind archived.")
    relinked = serializers.IntegerField(help_text="Check items moved to this version.")


class IndexSystemCopySerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    version = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=128, required=False)
    year = serializers.IntegerField(required=False, min_value=1990, max_value=2100)


class IndexSystemImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="XLSX: flat (层级表) or code/parent (编码表) layout.")
    system = serializers.IntegerField(
        required=False, help_text="Replace the tree of this draft system; else create one."
    )
    name = serializers.CharField(max_length=128, required=False)
    code = serializers.CharField(max_length=64, required=False)
    kind = serializers.ChoiceField(
        choices=IndexSystem._meta.get_field("kind").choices, required=False
    )
    version = serializers.CharField(max_length=32, required=False)
    year = serializers.IntegerField(required=False, min_value=1990, max_value=2100)

    def validate(self, attrs):
        if "system" not in attrs:
            missing = [k for k in ("name", "code", "kind", "version") if not attrs.get(k)]
            if missing:
                raise serializers.ValidationError({k: ["新建体系时必填"] for k in missing})
        return attrs


class IndexSystemImportResultSerializer(serializers.Serializer):
    system = IndexSystemSerializer()
    nodes = serializers.IntegerField()
    form = serializers.CharField(help_text="flat or code")
    relinked = serializers.IntegerField()
    message = serializers.CharField()


class IndicatorSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    methods = serializers.ListField(child=serializers.ChoiceField(choices=Method.choices))
    lead_unit_name = serializers.CharField(
        source="lead_unit.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Indicator
        fields = [
            "id",
            "system",
            "parent",
            "level",
            "level_display",
            "code",
            "numbering",
            "text",
            "score",
            "weight",
            "methods",
            "lead_unit",
            "lead_unit_name",
            "cooperating_units",
            "principal_leader",
            "deputy_leader",
            "direct_leader",
            "point_types",
            "is_negative",
            "depth",
            "sort_order",
        ]
        read_only_fields = fields


class IndicatorSearchHitSerializer(IndicatorSerializer):
    highlighted = serializers.SerializerMethodField(help_text="Text with <mark> around hits.")

    class Meta(IndicatorSerializer.Meta):
        fields = [*IndicatorSerializer.Meta.fields, "highlighted"]
        read_only_fields = fields

    def get_highlighted(self, obj) -> str:
        from civicloop.standards.search import highlight

        return str(highlight(obj.text, self.context.get("query", "")))


class IndicatorTreeNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    level = serializers.ChoiceField(choices=IndicatorLevel.choices)
    code = serializers.CharField()
    numbering = serializers.CharField()
    text = serializers.CharField()
    score = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    subtree_score = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    lead_unit_name = serializers.CharField(allow_null=True)
    is_negative = serializers.BooleanField()
    standard_count = serializers.IntegerField()
    check_item_count = serializers.IntegerField()


IndicatorTreeNodeSerializer._declared_fields["children"] = IndicatorTreeNodeSerializer(many=True)


class CheckItemSerializer(serializers.ModelSerializer):
    point_type_name = serializers.CharField(source="point_type.name", read_only=True)
    judge_mode_display = serializers.CharField(source="get_judge_mode_display", read_only=True)
    category_name = serializers.CharField(
        source="category.__str__", read_only=True, allow_null=True, default=None
    )
    indicator_code = serializers.CharField(
        source="indicator.code", read_only=True, allow_null=True, default=None
    )
    example_photo = serializers.ImageField(read_only=True, allow_null=True)

    class Meta:
        model = CheckItem
        fields = [
            "id",
            "point_type",
            "point_type_name",
            "code",
            "text",
            "judge_mode",
            "judge_mode_display",
            "max_score",
            "deduction_per_count",
            "is_critical",
            "category",
            "category_name",
            "indicator",
            "indicator_code",
            "guidance",
            "example_photo",
            "sort_order",
            "is_active",
        ]
        read_only_fields = ["example_photo"]
        extra_kwargs = {"sort_order": {"required": False}}
        # Uniqueness is checked by the service with a Chinese message.
        validators = []
