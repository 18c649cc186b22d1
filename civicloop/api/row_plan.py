"""A serializer's JSON from database rows, without model instances or DRF's per-field calls.

A 50-row ledger page built ~250 model instances (problem, category, area, point, unit)
only to read ~35 attributes back. A `RowPlan` maps each field of a flat, read-only
serializer to one column of a values_list row and keeps the field's own
`to_representation` where it changes the value (datetimes in the current time zone,
labels, decimals as strings); where it gives the database's value back unchanged (a str
for a char or choice field, an int, a bool) the value is used as it is. The JSON is the
same (civicloop/problems/tests/test_api_list.py checks it against DRF's own path).

Each row goes through one function generated for the plan (`RowPlan.maker`): a dict
display of the row's items with the conversions written out, and — for rows read straight
from the cursor — the database's own converters folded in (civicloop.core.prepared
.compile_values). The loops it replaces (convert the row into a list, pick the fields into
a second list, zip them into a dict) cost about as much again as the conversions, and made
~4 GC-tracked objects per row; a dict of strings and numbers is not tracked at all, so a
page no longer sets off the collector every other request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, tzinfo
from datetime import timezone as dt_timezone

from django.conf import settings
from django.utils import timezone, translation
from django.utils.encoding import force_str
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from civicloop.core.prepared import utc_datetime_from_text

Converters = tuple[tuple[int, Callable], ...]  # (column, one-argument function): compile_values


class RowPlan:
    """The plan of a flat read-only serializer (built once per process).

    `computed` fields are not columns but functions of other columns and the time of the
    request: {name: (input columns, factory(now) -> function(*inputs))}; the ledger's
    traffic light is one, so the page's statement holds no time and is compiled once
    (civicloop.problems.listing).
    """

    # Field types whose to_representation gives the database's value back unchanged
    # (str(a str), int(an int), a choice's own value, a bool, float(a float)).
    _UNCHANGED = (
        serializers.BooleanField,
        serializers.ChoiceField,
        serializers.CharField,
        serializers.IntegerField,
        serializers.FloatField,
    )

    def __init__(self, serializer: serializers.Serializer, computed: dict | None = None) -> None:
        self.serializer = serializer  # keeps the bound fields alive
        model = serializer.Meta.model
        computed = computed or {}
        columns: list[str] = []

        def column_index(column: str) -> int:
            if column not in columns:
                columns.append(column)
            return columns.index(column)

        # One entry per field, in the serializer's order:
        # (name, column or None, conversion or None, (computed factory, input columns) or None)
        fields: list[tuple] = []
        for field in serializer._readable_fields:
            name = field.field_name
            if name in computed:
                inputs, factory = computed[name]
                fields.append((name, None, None, (factory, tuple(map(column_index, inputs)))))
                continue
            column, convert = self._column(field, model)
            fields.append((name, column_index(column), convert, None))
        self.columns: tuple[str, ...] = tuple(columns)
        self.fields = tuple(fields)
        self._makers: dict[Converters, Callable] = {}
        self._lock = threading.Lock()

    @classmethod
    def _column(cls, field, model) -> tuple[str, object]:
        """(column, conversion); None when the value is used as the database gives it."""
        if isinstance(field, (serializers.SerializerMethodField, serializers.BaseSerializer)):
            raise TypeError(f"{field.field_name}: no column for a method or nested field")
        attrs = list(field.source_attrs)
        if isinstance(field, serializers.PrimaryKeyRelatedField) and len(attrs) == 1:
            return attrs[0], None  # values_list gives the raw foreign key, as DRF does
        last = attrs[-1]
        if last.startswith("get_") and last.endswith("_display") and len(attrs) == 1:
            name = last[4:-8]
            return name, _Display(field, dict(model._meta.get_field(name).flatchoices))
        column = "__".join(attrs)
        if isinstance(field, serializers.DateTimeField):
            return column, _IsoDateTime(field)
        if isinstance(field, cls._UNCHANGED):
            return column, None
        return column, field.to_representation

    def values(self, queryset):
        """The queryset as the plan's values_list tuples (no model instances)."""
        return queryset.values_list(*self.columns)

    def rows(self, rows: Sequence, *, now: datetime | None = None) -> list[dict]:
        """One dict per values_list row, fields in the serializer's order; `now` is the
        time the computed fields are evaluated at (default: now)."""
        return list(map(self.maker(now=now), rows))

    def maker(
        self, converters: Converters = (), *, now: datetime | None = None
    ) -> Callable[[Sequence], dict]:
        """row → the serializer's dict, for rows whose `converters` (the database's own,
        civicloop.core.prepared.compile_values) are still to be applied; bound to this
        request's time zone, language and time."""
        now = now or timezone.now()
        converters = tuple(converters)
        factory = self._makers.get(converters)
        if factory is None:
            with self._lock:
                factory = self._makers.setdefault(converters, self._generate(converters))
        # Per call, not per row: what depends on the request (time zone, language, time).
        zone = timezone.get_current_timezone() if settings.USE_TZ else None
        database = dict(converters)
        bound = []
        for _name, column, convert, computed in self.fields:
            if computed is not None:
                bound.append(computed[0](now))
            elif _fuses(convert, database.get(column)):
                bound.append(convert.bind_raw(database[column], zone))
            elif convert is not None:
                bound.append(convert.bind(zone) if hasattr(convert, "bind") else convert)
        return factory(*(function for _, function in converters), *bound)

    def _generate(self, converters: Converters) -> Callable:
        """The source of `make(row)` for these database converters, compiled once.

        The generated text holds only column numbers and the fields' names (as Python
        literals); every function it calls is an argument of the factory around it. A
        field whose conversion takes the database's value as it comes (`bind_raw`) reads
        the row itself; other converted or shared columns are read into locals first."""
        database = dict(converters)
        needed = set()
        for _name, column, convert, computed in self.fields:
            if computed is not None:
                needed.update(computed[1])
            elif _fuses(convert, database.get(column)):
                continue
            elif convert is not None or column in database:
                needed.add(column)

        body = []
        for column in sorted(needed):
            body.append(f"    c{column} = row[{column}]")
            if column in database:
                body.append(f"    if c{column} is not None: c{column} = d{column}(c{column})")
        items, arguments = [], []
        for position, (name, column, convert, computed) in enumerate(self.fields):
            if computed is not None:
                arguments.append(f"f{position}")
                inputs = ", ".join(f"c{c}" for c in computed[1])
                items.append(f"{name!r}: f{position}({inputs})")
            elif convert is not None:
                arguments.append(f"f{position}")
                raw = column not in needed or _fuses(convert, database.get(column))
                value = f"row[{column}]" if raw else f"c{column}"
                items.append(f"{name!r}: None if {value} is None else f{position}({value})")
            else:
                value = f"c{column}" if column in needed else f"row[{column}]"
                items.append(f"{name!r}: {value}")
        parameters = [f"d{column}" for column, _ in converters] + arguments
        source = "\n".join(
            [
                f"def factory({', '.join(parameters)}):",
                "  def make(row):",
                *body,
                "    return {" + ", ".join(items) + "}",
                "  return make",
            ]
        )
        namespace: dict = {}
        exec(compile(source, f"<row plan of {type(self.serializer).__name__}>", "exec"), namespace)  # noqa: S102 - generated from column numbers and field names only
        return namespace["factory"]


