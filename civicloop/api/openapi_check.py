"""Check API responses against the generated OpenAPI schema (for tests of every app).

    from civicloop.api.openapi_check import assert_matches_schema

    response = api.get("/api/v1/points/")
    assert_matches_schema(response)                      # path and method found from the request
    assert_matches_schema(response, "/api/v1/points/{id}/", "patch")   # or given explicitly

The status code must be documented for the operation, and the body must validate against
its schema (OpenAPI 3.0 semantics: nullable, readOnly/writeOnly, formats). By default the
check is strict: objects may not carry properties the schema does not declare, so a field
added to a serializer but hidden from the schema is caught too.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import Any

from jsonschema import FormatChecker
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker

# Django stores "no value" in blank text fields (EmailField, URLField) as "", which DRF
# renders as "" under format email/uri; that is not a schema violation worth failing on.
_BLANK_OK_FORMATS = {"email", "uri", "url"}


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, (func, raises) in oas30_format_checker.checkers.items():
        if name in _BLANK_OK_FORMATS:
            checker.checks(name, raises)(lambda value, _f=func: value == "" or _f(value))
        else:
            checker.checks(name, raises)(func)
    return checker


FORMAT_CHECKER = _format_checker()


@lru_cache(maxsize=1)
def openapi_schema() -> dict:
    """The schema exactly as /api/schema/ serves it (generated once per test run)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    # Round-trip through the JSON renderer so lazy strings, enums… become plain JSON.
    import json

    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


def validate_spec() -> None:
    """Raise if the generated document is not a valid OpenAPI 3 specification."""
    from openapi_spec_validator import validate

    validate(openapi_schema())


@lru_cache(maxsize=1)
def _path_matchers() -> list[tuple[re.Pattern, str]]:
    matchers = []
    for template in openapi_schema()["paths"]:
        pattern = re.escape(template)
        pattern = re.sub(r"\\\{[^}]+\\\}", r"[^/]+", pattern)
        matchers.append((re.compile(f"^{pattern}$"), template))
    # Literal segments beat parameters: /areas/tree/ must not match /areas/{id}/.
    matchers.sort(key=lambda m: m[1].count("{"))
    return matchers


def path_template_for(path: str) -> str:
    for regex, template in _path_matchers():
        if regex.match(path):
            return template
    raise AssertionError(f"{path} matches no path of the OpenAPI schema")


def _strict(schema: Any) -> Any:
    """Copy of `schema` where declared-property objects reject undeclared properties."""
    if isinstance(schema, dict):
        out = {key: _strict(value) for key, value in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


@lru_cache(maxsize=2)
def _components(strict: bool) -> dict:
    components = copy.deepcopy(openapi_schema().get("components", {}))
    return _strict(components) if strict else components


def response_schema(path_template: str, method: str, status_code: int) -> dict | None:
    """The JSON schema documented for a response (None when documented without a body)."""
    paths = openapi_schema()["paths"]
    assert path_template in paths, f"{path_template} is not in the OpenAPI schema"
    operation = paths[path_template].get(method.lower())
    assert operation is not None, f"{method.upper()} {path_template} is not in the schema"
    responses = operation["responses"]
    documented = responses.get(str(status_code))
    assert documented is not None, (
        f"{method.upper()} {path_template} answered {status_code}, which the schema does "
        f"not document (documented: {sorted(responses)})"
    )
    content = documented.get("content") or {}
    media = content.get("application/json") or next(iter(content.values()), None)
    return None if media is None else media.get("schema")


def assert_matches_schema(
    response,
    path_template: str | None = None,
    method: str | None = None,
    *,
    strict: bool = True,
) -> None:
    """Assert that a test-client response is documented and its body validates."""
    request = response.request if hasattr(response, "request") else {}
    method = method or request.get("REQUEST_METHOD", "GET")
    path_template = path_template or path_template_for(request["PATH_INFO"])
    schema = response_schema(path_template, method, response.status_code)
    if schema is None:
        assert not response.content, (
            f"{method.upper()} {path_template} {response.status_code} has a body, "
            "but the schema documents none"
        )
        return
    body = response.json()
    root = {**(_strict(schema) if strict else schema), "components": _components(strict)}
    validator = OAS30ReadValidator(root, format_checker=FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [
            f"- at {'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
            for e in errors[:10]
        ]
        raise AssertionError(
            f"{method.upper()} {path_template} {response.status_code} does not match the "
            "OpenAPI schema:\n" + "\n".join(lines)
        )
