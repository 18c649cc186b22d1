"""Calendar arithmetic for assessment periods (pure functions, no database)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from civicloop.scoring.models import PeriodKind


def bounds(kind: str, day: date) -> tuple[date, date]:
    """(first day, last day) of the week (Mon–Sun) / month / quarter / year containing day."""
    if kind == PeriodKind.WEEK:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if kind == PeriodKind.MONTH:
        start = day.replace(day=1)
        return start, _next_month(start) - timedelta(days=1)
    if kind == PeriodKind.QUARTER:
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first_month, 1)
        end = start
        for _ in range(3):
            end = _next_month(end)
        return start, end - timedelta(days=1)
    if kind == PeriodKind.YEAR:
        return date(day.year, 1, 1), date(day.year, 12, 31)
    raise ValueError(f"unknown period kind {kind!r}")


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def label(kind: str, start: date) -> str:
    if kind == PeriodKind.WEEK:
        year, week, _ = start.isocalendar()
        end = start + timedelta(days=6)
        return f"{year}年第{week}周（{start:%m.%d}—{end:%m.%d}）"
    if kind == PeriodKind.MONTH:
        return f"{start.year}年{start.month}月"
    if kind == PeriodKind.QUARTER:
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    return f"{start.year}年度"


def previous_start(kind: str, start: date) -> date:
    """First day of the period just before the one starting on `start`."""
    return bounds(kind, start - timedelta(days=1))[0]


def window(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, day after end 00:00) in the current time zone, aware."""
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )
