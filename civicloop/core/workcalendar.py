"""The working calendar (DESIGN.md §7): which days are worked and how deadlines are counted.

Source of truth for one day, first match wins:

1. a `HolidayOverride` row (admin-editable; next year's State Council schedule is entered
   there in November/December, before the package knows it);
2. the `chinese-calendar` package, for the years it ships data for (1.11: 2004–2026; it
   raises NotImplementedError for any other year);
3. weekends off, Monday–Friday on ("fallback"; the UI warns via `fallback_years`).

Working time is reasoned about in local wall time (settings.TIME_ZONE, Asia/Shanghai);
aware datetimes go in and aware local datetimes come out. Working spans come from
settings.CIVICLOOP["WORKING_HOURS"] ("08:30-12:00,14:00-17:30").

Units (the values of civicloop.standards.models.DeadlineUnit):

- "working_hours": only time inside the working spans of workdays is counted. A deadline
  that consumes a span exactly ends at the span's end (e.g. 12:00, not 14:00).
- "working_days": the start day itself is never counted (次日起算, like 期间开始的当日不计入):
  the deadline is the end of the last working span of the N-th workday *after* the start
  date, whatever the time of day of the start or whether the start day is a workday.
  Dispatched Friday 10:00 (or Saturday) with 1 working day → Monday 17:30.
- "calendar_days": start + N × 24 h.

The override table is read once per process and cached; `clear_cache()` drops it and is
called by the post_save/post_delete receivers below (connected when CoreConfig.ready()
imports this module) and by tests. `bulk_create`/`QuerySet.update` send no signals: call
`clear_cache()` yourself after those.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

WORKING_HOURS = "working_hours"
WORKING_DAYS = "working_days"
CALENDAR_DAYS = "calendar_days"
UNITS = (WORKING_HOURS, WORKING_DAYS, CALENDAR_DAYS)

STATUS_PACKAGE = "package"
STATUS_TABLE = "table"
STATUS_FALLBACK = "fallback"

# A deadline further than this many days away is a configuration error, not a deadline;
# the bound also guarantees the day-stepping loops terminate.
_MAX_DAYS = 366 * 30

_lock = threading.Lock()
_overrides: dict[date, bool] | None = None
_generation = 0  # bumped by clear_cache() so a read racing an edit is not cached


# --- Sources of truth ------------------------------------------------------------------


def clear_cache() -> None:
    """Forget the cached HolidayOverride table (call after editing it)."""
    global _overrides, _generation
    with _lock:
        _overrides = None
        _generation += 1


def _override_table() -> dict[date, bool]:
    global _overrides
    table = _overrides
    if table is None:
        from civicloop.core.models import HolidayOverride  # app registry must be ready

        generation = _generation
        table = dict(HolidayOverride.objects.values_list("date", "is_workday"))
        with _lock:
            if generation == _generation:
                _overrides = table
    return table


@lru_cache(maxsize=256)
def package_knows_year(year: int) -> bool:
    """True when chinese-calendar ships the State Council schedule for `year`."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _as_date(d: date) -> date:
    if isinstance(d, datetime):
        return _localtime(d).date() if timezone.is_aware(d) else d.date()
    return d


def is_workday(d: date) -> bool:
    """Whether `d` is worked: override row, else chinese-calendar, else Mon–Fri."""
    d = _as_date(d)
    override = _override_table().get(d)
    if override is not None:
        return override
    if package_knows_year(d.year):
        return chinese_calendar.is_workday(d)
    return d.weekday() < 5


def year_status(year: int) -> str:
    """ "package", "table" (override rows but no package data) or "fallback" (weekends)."""
    if package_knows_year(year):
        return STATUS_PACKAGE
    if any(d.year == year for d in _override_table()):
        return STATUS_TABLE
    return STATUS_FALLBACK


def fallback_years(years: Iterable[int]) -> list[int]:
    """The years among `years` computed weekends-only, sorted, for a UI warning."""
    return sorted({y for y in years if year_status(y) == STATUS_FALLBACK})


def override_count(year: int) -> int:
    return sum(1 for d in _override_table() if d.year == year)


# --- Working spans ---------------------------------------------------------------------


@lru_cache(maxsize=8)
def _parse_spans(spec: str) -> tuple[tuple[time, time], ...]:
    spans: list[tuple[time, time]] = []
    try:
        for part in spec.split(","):
            begin, end = (time.fromisoformat(p.strip()) for p in part.split("-"))
            spans.append((begin, end))
    except ValueError as exc:
        raise ImproperlyConfigured(f"WORKING_HOURS must look like 08:30-12:00: {spec!r}") from exc
    spans.sort()
    for i, (begin, end) in enumerate(spans):
        if begin >= end or (i and spans[i - 1][1] > begin):
            raise ImproperlyConfigured(f"WORKING_HOURS spans empty or overlapping: {spec!r}")
    return tuple(spans)


