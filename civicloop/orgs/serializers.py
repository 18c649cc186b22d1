"""API representations of the registry (units, areas, responsibilities, point types, points).

Reads carry the names of related objects (type name, area name, unit name) from
select_related joins made by the views, so a list is one query. Writes are validated
here and then handed to civicloop.orgs.services, which checks jurisdiction again.

Related-object fields accept only ids the requesting user may write to (areas in its
command jurisdiction, units it can see); anything else is "does not exist", which
reveals nothing about objects outside the user's scope.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from civicloop.accounts.models import Role, User
from civicloop.accounts.scope import scope_of
from civicloop.core import geo
from civicloop.orgs import selectors
from civicloop.orgs.models import Area, AreaLevel, AreaResponsibility, Point, PointType, Unit

COORD_SYSTEM_CHOICES = list(geo.COORD_SYSTEMS.items())


def _request_user(serializer: serializers.Serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


def command_areas(user) -> QuerySet[Area]:
    """Areas the user may attach things to: its command jurisdiction (not merely visible)."""
    return Area.objects.filter(scope_of(user).area_q(roles={Role.COMMAND}))


class ScopedRelatedFieldsMixin:
    """Narrow the querysets of writable related fields to the requesting user's scope."""

    area_fields: tuple[str, ...] = ()
    unit_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _request_user(self)
        if user is None:  # schema generation
            return
        for name in self.area_fields:
            if name in self.fields and not self.fields[name].read_only:
                self.fields[name].queryset = command_areas(user)
        for name in self.unit_fields:
            if name in self.fields and not self.fields[name].read_only:
                self.fields[name].queryset = selectors.unit_list(user=user)


class NamedRefSerializer(serializers.Serializer):
    """A minimal {id, name} reference to a related object."""

    id = serializers.IntegerField()
    name = serializers.CharField()


class AreaRefSerializer(NamedRefSerializer):
    code = serializers.CharField()
    level = serializers.ChoiceField(choices=AreaLevel.choices)


# --- Units ----------------------------------------------------------------------------


class UnitSerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    area_fields = ("area",)
    unit_fields = ("parent",)

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    parent_name = serializers.CharField(
        source="parent.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Unit
        fields = [
            "id",
            "code",
            "name",
            "short_name",
            "kind",
            "kind_display",
            "area",
            "area_name",
            "parent",
            "parent_name",
            "depth",
            "contact_person",
            "contact_phone",
            "submission_needs_leader_approval",
            "is_active",
            "sort_order",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["depth", "created_at", "updated_at"]
        extra_kwargs = {"parent": {"required": False}}

    def validate(self, attrs):
        parent = attrs.get("parent")
        if (
            parent is not None
            and self.instance is not None
            and parent.path.startswith(self.instance.path)
        ):
            raise serializers.ValidationError({"parent": "不能把单位移动到它自己或它的下级之下"})
        return attrs


# --- Areas ----------------------------------------------------------------------------


class AreaSerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    """An area without its boundary (lists stay small); see AreaDetailSerializer."""

    area_fields = ("parent",)

    level_display = serializers.CharField(source="get_level_display", read_only=True)
    parent_name = serializers.CharField(
        source="parent.name", read_only=True, allow_null=True, default=None
    )
    bbox = serializers.SerializerMethodField(
        help_text="Bounding box of the boundary [min_lng, min_lat, max_lng, max_lat] (WGS-84)."
    )

    class Meta:
        model = Area
        fields = [
            "id",
            "code",
            "name",
            "level",
            "level_display",
            "parent",
            "parent_name",
            "depth",
            "bbox",
            "sort_order",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["depth", "created_at", "updated_at"]
        extra_kwargs = {"parent": {"required": False}}

    @extend_schema_field(
        serializers.ListField(
            child=serializers.FloatField(), min_length=4, max_length=4, allow_null=True
        )
    )
    def get_bbox(self, area: Area) -> list[float] | None:
        if area.min_lng is None:
            return None
        return [area.min_lng, area.min_lat, area.max_lng, area.max_lat]


class ResponsibilityInlineSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    leader = serializers.IntegerField(source="user_id", read_only=True, allow_null=True)
    leader_name = serializers.CharField(
        source="user.name", read_only=True, allow_null=True, default=None
    )
    unit_name = serializers.CharField(
        source="unit.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = AreaResponsibility
        fields = [
            "id",
            "kind",
            "kind_display",
            "leader",
            "leader_name",
            "unit",
            "unit_name",
            "person_name",
            "title",
        ]
        read_only_fields = fields


class AreaDetailSerializer(AreaSerializer):
    """One area with its boundary, ancestors (breadcrumb) and responsibilities."""

    boundary = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="GeoJSON Polygon/MultiPolygon (or a Feature / one-feature collection), WGS-84.",
    )
    ancestors = serializers.SerializerMethodField()
    responsibilities = ResponsibilityInlineSerializer(many=True, read_only=True)

    class Meta(AreaSerializer.Meta):
        fields = [*AreaSerializer.Meta.fields, "boundary", "ancestors", "responsibilities"]

    @extend_schema_field(AreaRefSerializer(many=True))
    def get_ancestors(self, area: Area) -> list[dict]:
        return AreaRefSerializer(selectors.area_ancestors(area), many=True).data

    def validate(self, attrs):
        user = _request_user(self)
        parent_given = "parent" in attrs or self.instance is None
        parent = attrs.get("parent", getattr(self.instance, "parent", None))
        # Only a superuser may create or make a root area: jurisdictions hang below one.
        if parent_given and parent is None and not scope_of(user).is_superuser:
            raise serializers.ValidationError({"parent": "请选择上级区域"})
        if (
            parent is not None
            and self.instance is not None
            and parent.path.startswith(self.instance.path)
        ):
            raise serializers.ValidationError({"parent": "不能把区域移动到它自己或它的下级之下"})
        return attrs


class AreaTreeNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=AreaLevel.choices)
    parent = serializers.IntegerField(allow_null=True)


# Recursive: children are nodes of the same shape.
AreaTreeNodeSerializer._declared_fields["children"] = AreaTreeNodeSerializer(many=True)


class LocateQuerySerializer(serializers.Serializer):
    lng = serializers.FloatField(min_value=-180, max_value=180, help_text="Longitude")
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text="Latitude")
    coord_system = serializers.ChoiceField(
        choices=COORD_SYSTEM_CHOICES,
        default=geo.WGS84,
        help_text="Coordinate system of lng/lat: wgs84 (GPS), gcj02 (AMap/Tencent), bd09 (Baidu).",
    )
    level = serializers.ChoiceField(
        choices=AreaLevel.choices, default=AreaLevel.GRID, help_text="Area level to look for."
    )


class LocateResultSerializer(serializers.Serializer):
    lng = serializers.FloatField(help_text="The coordinate converted to WGS-84.")
    lat = serializers.FloatField()
    area = AreaRefSerializer()
    ancestors = AreaRefSerializer(many=True)


# --- Responsibilities -----------------------------------------------------------------


class AreaResponsibilitySerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    area_fields = ("area",)
    unit_fields = ("unit",)

    area_name = serializers.CharField(source="area.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    leader = serializers.PrimaryKeyRelatedField(
        source="user",
        queryset=User.objects.none(),
        required=False,
        allow_null=True,
        help_text="User account of the 包片领导 (a user holding the leader role).",
    )
    leader_name = serializers.CharField(
        source="user.name", read_only=True, allow_null=True, default=None
    )
    unit_name = serializers.CharField(
        source="unit.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = AreaResponsibility
        fields = [
            "id",
            "area",
            "area_name",
            "kind",
            "kind_display",
            "leader",
            "leader_name",
            "unit",
            "unit_name",
            "person_name",
            "title",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Leaders are picked from leader-role accounts; their own scope is irrelevant here.
        self.fields["leader"].queryset = User.objects.filter(
            is_active=True, memberships__role=Role.LEADER
        ).distinct()


# --- Point types ----------------------------------------------------------------------


class PointTypeSerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    unit_fields = ("lead_unit",)

    lead_unit_name = serializers.CharField(
        source="lead_unit.name", read_only=True, allow_null=True, default=None
    )
    point_count = serializers.IntegerField(
        read_only=True, help_text="Number of points of this type."
    )

    class Meta:
        model = PointType
        fields = [
            "id",
            "code",
            "name",
            "group",
            "lead_unit",
            "lead_unit_name",
            "description",
            "sort_order",
            "is_active",
            "point_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


# --- Points ---------------------------------------------------------------------------


class PointSerializer(ScopedRelatedFieldsMixin, serializers.ModelSerializer):
    area_fields = ("area",)
    unit_fields = ("responsible_unit",)

    point_type_name = serializers.CharField(source="point_type.name", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    responsible_unit_name = serializers.CharField(source="responsible_unit.name", read_only=True)
    coord_system = serializers.ChoiceField(
        choices=COORD_SYSTEM_CHOICES,
        write_only=True,
        required=False,
        help_text="System of the lng/lat sent (stored as WGS-84). Default wgs84.",
    )

    class Meta:
        model = Point
        fields = [
            "id",
            "code",
            "name",
            "point_type",
            "point_type_name",
            "area",
            "area_name",
            "address",
            "lng",
            "lat",
            "coord_system",
            "responsible_unit",
            "responsible_unit_name",
            "person_in_charge",
            "person_phone",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "lng": {"help_text": "Longitude; WGS-84 unless ?coord_system= asks otherwise."},
            "lat": {"help_text": "Latitude; WGS-84 unless ?coord_system= asks otherwise."},
        }

    def to_representation(self, point: Point) -> dict:
        data = super().to_representation(point)
        # Map clients (AMap, Baidu) draw in their own datum; convert on the way out.
        system = self.context.get("output_coord_system", geo.WGS84)
        if system != geo.WGS84 and point.lng is not None and point.lat is not None:
            data["lng"], data["lat"] = geo.from_wgs84(point.lng, point.lat, system)
        return data

    def validate(self, attrs):
        # Converting one coordinate without the other would silently mix datums.
        if ("lng" in attrs) != ("lat" in attrs) or (
            (attrs.get("lng") is None) != (attrs.get("lat") is None)
        ):
            raise serializers.ValidationError({"lat": "经度和纬度必须同时提供"})
        if "coord_system" in attrs and "lng" not in attrs:
            raise serializers.ValidationError({"coord_system": "只有提供经纬度时才能指定坐标系"})
        return attrs
