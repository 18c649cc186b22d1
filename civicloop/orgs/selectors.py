"""Every read of the registry, scoped to a user.

Rules (DESIGN.md §1): area roles see their area subtree (areas, the units based there,
the points there); unit roles see their unit subtree, the points those units are
responsible for or lead (行业牵头), and the areas of their home territory. Point types are
reference data every staff user reads. Anything outside scope is simply absent → 404.
"""

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from civicloop.accounts.scope import NOTHING, scope_of
from civicloop.orgs.models import Area, AreaResponsibility, Point, PointType, Unit


def _area_filter(user) -> Q:
    scope = scope_of(user)
    if scope.is_superuser:
        return Q()
    q = scope.area_q()
    for path in scope.unit_area_paths:
        q |= Q(path__startswith=path)
    return q


def area_list(*, user) -> QuerySet[Area]:
    return Area.objects.filter(_area_filter(user))


def area_get(*, user, pk) -> Area:
    return get_object_or_404(area_list(user=user), pk=pk)


def unit_list(*, user) -> QuerySet[Unit]:
    scope = scope_of(user)
    if scope.is_superuser:
        return Unit.objects.select_related("area", "parent")
    q = scope.area_q(prefix="area__") | scope.unit_q()
    return Unit.objects.filter(q).select_related("area", "parent")


def unit_get(*, user, pk) -> Unit:
    return get_object_or_404(unit_list(user=user), pk=pk)


def point_type_list(*, user) -> QuerySet[PointType]:
    if not scope_of(user).is_staff_user:
        return PointType.objects.none()
    return PointType.objects.select_related("lead_unit").annotate(point_count=Count("points"))


def point_type_get(*, user, pk) -> PointType:
    return get_object_or_404(point_type_list(user=user), pk=pk)


def point_list(*, user) -> QuerySet[Point]:
    scope = scope_of(user)
    base = Point.objects.select_related("point_type", "area", "responsible_unit")
    if scope.is_superuser:
        return base
    q = (
        scope.area_q(prefix="area__")
        | scope.unit_q(prefix="responsible_unit__")
        | scope.unit_q(prefix="point_type__lead_unit__")
    )
    if q == NOTHING:
        return base.none()
    return base.filter(q)


def point_get(*, user, pk) -> Point:
    return get_object_or_404(point_list(user=user), pk=pk)


def area_responsibilities(*, area: Area) -> QuerySet[AreaResponsibility]:
    return area.responsibilities.select_related("user", "unit")


def area_ancestors(area: Area) -> list[Area]:
    """Ancestors from the root down (one query, from the materialised path)."""
    ids = [int(x) for x in area.path.strip("/").split("/")[:-1] if x]
    by_id = Area.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def grid_at(lng: float, lat: float, *, level: str = "grid") -> Area | None:
    """The finest area of `level` whose boundary contains the WGS-84 coordinate.

    An indexed bounding-box pre-filter narrows the candidates; shapely decides exactly.
    """
    from civicloop.core.geo import contains

    candidates = Area.objects.filter(
        level=level, min_lng__lte=lng, max_lng__gte=lng, min_lat__lte=lat, max_lat__gte=lat
    ).only("pk", "updated_at", "boundary", "name", "code", "path", "level")
    for area in candidates:
        if area.boundary and contains(
            area.pk, area.updated_at.isoformat(), area.boundary, lng, lat
        ):
            return area
    return None


def area_at(lng: float, lat: float) -> Area | None:
    """The finest area of any level containing the coordinate (grid first)."""
    for level in ("grid", "community", "street", "district", "city"):
        found = grid_at(lng, lat, level=level)
        if found is not None:
            return found
    return None
