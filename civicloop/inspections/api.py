"""REST API of inspections (/api/v1/).

- GET/POST        rounds/                       list (kind, status, period filters) / create
                                                (command; with quotas and teams)
- GET/PUT/PATCH   rounds/{id}/                  detail with quotas and teams / update
- POST            rounds/{id}/draw/             draw the sample (draft only)
- POST            rounds/{id}/publish/          freeze the sample
- POST            rounds/{id}/assign-teams/     share the open points among the teams
- POST            rounds/{id}/close/            end the round
- POST            rounds/{id}/teams/            add a team
- POST            rounds/{id}/teams/{team}/members/  set a team's inspectors (and leader)
- GET             rounds/{id}/progress/         done / total per team
- GET             rounds/{id}/scores/           roll-up by area / unit / point type / indicator
                                                with the delta to the previous round
- GET             sample-points/                the samples in sight (round, team, mine)
- POST            sample-points/{id}/start/     open (or return) the inspection
- POST            sample-points/{id}/assign/    move to another team (command)
- GET             inspections/, inspections/{id}/     with the item results
- POST            inspections/{id}/save/        draft: per-item upsert of answers (JSON)
- POST            inspections/{id}/item/        one answer with a photo (multipart)
- POST            inspections/{id}/submit/      submit once; failed items → ledger problems
- GET             item-results/                 results (round, inspection, outcome filters)

Thin views: reads via selectors (out of scope → 404 not_found), writes via services whose
DomainErrors become {"code", "message"} (not_permitted 403, transition_not_allowed and
concurrent_update 409, validation_error 400).
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from civicloop.accounts.models import Role, User
from civicloop.api.permissions import ReadScopedWriteByRole
from civicloop.api.schema import error_response
from civicloop.core.errors import ValidationFailed
from civicloop.orgs.models import Area, AreaLevel, PointType
from civicloop.standards.models import Category, IndexSystem

from . import permissions, scoring, selectors, services
from .filters import InspectionFilter, ItemResultFilter, RoundFilter, SamplePointFilter
from .models import Inspection, ItemResult, Round, SamplePoint
from .serializers import (
    DrawResultSerializer,
    InspectionDetailSerializer,
    InspectionSerializer,
    ItemResultSerializer,
    ItemUploadSerializer,
    LocationSerializer,
    ProgressSerializer,
    RoundDetailSerializer,
    RoundSerializer,
    RoundTeamSerializer,
    RoundWriteSerializer,
    SampleAssignSerializer,
    SamplePointSerializer,
    SaveDraftSerializer,
    ScoresQuerySerializer,
    ScoresSerializer,
    TeamMembersSerializer,
    TeamWriteSerializer,
)

ERROR_409 = error_response(
    "transition_not_allowed: the status does not allow it (e.g. already published or "
    "submitted); concurrent_update: someone else changed it first (refresh and retry)"
)
ID = r"\d+"
ALL_ROLES = frozenset(Role.values)
NO_LIST = {"filter_backends": [], "pagination_class": None}


def _visible_rounds(user):
    q = permissions.round_visibility_q(user)
    qs = Round.objects.all() if q is None else Round.objects.filter(q)
    return qs.values("pk")


def _objects(model, ids, message: str) -> list:
    ids = list(dict.fromkeys(ids or []))
    found = model.objects.in_bulk(ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(message, details={"missing": missing})
    return [found[i] for i in ids]


def _one(model, pk, message: str):
    if pk is None:
        return None
    return _objects(model, [pk], message)[0]


# --- Rounds ------------------------------------------------------------------------------


def _round_fields(data: dict) -> dict:
    """Service keyword arguments from a validated RoundWriteSerializer body."""
    out = {}
    simple = ("kind", "title", "start_date", "end_date", "seed", "include_revisits", "description")
    for key in simple:
        if key in data:
            out[key] = data[key]
    if "index_system" in data:
        out["index_system"] = _one(IndexSystem, data["index_system"], "测评体系不存在")
    if "default_category" in data:
        out["default_category"] = _one(Category, data["default_category"], "问题分类不存在")
    if "areas" in data:
        out["areas"] = _objects(Area, data["areas"], "检查区域不存在")
    if "point_types" in data:
        out["point_types"] = _objects(PointType, data["point_types"], "点位类型不存在")
    return out


def _quotas(rows: list[dict]) -> list[services.QuotaInput]:
    return [
        services.QuotaInput(
            count=row["count"],
            point_type=row.get("point_type"),
            area=row.get("area"),
            per_level=row.get("per_level") or "",
        )
        for row in rows
    ]


def _create_team(user, round_: Round, row: dict, order: int):
    return services.team_create(
        user=user,
        round_=round_,
        name=row["name"],
        inspectors=_objects(User, row.get("inspectors"), "组员不存在"),
        leader=_one(User, row.get("leader"), "组长不存在"),
        sort_order=row.get("sort_order") or order,
    )


def _round_action(name: str, summary: str, service, response=RoundDetailSerializer):
    def view(self, request: Request, pk=None) -> Response:
        round_ = self.get_object()
        result = service(user=request.user, round_=round_)
        fresh = self._detail(round_.pk)
        if name == "draw":
            return Response(DrawResultSerializer({"sample_size": result, "round": fresh}).data)
        return Response(RoundDetailSerializer(fresh).data)

    view.__name__ = name.replace("-", "_")
    view = action(detail=True, methods=["post"], url_path=name, **NO_LIST)(view)
    return extend_schema(
        summary=summary, request=None, responses={200: response, 409: ERROR_409}, filters=False
    )(view)


@extend_schema_view(
    list=extend_schema(summary="Inspection rounds (检查轮次) in sight"),
    retrieve=extend_schema(summary="A round with its quotas and teams"),
    create=extend_schema(
        summary="Create a draft round (command), with quotas and teams",
        request=RoundWriteSerializer,
        responses={201: RoundDetailSerializer},
    ),
    update=extend_schema(
        summary="Update a round (scope, quotas and seed only in draft)",
        request=RoundWriteSerializer,
        responses={200: RoundDetailSerializer, 409: ERROR_409},
    ),
    partial_update=extend_schema(
        summary="Update some fields of a round",
        request=RoundWriteSerializer,
        responses={200: RoundDetailSerializer, 409: ERROR_409},
    ),
)
class RoundViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Round.objects.none()
    permission_classes = [ReadScopedWriteByRole]
    lookup_value_regex = ID
    filterset_class = RoundFilter
    search_fields = ["title"]
    ordering_fields = ["start_date", "end_date", "title", "id"]
    ordering = ["-start_date", "-id"]

    def get_queryset(self):
        qs = selectors.round_list(user=self.request.user).prefetch_related("areas", "point_types")
        if self.action != "list":
            qs = qs.prefetch_related("quotas", "teams__inspectors")
        return qs

    def get_serializer_class(self):
        return RoundSerializer if self.action == "list" else RoundDetailSerializer

    def _detail(self, pk) -> Round:
        return self.get_queryset().get(pk=pk)

    def create(self, request: Request, *args, **kwargs) -> Response:
        body = RoundWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with transaction.atomic():
            round_ = services.round_create(user=request.user, **_round_fields(data))
            if data.get("quotas"):
                services.round_set_quotas(
                    user=request.user, round_=round_, quotas=_quotas(data["quotas"])
                )
            for i, row in enumerate(data.get("teams") or []):
                _create_team(request.user, round_, row, i)
        return Response(
            RoundDetailSerializer(self._detail(round_.pk)).data, status=status.HTTP_201_CREATED
        )

    def update(self, request: Request, *args, **kwargs) -> Response:
        round_ = self.get_object()
        partial = kwargs.get("partial", False)
        body = RoundWriteSerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if data.pop("teams", None):
            raise ValidationFailed("督查组请通过 teams 接口新增或修改")
        quotas = data.pop("quotas", None)
        with transaction.atomic():
            fields = _round_fields(data)
            if fields:
                services.round_update(user=request.user, round_=round_, **fields)
            if quotas is not None:
                services.round_set_quotas(user=request.user, round_=round_, quotas=_quotas(quotas))
        return Response(RoundDetailSerializer(self._detail(round_.pk)).data)

    draw = _round_action(
        "draw",
        "Draw the sample (draft only; reproducible from the seed)",
        services.round_draw_sample,
        DrawResultSerializer,
    )
    publish = _round_action("publish", "Publish: freeze the sample", services.round_publish)
    close = _round_action("close", "Close the round", services.round_close)

    @extend_schema(
        summary="Share the points not yet submitted among the teams (whole streets)",
        request=None,
        responses={200: RoundDetailSerializer, 409: ERROR_409},
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="assign-teams", **NO_LIST)
    def assign_teams(self, request: Request, pk=None) -> Response:
        round_ = self.get_object()
        services.round_assign_teams(user=request.user, round_=round_)
        return Response(RoundDetailSerializer(self._detail(round_.pk)).data)

    @extend_schema(
        summary="Add a team (督查组) with its inspectors",
        request=TeamWriteSerializer,
        responses={201: RoundTeamSerializer, 409: ERROR_409},
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="teams", **NO_LIST)
    def teams(self, request: Request, pk=None) -> Response:
        round_ = self.get_object()
        body = TeamWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        team = _create_team(request.user, round_, body.validated_data, round_.teams.count())
        return Response(RoundTeamSerializer(team).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Set a team's inspectors (and leader)",
        request=TeamMembersSerializer,
        responses={200: RoundTeamSerializer, 409: ERROR_409},
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path=r"teams/(?P<team_id>\d+)/members", **NO_LIST)
    def team_members(self, request: Request, pk=None, team_id=None) -> Response:
        round_ = self.get_object()
        team = round_.teams.filter(pk=team_id).first()
        if team is None:
            raise ValidationFailed("督查组不属于本轮次")
        body = TeamMembersSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.team_set_inspectors(
            user=request.user,
            team=team,
            inspectors=_objects(User, body.validated_data["inspectors"], "组员不存在"),
            leader=_one(User, body.validated_data.get("leader"), "组长不存在"),
        )
        return Response(RoundTeamSerializer(team).data)

    @extend_schema(
        summary="Progress: points done / total per team (one query)",
        responses={200: ProgressSerializer(many=True)},
        filters=False,
    )
    @action(detail=True, methods=["get"], **NO_LIST)
    def progress(self, request: Request, pk=None) -> Response:
        round_ = self.get_object()
        rows = selectors.round_progress(round_)
        return Response(ProgressSerializer(rows, many=True).data)

    @extend_schema(
        summary="Score roll-ups of the round with the delta to the previous round of its kind",
        parameters=[ScoresQuerySerializer],
        responses={200: ScoresSerializer},
        filters=False,
    )
    @action(detail=True, methods=["get"], **NO_LIST)
    def scores(self, request: Request, pk=None) -> Response:
        round_ = self.get_object()
        query = ScoresQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(ScoresSerializer(score_table(round_, **query.validated_data)).data)


def score_table(round_: Round, *, by: str = "area", level: str | None = None, parent=None) -> dict:
    """The body of GET rounds/{id}/scores/ (the pages compute the same from `scoring`)."""
    from .sampling import previous_round

    total = scoring.round_total(round_)
    body = {
        "by": by,
        "round": round_.pk,
        "total": {
            "n": total.n,
            "rate": total.rate,
            "pass_rate": total.pass_rate,
            "failed_items": total.failed_items,
        },
    }
    if by == "indicator":
        prev = previous_round(round_)
        before = {s.indicator.pk: s for s in scoring.indicator_rollup(prev)} if prev else {}
        rows = []
        for s in scoring.indicator_rollup(round_):
            p = before.get(s.indicator.pk)
            rows.append(
                {
                    "key": s.indicator.pk,
                    "label": f"{s.indicator.code} {s.indicator.text}",
                    "n": s.results,
                    "failed_items": s.failed,
                    "rate": s.rate,
                    "pass_rate": None,
                    "earned": None,
                    "max_score": None,
                    "value": s.value,
                    "score": s.score,
                    "previous_rate": p.rate if p else None,
                    "delta": (s.rate - p.rate) if p and s.rate is not None else None,
                }
            )
        return {**body, "previous_round": prev.pk if prev else None, "rows": rows}
    parent_area = None
    if parent is not None:
        parent_area = _one(Area, parent, "区域不存在")
    elif by == "area" and level is None:
        level = AreaLevel.DISTRICT
    prev, deltas = scoring.compare(round_, by=by, level=level, parent=parent_area)
    rows = []
    for d in deltas:
        cur = d.current
        if cur is None or not cur.n:
            continue
        rows.append(
            {
                "key": d.key.pk,
                "label": d.key.name,
                "n": cur.n,
                "failed_items": cur.failed_items,
                "rate": cur.rate,
                "pass_rate": cur.pass_rate,
                "earned": cur.earned,
                "max_score": cur.max_score,
                "value": None,
                "score": None,
                "previous_rate": d.previous.rate if d.previous else None,
                "delta": d.delta,
            }
        )
    return {**body, "previous_round": prev.pk if prev else None, "rows": rows}


# --- Samples -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Sample points (抽样点位) of the rounds in sight"),
    retrieve=extend_schema(summary="A sample point with its inspection state"),
)
class SamplePointViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = SamplePoint.objects.none()
    serializer_class = SamplePointSerializer
    permission_classes = [ReadScopedWriteByRole]
    write_roles = ALL_ROLES  # who may inspect is decided by the services (team, command)
    lookup_value_regex = ID
    filterset_class = SamplePointFilter
    ordering_fields = ["position", "id"]
    ordering = ["round", "position"]

    def get_queryset(self):
        return SamplePoint.objects.filter(
            round__in=_visible_rounds(self.request.user)
        ).select_related(
            "point__point_type", "point__area", "point__responsible_unit", "team", "inspection"
        )

    @extend_schema(
        summary="Open the inspection of the point (idempotent: returns the existing one)",
        request=LocationSerializer,
        responses={200: InspectionDetailSerializer, 409: ERROR_409},
        filters=False,
    )
    @action(detail=True, methods=["post"], **NO_LIST)
    def start(self, request: Request, pk=None) -> Response:
        sample = self.get_object()
        body = LocationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        inspection = services.inspection_start(
            user=request.user,
            sample=sample,
            lng=body.validated_data.get("lng"),
            lat=body.validated_data.get("lat"),
        )
        return Response(inspection_detail_data(request, inspection.pk))

    @extend_schema(
        summary="Move the point to another team (command; not once submitted)",
        request=SampleAssignSerializer,
        responses={200: SamplePointSerializer, 409: ERROR_409},
        filters=False,
    )
    @action(detail=True, methods=["post"], **NO_LIST)
    def assign(self, request: Request, pk=None) -> Response:
        sample = self.get_object()
        body = SampleAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        team_id = body.validated_data["team"]
        team = sample.round.teams.filter(pk=team_id).first() if team_id else None
        if team_id and team is None:
            raise ValidationFailed("督查组不属于本轮次")
        services.sample_assign(user=request.user, sample=sample, team=team)
        return Response(SamplePointSerializer(self.get_queryset().get(pk=sample.pk)).data)


# --- Inspections -------------------------------------------------------------------------


def inspection_detail_data(request: Request, pk) -> dict:
    inspection = selectors.inspection_get(user=request.user, pk=pk)
    inspection.result_list = list(
        selectors.inspection_results(user=request.user, inspection=inspection)
    )
    return InspectionDetailSerializer(inspection).data


@extend_schema_view(
    list=extend_schema(summary="Inspections (点位检查) of the rounds in sight"),
    retrieve=extend_schema(summary="An inspection with its item results and their problems"),
)
class InspectionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Inspection.objects.none()
    permission_classes = [ReadScopedWriteByRole]
    write_roles = ALL_ROLES
    lookup_value_regex = ID
    filterset_class = InspectionFilter
    ordering_fields = ["started_at", "submitted_at", "rate", "id"]
    ordering = ["round", "id"]

    def get_queryset(self):
        return Inspection.objects.filter(
            round__in=_visible_rounds(self.request.user)
        ).select_related("point", "unit", "inspector")

    def get_serializer_class(self):
        return InspectionSerializer if self.action == "list" else InspectionDetailSerializer

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return Response(inspection_detail_data(request, kwargs["pk"]))

    @extend_schema(
        summary="Save a draft: per-item upsert of answers (re-sending is harmless)",
        request=SaveDraftSerializer,
        responses={200: InspectionDetailSerializer, 409: ERROR_409},
        filters=False,
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser], **NO_LIST)
    def save(self, request: Request, pk=None) -> Response:
        inspection = selectors.inspection_get(user=request.user, pk=pk)
        body = SaveDraftSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        answers = [
            services.ItemAnswer(
                check_item_id=a["check_item"],
                outcome=a["outcome"],
                deduction=a.get("deduction"),
                count=a.get("count"),
                note=a.get("note") or "",
            )
            for a in data["answers"]
        ]
        services.inspection_save(
            user=request.user,
            inspection=inspection,
            answers=answers,
            lng=data.get("lng"),
            lat=data.get("lat"),
            note=data.get("note"),
        )
        return Response(inspection_detail_data(request, inspection.pk))

    @extend_schema(
        summary="Save one answer with its photo (multipart/form-data)",
        request={"multipart/form-data": ItemUploadSerializer},
        responses={200: ItemResultSerializer, 409: ERROR_409},
        filters=False,
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser],
        **NO_LIST,
    )
    def item(self, request: Request, pk=None) -> Response:
        inspection = selectors.inspection_get(user=request.user, pk=pk)
        body = ItemUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        answer = services.ItemAnswer(
            check_item_id=data["check_item"],
            outcome=data["outcome"],
            deduction=data.get("deduction"),
            count=data.get("count"),
            note=data.get("note") or "",
            photo=data.get("photo"),
            remove_photo=data.get("remove_photo", False),
        )
        (result,) = services.inspection_save(
            user=request.user,
            inspection=inspection,
            answers=[answer],
            lng=data.get("lng"),
            lat=data.get("lat"),
        )
        result = ItemResult.objects.select_related("problem").get(pk=result.pk)
        return Response(ItemResultSerializer(result).data)

    @extend_schema(
        summary="Submit once: totals stored, every failed item opens a ledger problem",
        request=LocationSerializer,
        responses={200: InspectionDetailSerializer, 409: ERROR_409},
        filters=False,
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser], **NO_LIST)
    def submit(self, request: Request, pk=None) -> Response:
        inspection = selectors.inspection_get(user=request.user, pk=pk)
        body = LocationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.inspection_submit(
            user=request.user,
            inspection=inspection,
            lng=body.validated_data.get("lng"),
            lat=body.validated_data.get("lat"),
        )
        return Response(inspection_detail_data(request, inspection.pk))


@extend_schema_view(
    list=extend_schema(summary="Item results (检查项结果) with their problems"),
    retrieve=extend_schema(summary="An item result"),
)
class ItemResultViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = ItemResult.objects.none()
    serializer_class = ItemResultSerializer
    lookup_value_regex = ID
    filterset_class = ItemResultFilter
    ordering_fields = ["id", "code"]
    ordering = ["inspection", "id"]

    def get_queryset(self):
        return ItemResult.objects.filter(
            inspection__round__in=_visible_rounds(self.request.user)
        ).select_related("problem")


def register(router) -> None:
    router.register("rounds", RoundViewSet, basename="inspection-round")
    router.register("sample-points", SamplePointViewSet, basename="inspection-sample")
    router.register("inspections", InspectionViewSet, basename="inspection")
    router.register("item-results", ItemResultViewSet, basename="inspection-result")
