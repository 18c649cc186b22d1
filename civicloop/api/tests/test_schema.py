"""The OpenAPI document: generated without warnings, valid, documents errors, served offline."""

import json
import re
from io import StringIO

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from civicloop.api.openapi_check import openapi_schema, validate_spec

pytestmark = pytest.mark.django_db


def test_spectacular_validates_without_warnings(tmp_path):
    # --fail-on-warn turns any warning (unresolvable type, enum collision…) into an error.
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=StringIO()
    )
    assert target.read_text().startswith("openapi: 3")


def test_generated_document_is_valid_openapi():
    validate_spec()


def test_schema_endpoint_serves_the_document(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    served = json.loads(response.content)
    assert served["openapi"].startswith("3.")
    assert "/api/v1/points/" in served["paths"]


def _operations():
    for path, item in openapi_schema()["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def test_error_responses_use_the_error_component():
    components = openapi_schema()["components"]["schemas"]
    assert set(components["ErrorResponse"]["required"]) == {"code", "message"}
    checked = 0
    for path, method, operation in _operations():
        if not path.startswith("/api/v1/"):
            continue
        responses = operation["responses"]
        expected = set()
        if "{" in path:
            expected.add("404")
        if method in {"POST", "PUT", "PATCH"}:
            expected.add("400")
        if method in {"POST", "PUT", "PATCH", "DELETE"} and operation.get("security") != [{}]:
            expected.add("403")
        if path == "/api/v1/auth/token/":
            expected = {"400", "429"}
        for code in expected:
            assert code in responses, f"{method} {path} does not document {code}"
            schema = responses[code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}
            checked += 1
    assert checked > 30


def test_token_auth_is_documented():
    schemes = openapi_schema()["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["in"] == "header"


def test_swagger_ui_is_served_from_local_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert len(urls) >= 3  # css, favicon, two bundles
    for url in urls:
        assert url.startswith("/static/"), f"non-local asset {url}"
        assert finders.find(url.removeprefix("/static/")), f"missing static file {url}"
    assert not re.search(r"https?://", html), "the docs page must not reference the internet"
    assert 'url: "/api/schema/"' in html
