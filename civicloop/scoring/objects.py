"""Which objects a scheme ranks (object groups) and their AssessedObject rows."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from civicloop.orgs.models import Area, AreaLevel, Point, Unit, UnitKind
from civicloop.scoring.models import AssessedObject, ObjectGroup, Scheme

# How each group selects its objects (all limited to the scheme's area subtree):
#   departments  units of kind "department" whose own area is in the subtree
#   streets      areas of level "street" in the subtree
#   communities  areas of level "community" in the subtree
#   point_units  active units responsible for at least one active point in the subtree
GROUP_TARGET = {
    ObjectGroup.DEPARTMENTS: "unit",
    ObjectGroup.POINT_UNITS: "unit",
    ObjectGroup.STREETS: "area",
    ObjectGroup.COMMUNITIES: "area",
}


def target_queryset(scheme: Scheme):
    """Units or areas of the scheme's group (not yet AssessedObject rows)."""
    prefix = scheme.area.path if scheme.area_id else ""
    group = scheme.object_group
    if group == ObjectGroup.DEPARTMENTS:
        qs = Unit.objects.filter(kind=UnitKind.DEPARTMENT, is_active=True)
        return qs.filter(area__path__startswith=prefix) if prefix else qs
    if group == ObjectGroup.POINT_UNITS:
        points = Point.objects.filter(responsible_unit=OuterRef("pk"), is_active=True)
        if prefix:
            points = points.filter(area__path__startswith=prefix)
        return Unit.objects.filter(Exists(points), is_active=True)
    level = {ObjectGroup.STREETS: AreaLevel.STREET, ObjectGroup.COMMUNITIES: AreaLevel.COMMUNITY}
    if group in level:
        qs = Area.objects.filter(level=level[group])
        return qs.filter(path__startswith=prefix) if prefix else qs
    raise ValueError(f"unknown object group {group!r}")


def select_objects(scheme: Scheme) -> list[AssessedObject]:
    """The scheme's objects as AssessedObject rows (created on first use), ordered by the
    tree path of their unit/area. Four queries, whatever the number of objects."""
    kind = GROUP_TARGET[scheme.object_group]
    target_ids = list(target_queryset(scheme).values_list("pk", flat=True))
    field = f"{kind}_id"
    existing = set(
        AssessedObject.objects.filter(**{f"{field}__in": target_ids}).values_list(field, flat=True)
    )
    missing = [AssessedObject(**{field: pk}) for pk in target_ids if pk not in existing]
    if missing:
        AssessedObject.objects.bulk_create(missing, ignore_conflicts=True)
    rel = "unit" if kind == "unit" else "area"
    # Area objects also need their parent (ledger KPIs group by the parent's children).
    return list(
        AssessedObject.objects.filter(**{f"{field}__in": target_ids})
        .select_related("unit" if kind == "unit" else "area__parent")
        .order_by(f"{rel}__path", f"{rel}__pk")
    )


def object_for(target) -> AssessedObject:
    """The AssessedObject row of a Unit or an Area (created on first use)."""
    field = "unit" if isinstance(target, Unit) else "area"
    obj, _ = AssessedObject.objects.get_or_create(**{field: target})
    return obj
