"""The row plan's conversions give DRF's own output (civicloop.api.row_plan)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from civicloop.api.row_plan import RowPlan, _IsoDateTime
from civicloop.core.prepared import utc_datetime_from_text

# Around the spring and autumn changes of zones with whole-hour, half-hour and no
# daylight saving time, and at the edges of an hour.
ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Adelaide", "UTC"]
STARTS = [
    datetime(2026, 3, 29, 0, 0),  # Berlin: 01:00 UTC
    datetime(2026, 3, 8, 6, 0),  # New York: 07:00 UTC
    datetime(2026, 4, 4, 15, 0),  # Adelaide: 16:30 UTC
    datetime(2026, 10, 3, 15, 0),  # Adelaide: 16:30 UTC
    datetime(2026, 10, 25, 0, 0),  # Berlin
    datetime(2026, 12, 31, 22, 0),  # a year's end
]


def _stored_texts():
    """Django's SQLite text of UTC datetimes, every 7½ minutes over three hours around
    each change, with and without microseconds."""
    for start in STARTS:
        for step in range(24):
            value = start + timedelta(minutes=7.5 * step)
            yield str(value)
            yield str(value + timedelta(microseconds=1))
            yield str(value + timedelta(minutes=7, seconds=29, microseconds=999_999))


@pytest.mark.parametrize("zone", ZONES)
def test_stored_text_to_iso_is_the_fields_own_output(zone):
    field = serializers.DateTimeField()
    plan = _IsoDateTime(field)
    assert plan.fuses(utc_datetime_from_text)
    with timezone.override(zone):
        from_text = plan.bind_raw(utc_datetime_from_text, timezone.get_current_timezone())
        for text in _stored_texts():
            expected = field.to_representation(utc_datetime_from_text(text))
            assert from_text(text) == expected, text
            assert from_text(text) == expected, text  # the hour's offset known by now


def test_texts_not_in_djangos_format_take_the_exact_path():
    field = serializers.DateTimeField()
    with timezone.override("Asia/Shanghai"):
        from_text = _IsoDateTime(field).bind_raw(
            utc_datetime_from_text, timezone.get_current_timezone()
        )
        assert from_text("2026-12-07 17:30:00+08:00") == "2026-12-07T17:30:00+08:00"
        assert from_text("2026-12-07T09:30") == "2026-12-07T17:30:00+08:00"
        with pytest.raises(ValueError):
            from_text("soon")


class _Stamps(serializers.Serializer):
    made = serializers.DateTimeField()
    due = serializers.DateTimeField()
    late = serializers.BooleanField()

    class Meta:
        model = None  # no display fields to look up


def test_a_generated_row_uses_the_database_converters():
    """`due` is both shown and an input of a computed field: the computed field gets the
    converted value, the shown one the same text as DRF's."""

    def late_at(now):
        return lambda due: due < now

    plan = RowPlan(_Stamps(), computed={"late": (("due",), late_at)})
    assert plan.columns == ("made", "due")
    now = datetime(2026, 12, 7, 10, tzinfo=UTC)
    converters = ((0, utc_datetime_from_text), (1, utc_datetime_from_text))
    with timezone.override("Asia/Shanghai"):
        make = plan.maker(converters, now=now)
        assert make(("2026-12-07 09:30:00", "2026-12-07 10:30:00.5")) == {
            "made": "2026-12-07T17:30:00+08:00",
            "due": "2026-12-07T18:30:00.500000+08:00",
            "late": False,
        }
        assert make((None, "2026-12-07 09:00:00")) == {
            "made": None,
            "due": "2026-12-07T17:00:00+08:00",
            "late": True,
        }
        # Rows already converted (values_list): the same dicts.
        rows = [(utc_datetime_from_text("2026-12-07 09:30:00"), now)]
        assert plan.rows(rows, now=now) == [
            {"made": "2026-12-07T17:30:00+08:00", "due": "2026-12-07T18:00:00+08:00", "late": False}
        ]
