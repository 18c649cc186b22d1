"""One error shape for the whole API: {"code": ..., "message": ..., "details": ...}.

Codes are the enum in civicloop.core.errors, shared with the web pages.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from civicloop.core.errors import DomainError, ErrorCode


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"code": exc.code.value, "message": exc.message}
        if exc.details is not None:
            body["details"] = exc.details
        return Response(body, status=exc.status_code)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        code, message = ErrorCode.VALIDATION, ErrorCode.VALIDATION.label
        response.data = {"code": code.value, "message": message, "details": response.data}
        return response
    if isinstance(exc, (Http404, exceptions.NotFound)):
        code = ErrorCode.NOT_FOUND
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        code = ErrorCode.NOT_AUTHENTICATED
    elif isinstance(exc, (PermissionDenied, exceptions.PermissionDenied)):
        code = ErrorCode.NOT_PERMITTED
    else:
        code = None
    detail = response.data.get("detail") if isinstance(response.data, dict) else None
    if code is None:
        response.data = {"code": f"http_{response.status_code}", "message": str(detail or "")}
    else:
        response.data = {"code": code.value, "message": code.label}
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response.data["message"] = ErrorCode.NOT_AUTHENTICATED.label
    return response
