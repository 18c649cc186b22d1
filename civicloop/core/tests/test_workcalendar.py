"""The working calendar: sources of truth, deadline arithmetic, properties, the command."""

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from civicloop.core import workcalendar as wc
from civicloop.core.models import HolidayOverride
from civicloop.standards.models import DeadlineUnit

TZ = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Test transactions roll back without post_delete signals: never leak a cached table.
    wc.clear_cache()
    yield
    wc.clear_cache()


def _holidays_2027():
    # Entered by hand as an admin would (not the real 2027 schedule; any rows will do).
    HolidayOverride.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    HolidayOverride.objects.create(date=date(2027, 1, 4), is_workday=False, name="元旦")
    HolidayOverride.objects.create(date=date(2027, 1, 9), is_workday=True, name="元旦调休")


# --- Which days are worked -------------------------------------------------------------


def test_unit_values_match_deadline_unit_choices():
    assert set(wc.UNITS) == set(DeadlineUnit.values)


def test_national_day_2026_from_package():
    # chinese_calendar 1.11 data: National Day 2026-10-01..07 off, adjusted workdays
    # Sunday 2026-09-20 and Saturday 2026-10-10; Mid-autumn 09-25..27 off.
    for day in range(1, 8):
        assert not wc.is_workday(date(2026, 10, day)), day
    assert wc.is_workday(date(2026, 10, 8))  # Thursday, back to work
    assert wc.is_workday(date(2026, 9, 20))  # Sunday 调休
    assert wc.is_workday(date(2026, 10, 10))  # Saturday 调休
    assert not wc.is_workday(date(2026, 9, 25))  # Friday, Mid-autumn
    assert not wc.is_workday(date(2026, 10, 11))  # ordinary Sunday


def test_unknown_year_falls_back_to_weekends():
    assert wc.is_workday(date(2027, 1, 1))  # Friday: package has no 2027 data
    assert not wc.is_workday(date(2027, 1, 2))  # Saturday
    assert wc.year_status(2027) == "fallback"


def test_override_beats_package_and_fallback():
    HolidayOverride.objects.create(date=date(2026, 10, 8), is_workday=False, name="加休")
    HolidayOverride.objects.create(date=date(2026, 10, 3), is_workday=True, name="值班")
    _holidays_2027()
    assert not wc.is_workday(date(2026, 10, 8))
    assert wc.is_workday(date(2026, 10, 3))
    assert not wc.is_workday(date(2027, 1, 1))
    assert wc.is_workday(date(2027, 1, 9))  # Saturday made a workday


def test_cache_is_read_once_and_cleared_by_signals(django_assert_num_queries):
    with django_assert_num_queries(1):
        for day in range(1, 31):
            wc.is_workday(date(2027, 3, day))
    assert wc.is_workday(date(2027, 3, 1))
    row = HolidayOverride.objects.create(date=date(2027, 3, 1), is_workday=False)
    assert not wc.is_workday(date(2027, 3, 1))  # post_save cleared the cache
    row.delete()
    assert wc.is_workday(date(2027, 3, 1))  # post_delete too


def test_is_workday_accepts_aware_datetime_in_local_time():
    # 2026-10-07 17:00 UTC is 2026-10-08 01:00 in Shanghai: a workday.
    assert wc.is_workday(datetime(2026, 10, 7, 17, 0, tzinfo=ZoneInfo("UTC")))


def test_year_status_and_fallback_years():
    assert wc.year_status(2026) == "package"
    assert wc.year_status(2004) == "package"
    assert wc.year_status(2003) == "fallback"
    assert wc.year_status(2027) == "fallback"
    _holidays_2027()
    assert wc.year_status(2027) == "table"
    assert wc.year_status(2028) == "fallback"
    assert wc.fallback_years([2028, 2026, 2027, 2028]) == [2028]


# --- Working days ----------------------------------------------------------------------


def test_working_days_count_from_next_workday():
    # Friday 10:00, 1 working day → Monday end of day; Saturday likewise.
    assert wc.add_working_time(at(2026, 3, 6, 10), 1, "working_days") == at(2026, 3, 9, 17, 30)
    assert wc.add_working_time(at(2026, 3, 7, 10), 1, "working_days") == at(2026, 3, 9, 17, 30)
    # Monday evening, 3 working days → Thursday.
    assert wc.add_working_time(at(2026, 3, 9, 20), 3, "working_days") == at(2026, 3, 12, 17, 30)


