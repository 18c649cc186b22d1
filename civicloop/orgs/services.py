"""Every write to the registry. One function per write, each with an audit row.

Services check permission (command role within its jurisdiction), validate, write in one
transaction and record an AuditEvent.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from civicloop.core import audit, geo, trees
from civicloop.core.errors import NotPermitted, ValidationFailed
from civicloop.orgs.models import Area, AreaResponsibility, Point, PointType, Unit
from civicloop.orgs.permissions import can_edit_citywide, can_edit_in_area, can_edit_registry


def _require_command(user, area: Area | None = None) -> None:
    if not can_edit_registry(user):
        raise NotPermitted("只有创文办（指挥中心）可以维护基础数据")
    if area is not None and not can_edit_in_area(user, area):
        raise NotPermitted("该区域不在您的管辖范围内")


def _require_citywide(user) -> None:
    _require_command(user)
    if not can_edit_citywide(user):
        raise NotPermitted("全市统一的基础数据只能由市级创文办维护")


def _require_parent_area(user, parent: Area | None) -> None:
    """A root area (no parent) is a new city: only the system administrator creates one."""
    if parent is None:
        if not getattr(user, "is_superuser", False):
            raise NotPermitted("只有系统管理员可以创建顶级区域")
    else:
        _require_command(user, parent)


def _full_clean(obj, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ValidationFailed(details=exc.message_dict) from exc


def _apply(obj, data: dict[str, Any]) -> list[str]:
    changed = []
    for key, value in data.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed.append(key)
    return changed


# --- Areas ----------------------------------------------------------------------------


def _set_boundary(area: Area, boundary: dict | None) -> None:
    area.boundary = geo.normalise_geometry(boundary) if boundary else None
    bbox = geo.geometry_bbox(area.boundary) if area.boundary else (None, None, None, None)
    area.min_lng, area.min_lat, area.max_lng, area.max_lat = bbox


@transaction.atomic
def area_create(
    *,
    user,
    name: str,
    code: str,
    level: str,
    parent: Area | None = None,
    boundary: dict | None = None,
    sort_order: int = 0,
) -> Area:
    _require_command(user)
    _require_parent_area(user, parent)
    area = Area(name=name, code=code, level=level, parent=parent, sort_order=sort_order)
    _set_boundary(area, boundary)
    _full_clean(area, exclude=["path"])
    area.save()
    trees.assign_path(area)
    audit.record(user, "area.create", area)
    return area


@transaction.atomic
def area_update(*, user, area: Area, **data: Any) -> Area:
    _require_command(user, area)
    new_parent = data.pop("parent", area.parent)
    if "boundary" in data:
        _set_boundary(area, data.pop("boundary"))
    changed = _apply(area, data)
    _full_clean(area, exclude=["path", "parent"])
    area.save()
    if (new_parent.pk if new_parent else None) != area.parent_id:
        _require_parent_area(user, new_parent)
        trees.move(area, new_parent)
        changed.append("parent")
    audit.record(user, "area.update", area, data={"changed": changed})
    return area


# --- Units ----------------------------------------------------------------------------


@transaction.atomic
def unit_create(
    *, user, name: str, code: str, kind: str, area: Area, parent: Unit | None = None, **extra: Any
) -> Unit:
    _require_command(user, area)
    if parent is not None:
        _require_command(user, parent.area)
    unit = Unit(name=name, code=code, kind=kind, area=area, parent=parent, **extra)
    _full_clean(unit, exclude=["path"])
    unit.save()
    trees.assign_path(unit)
    audit.record(user, "unit.create", unit)
    return unit


@transaction.atomic
def unit_update(*, user, unit: Unit, **data: Any) -> Unit:
    _require_command(user, unit.area)
    new_parent = data.pop("parent", unit.parent)
    if "area" in data and data["area"] != unit.area:
        _require_command(user, data["area"])
    if new_parent is not None and new_parent.pk != unit.parent_id:
        _require_command(user, new_parent.area)
    changed = _apply(unit, data)
    _full_clean(unit, exclude=["path", "parent"])
    unit.save()
    if (new_parent.pk if new_parent else None) != unit.parent_id:
        trees.move(unit, new_parent)
        changed.append("parent")
    audit.record(user, "unit.update", unit, data={"changed": changed})
    return unit


# --- Responsibilities -----------------------------------------------------------------


@transaction.atomic
def responsibility_add(
    *,
    user,
    area: Area,
    kind: str,
    unit: Unit | None = None,
    leader=None,
    person_name: str = "",
    title: str = "",
) -> AreaResponsibility:
    _require_command(user, area)
    resp = AreaResponsibility(
        area=area, kind=kind, unit=unit, user=leader, person_name=person_name, title=title
    )
    _full_clean(resp)
    resp.save()
    audit.record(user, "area.responsibility_add", area, data={"responsibility": resp.pk})
    return resp


@transaction.atomic
def responsibility_remove(*, user, responsibility: AreaResponsibility) -> None:
    _require_command(user, responsibility.area)
    audit.record(
        user,
        "area.responsibility_remove",
        responsibility.area,
        data={"responsibility": responsibility.pk, "text": str(responsibility)},
    )
    responsibility.delete()


# --- Point types ----------------------------------------------------------------------


@transaction.atomic
def point_type_create(*, user, code: str, name: str, **extra: Any) -> PointType:
    _require_citywide(user)
    pt = PointType(code=code, name=name, **extra)
    _full_clean(pt)
    pt.save()
    audit.record(user, "point_type.create", pt)
    return pt


@transaction.atomic
def point_type_update(*, user, point_type: PointType, **data: Any) -> PointType:
    _require_citywide(user)
    changed = _apply(point_type, data)
    _full_clean(point_type)
    point_type.save()
    audit.record(user, "point_type.update", point_type, data={"changed": changed})
    return point_type


# --- Points ---------------------------------------------------------------------------


def _convert_location(data: dict[str, Any]) -> None:
    """Accept lng/lat in any of the Chinese systems and store WGS-84 (`coord_system`)."""
    system = data.pop("coord_system", geo.WGS84)
    if data.get("lng") is not None and data.get("lat") is not None:
        data["lng"], data["lat"] = geo.to_wgs84(data["lng"], data["lat"], system)


@transaction.atomic
def point_create(
    *,
    user,
    code: str,
    name: str,
    point_type: PointType,
    area: Area,
    responsible_unit: Unit,
    **extra: Any,
) -> Point:
    _require_command(user, area)
    _convert_location(extra)
    point = Point(
        code=code,
        name=name,
        point_type=point_type,
        area=area,
        responsible_unit=responsible_unit,
        **extra,
    )
    _full_clean(point)
    point.save()
    audit.record(user, "point.create", point)
    return point


@transaction.atomic
def point_update(*, user, point: Point, **data: Any) -> Point:
    _require_command(user, point.area)
    _convert_location(data)
    if "area" in data:
        _require_command(user, data["area"])
    changed = _apply(point, data)
    _full_clean(point)
    point.save()
    audit.record(user, "point.update", point, data={"changed": changed})
    return point
