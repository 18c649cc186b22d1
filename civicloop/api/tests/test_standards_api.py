"""Problem categories: staff read, nobody writes through the API yet."""

import pytest

from civicloop.api.openapi_check import assert_matches_schema

pytestmark = pytest.mark.django_db

URL = "/api/v1/categories/"


@pytest.mark.parametrize("persona", ["command", "handler_a", "inspector", "outsider"])
def test_staff_read_categories(world, api, persona):
    client = api(getattr(world.p, persona))
    response = client.get(URL)
    assert response.status_code == 200
    assert_matches_schema(response)
    assert {row["code"] for row in response.json()["results"]} == {"01", "0101"}
    detail = client.get(f"{URL}{world.cat_litter.pk}/")
    assert_matches_schema(detail)
    body = detail.json()
    assert body["parent_name"] == "市容环境"
    assert body["deadline_label"] == "4工作时"
    assert body["kind_display"] == "事件"


@pytest.mark.parametrize(
    "query, expected",
    [
        ("parent__isnull=true", {"01"}),
        ("parent={env}", {"0101"}),
        ("deadline_unit=working_hours", {"0101"}),
        ("search=垃圾", {"0101"}),
    ],
)
def test_category_filters(world, api, query, expected):
    response = api(world.p.command).get(f"{URL}?{query.format(env=world.cat_env.pk)}")
    assert {row["code"] for row in response.json()["results"]} == expected


def test_citizen_sees_no_categories(world, api):
    client = api(world.p.citizen)
    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{world.cat_env.pk}/").status_code == 404


def test_categories_are_read_only(world, api, unchanged):
    with unchanged():
        created = api(world.p.command).post(URL, {"code": "02", "name": "x"}, format="json")
        changed = api(world.p.command).patch(
            f"{URL}{world.cat_env.pk}/", {"name": "x"}, format="json"
        )
    assert created.status_code == 405 and changed.status_code == 405