def test_working_days_across_national_day_2026():
    # Wed 09-30 + 1 → Thu 10-08; + 3 → Sat 10-10 (调休 workday counts).
    start = at(2026, 9, 30, 9)
    assert wc.add_working_time(start, 1, "working_days") == at(2026, 10, 8, 17, 30)
    assert wc.add_working_time(start, 2, "working_days") == at(2026, 10, 9, 17, 30)
    assert wc.add_working_time(start, 3, "working_days") == at(2026, 10, 10, 17, 30)
    # Mid-autumn + Sunday 09-20 counts: Sat 09-19 + 1 → Sun 09-20.
    assert wc.add_working_time(at(2026, 9, 19, 9), 1, "working_days") == at(2026, 9, 20, 17, 30)


def test_working_days_into_2027_fallback_then_table():
    start = at(2026, 12, 30, 10)  # Wednesday
    # Fallback: Thu 12-31, Fri 01-01, Mon 01-04, Tue 01-05, Wed 01-06.
    assert wc.add_working_time(start, 5, "working_days") == at(2027, 1, 6, 17, 30)
    _holidays_2027()
    # Table: Thu 12-31, Tue 01-05, Wed 01-06, Thu 01-07, Fri 01-08.
    assert wc.add_working_time(start, 5, "working_days") == at(2027, 1, 8, 17, 30)
    assert wc.add_working_time(start, 6, "working_days") == at(2027, 1, 9, 17, 30)


def test_working_days_end_at_configured_end_of_day(settings):
    settings.CIVICLOOP = {**settings.CIVICLOOP, "WORKING_HOURS": "09:00-12:00,13:30-18:00"}
    assert wc.add_working_time(at(2026, 3, 9, 10), 1, "working_days") == at(2026, 3, 10, 18)


def test_many_working_days_are_fast():
    import time

    begin = time.perf_counter()
    result = wc.add_working_time(at(2026, 1, 5, 9), 200, "working_days")
    assert time.perf_counter() - begin < 0.5
    assert wc.is_workday(result.date())
    assert result.year == 2026 and result.time() == at(2026, 1, 1, 17, 30).time()


# --- Working hours ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2026, 3, 9, 9), 2, at(2026, 3, 9, 11)),  # inside the morning
        (at(2026, 3, 9, 11), 2, at(2026, 3, 9, 15)),  # across lunch
        (at(2026, 3, 9, 8, 30), 7, at(2026, 3, 9, 17, 30)),  # a whole day, ends at 17:30
        (at(2026, 3, 9, 8, 30), 3.5, at(2026, 3, 9, 12)),  # span consumed exactly
        (at(2026, 3, 9, 12, 30), 1, at(2026, 3, 9, 15)),  # dispatched at lunch
        (at(2026, 3, 9, 6), 1, at(2026, 3, 9, 9, 30)),  # before work
        (at(2026, 3, 9, 16, 30), 2, at(2026, 3, 10, 9, 30)),  # across the evening
        (at(2026, 3, 9, 21), 1, at(2026, 3, 10, 9, 30)),  # dispatched at night
        (at(2026, 3, 13, 17), 1, at(2026, 3, 16, 9)),  # Friday → Monday
        (at(2026, 3, 14, 10), 1, at(2026, 3, 16, 9, 30)),  # Saturday
        (at(2026, 9, 30, 17), 1, at(2026, 10, 8, 9)),  # over National Day
        (at(2026, 3, 9, 9, 0, 30), 1, at(2026, 3, 9, 10, 0, 30)),  # seconds kept
    ],
)
def test_add_working_hours(start, hours, expected):
    assert wc.add_working_time(start, hours, "working_hours") == expected