def working_spans() -> tuple[tuple[time, time], ...]:
    """The configured working spans of a workday, sorted, as (start, end) local times."""
    return _parse_spans(settings.CIVICLOOP.get("WORKING_HOURS", "08:30-12:00,14:00-17:30"))


def _day_spans(d: date, tz) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.combine(d, b, tzinfo=tz), datetime.combine(d, e, tzinfo=tz))
        for b, e in working_spans()
    ]


def _to_local(value: datetime) -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise ValueError("working calendar needs timezone-aware datetimes")
    return _localtime(value)


def _localtime(value: datetime) -> datetime:
    # The default zone, not the request's activated one: deadlines follow the city's clock.
    return timezone.localtime(value, timezone.get_default_timezone())


# --- Arithmetic ------------------------------------------------------------------------


def add_working_time(start: datetime, amount: int, unit: str) -> datetime:
    """The deadline `amount` `unit`s after `start` (see the module docstring for rules)."""
    if unit not in UNITS:
        raise ValueError(f"unknown deadline unit {unit!r}; expected one of {UNITS}")
    if amount < 0:
        raise ValueError("deadline amount must not be negative")
    local = _to_local(start)
    if amount == 0:
        return local
    if unit == CALENDAR_DAYS:
        return local + timedelta(days=amount)
    if unit == WORKING_DAYS:
        if amount != int(amount):
            raise ValueError("working days must be a whole number")
        return _add_working_days(local, int(amount))
    return _add_working_hours(local, timedelta(hours=amount))


def _add_working_days(local: datetime, amount: int) -> datetime:
    d = local.date()
    remaining = amount
    for _ in range(_MAX_DAYS):
        d += timedelta(days=1)
        if is_workday(d):
            remaining -= 1
            if remaining == 0:
                return datetime.combine(d, working_spans()[-1][1], tzinfo=local.tzinfo)
    raise ValueError("deadline too far in the future")


def _add_working_hours(local: datetime, remaining: timedelta) -> datetime:
    # Step span by span (never minute by minute): each span consumes what it can.
    d = local.date()
    for _ in range(_MAX_DAYS):
        if is_workday(d):
            for begin, end in _day_spans(d, local.tzinfo):
                if end <= local:
                    continue
                begin = max(begin, local)
                available = end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        d += timedelta(days=1)
    raise ValueError("deadline too far in the future")


def working_time_between(start: datetime, end: datetime, unit: str = WORKING_HOURS) -> float:
    """Time elapsed from `start` to `end` in `unit`; negative when `end` < `start`.

    - "working_hours": hours inside working spans of workdays, so
      `working_time_between(s, add_working_time(s, n, "working_hours")) == n`.
    - "calendar_days": plain elapsed days (fractional).
    - "working_days": the working hours above divided by the length of one working day.
      This is *not* the inverse of adding working days (which skips the start day); for
      traffic lights use the share working_time_between(dispatched, now) /
      working_time_between(dispatched, due_at) with "working_hours" for any working unit.
    """
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; expected one of {UNITS}")
    a, b = _to_local(start), _to_local(end)
    if b < a:
        return -working_time_between(end, start, unit)
    if unit == CALENDAR_DAYS:
        return (b - a).total_seconds() / 86400
    hours = _working_seconds(a, b) / 3600
    if unit == WORKING_DAYS:
        return hours / (_day_seconds() / 3600)
    return hours


def _day_seconds() -> float:
    day = date(2000, 1, 3)  # any date: only the span lengths matter
    return sum((e - b).total_seconds() for b, e in _day_spans(day, None))


def _working_seconds(a: datetime, b: datetime) -> float:
    total = 0.0
    d = a.date()
    full_day = _day_seconds()
    while d <= b.date():
        if is_workday(d):
            if a.date() < d < b.date():
                total += full_day  # whole day inside the interval: no span clipping needed
            else:
                for begin, end in _day_spans(d, a.tzinfo):
                    lo, hi = max(begin, a), min(end, b)
                    if hi > lo:
                        total += (hi - lo).total_seconds()
        d += timedelta(days=1)
    return total


# --- Cache invalidation ----------------------------------------------------------------


@receiver(post_save, sender="core.HolidayOverride", dispatch_uid="workcalendar-save")
@receiver(post_delete, sender="core.HolidayOverride", dispatch_uid="workcalendar-delete")
def _holiday_changed(**kwargs) -> None:
    clear_cache()
