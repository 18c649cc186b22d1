"""Excel exports of the registry: the same sheets as the import templates, so an export can
be edited and imported again unchanged. Rows are streamed (openpyxl write_only, querysets
iterated in chunks) and filtered by the exporter's scope through the orgs selectors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

from civicloop.core import geo
from civicloop.core.xlsx import MAX_CELL_CHARS, write_workbook
from civicloop.orgs import selectors
from civicloop.orgs.imports import get_kind
from civicloop.orgs.models import Area, Point, PointType, Unit

CHUNK = 2000


def _areas(user) -> Iterator[dict]:
    qs = selectors.area_list(user=user) if user is not None else Area.objects.all()
    for area in qs.select_related("parent").order_by("path").iterator(chunk_size=CHUNK):
        boundary = None
        if area.boundary:
            text = json.dumps(area.boundary, ensure_ascii=False, separators=(",", ":"))
            # Too long for one Excel cell: leave it blank, which the import reads as
            # "keep the current boundary", so the round trip still changes nothing.
            boundary = text if len(text) <= MAX_CELL_CHARS else None
        yield {
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "parent": area.parent.code if area.parent_id else None,
            "sort_order": area.sort_order,
            "boundary": boundary,
        }


def _units(user) -> Iterator[dict]:
    qs = selectors.unit_list(user=user) if user is not None else Unit.objects.all()
    qs = qs.select_related("area", "parent").order_by("path")
    for unit in qs.iterator(chunk_size=CHUNK):
        yield {
            "code": unit.code,
            "name": unit.name,
            "short_name": unit.short_name,
            "kind": unit.kind,
            "parent": unit.parent.code if unit.parent_id else None,
            "area": unit.area.code,
            "contact_person": unit.contact_person,
            "contact_phone": unit.contact_phone,
            "submission_needs_leader_approval": unit.submission_needs_leader_approval,
            "is_active": unit.is_active,
            "sort_order": unit.sort_order,
        }


def _point_types(user) -> Iterator[dict]:
    qs = selectors.point_type_list(user=user) if user is not None else PointType.objects.all()
    for pt in qs.select_related("lead_unit").order_by("sort_order", "code"):
        yield {
            "code": pt.code,
            "name": pt.name,
            "group": pt.group,
            "lead_unit": pt.lead_unit.code if pt.lead_unit_id else None,
            "description": pt.description,
            "sort_order": pt.sort_order,
            "is_active": pt.is_active,
        }


def _points(user) -> Iterator[dict]:
    qs = selectors.point_list(user=user) if user is not None else Point.objects.all()
    qs = qs.select_related("point_type", "area", "responsible_unit").order_by("code")
    for point in qs.iterator(chunk_size=CHUNK):
        has_location = point.lng is not None and point.lat is not None
        yield {
            "code": point.code,
            "name": point.name,
            "point_type": point.point_type.code,
            "area": point.area.code,
            "responsible_unit": point.responsible_unit.code,
            "address": point.address,
            "lng": point.lng,
            "lat": point.lat,
            "coord_system": geo.WGS84 if has_location else None,
            "person_in_charge": point.person_in_charge,
            "person_phone": point.person_phone,
            "is_active": point.is_active,
        }


def _users(user) -> Iterator[dict]:
    from civicloop.accounts.imports import user_export_rows

    return user_export_rows(user)


_ROWS = {
    "areas": _areas,
    "units": _units,
    "point_types": _point_types,
    "points": _points,
    "users": _users,
}


def export_rows(kind: str, *, user=None) -> Iterator[dict]:
    """Rows of a registry as dicts keyed like the sheet's columns. `user=None`: everything."""
    return _ROWS[get_kind(kind).key](user)


def export_registry(kind: str, out: str | IO[bytes], *, user=None) -> int:
    """Write the registry `kind` to `out` as .xlsx; return the number of data rows."""
    spec = get_kind(kind).spec
    return write_workbook(out, spec, export_rows(kind, user=user))


def write_template(kind: str, out: str | IO[bytes]) -> None:
    write_workbook(out, get_kind(kind).spec, ())
