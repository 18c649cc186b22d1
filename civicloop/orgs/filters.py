"""Query filters for the registry API (django-filter FilterSets).

Area filters take the user's visible areas only and match the whole subtree (a district
id finds the points of all its grids), using the materialised path prefix.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from civicloop.core import geo
from civicloop.orgs import selectors
from civicloop.orgs.models import Area, AreaLevel, Point, Unit, UnitKind


def visible_areas(request) -> QuerySet[Area]:
    if request is None:
        return Area.objects.none()
    return selectors.area_list(user=request.user)


def visible_units(request) -> QuerySet[Unit]:
    if request is None:
        return Unit.objects.none()
    return selectors.unit_list(user=request.user)


class BBoxField(forms.CharField):
    """ "min_lng,min_lat,max_lng,max_lat" → a tuple of four floats."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            parts = [float(p) for p in value.split(",")]
        except ValueError:
            parts = []
        if (
            len(parts) != 4
            or parts[0] > parts[2]
            or parts[1] > parts[3]
            or not all(-180 <= p <= 180 for p in parts[0::2])
            or not all(-90 <= p <= 90 for p in parts[1::2])
        ):
            raise forms.ValidationError("bbox 格式应为 最小经度,最小纬度,最大经度,最大纬度")
        return tuple(parts)


@extend_schema_field(OpenApiTypes.STR)
class BBoxFilter(django_filters.Filter):
    field_class = BBoxField


def subtree_filter(prefix: str):
    """A filter method keeping rows whose `<prefix>path` lies under the chosen node."""

    def method(queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(**{f"{prefix}path__startswith": value.path})

    return method


class AreaFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=AreaLevel.choices)
    parent = django_filters.ModelChoiceFilter(
        queryset=visible_areas, help_text="Direct children of this area."
    )
    within = extend_schema_field(OpenApiTypes.INT)(
        django_filters.ModelChoiceFilter(
            queryset=visible_areas,
            method=subtree_filter(""),
            help_text="The area and all its descendants.",
        )
    )

    class Meta:
        model = Area
        fields = ["level", "parent", "within"]


class UnitFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=UnitKind.choices)
    parent = django_filters.ModelChoiceFilter(
        queryset=visible_units, help_text="Direct sub-units of this unit."
    )
    area = django_filters.ModelChoiceFilter(
        queryset=visible_areas,
        method=subtree_filter("area__"),
        help_text="Units based in this area or any area below it.",
    )
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Unit
        fields = ["kind", "parent", "area", "is_active"]


class PointFilter(django_filters.FilterSet):
    point_type = django_filters.NumberFilter(field_name="point_type_id", help_text="Point type id.")
    area = django_filters.ModelChoiceFilter(
        queryset=visible_areas,
        method=subtree_filter("area__"),
        help_text="Points in this area or any area below it.",
    )
    responsible_unit = django_filters.NumberFilter(
        field_name="responsible_unit_id", help_text="Responsible unit id."
    )
    is_active = django_filters.BooleanFilter()
    bbox = BBoxFilter(
        method="filter_bbox",
        help_text="min_lng,min_lat,max_lng,max_lat in the system given by coord_system.",
    )
    coord_system = django_filters.ChoiceFilter(
        choices=list(geo.COORD_SYSTEMS.items()),
        method="filter_noop",
        help_text="Coordinate system of bbox and of the lng/lat returned (default wgs84).",
    )

    class Meta:
        model = Point
        fields = ["point_type", "area", "responsible_unit", "is_active", "bbox", "coord_system"]

    def filter_noop(self, queryset, name, value):
        return queryset  # only qualifies bbox

    def filter_bbox(self, queryset, name, value):
        if value is None:
            return queryset
        system = self.form.cleaned_data.get("coord_system") or geo.WGS84
        min_lng, min_lat = geo.to_wgs84(value[0], value[1], system)
        max_lng, max_lat = geo.to_wgs84(value[2], value[3], system)
        return queryset.filter(
            lng__gte=min_lng, lng__lte=max_lng, lat__gte=min_lat, lat__lte=max_lat
        )