def _fuses(convert, database_converter) -> bool:
    """True when the field's conversion can take the database's value as it comes."""
    return database_converter is not None and getattr(convert, "fuses", lambda _: False)(
        database_converter
    )


class _IsoDateTime:
    """DateTimeField.to_representation with the time zone looked up once per page instead
    of once per value (enforce_timezone reads the current time zone from a thread-local:
    ~200 lookups on a 50-row page). Anything but an aware datetime in ISO 8601 output goes
    through the field itself."""

    def __init__(self, field: serializers.DateTimeField) -> None:
        self.field = field

    def _zone(self, current_zone):
        """The output time zone (the field's own, else the request's), or None when the
        output is not plain ISO 8601."""
        field = self.field
        output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
        if output_format is None or output_format.lower() != ISO_8601:
            return None
        return getattr(field, "timezone", current_zone)

    def bind(self, current_zone):
        tz = self._zone(current_zone)
        if tz is None:
            return self.field.to_representation
        fallback = self.field.to_representation

        def convert(value):
            if value.__class__ is not datetime or value.tzinfo is None:
                return fallback(value)
            try:
                text = value.astimezone(tz).isoformat()
            except OverflowError:
                return fallback(value)  # the field's own validation error
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        return convert

    @staticmethod
    def fuses(database_converter) -> bool:
        return database_converter is utc_datetime_from_text

    def bind_raw(self, database_converter, current_zone):
        """The conversion of a datetime read as naive UTC text (civicloop.core.prepared
        .UtcText, utc_datetime_from_text), straight to the field's ISO text: the local time as a
        naive datetime (its isoformat is twice as fast as an aware one's) plus the zone's
        offset, known per hour. Same text as `bind()` of the parsed value."""
        convert = self.bind(current_zone)
        tz = self._zone(current_zone)
        if tz is None:
            return lambda text: convert(database_converter(text))
        offsets = _hour_offsets(tz)

        def from_text(text):
            hour = text[:13]  # 'YYYY-MM-DD HH'
            known = offsets.get(hour)
            if known is None:
                known = offsets[hour] = _offset_in_hour(tz, hour)
            if known:
                local = datetime.fromisoformat(text)
                if local.tzinfo is None:
                    try:
                        return (local + known[0]).isoformat() + known[1]
                    except OverflowError:
                        pass  # the field's own error, below
            return convert(database_converter(text))

        return from_text


