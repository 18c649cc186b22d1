"""OpenAPI schema additions shared by every app's API.

`AutoSchema` documents the one error shape (`ErrorResponse`, see civicloop.api.errors) for
the error statuses an operation can really return, so clients can rely on
{"code", "message", "details"} without every view repeating `@extend_schema(responses=…)`.
An explicit `@extend_schema(responses={...})` entry for a status always wins.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from civicloop.core.errors import ErrorCode

_CODES = ", ".join(f"`{c.value}` ({c.label})" for c in ErrorCode)


class ErrorResponseSerializer(serializers.Serializer):
    """The body of every error response."""

    code = serializers.CharField(help_text=f"Stable error code: {_CODES}.")
    message = serializers.CharField(help_text="Human-readable message (Chinese).")
    details = serializers.JSONField(
        required=False,
        help_text="Optional specifics, e.g. field → messages for validation_error.",
    )


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorResponseSerializer, description=description)


ERROR_400 = error_response("validation_error: the input (body or query) is invalid")
ERROR_401 = error_response("not_authenticated: no or invalid credentials")
ERROR_403 = error_response("not_permitted: the user's role may not do this")
ERROR_404 = error_response("not_found: no such object, or outside the user's scope")

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in self._error_responses().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def _error_responses(self) -> dict[str, OpenApiResponse]:
        errors: dict[str, OpenApiResponse] = {}
        # Bad bodies on writes; bad filter values on lists.
        if self.method in {"POST", "PUT", "PATCH"} or (
            self.method == "GET" and self._is_list_view()
        ):
            errors["400"] = ERROR_400
        if not self._allows_anonymous():
            errors["401"] = ERROR_401
            if self.method in _UNSAFE:
                errors["403"] = ERROR_403
        # Anything addressed by id can be missing or out of scope.
        if "{" in self.path:
            errors["404"] = ERROR_404
        return errors

    def _allows_anonymous(self) -> bool:
        return any(
            isinstance(p, AllowAny) or p is AllowAny
            for p in getattr(self.view, "permission_classes", [])
        )
