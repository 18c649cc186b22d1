"""REST API of assessments (/api/v1/).

- schemes/                      list, create (command); {id}/ retrieve, patch
- schemes/{id}/periods/         GET the scheme's periods; POST {day} → the period
- periods/{id}/                 retrieve
- periods/{id}/compute/         POST → a queued Computation (202); poll computations/{id}/
- periods/{id}/scores/          the computed (working) rows with their breakdown
- periods/{id}/publish/         POST {expected_version?} → the new snapshot
- periods/{id}/reopen/          POST {reason, expected_version?} → the period
- periods/{id}/versions/        the published snapshots, newest first
- computations/{id}/            status / progress / error of a computation
- rankings/                     published snapshots (?period=); {id}/ with frozen rows

Reads are scoped by the selectors (out of scope → 404); writes go through the services
(not_permitted 403, transition_not_allowed / concurrent_update 409, validation_error 400).
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from civicloop.api.permissions import ReadScopedWriteByRole
from civicloop.api.schema import error_response
from civicloop.core.errors import NotFound
from civicloop.scoring import selectors, services
from civicloop.scoring.models import PublishedSnapshot, Scheme
from civicloop.scoring.serializers import (
    ComputationSerializer,
    ObjectScoreSerializer,
    PeriodCreateSerializer,
    PeriodSerializer,
    RankingSerializer,
    ReopenSerializer,
    SchemeSerializer,
    SchemeUpdateSerializer,
    SnapshotSerializer,
    VersionSerializer,
)
from civicloop.scoring.services import ComponentSpec

ERROR_409 = error_response(
    "transition_not_allowed: the period's status does not allow this; concurrent_update: "
    "someone else changed it first (refresh and retry)"
)


def _specs(items: list[dict]) -> list[ComponentSpec]:
    return [
        ComponentSpec(
            key=c["key"],
            label=c.get("label", ""),
            weight=c.get("weight", 1),
            params=c.get("params") or {},
            sort_order=c.get("sort_order"),
            is_active=c.get("is_active", True),
        )
        for c in items
    ]


def _get(func, *args):
    try:
        return func(*args)
    except NotFound as exc:
        raise Http404(exc.message) from exc


class SchemeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [ReadScopedWriteByRole]
    serializer_class = SchemeSerializer
    queryset = Scheme.objects.none()
    http_method_names = ["get", "post", "patch"]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.schemes(self.request.user)

    def get_object(self) -> Scheme:
        return _get(selectors.scheme_get, self.request.user, int(self.kwargs["pk"]))

    def get_serializer_class(self):
        if self.action == "partial_update":
            return SchemeUpdateSerializer
        return SchemeSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        components = _specs(data.pop("components"))
        if "grade_bands" in data:
            data["grade_bands"] = [dict(b) for b in data["grade_bands"]]
        serializer.instance = services.scheme_create(
            self.request.user, components=components, **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        components = data.pop("components", None)
        if "grade_bands" in data:
            data["grade_bands"] = [dict(b) for b in data["grade_bands"]]
        scheme = serializer.instance
        if data:
            services.scheme_update(self.request.user, scheme, **data)
        if components is not None:
            services.scheme_set_components(self.request.user, scheme, _specs(components))
        serializer.instance = selectors.scheme_get(self.request.user, scheme.pk)

    @extend_schema(methods=["GET"], responses={200: PeriodSerializer(many=True)}, summary="Periods")
    @extend_schema(
        methods=["POST"],
        request=PeriodCreateSerializer,
        responses={201: PeriodSerializer},
        summary="Create (or get) the period containing a day",
    )
    @action(detail=True, methods=["get", "post"], url_path="periods")
    def periods(self, request, pk=None):
        scheme = self.get_object()
        if request.method == "POST":
            body = PeriodCreateSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            period = services.period_create(request.user, scheme, body.validated_data["day"])
            return Response(PeriodSerializer(period).data, status=status.HTTP_201_CREATED)
        qs = _get(selectors.periods_of, request.user, scheme)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(PeriodSerializer(page, many=True).data)


class PeriodViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [ReadScopedWriteByRole]
    serializer_class = PeriodSerializer
    queryset = PublishedSnapshot.objects.none()
    filter_backends: list = []

    def get_object(self):
        return _get(selectors.period_get, self.request.user, int(self.kwargs["pk"]))

    @extend_schema(request=None, responses={202: ComputationSerializer, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def compute(self, request, pk=None):
        """Queue a computation (runs in the background; eagerly without a broker)."""
        job = services.computation_start(request.user, self.get_object())
        job.refresh_from_db()
        return Response(ComputationSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: ObjectScoreSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def scores(self, request, pk=None):
        qs = _get(selectors.period_scores, request.user, self.get_object())
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ObjectScoreSerializer(page, many=True).data)

    @extend_schema(request=VersionSerializer, responses={201: SnapshotSerializer, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        body = VersionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        snapshot = services.period_publish(
            request.user,
            self.get_object(),
            expected_version=body.validated_data.get("expected_version"),
        )
        return Response(SnapshotSerializer(snapshot).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReopenSerializer, responses={200: PeriodSerializer, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        body = ReopenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        period = services.period_reopen(
            request.user,
            self.get_object(),
            reason=body.validated_data["reason"],
            expected_version=body.validated_data.get("expected_version"),
        )
        return Response(PeriodSerializer(period).data)

    @extend_schema(responses={200: SnapshotSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        qs = _get(selectors.snapshots_of, request.user, self.get_object())
        page = self.paginate_queryset(qs.select_related("period"))
        return self.get_paginated_response(SnapshotSerializer(page, many=True).data)


class ComputationViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ComputationSerializer
    queryset = PublishedSnapshot.objects.none()

    def get_object(self):
        return _get(selectors.computation_get, self.request.user, int(self.kwargs["pk"]))


class RankingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Published, frozen rankings (snapshots). Old versions stay readable."""

    serializer_class = SnapshotSerializer
    queryset = PublishedSnapshot.objects.none()
    filter_backends: list = []

    def get_serializer_class(self):
        return RankingSerializer if self.action == "retrieve" else SnapshotSerializer

    @extend_schema(
        parameters=[OpenApiParameter("period", int, required=True, description="Period id")]
    )
    def list(self, request, *args, **kwargs):
        try:
            period_id = int(request.query_params.get("period", ""))
        except ValueError:
            from civicloop.core.errors import ValidationFailed

            raise ValidationFailed("请指定考核周期 period") from None
        period = _get(selectors.period_get, request.user, period_id)
        qs = _get(selectors.snapshots_of, request.user, period).select_related("period")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(SnapshotSerializer(page, many=True).data)

    def get_object(self):
        snap = _get(selectors.snapshot_get, self.request.user, int(self.kwargs["pk"]))
        return snap


def register(router) -> None:
    router.register("schemes", SchemeViewSet, basename="scheme")
    router.register("periods", PeriodViewSet, basename="period")
    router.register("computations", ComputationViewSet, basename="computation")
    router.register("rankings", RankingViewSet, basename="ranking")
