"""API representation of problem categories (问题分类)."""

from rest_framework import serializers

from civicloop.standards.models import Category


class CategorySerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    parent_name = serializers.CharField(
        source="parent.name", read_only=True, allow_null=True, default=None
    )
    deadline_unit_display = serializers.CharField(
        source="get_deadline_unit_display", read_only=True
    )
    deadline_label = serializers.CharField(read_only=True, help_text="e.g. 4工作时")
    default_unit_name = serializers.CharField(
        source="default_unit.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Category
        fields = [
            "id",
            "code",
            "name",
            "parent",
            "parent_name",
            "kind",
            "kind_display",
            "deadline_amount",
            "deadline_unit",
            "deadline_unit_display",
            "deadline_label",
            "closing_condition",
            "default_unit",
            "default_unit_name",
            "sort_order",
            "is_active",
        ]
        read_only_fields = fields
