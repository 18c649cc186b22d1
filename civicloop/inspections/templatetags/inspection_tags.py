"""Template filters of the inspection pages: score rates as percentages and colours."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pct(rate, places: int = 1) -> str:
    """0.8765 → "87.7%"; None → "—"."""
    if rate is None or rate == "":
        return "—"
    return f"{float(rate) * 100:.{int(places)}f}%"


@register.filter
def delta_pct(delta) -> str:
    """A change of rate in percentage points with its sign: +2.5 / −1.0; None → "—"."""
    if delta is None:
        return "—"
    value = float(delta) * 100
    if abs(value) < 0.05:
        return "±0.0"
    return f"{value:+.1f}".replace("-", "−")


@register.filter
def rate_cls(rate, passed=None) -> str:
    from civicloop.inspections.views import rate_class

    return rate_class(None if rate is None else float(rate), passed)
