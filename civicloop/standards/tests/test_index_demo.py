"""The demo step: a realistic index system and check items for every demo point type."""

import time

import pytest

from civicloop.demo import data
from civicloop.demo.builder import build_city, discover_steps, reset_demo
from civicloop.demo.standards_step import DEMO_SYSTEM_CODE, build_standards
from civicloop.standards.models import CheckItem, IndexSystem, Indicator

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def city():
    city = build_city("tiny", 1)
    started = time.perf_counter()
    build_standards(city)
    city.standards_seconds = time.perf_counter() - started
    return city


def test_demo_index_system_structure(city):
    system = IndexSystem.objects.get(code=DEMO_SYSTEM_CODE)
    assert system.status == "active"
    levels = {
        lvl: Indicator.objects.filter(system=system, level=lvl).count()
        for lvl in ("item", "indicator", "content", "standard")
    }
    assert levels["item"] >= 6
    assert levels["content"] >= 24
    assert levels["standard"] > 100
    names = set(
        Indicator.objects.filter(system=system, level="item").values_list("text", flat=True)
    )
    assert {"公共文明", "城市环境", "公共服务", "未成年人思想道德建设"} <= names
    standards = Indicator.objects.filter(system=system, level="standard")
    assert not standards.filter(lead_unit__isnull=True).exists()
    assert not standards.filter(methods=[]).exists()
    assert standards.filter(is_negative=True).count() >= 3
    assert standards.filter(search_tokens__contains=" 公益广告 ").exists()
    # Skipped 指标 level: contents directly under 未成年人思想道德建设.
    minors = Indicator.objects.get(system=system, level="item", text="未成年人思想道德建设")
    assert {c.level for c in minors.children.all()} == {"content"}


def test_the_step_is_idempotent(city):
    build_standards(city)
    assert IndexSystem.objects.filter(code=DEMO_SYSTEM_CODE).count() == 1


def test_every_point_type_has_check_items(city):
    for spec in data.POINT_TYPES:
        items = CheckItem.objects.filter(point_type__code=spec.code)
        assert 5 <= items.count() <= 15, spec.code
        assert not items.filter(category__isnull=True).exists()
        assert not items.filter(category__parent__isnull=True).exists()
    assert CheckItem.objects.filter(is_critical=True).count() >= 40
    linked = CheckItem.objects.filter(indicator__system__code=DEMO_SYSTEM_CODE).count()
    assert linked == CheckItem.objects.count()
    first = CheckItem.objects.get(code="PT01-01")
    assert first.text.startswith("公示服务承诺")


def test_reset_removes_the_demo_system(city):
    discover_steps()  # registers the reset hooks, as demo_city does when it runs the steps
    reset_demo()
    assert not IndexSystem.objects.filter(code=DEMO_SYSTEM_CODE).exists()
    assert not CheckItem.objects.exists()
