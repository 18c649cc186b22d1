"""REST API of the registry: units, areas (+ tree, children, locate), responsibilities,
point types and points.

Thin views: reads come from civicloop.orgs.selectors (scoped to the user: out of scope is
a 404), writes go through civicloop.orgs.services (which raise DomainErrors turned into the
API error shape by civicloop.api.errors). After a write the object is read back through
the selector so the response has exactly the shape of a read.
"""

from __future__ import annotations

from django.db.models import Prefetch, prefetch_related_objects
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from civicloop.api.permissions import ReadScopedWriteByRole
from civicloop.api.schema import ERROR_404
from civicloop.core import geo
from civicloop.core.errors import NotFound, ValidationFailed
from civicloop.orgs import selectors, services
from civicloop.orgs.filters import AreaFilter, PointFilter, UnitFilter
from civicloop.orgs.models import (
    AREA_LEVEL_ORDER,
    Area,
    AreaResponsibility,
    Point,
    PointType,
    Unit,
)
from civicloop.orgs.serializers import (
    AreaDetailSerializer,
    AreaResponsibilitySerializer,
    AreaSerializer,
    AreaTreeNodeSerializer,
    LocateQuerySerializer,
    LocateResultSerializer,
    PointSerializer,
    PointTypeSerializer,
    UnitSerializer,
)

ID_PATTERN = r"\d+"


class RegistryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List/retrieve scoped by a selector; create/update through a service.

    Subclasses set `get_one` (selector returning one object or raising 404) and implement
    `create_object(data)` / `update_object(instance, data)`.
    """

    permission_classes = [ReadScopedWriteByRole]
    lookup_value_regex = ID_PATTERN

    def get_one(self, pk):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_object(self):
        obj = self.get_one(self.kwargs[self.lookup_field])
        self.check_object_permissions(self.request, obj)
        return obj

    def perform_create(self, serializer) -> None:
        obj = self.create_object(dict(serializer.validated_data))
        serializer.instance = self.get_one(obj.pk)

    def update(self, request: Request, *args, **kwargs) -> Response:
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        obj = self.update_object(serializer.instance, dict(serializer.validated_data))
        # A fresh, non-partial serializer: DRF leaves out null nested names
        # (default=None) when serializing with partial=True.
        return Response(self.get_serializer(self.get_one(obj.pk)).data)


# --- Units ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List units (单位) in scope"),
    retrieve=extend_schema(summary="Get a unit"),
    create=extend_schema(summary="Create a unit (command only)"),
    update=extend_schema(summary="Replace a unit (command only)"),
    partial_update=extend_schema(summary="Update a unit (command only)"),
)
class UnitViewSet(RegistryViewSet):
    queryset = Unit.objects.none()
    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    search_fields = ["code", "name", "short_name"]
    ordering_fields = ["path", "code", "name", "sort_order"]
    ordering = ["path"]

    def get_queryset(self):
        return selectors.unit_list(user=self.request.user).defer(
            "area__boundary", "parent__area_id"
        )

    def get_one(self, pk):
        return selectors.unit_get(user=self.request.user, pk=pk)

    def create_object(self, data):
        return services.unit_create(user=self.request.user, **data)

    def update_object(self, unit, data):
        return services.unit_update(user=self.request.user, unit=unit, **data)


# --- Areas ----------------------------------------------------------------------------

# Levels from the top down, for ?max_level= on the tree.
LEVEL_ORDER = [level.value for level in AREA_LEVEL_ORDER]


@extend_schema_view(
    list=extend_schema(summary="List areas (区域) in scope, without boundaries"),
    retrieve=extend_schema(summary="Get an area with boundary, ancestors and responsibilities"),
    create=extend_schema(summary="Create an area (command only)"),
    update=extend_schema(summary="Replace an area (command only)"),
    partial_update=extend_schema(summary="Update an area (command only)"),
)
class AreaViewSet(RegistryViewSet):
    queryset = Area.objects.none()
    filterset_class = AreaFilter
    search_fields = ["code", "name"]
    ordering_fields = ["path", "code", "name", "sort_order"]
    ordering = ["path"]

    def get_serializer_class(self):
        if self.action in {"list", "children"}:
            return AreaSerializer
        return AreaDetailSerializer

    def get_queryset(self):
        return (
            selectors.area_list(user=self.request.user)
            .select_related("parent")
            .defer("boundary", "parent__boundary")
        )

    def get_one(self, pk):
        area = selectors.area_get(user=self.request.user, pk=pk)
        prefetch_related_objects(
            [area],
            Prefetch(
                "responsibilities",
                queryset=AreaResponsibility.objects.select_related("user", "unit"),
            ),
        )
        return area

    def create_object(self, data):
        return services.area_create(user=self.request.user, **data)

    def update_object(self, area, data):
        return services.area_update(user=self.request.user, area=area, **data)

    @extend_schema(
        summary="Direct children of an area (in scope)",
        responses={200: AreaSerializer(many=True), 404: ERROR_404},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def children(self, request: Request, pk=None) -> Response:
        area = selectors.area_get(user=request.user, pk=pk)
        children = self.get_queryset().filter(parent=area).order_by("sort_order", "code")
        return Response(AreaSerializer(children, many=True, context={"request": request}).data)

    @extend_schema(
        summary="The area tree in scope (nested, no boundaries)",
        parameters=[
            OpenApiParameter(
                "root", int, description="Only this area's subtree (default: all in scope)."
            ),
            OpenApiParameter(
                "max_level",
                str,
                enum=list(LEVEL_ORDER),
                description="Deepest level to include, e.g. community to leave out grids.",
            ),
        ],
        responses={200: AreaTreeNodeSerializer(many=True), 404: ERROR_404},
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def tree(self, request: Request) -> Response:
        qs = selectors.area_list(user=request.user)
        root_id = request.query_params.get("root")
        if root_id:
            if not root_id.isdigit():
                raise NotFound()
            root = selectors.area_get(user=request.user, pk=int(root_id))
            qs = qs.filter(path__startswith=root.path)
        max_level = request.query_params.get("max_level")
        if max_level in LEVEL_ORDER:
            qs = qs.filter(level__in=LEVEL_ORDER[: LEVEL_ORDER.index(max_level) + 1])
        rows = qs.order_by("path").values("id", "code", "name", "level", "parent_id")
        return Response(build_tree(rows))

    @extend_schema(
        summary="Find the area (grid by default) containing a coordinate",
        parameters=[LocateQuerySerializer],
        responses={200: LocateResultSerializer, 404: ERROR_404},
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def locate(self, request: Request) -> Response:
        query = LocateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        lng, lat = geo.to_wgs84(params["lng"], params["lat"], params["coord_system"])
        found = selectors.grid_at(lng, lat, level=params["level"])
        # The lookup is city-wide; answer only with an area the user may see.
        if found is None or not selectors.area_list(user=request.user).filter(pk=found.pk).exists():
            raise NotFound("该位置不在您可见的任何区域内")
        result = {
            "lng": lng,
            "lat": lat,
            "area": found,
            "ancestors": selectors.area_ancestors(found),
        }
        return Response(LocateResultSerializer(result).data)


def build_tree(rows) -> list[dict]:
    """Nest flat rows (ordered by path, so parents come first) into a forest.

    Roots are the rows whose parent is not among the rows, i.e. the tops of the user's
    jurisdictions.
    """
    nodes: dict[int, dict] = {}
    roots: list[dict] = []
    for row in rows:
        node = {
            "id": row["id"],
            "code": row["code"],
            "name": row["name"],
            "level": row["level"],
            "parent": row["parent_id"],
            "children": [],
        }
        nodes[row["id"]] = node
        parent = nodes.get(row["parent_id"])
        (parent["children"] if parent else roots).append(node)
    return roots


# --- Responsibilities -----------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List area responsibilities (包片领导 / 包保单位) in scope"),
    retrieve=extend_schema(summary="Get an area responsibility"),
    create=extend_schema(summary="Add an area responsibility (command only)"),
    destroy=extend_schema(summary="Remove an area responsibility (command only)"),
)
class AreaResponsibilityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = AreaResponsibility.objects.none()
    serializer_class = AreaResponsibilitySerializer
    permission_classes = [ReadScopedWriteByRole]
    lookup_value_regex = ID_PATTERN
    filterset_fields = ["area", "kind", "unit"]
    ordering_fields = ["id", "area__path"]
    ordering = ["area__path", "id"]

    def get_queryset(self):
        areas = selectors.area_list(user=self.request.user)
        return (
            AreaResponsibility.objects.filter(area__in=areas)
            .select_related("area", "user", "unit")
            .defer("area__boundary")
        )

    def perform_create(self, serializer) -> None:
        data = dict(serializer.validated_data)
        data["leader"] = data.pop("user", None)
        obj = services.responsibility_add(user=self.request.user, **data)
        serializer.instance = self.get_queryset().get(pk=obj.pk)

    def perform_destroy(self, instance) -> None:
        services.responsibility_remove(user=self.request.user, responsibility=instance)


# --- Point types ----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List point types (点位类型)"),
    retrieve=extend_schema(summary="Get a point type"),
    create=extend_schema(summary="Create a point type (command only)"),
    update=extend_schema(summary="Replace a point type (command only)"),
    partial_update=extend_schema(summary="Update a point type (command only)"),
)
class PointTypeViewSet(RegistryViewSet):
    queryset = PointType.objects.none()
    serializer_class = PointTypeSerializer
    filterset_fields = ["group", "is_active", "lead_unit"]
    search_fields = ["code", "name", "group"]
    ordering_fields = ["sort_order", "code", "name"]
    ordering = ["sort_order", "code"]

    def get_queryset(self):
        return selectors.point_type_list(user=self.request.user)

    def get_one(self, pk):
        return selectors.point_type_get(user=self.request.user, pk=pk)

    def create_object(self, data):
        return services.point_type_create(user=self.request.user, **data)

    def update_object(self, point_type, data):
        return services.point_type_update(user=self.request.user, point_type=point_type, **data)


# --- Points ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List points (点位) in scope"),
    retrieve=extend_schema(
        summary="Get a point",
        parameters=[
            OpenApiParameter(
                "coord_system",
                str,
                enum=list(geo.COORD_SYSTEMS),
                description="Return lng/lat in this system (default wgs84).",
            )
        ],
    ),
    create=extend_schema(summary="Create a point (command only)"),
    update=extend_schema(summary="Replace a point (command only)"),
    partial_update=extend_schema(summary="Update a point (command only)"),
)
class PointViewSet(RegistryViewSet):
    queryset = Point.objects.none()
    serializer_class = PointSerializer
    filterset_class = PointFilter
    search_fields = ["code", "name", "address"]
    ordering_fields = ["code", "name", "created_at"]
    ordering = ["code"]

    def get_queryset(self):
        return selectors.point_list(user=self.request.user).defer("area__boundary")

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if self.request is not None and self.request.method == "GET":
            system = self.request.query_params.get("coord_system") or geo.WGS84
            if system not in geo.COORD_SYSTEMS:
                raise ValidationFailed(details={"coord_system": [f"未知坐标系：{system}"]})
            context["output_coord_system"] = system
        return context

    def get_one(self, pk):
        return selectors.point_get(user=self.request.user, pk=pk)

    def create_object(self, data):
        return services.point_create(user=self.request.user, **data)

    def update_object(self, point, data):
        return services.point_update(user=self.request.user, point=point, **data)


def register(router) -> None:
    router.register("units", UnitViewSet, basename="unit")
    router.register("areas", AreaViewSet, basename="area")
    router.register(
        "area-responsibilities", AreaResponsibilityViewSet, basename="area-responsibility"
    )
    router.register("point-types", PointTypeViewSet, basename="point-type")
    router.register("points", PointViewSet, basename="point")
