"""REST API of index systems (测评体系), indicators and check items (检查项).

Reads: every staff user (selectors; citizens see nothing, so 404). Writes: the city
command centre, through civicloop.standards.services (403 for anyone else).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from civicloop.api.permissions import ReadScopedWriteByRole
from civicloop.api.schema import ERROR_404
from civicloop.core.errors import NotFound, NotPermitted
from civicloop.standards import selectors
from civicloop.standards.models import CheckItem, IndexSystem, Indicator
from civicloop.standards.serializers_index import (
    CheckItemSerializer,
    IndexSystemCopySerializer,
    IndexSystemImportResultSerializer,
    IndexSystemImportSerializer,
    IndexSystemSerializer,
    IndexSystemStatusResultSerializer,
    IndexSystemStatusSerializer,
    IndicatorSearchHitSerializer,
    IndicatorSerializer,
    IndicatorTreeNodeSerializer,
)
from civicloop.standards.services import check_items as item_svc
from civicloop.standards.services import index_systems as svc

ID = r"\d+"


class _EditorOnly(ReadScopedWriteByRole):
    """Writes need the city command centre; the service checks again."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in ("GET", "HEAD", "OPTIONS") or svc.can_edit_standards(request.user)


def _tree_json(nodes) -> list[dict]:
    return [
        {
            "id": tn.node.pk,
            "level": tn.node.level,
            "code": tn.node.code,
            "numbering": tn.node.numbering,
            "text": tn.node.text,
            "score": tn.node.score,
            "subtree_score": tn.subtree_score,
            "lead_unit_name": tn.node.lead_unit.name if tn.node.lead_unit_id else None,
            "is_negative": tn.node.is_negative,
            "standard_count": tn.standard_count,
            "check_item_count": tn.check_item_count,
            "children": _tree_json(tn.children),
        }
        for tn in nodes
    ]


