"""The schema checker itself: it must fail on the mismatches it exists to catch."""

import json

import pytest

from civicloop.api.openapi_check import assert_matches_schema, path_template_for

pytestmark = pytest.mark.django_db


class FakeResponse:
    def __init__(self, status_code, body, path="/api/v1/points/1/", method="GET"):
        self.status_code = status_code
        self.content = b"" if body is None else json.dumps(body).encode()
        self.request = {"PATH_INFO": path, "REQUEST_METHOD": method}

    def json(self):
        return json.loads(self.content)


def point_body(**overrides):
    body = {
        "id": 1,
        "code": "P-1",
        "name": "点位",
        "point_type": 1,
        "point_type_name": "农贸市场",
        "area": 1,
        "area_name": "网格",
        "address": "",
        "lng": None,
        "lat": None,
        "responsible_unit": 1,
        "responsible_unit_name": "单位",
        "person_in_charge": "",
        "person_phone": "",
        "is_active": True,
        "created_at": "2025-01-01T08:00:00+08:00",
        "updated_at": "2025-01-01T08:00:00+08:00",
    }
    body.update(overrides)
    return body


def test_valid_body_passes():
    assert_matches_schema(FakeResponse(200, point_body()))


@pytest.mark.parametrize(
    "body, message",
    [
        (point_body(id="one"), "is not of type 'integer'"),
        (point_body(extra_field=1), "Additional properties"),
        (point_body(coord_system="wgs84"), "'coord_system' was unexpected"),  # write-only
        ({k: v for k, v in point_body().items() if k != "name"}, "'name' is a required"),
        (point_body(created_at="yesterday"), "is not a 'date-time'"),
        (point_body(name=None), "None for not nullable"),
    ],
)
def test_mismatches_fail(body, message):
    with pytest.raises(AssertionError, match=message):
        assert_matches_schema(FakeResponse(200, body))


def test_undocumented_status_fails():
    with pytest.raises(AssertionError, match="does not document"):
        assert_matches_schema(FakeResponse(418, {"code": "x", "message": "y"}))


def test_error_body_must_have_error_shape():
    assert_matches_schema(FakeResponse(404, {"code": "not_found", "message": "对象不存在"}))
    with pytest.raises(AssertionError):
        assert_matches_schema(FakeResponse(404, {"detail": "Not found."}))


def test_non_strict_mode_allows_extra_properties():
    assert_matches_schema(FakeResponse(200, point_body(extra=1)), strict=False)


def test_blank_email_allowed_but_bad_email_fails():
    me = {
        "id": 1,
        "username": "u",
        "name": "u",
        "display_name": "",
        "email": "",
        "phone": "",
        "is_superuser": False,
        "roles": [],
        "memberships": [],
        "last_login": None,
    }
    assert_matches_schema(FakeResponse(200, me, path="/api/v1/me/"))
    with pytest.raises(AssertionError, match="email"):
        assert_matches_schema(FakeResponse(200, {**me, "email": "nope"}, path="/api/v1/me/"))


def test_path_templates_prefer_literal_segments():
    assert path_template_for("/api/v1/areas/tree/") == "/api/v1/areas/tree/"
    assert path_template_for("/api/v1/areas/12/") == "/api/v1/areas/{id}/"
    assert path_template_for("/api/v1/areas/12/children/") == "/api/v1/areas/{id}/children/"
    with pytest.raises(AssertionError):
        path_template_for("/api/v1/nowhere/")