def test_calendar_days_and_zero_and_errors():
    start = at(2026, 9, 30, 10)
    assert wc.add_working_time(start, 3, "calendar_days") == at(2026, 10, 3, 10)
    for unit in wc.UNITS:
        assert wc.add_working_time(start, 0, unit) == start
    with pytest.raises(ValueError):
        wc.add_working_time(start, -1, "working_hours")
    with pytest.raises(ValueError):
        wc.add_working_time(start, 1, "fortnights")
    with pytest.raises(ValueError):
        wc.add_working_time(datetime(2026, 3, 9, 9), 1, "working_hours")  # naive
    with pytest.raises(ValueError):
        wc.add_working_time(start, 1.5, "working_days")


def test_result_is_local_time_for_utc_input():
    # 01:00 UTC = 09:00 Shanghai.
    result = wc.add_working_time(
        datetime(2026, 3, 9, 1, tzinfo=ZoneInfo("UTC")), 1, "working_hours"
    )
    assert result == at(2026, 3, 9, 10)
    assert result.utcoffset() == timedelta(hours=8)


def test_working_time_between_examples():
    assert wc.working_time_between(at(2026, 3, 9, 11), at(2026, 3, 9, 15)) == 2
    assert wc.working_time_between(at(2026, 3, 13, 17), at(2026, 3, 16, 9)) == 1
    # A whole week Monday 00:00 → next Monday 00:00: five days × 7 h.
    assert wc.working_time_between(at(2026, 3, 9), at(2026, 3, 16)) == 35
    assert wc.working_time_between(at(2026, 10, 1), at(2026, 10, 8)) == 0  # holiday week
    assert wc.working_time_between(at(2026, 3, 9, 15), at(2026, 3, 9, 11)) == -2
    assert wc.working_time_between(at(2026, 3, 9), at(2026, 3, 10, 12), "calendar_days") == 1.5
    assert wc.working_time_between(at(2026, 3, 9), at(2026, 3, 16), "working_days") == 5


# --- Properties ------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2025, 11, 1), max_value=datetime(2027, 2, 28), timezones=st.just(TZ)
)


@hsettings(max_examples=150, deadline=None)
@given(start=starts, amount=st.integers(min_value=1, max_value=40))
def test_working_days_land_on_workday_end_after_start(start, amount):
    result = wc.add_working_time(start, amount, "working_days")
    assert result > start
    assert wc.is_workday(result.date())
    assert result.time() == wc.working_spans()[-1][1]


@hsettings(max_examples=100, deadline=None)
@given(start=starts, amount=st.integers(min_value=0, max_value=30), unit=st.sampled_from(wc.UNITS))
def test_monotonic_in_amount(start, amount, unit):
    first = wc.add_working_time(start, amount, unit)
    second = wc.add_working_time(start, amount + 1, unit)
    assert start <= first < second


@hsettings(max_examples=150, deadline=None)
@given(start=starts, hours=st.integers(min_value=0, max_value=120))
def test_working_hours_round_trip(start, hours):
    result = wc.add_working_time(start, hours, "working_hours")
    assert result >= start
    assert wc.working_time_between(start, result) == pytest.approx(hours, abs=1e-9)
    if hours:
        # The deadline lies inside (or at the end of) a working span of a workday.
        local = result.timetz().replace(tzinfo=None)
        assert wc.is_workday(result.date())
        assert any(b < local <= e for b, e in wc.working_spans())


@hsettings(max_examples=100, deadline=None)
@given(a=starts, b=starts, c=starts)
def test_working_time_between_is_additive(a, b, c):
    a, b, c = sorted([a, b, c])
    total = wc.working_time_between(a, c)
    assert total == pytest.approx(wc.working_time_between(a, b) + wc.working_time_between(b, c))
    assert total >= 0


# --- Management command ----------------------------------------------------------------


def test_calendar_status_command():
    out = StringIO()
    call_command("calendar_status", "--years", "2026", "2027", stdout=out)
    text = out.getvalue()
    assert "2026 年：使用内置的国务院节假日安排" in text
    assert "2027 年：无法定节假日数据，按周末双休计算，请在后台录入节假日" in text
    _holidays_2027()
    out = StringIO()
    call_command("calendar_status", "--years", "2027", stdout=out)
    assert "2027 年：使用后台录入的节假日调整（3 条）" in out.getvalue()
