"""REST API of accounts: the signed-in user's profile and API tokens for programs.

Token requests authenticate through django.contrib.auth with the request passed along,
so django-axes counts failures and locks the username+IP pair exactly as on the login
page (AXES_FAILURE_LIMIT).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.db.models import Prefetch
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civicloop.accounts.models import Membership, User
from civicloop.accounts.serializers import (
    MeSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from civicloop.api.schema import ERROR_400, error_response
from civicloop.core.errors import DomainError, ErrorCode, ValidationFailed


class LockedOut(DomainError):
    code = ErrorCode.LOCKED
    status_code = 429


ERROR_LOCKED = error_response("locked: too many failed attempts; try again later")


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The signed-in user, with roles and memberships", responses=MeSerializer)
    def get(self, request: Request) -> Response:
        memberships = Membership.objects.select_related("unit", "area").defer("area__boundary")
        user = User.objects.prefetch_related(Prefetch("memberships", queryset=memberships)).get(
            pk=request.user.pk
        )
        return Response(MeSerializer(user).data)


class TokenView(APIView):
    """Exchange username + password for an API token; DELETE revokes the caller's token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        summary="Obtain an API token (username + password)",
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, 400: ERROR_400, 429: ERROR_LOCKED},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # axes reads and flags the Django request, not DRF's wrapper.
        django_request = request._request
        user = authenticate(
            request=django_request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if getattr(django_request, "axes_locked_out", False):
            # Answer in the API's error shape; left set, AxesMiddleware would replace this
            # response with the HTML lockout page meant for browsers.
            django_request.axes_locked_out = False
            error = LockedOut()
            error.status_code = settings.AXES_HTTP_RESPONSE_CODE
            raise error
        if user is None:
            raise ValidationFailed("用户名或密码错误。连续多次失败后账号将被临时锁定。")
        # Obtaining a token is a login: axes resets the failure count (AXES_RESET_ON_SUCCESS)
        # and logs the access, Django records last_login. No session is created.
        user_logged_in.send(sender=type(user), request=django_request, user=user)
        token, _ = Token.objects.get_or_create(user=user)
        body = {"token": token.key, "user_id": user.pk, "username": user.get_username()}
        return Response(TokenResponseSerializer(body).data)


class TokenRevokeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Revoke the caller's API token",
        request=None,
        responses={204: OpenApiResponse(description="Token deleted")},
    )
    def delete(self, request: Request) -> Response:
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    """No router resources: accounts only has the plain paths below."""


urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/token/revoke/", TokenRevokeView.as_view(), name="api-token-revoke"),
]