@extend_schema_view(
    list=extend_schema(summary="List index systems (测评体系)"),
    retrieve=extend_schema(summary="Get an index system"),
    create=extend_schema(summary="Create an empty index system (city command)"),
    update=extend_schema(summary="Replace an index system's details (city command)"),
    partial_update=extend_schema(summary="Update an index system's details (city command)"),
    destroy=extend_schema(summary="Delete a draft index system (city command)"),
)
class IndexSystemViewSet(viewsets.ModelViewSet):
    queryset = IndexSystem.objects.none()
    serializer_class = IndexSystemSerializer
    permission_classes = [_EditorOnly]
    lookup_value_regex = ID
    filterset_fields = {"kind": ["exact"], "status": ["exact"], "year": ["exact"]}
    search_fields = ["name", "code", "version"]
    ordering_fields = ["year", "name", "code", "created_at"]
    ordering = ["-year", "name"]

    def get_queryset(self):
        return selectors.index_system_list(user=self.request.user)

    def get_object(self):
        return selectors.index_system_get(user=self.request.user, pk=self.kwargs["pk"])

    def _read(self, pk) -> dict:
        return IndexSystemSerializer(selectors.index_system_get(user=self.request.user, pk=pk)).data

    def perform_create(self, serializer) -> None:
        system = svc.index_system_create(user=self.request.user, **serializer.validated_data)
        serializer.instance = selectors.index_system_get(user=self.request.user, pk=system.pk)

    def update(self, request: Request, *args, **kwargs) -> Response:
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        svc.index_system_update(
            user=request.user, system=serializer.instance, **serializer.validated_data
        )
        return Response(self._read(serializer.instance.pk))

    def perform_destroy(self, instance) -> None:
        svc.index_system_delete(user=self.request.user, system=instance)

    @extend_schema(
        summary="The indicator tree with counts and summed scores",
        responses={200: IndicatorTreeNodeSerializer(many=True), 404: ERROR_404},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def tree(self, request: Request, pk=None) -> Response:
        system = self.get_object()
        roots = _tree_json(selectors.indicator_tree(system=system))
        return Response(IndicatorTreeNodeSerializer(roots, many=True).data)

    @extend_schema(
        summary="Search the system's text (jieba words, AND of the query's words)",
        parameters=[OpenApiParameter("q", str, required=True, description="Chinese words")],
        responses={200: IndicatorSearchHitSerializer(many=True), 404: ERROR_404},
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def search(self, request: Request, pk=None) -> Response:
        system = self.get_object()
        query = request.query_params.get("q", "")
        qs = selectors.indicator_list(user=request.user, system=system, query=query)
        qs = qs.prefetch_related("cooperating_units", "point_types")
        page = self.paginate_queryset(qs)
        data = IndicatorSearchHitSerializer(page, many=True, context={"query": query}).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Copy into a new draft version (city command)",
        request=IndexSystemCopySerializer,
        responses={201: IndexSystemSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def copy(self, request: Request, pk=None) -> Response:
        system = self.get_object()
        body = IndexSystemCopySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        copy = svc.index_system_copy(user=request.user, system=system, **body.validated_data)
        return Response(self._read(copy.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change the status: draft → active → archived (city command)",
        request=IndexSystemStatusSerializer,
        responses={200: IndexSystemStatusResultSerializer},
    )
    @action(detail=True, methods=["post"], url_path="status", filter_backends=[])
    def set_status(self, request: Request, pk=None) -> Response:
        system = self.get_object()
        body = IndexSystemStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = svc.index_system_set_status(
            user=request.user, system=system, status=body.validated_data["status"]
        )
        return Response({"system": self._read(system.pk), **result})

    @extend_schema(
        summary="Import a tree from XLSX into a new system or a draft (city command)",
        request={"multipart/form-data": IndexSystemImportSerializer},
        responses={201: IndexSystemImportResultSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
        filter_backends=[],
    )
    def import_xlsx(self, request: Request) -> Response:
        if not svc.can_edit_standards(request.user):
            raise NotPermitted()
        body = IndexSystemImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        upload = data.pop("file")
        target = None
        if "system" in data:
            target = selectors.index_system_get(user=request.user, pk=data.pop("system"))
        new = (
            None
            if target is not None
            else {k: data[k] for k in ("name", "code", "kind", "version", "year") if k in data}
        )
        result = svc.index_system_import(
            user=request.user, source=upload.file, system=target, new_system=new
        )
        return Response(
            {
                "system": self._read(result.system.pk),
                "nodes": result.nodes,
                "form": result.form,
                "relinked": result.relinked,
                "message": result.summary(),
            },
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    list=extend_schema(
        summary="List indicators (filter by system, level, lead unit, unit, q)",
        parameters=[
            OpenApiParameter("unit", int, description="Lead OR cooperating unit id."),
            OpenApiParameter("q", str, description="jieba word search in the text."),
        ],
    ),
    retrieve=extend_schema(summary="Get an indicator with who is responsible"),
)
class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Indicator.objects.none()
    serializer_class = IndicatorSerializer
    lookup_value_regex = ID
    filterset_fields = {
        "system": ["exact"],
        "level": ["exact"],
        "lead_unit": ["exact"],
        "parent": ["exact", "isnull"],
        "is_negative": ["exact"],
    }
    ordering_fields = ["path", "code"]
    ordering = ["system", "path"]
    search_fields = []

    def get_queryset(self):
        from civicloop.orgs.models import Unit

        params = self.request.query_params
        unit = None
        if params.get("unit", "").isdigit():
            unit = get_object_or_404(Unit, pk=int(params["unit"]))
        elif params.get("unit"):
            raise NotFound()
        return selectors.indicator_list(
            user=self.request.user, unit=unit, query=params.get("q", "")
        ).prefetch_related("cooperating_units", "point_types")

    def get_object(self):
        return selectors.indicator_get(user=self.request.user, pk=self.kwargs["pk"])


@extend_schema_view(
    list=extend_schema(summary="List check items (filter by point type)"),
    retrieve=extend_schema(summary="Get a check item"),
    create=extend_schema(summary="Create a check item (city command)"),
    update=extend_schema(summary="Replace a check item (city command)"),
    partial_update=extend_schema(summary="Update a check item (city command)"),
    destroy=extend_schema(summary="Delete a check item (city command)"),
)
class CheckItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = CheckItem.objects.none()
    serializer_class = CheckItemSerializer
    permission_classes = [_EditorOnly]
    lookup_value_regex = ID
    filterset_fields = {
        "point_type": ["exact"],
        "judge_mode": ["exact"],
        "is_critical": ["exact"],
        "category": ["exact"],
        "indicator": ["exact"],
        "is_active": ["exact"],
    }
    search_fields = ["code", "text"]
    ordering_fields = ["sort_order", "code"]
    ordering = ["point_type", "sort_order", "code"]

    def get_queryset(self):
        return selectors.check_item_list(user=self.request.user)

    def get_object(self):
        return selectors.check_item_get(user=self.request.user, pk=self.kwargs["pk"])

    def perform_create(self, serializer) -> None:
        item = item_svc.check_item_create(user=self.request.user, **serializer.validated_data)
        serializer.instance = selectors.check_item_get(user=self.request.user, pk=item.pk)

    def update(self, request: Request, *args, **kwargs) -> Response:
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        item_svc.check_item_update(
            user=request.user, item=serializer.instance, **serializer.validated_data
        )
        item = selectors.check_item_get(user=request.user, pk=serializer.instance.pk)
        return Response(self.get_serializer(item).data)

    def perform_destroy(self, instance) -> None:
        item_svc.check_item_delete(user=self.request.user, item=instance)


def register(router) -> None:
    router.register("index-systems", IndexSystemViewSet, basename="index-system")
    router.register("indicators", IndicatorViewSet, basename="indicator")
    router.register("check-items", CheckItemViewSet, basename="check-item")
