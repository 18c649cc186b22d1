"""Helpers for API tests: token-authenticated clients per persona, state snapshots."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from civicloop.core.models import AuditEvent
from civicloop.orgs.models import Area, AreaResponsibility, Point, PointType, Unit
from civicloop.standards.models import Category


@pytest.fixture
def api():
    """api(user) → an APIClient sending that user's token (None → anonymous).

    Token auth loads a fresh user per request, as for a real client, so scope is never
    cached across requests and query counts are realistic.
    """

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


REGISTRY_MODELS = (Unit, Area, AreaResponsibility, PointType, Point, Category, AuditEvent)


def registry_state() -> dict:
    """Every row of the registry and the audit log, to prove a refused write changed nothing."""
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in REGISTRY_MODELS}


@pytest.fixture
def unchanged():
    """with unchanged(): ... asserts the registry is identical before and after the block."""
    from contextlib import contextmanager

    @contextmanager
    def check():
        before = registry_state()
        yield
        assert registry_state() == before

    return check


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """The world creates seven users; the production hasher makes that take seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
