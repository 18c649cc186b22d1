"""REST API of the problem ledger (/api/v1/).

- GET  problems/                  the ledger: same filters as the page, paginated
- POST problems/                  create (inspector, command) → registered
- POST problems/report/           report (citizen, grid worker) → pending_review
- GET  problems/{id}/             detail: history, evidence, requests, available_actions
- POST problems/{id}/<action>/    one endpoint per workflow action (dispatch, sign, …)
- POST problems/{id}/evidence/    upload a photo/file (multipart)
- GET  problems/workbench/        counts per workbench bucket
- CRUD routing-rules/             command only
- GET  problem-kpis/              KPI table per unit / area / category for a period

Thin views: reads via selectors (out of scope → 404 not_found), writes via services whose
DomainErrors become {"code", "message"} (not_permitted 403, transition_not_allowed and
concurrent_update 409, validation_error 400).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.urls import path
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action as drf_action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civicloop.accounts.models import Role
from civicloop.accounts.scope import scope_of
from civicloop.api.pagination import CappedCountPagination
from civicloop.api.permissions import ReadScopedWriteByRole
from civicloop.api.schema import ERROR_404, error_response
from civicloop.core.errors import ConcurrentUpdate, NotPermitted, ValidationFailed
from civicloop.orgs import selectors as org_selectors
from civicloop.orgs.models import Area, Point
from civicloop.problems import files, kpis, listing, permissions, selectors, services
from civicloop.problems.filters import ProblemFilter, ledger_filters_for
from civicloop.problems.forms import PERSON_ACTIONS, perform_action, quarter_bounds, service_kwargs
from civicloop.problems.models import Action, Problem, Source
from civicloop.problems.routing import suggest_for
from civicloop.problems.serializers import (
    ACTION_SERIALIZERS,
    FILE_ACTIONS,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    KpiQuerySerializer,
    KpiTableSerializer,
    ProblemCreateSerializer,
    ProblemDetailSerializer,
    ProblemListSerializer,
    RoutingRuleSerializer,
    WorkbenchCountsSerializer,
    list_row_plan,
)
from civicloop.standards.models import Category

ERROR_409 = error_response(
    "transition_not_allowed: the status does not allow the action; concurrent_update: "
    "someone else changed the problem first (refresh and retry)"
)
ID_PATTERN = r"\d+"
_ALL_ROLES = tuple(Role.values)


def problem_detail_data(request: Request, problem: Problem) -> dict:
    """The detail body: the problem with its timeline, evidence, requests and the actions
    the caller may take (a fixed number of queries)."""
    user = request.user
    pending = selectors.pending_request_kinds(problem)
    actions = permissions.available_actions(user, problem, pending_kinds=pending)
    problem.available_actions = actions
    problem.timeline = list(selectors.problem_events(problem=problem))
    problem.evidence_list = list(selectors.problem_evidence(problem=problem))
    problem.request_list = list(selectors.problem_requests(problem=problem))
    problem.suggestion = suggest_for(problem) if Action.DISPATCH in actions else None
    return ProblemDetailSerializer(problem, context={"request": request}).data


def _lookup(qs, pk, message: str):
    if pk is None:
        return None
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise ValidationFailed(message)
    return obj


def _action_view(action: str):
    """A POST endpoint running one workflow action through its service."""
    serializer_class = ACTION_SERIALIZERS[action]

    def view(self, request: Request, pk=None) -> Response:
        problem = selectors.problem_get(user=request.user, pk=pk)
        body = serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        version = data.pop("version", None)
        if version is not None and version != problem.version:
            raise ConcurrentUpdate()
        if "unit" in data:
            data["unit"] = _lookup(
                org_selectors.unit_list(user=request.user), data["unit"], "责任单位不存在或无权访问"
            )
        if "into" in data:
            data["into"] = _lookup(
                selectors.problem_queryset(user=request.user),
                data["into"],
                "要合并到的问题不存在或无权访问",
            )
        perform_action(
            action, user=request.user, problem=problem, kwargs=service_kwargs(action, data)
        )
        fresh = selectors.problem_get(user=request.user, pk=problem.pk)
        return Response(problem_detail_data(request, fresh))

    view.__name__ = f"do_{action}"
    view.__doc__ = f"{Action(action).label}"
    parsers = [JSONParser, MultiPartParser, FormParser] if action in FILE_ACTIONS else [JSONParser]
    view = drf_action(
        detail=True,
        methods=["post"],
        url_path=action,
        url_name=action.replace("_", "-"),
        parser_classes=parsers,
        filter_backends=[],
        pagination_class=None,
    )(view)
    return extend_schema(
        summary=f"{Action(action).label}（{action}）",
        request=serializer_class,
        responses={200: ProblemDetailSerializer, 404: ERROR_404, 409: ERROR_409},
        filters=False,
    )(view)


@extend_schema_view(
    list=extend_schema(summary="The problem ledger (问题台账) in scope, filtered"),
    retrieve=extend_schema(
        summary="One problem with history, evidence, requests and the caller's actions"
    ),
)
class ProblemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Problem.objects.none()
    serializer_class = ProblemListSerializer
    permission_classes = [ReadScopedWriteByRole]
    write_roles = _ALL_ROLES  # each service decides who may do what
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProblemFilter
    # No exact COUNT(*) of a 100 000-row filter: the count stops at 10 000 (count_capped).
    pagination_class = CappedCountPagination
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return selectors.problem_list(user=self.request.user)

    def list(self, request: Request, *args, **kwargs) -> Response:
        # ListModelMixin.list, lean (a comment, not a docstring: the schema would show it):
        # the query validated by the FilterSet's cached form fields, the ledger filtered
        # once, each page read by one precompiled statement with a cached capped count
        # (civicloop.problems.listing), its rows turned into the list serializer's JSON
        # without model instances (civicloop.api.row_plan). Same JSON, filters, errors,
        # schema as the standard path.
        plan = list_row_plan()
        now = timezone.now()
        source = listing.ledger_page_source(
            user=request.user,
            filters=ledger_filters_for(request),
            now=now,
            columns=plan.columns,
            shape=lambda rows, converters: list(map(plan.maker(converters, now=now), rows)),
        )
        page = self.paginator.paginate_queryset(source, request, view=self)
        return self.get_paginated_response(page)

    def get_serializer_class(self):
        return ProblemDetailSerializer if self.action == "retrieve" else ProblemListSerializer

    def retrieve(self, request: Request, pk=None) -> Response:
        problem = selectors.problem_get(user=request.user, pk=pk)
        return Response(problem_detail_data(request, problem))

    def _new(self, request: Request, creating: bool) -> Response:
        body = ProblemCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        user = request.user
        kwargs = {
            "category": _lookup(
                Category.objects.filter(is_active=True), d["category"], "问题分类不存在"
            ),
            "point": _lookup(
                org_selectors.point_list(user=user)
                if scope_of(user).is_staff_user
                else Point.objects.filter(is_active=True),
                d["point"],
                "点位不存在或无权访问",
            ),
            "area": _lookup(Area.objects.all(), d["area"], "区域不存在"),
            "description": d["description"],
            "title": d["title"],
            "lng": d["lng"],
            "lat": d["lat"],
            "address": d["address"],
        }
        if creating:
            problem = services.problem_create(
                user=user,
                source=d.get("source") or Source.INSPECTION,
                severity=d.get("severity") or "short",
                source_ref=d["source_ref"],
                **kwargs,
            )
        else:
            problem = services.problem_report(user=user, **kwargs)
        fresh = selectors.problem_get(user=user, pk=problem.pk)
        return Response(problem_detail_data(request, fresh), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Register a problem (inspector, command) → 待派遣",
        request=ProblemCreateSerializer,
        responses={201: ProblemDetailSerializer},
    )
    def create(self, request: Request) -> Response:
        return self._new(request, creating=True)

    @extend_schema(
        summary="Report a problem (citizen 随手拍, grid worker) → 待受理",
        request=ProblemCreateSerializer,
        responses={201: ProblemDetailSerializer},
        filters=False,
    )
    @drf_action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def report(self, request: Request) -> Response:
        return self._new(request, creating=False)

    @extend_schema(
        summary="Upload a photo or file to a problem (multipart)",
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer, 404: ERROR_404},
        filters=False,
    )
    @drf_action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser],
        filter_backends=[],
        pagination_class=None,
    )
    def evidence(self, request: Request, pk=None) -> Response:
        problem = selectors.problem_get(user=request.user, pk=pk)
        body = EvidenceUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ev = services.evidence_upload(
            user=request.user,
            problem=problem,
            kind=body.validated_data["kind"],
            file=body.validated_data["file"],
        )
        return Response(EvidenceSerializer(ev).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Workbench counts (待受理 / 待派遣 / 待签收 / 整改中 / 即将超期 / 已超期 / 待核查 …)",
        responses={200: WorkbenchCountsSerializer},
        filters=False,
    )
    @drf_action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def workbench(self, request: Request) -> Response:
        counts = selectors.workbench_counts(user=request.user)
        counts["pending_requests"] = (
            selectors.pending_requests(user=request.user).count()
            if scope_of(request.user).has(Role.COMMAND)
            else 0
        )
        return Response(counts)


# Method names carry a prefix: "dispatch" would otherwise replace APIView.dispatch.
for _action in PERSON_ACTIONS:
    setattr(ProblemViewSet, f"do_{_action}", _action_view(_action))


# --- Routing rules -----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Routing rules (派遣规则), command only"),
    retrieve=extend_schema(summary="Get a routing rule"),
    create=extend_schema(summary="Create a routing rule"),
    update=extend_schema(summary="Replace a routing rule"),
    partial_update=extend_schema(summary="Update a routing rule"),
    destroy=extend_schema(summary="Delete a routing rule"),
)
class RoutingRuleViewSet(viewsets.ModelViewSet):
    queryset = selectors.RoutingRule.objects.none()
    serializer_class = RoutingRuleSerializer
    permission_classes = [ReadScopedWriteByRole]
    filter_backends: list = []
    pagination_class = None
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return selectors.routing_rule_list(user=self.request.user)

    def get_object(self):
        return selectors.routing_rule_get(user=self.request.user, pk=self.kwargs["pk"])

    def perform_create(self, serializer) -> None:
        rule = services.routing_rule_create(user=self.request.user, **serializer.validated_data)
        serializer.instance = selectors.routing_rule_get(user=self.request.user, pk=rule.pk)

    def perform_update(self, serializer) -> None:
        rule = services.routing_rule_update(
            user=self.request.user, rule=serializer.instance, **serializer.validated_data
        )
        serializer.instance = selectors.routing_rule_get(user=self.request.user, pk=rule.pk)

    def update(self, request: Request, *args, **kwargs) -> Response:
        partial = kwargs.pop("partial", False)
        rule = self.get_object()
        serializer = self.get_serializer(rule, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return Response(self.get_serializer(serializer.instance).data)

    def perform_destroy(self, instance) -> None:
        services.routing_rule_delete(user=self.request.user, rule=instance)


# --- KPIs --------------------------------------------------------------------------------


class ProblemKpiView(APIView):
    """Closed-loop KPIs per unit / area / category for a period (computed in the database)."""

    @extend_schema(
        summary="KPI table (闭环考核指标) for a period, default this quarter",
        parameters=[KpiQuerySerializer],
        responses={200: KpiTableSerializer, 400: error_response("validation_error")},
    )
    def get(self, request: Request) -> Response:
        if not scope_of(request.user).is_staff_user:
            raise NotPermitted("您无权查看考核指标")
        query = KpiQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        q_start, q_end = quarter_bounds(timezone.localdate())
        start = q.get("start") or q_start
        end = q.get("end") or q_end - timedelta(days=1)
        if end < start:
            raise ValidationFailed("结束日期不能早于开始日期")
        area = None
        if q.get("area") is not None:
            area = org_selectors.area_get(user=request.user, pk=q["area"])
        elif q["group_by"] == "area":
            area = org_selectors.area_list(user=request.user).order_by("depth", "path").first()
            if area is None:
                raise ValidationFailed("按区域统计需要指定区域")
        rows = kpis.kpi_table(
            group_by=q["group_by"],
            start=timezone.make_aware(datetime.combine(start, time.min)),
            end=timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
            user=request.user,
            area=area,
            major=q["major"],
        )
        body = {
            "group_by": q["group_by"],
            "start": start,
            "end": end,
            "rows": [r.as_dict() for r in rows],
            "total": kpis.kpi_totals(rows).as_dict(),
        }
        return Response(KpiTableSerializer(body).data)


def register(router) -> None:
    router.register("problems", ProblemViewSet, basename="problem")
    router.register("routing-rules", RoutingRuleViewSet, basename="routing-rule")


class EvidenceFileView(APIView):
    """Download a photo/file (or its thumbnail) of a problem the caller may see."""

    @extend_schema(
        summary="Download an evidence file (variant=file|thumb)",
        parameters=[
            OpenApiParameter("variant", str, enum=["file", "thumb"], location="path"),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: ERROR_404,
        },
    )
    def get(self, request: Request, pk: int, variant: str = "file"):
        return files.scoped_evidence_response(request.user, pk, variant)


urlpatterns = [
    path("problem-kpis/", ProblemKpiView.as_view(), name="problem-kpis"),
    path(
        "evidence/<int:pk>/<str:variant>/",
        EvidenceFileView.as_view(),
        name="evidence-file",
    ),
]
