"""Problem categories page: two-level tree with deadline policies, read-only for staff."""

import pytest
from django.urls import reverse

from civicloop.standards.models import Category, CategoryKind, DeadlineUnit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


URL = reverse("standards:category_list")


def test_command_sees_groups_subcategories_and_deadlines(client, world):
    world.cat_litter.default_unit = world.cgj
    world.cat_litter.closing_condition = "垃圾清理干净，无残留"
    world.cat_litter.save()
    client.force_login(world.p.command)
    response = client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    for snippet in ("市容环境", "暴露垃圾", "4工作时", "市城管局", "垃圾清理干净，无残留", "事件"):
        assert snippet in body, snippet
    # The sub-category is listed under its group, not as a group of its own.
    groups = list(response.context["groups"])
    assert groups == [world.cat_env]
    assert list(groups[0].children.all()) == [world.cat_litter]


@pytest.mark.parametrize("persona", ["leader", "inspector", "handler_a", "outsider"])
def test_all_staff_can_read(client, world, persona):
    client.force_login(getattr(world.p, persona))
    assert "暴露垃圾" in client.get(URL).content.decode()


def test_citizen_and_anonymous_cannot_read(client, world):
    assert client.get(URL).status_code == 302
    client.force_login(world.p.citizen)
    assert client.get(URL).status_code == 403


def test_page_is_read_only(client, world):
    client.force_login(world.p.command)
    assert client.post(URL, {"name": "改名"}).status_code in (403, 405)
    world.cat_litter.refresh_from_db()
    assert world.cat_litter.name == "暴露垃圾"


def test_query_count_is_bounded(client, world, django_assert_max_num_queries):
    for g in range(10):
        group = Category.objects.create(
            code=f"G{g:02d}", name=f"大类{g}", kind=CategoryKind.COMPONENT
        )
        for c in range(10):
            Category.objects.create(
                code=f"G{g:02d}{c:02d}", name=f"小类{g}-{c}", parent=group, kind=CategoryKind.COMPONENT,
                deadline_amount=2, deadline_unit=DeadlineUnit.CALENDAR_DAYS, default_unit=world.unit_a,
            )  # fmt: skip
    client.force_login(world.p.command)
    with django_assert_max_num_queries(8):
        response = client.get(URL)
    body = response.content.decode()
    assert "小类9-9" in body and "2自然日" in body
