# ruff: noqa: F811  (pytest fixtures imported from other conftest modules)
"""Bulletins and exposure API, validated against the OpenAPI schema; the schema itself
has no warnings."""

from __future__ import annotations

import pytest

from civicloop.api.openapi_check import assert_matches_schema
from civicloop.api.tests.conftest import api  # noqa: F401  (fixture reuse)
from civicloop.bulletins.models import Bulletin, ExposureItem


def test_bulletin_job_and_download(api, published, django_capture_on_commit_callbacks):  # noqa: F811
    client = api(published.city.command)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/v1/bulletins/", {"snapshot": published.snapshot.pk}, format="json"
        )
    assert created.status_code == 202, created.json()
    assert_matches_schema(created)
    assert created.json()["status"] == "queued"
    detail = client.get(f"/api/v1/bulletins/{created.json()['id']}/")
    assert_matches_schema(detail)
    body = detail.json()
    assert body["status"] == "succeeded" and set(body["downloads"]) >= {"docx", "xlsx"}
    docx = client.get(f"/api/v1/bulletins/{body['id']}/download/docx/")
    assert docx.status_code == 200 and b"".join(docx.streaming_content)[:2] == b"PK"
    listed = client.get("/api/v1/bulletins/")
    assert_matches_schema(listed)
    # Scope: a unit handler and the west command see nothing, download nothing.
    for persona in ("handler_a", "outsider"):
        other = api(getattr(published.city.world.p, persona))
        assert other.get(f"/api/v1/bulletins/{body['id']}/download/docx/").status_code == 404
        assert other.get("/api/v1/bulletins/").json()["results"] == []
    leader = api(published.city.world.p.leader)
    assert (
        leader.post(
            "/api/v1/bulletins/", {"snapshot": published.snapshot.pk}, format="json"
        ).status_code
        == 403
    )
    assert Bulletin.objects.count() == 1


def test_exposure_api_publish_public_unpublish(api, published):  # noqa: F811
    city = published.city
    problem = city.d_open
    problem.description = "电话13700001111的店主反映垃圾"
    problem.save(update_fields=["description"])
    handler = api(city.world.p.handler_b)
    assert (
        handler.post("/api/v1/exposure-items/", {"problem": problem.pk}, format="json").status_code
        == 403
    )
    client = api(city.command)
    created = client.post("/api/v1/exposure-items/", {"problem": problem.pk}, format="json")
    assert created.status_code == 201, created.json()
    assert_matches_schema(created)
    public = api().get("/api/v1/public-exposure/")
    assert public.status_code == 200
    assert_matches_schema(public)
    item = public.json()["results"][0]
    assert "137****1111" in item["description"] and "13700001111" not in str(public.json())
    assert "problem" not in item and item["before_photo"].endswith("/photo/before/")
    gone = client.post(
        f"/api/v1/exposure-items/{created.json()['id']}/unpublish/",
        {"reason": "已整改"},
        format="json",
    )
    assert gone.status_code == 200
    assert_matches_schema(gone)
    assert api().get("/api/v1/public-exposure/").json()["results"] == []
    again = client.post(
        f"/api/v1/exposure-items/{created.json()['id']}/unpublish/", {"reason": "x"}, format="json"
    )
    assert again.status_code == 409
    assert ExposureItem.objects.count() == 1


@pytest.mark.parametrize("persona", ["handler_a", "leader", "citizen"])
def test_exposure_admin_list_is_command_only(api, published, persona):  # noqa: F811
    response = api(getattr(published.city.world.p, persona)).get("/api/v1/exposure-items/")
    assert response.status_code == 404