_OFFSETS: dict[tzinfo, dict[str, tuple[timedelta, str] | bool]] = {}


def _hour_offsets(tz: tzinfo) -> dict:
    """The zone's offsets by UTC hour ('2026-12-07 09'), filled as met; bounded."""
    offsets = _OFFSETS.setdefault(tz, {})
    if len(offsets) > 100_000:
        offsets.clear()
    return offsets


def _offset_in_hour(tz: tzinfo, hour: str) -> tuple[timedelta, str] | bool:
    """(offset, its ISO suffix) of the zone for all of that UTC hour; False when the
    offset changes within it (or the text is no hour): those values take the exact path.
    No zone changes its offset twice within one hour, so equal ends mean one offset."""
    try:
        start = datetime.fromisoformat(f"{hour}:00:00+00:00")
    except ValueError:
        return False
    first = start.astimezone(tz).utcoffset()
    last = (start + timedelta(hours=1, microseconds=-1)).astimezone(tz).utcoffset()
    if first is None or first != last:
        return False
    suffix = "Z" if not first else datetime(2000, 1, 1, tzinfo=dt_timezone(first)).isoformat()[19:]
    return first, suffix


class _Display:
    """get_FOO_display as a serializer field shows it: Model._get_FIELD_display (the
    label, or the value itself) through the field's to_representation. Labels are lazy
    translations: looked up once per language."""

    def __init__(self, field, labels: dict) -> None:
        self.field = field
        self.labels = labels
        self.shown_by_language: dict[str | None, dict] = {}

    def bind(self, _current_zone):
        to_repr = self.field.to_representation

        def show(value):
            return to_repr(force_str(self.labels.get(value, value), strings_only=True))

        language = translation.get_language()
        shown = self.shown_by_language.get(language)
        if shown is None:
            shown = {value: show(value) for value in self.labels}
            self.shown_by_language[language] = shown
        return lambda value: shown[value] if value in shown else show(value)
