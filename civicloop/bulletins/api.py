"""REST API of bulletins and the exposure board (/api/v1/).

- bulletins/                        list (downloadable ones); POST {snapshot, …} → job (202)
- bulletins/{id}/                   status / progress / error / download links
- bulletins/{id}/download/{kind}/   the DOCX / XLSX / PDF file
- exposure-items/                   command: list (own area), POST {problem, …} publish
- exposure-items/{id}/unpublish/    command: POST {reason}
- public-exposure/                  anyone, no login: the published, masked items
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from civicloop.api.permissions import ReadScopedWriteByRole
from civicloop.api.schema import error_response
from civicloop.bulletins import selectors, services
from civicloop.bulletins.models import Bulletin, ExposureItem
from civicloop.bulletins.serializers import (
    BulletinCreateSerializer,
    BulletinSerializer,
    ExposureItemSerializer,
    ExposurePublishSerializer,
    PublicExposureSerializer,
    UnpublishSerializer,
)
from civicloop.bulletins.views import CONTENT_TYPES
from civicloop.core.errors import NotFound
from civicloop.scoring import selectors as scoring_selectors

ERROR_409 = error_response("transition_not_allowed: not allowed in the current state")


def _get(func, *args):
    try:
        return func(*args)
    except NotFound as exc:
        raise Http404(exc.message) from exc


class BulletinViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [ReadScopedWriteByRole]
    serializer_class = BulletinSerializer
    queryset = Bulletin.objects.none()
    filter_backends: list = []

    def get_queryset(self):
        return selectors.bulletins(self.request.user)

    def get_object(self) -> Bulletin:
        return _get(selectors.bulletin_get, self.request.user, int(self.kwargs["pk"]))

    @extend_schema(request=BulletinCreateSerializer, responses={202: BulletinSerializer})
    def create(self, request):
        body = BulletinCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        snapshot = _get(scoring_selectors.snapshot_get, request.user, data.pop("snapshot"))
        bulletin = services.bulletin_request(request.user, snapshot, **data)
        bulletin.refresh_from_db()
        return Response(
            BulletinSerializer(bulletin, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)}
    )
    @action(detail=True, methods=["get"], url_path=r"download/(?P<kind>docx|xlsx|pdf)")
    def download(self, request, pk=None, kind=None):
        bulletin, name = _get(selectors.bulletin_file, request.user, int(pk), kind)
        try:
            handle = default_storage.open(name, "rb")
        except (FileNotFoundError, OSError) as exc:
            raise Http404("文件不存在") from exc
        return FileResponse(
            handle,
            as_attachment=True,
            filename=selectors.download_name(bulletin, kind),
            content_type=CONTENT_TYPES[kind],
        )


class ExposureItemViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Exposure board administration (command, own area subtree)."""

    permission_classes = [ReadScopedWriteByRole]
    serializer_class = ExposureItemSerializer
    queryset = ExposureItem.objects.none()
    filter_backends: list = []

    def get_queryset(self):
        return _get(selectors.exposure_admin, self.request.user)

    def get_object(self) -> ExposureItem:
        return _get(selectors.exposure_item_get, self.request.user, int(self.kwargs["pk"]))

    @extend_schema(
        request=ExposurePublishSerializer, responses={201: ExposureItemSerializer, 409: ERROR_409}
    )
    def create(self, request):
        body = ExposurePublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        item = services.exposure_publish(
            request.user,
            d["problem"],
            title=d["title"],
            description=d["description"],
            before_evidence_id=d["before_evidence"],
            after_evidence_id=d["after_evidence"],
        )
        return Response(ExposureItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=UnpublishSerializer, responses={200: ExposureItemSerializer, 409: ERROR_409}
    )
    @action(detail=True, methods=["post"])
    def unpublish(self, request, pk=None):
        body = UnpublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.exposure_unpublish(
            request.user, self.get_object(), reason=body.validated_data["reason"]
        )
        return Response(ExposureItemSerializer(item).data)


class PublicExposureViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The public exposure board: published items only, personal data masked."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = PublicExposureSerializer
    queryset = ExposureItem.objects.none()
    filter_backends: list = []

    def get_queryset(self):
        return selectors.public_exposure()


def register(router) -> None:
    router.register("bulletins", BulletinViewSet, basename="bulletin")
    router.register("exposure-items", ExposureItemViewSet, basename="exposure-item")
    router.register("public-exposure", PublicExposureViewSet, basename="public-exposure")
