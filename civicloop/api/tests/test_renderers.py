"""FastJSONRenderer writes the bytes DRF's JSONRenderer writes."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from civicloop.api.renderers import FastJSONRenderer

SAMPLES = [
    {"count": 3, "next": None, "results": [{"a": 1, "b": "中文", "c": True, "d": None}]},
    {"utc": datetime.datetime(2026, 12, 7, 3, 4, 5, 678901, tzinfo=datetime.UTC)},
    {"local": datetime.datetime(2026, 12, 7, 11, 4, 5, tzinfo=ZoneInfo("Asia/Shanghai"))},
    {"naive": datetime.datetime(2026, 12, 7, 11, 4, 5), "day": datetime.date(2026, 12, 7)},
    {"time": datetime.time(8, 30), "span": datetime.timedelta(hours=1, seconds=1)},
    {"money": decimal.Decimal("117.123456"), "id": uuid.UUID(int=7), "f": 0.1, "g": 36.25},
    {"lazy": gettext_lazy("问题台账"), 1: "int key", "nested": [(1, 2), {"x": []}]},
    {"separators": "line\u2028para\u2029end", "quote": '"\\</script>'},
    ReturnDict({"ordered": ReturnList([1, 2], serializer=None)}, serializer=None),
    [],
    "plain",
]


@pytest.mark.parametrize("data", SAMPLES)
def test_same_bytes_as_drf(data):
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_exponents_are_the_same_number():
    data = {"e": 1e-7, "big": 1.5e300}
    fast = FastJSONRenderer().render(data)
    assert json.loads(fast) == json.loads(JSONRenderer().render(data)) == data


def test_nothing_renders_empty():
    assert FastJSONRenderer().render(None) == b""


def test_indent_is_drfs_pretty_print():
    data = {"a": [1, {"b": "中"}]}
    out = FastJSONRenderer().render(data, "application/json; indent=2")
    assert out == JSONRenderer().render(data, "application/json; indent=2")
    assert b'\n  "a"' in out


def test_api_responses_use_it(client):
    from django.conf import settings

    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"][0].endswith("FastJSONRenderer")
