"""Who should fix it: the suggested responsible unit, with the reason (DESIGN.md §8).

First match wins:
1. the point's own responsible unit (点位责任单位);
2. an explicit RoutingRule (category × area subtree × point type → unit), by priority, then
   the most specific area;
3. the point type's lead unit (行业牵头单位);
4. the category's default unit;
5. 属地兜底: the street/township office (Unit of kind township) of the street the problem
   lies in.
The dispatcher sees the suggestion and may override it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Q

from civicloop.orgs.models import Area, AreaLevel, Point, Unit, UnitKind
from civicloop.problems.models import RoutingRule

POINT, RULE, POINT_TYPE, CATEGORY, TERRITORY, NONE = (
    "point",
    "rule",
    "point_type",
    "category",
    "territory",
    "none",
)


@dataclass(frozen=True)
class Suggestion:
    unit: Unit | None
    reason: str
    basis: str  # one of the constants above
    rule: RoutingRule | None = None


def suggest(*, category, point: Point | None = None, area: Area | None = None) -> Suggestion:
    """Suggest a unit for a problem of `category` at `point` / in `area`."""
    if area is None and point is not None:
        area = point.area
    if point is not None and point.responsible_unit_id and point.responsible_unit.is_active:
        unit = point.responsible_unit
        return Suggestion(unit, f"点位“{point.name}”的责任单位为{unit.name}", POINT)
    rule = matching_rule(category=category, area=area, point=point)
    if rule is not None:
        return Suggestion(rule.unit, f"派遣规则“{rule.name}”指定{rule.unit.name}", RULE, rule)
    if point is not None:
        lead = point.point_type.lead_unit
        if lead is not None and lead.is_active:
            return Suggestion(
                lead, f"点位类型“{point.point_type.name}”的行业牵头单位为{lead.name}", POINT_TYPE
            )
    default = _category_default(category)
    if default is not None:
        return Suggestion(
            default, f"问题分类“{category.name}”的默认责任单位为{default.name}", CATEGORY
        )
    if area is not None:
        township = township_unit(area)
        if township is not None:
            return Suggestion(
                township,
                f"属地兜底：问题位于{township.area.name}，由{township.name}负责",
                TERRITORY,
            )
    return Suggestion(None, "未找到匹配的责任单位，请人工指定", NONE)


def suggest_for(problem) -> Suggestion:
    return suggest(category=problem.category, point=problem.point, area=problem.area)


def matching_rule(*, category, area: Area | None, point: Point | None) -> RoutingRule | None:
    """The best active rule for the problem, in one query."""
    category_ids = [category.pk] + ([category.parent_id] if category.parent_id else [])
    q = Q(is_active=True, unit__is_active=True)
    q &= Q(category__isnull=True) | Q(category_id__in=category_ids)
    if area is not None:
        ancestor_ids = [int(x) for x in area.path.strip("/").split("/") if x]
        q &= Q(area__isnull=True) | Q(area_id__in=ancestor_ids)
    else:
        q &= Q(area__isnull=True)
    if point is not None:
        q &= Q(point_type__isnull=True) | Q(point_type_id=point.point_type_id)
    else:
        q &= Q(point_type__isnull=True)
    return (
        RoutingRule.objects.filter(q)
        .select_related("unit")
        .order_by(
            "priority",
            F("area__depth").desc(nulls_last=True),
            F("point_type_id").desc(nulls_last=True),
            F("category_id").desc(nulls_last=True),
            "id",
        )
        .first()
    )


def _category_default(category) -> Unit | None:
    for cat in (category, category.parent if category.parent_id else None):
        if cat is not None and cat.default_unit_id and cat.default_unit.is_active:
            return cat.default_unit
    return None


def township_unit(area: Area) -> Unit | None:
    """The township/street office of the street containing `area` (or of `area` itself)."""
    ids = [int(x) for x in area.path.strip("/").split("/") if x]
    street = Area.objects.filter(pk__in=ids, level=AreaLevel.STREET).order_by("-depth").first()
    if street is None:
        return None
    return (
        Unit.objects.filter(area=street, kind=UnitKind.TOWNSHIP, is_active=True)
        .select_related("area")
        .order_by("path")
        .first()
    )
