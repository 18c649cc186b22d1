"""Every read of index systems, indicators and check items, scoped to a user.

Index systems and check items are city-wide reference data: every staff user reads them
(a unit must know the standards it is responsible for); citizens read nothing, so for
them every object is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from civicloop.accounts.scope import scope_of
from civicloop.orgs.models import PointType
from civicloop.standards import search
from civicloop.standards.models import CheckItem, IndexSystem, Indicator, IndicatorLevel


def _staff(user) -> bool:
    return scope_of(user).is_staff_user


# --- Index systems ------------------------------------------------------------------------


def index_system_list(*, user) -> QuerySet[IndexSystem]:
    if not _staff(user):
        return IndexSystem.objects.none()
    return IndexSystem.objects.select_related("based_on").annotate(
        node_count=Count("indicators"),
        standard_count=Count("indicators", filter=Q(indicators__level=IndicatorLevel.STANDARD)),
    )


def index_system_get(*, user, pk) -> IndexSystem:
    return get_object_or_404(index_system_list(user=user), pk=pk)


def indicator_list(
    *,
    user,
    system: IndexSystem | None = None,
    lead_unit=None,
    unit=None,
    level: str | None = None,
    query: str = "",
) -> QuerySet[Indicator]:
    """Indicators, filtered; `unit` matches lead or cooperating unit ("what do I own?")."""
    if not _staff(user):
        return Indicator.objects.none()
    qs = Indicator.objects.select_related("lead_unit", "system", "parent")
    if system is not None:
        qs = qs.filter(system=system)
    if lead_unit is not None:
        qs = qs.filter(lead_unit=lead_unit)
    if unit is not None:
        qs = qs.filter(
            Q(lead_unit=unit)
            | Q(
                pk__in=Indicator.cooperating_units.through.objects.filter(unit=unit).values(
                    "indicator_id"
                )
            )
        )
    if level:
        qs = qs.filter(level=level)
    if query:
        q = search.search_q(query)
        qs = qs.filter(q) if q is not None else qs.none()
    return qs.order_by("system", "path")


def indicator_get(*, user, pk) -> Indicator:
    qs = indicator_list(user=user).prefetch_related("cooperating_units", "point_types")
    return get_object_or_404(qs, pk=pk)


def indicator_ancestors(indicator: Indicator) -> list[Indicator]:
    ids = [int(x) for x in indicator.path.strip("/").split("/")[:-1] if x]
    by_id = Indicator.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


@dataclass
class TreeNode:
    """An indicator with its children, counts and the score of its subtree."""

    node: Indicator
    children: list[TreeNode] = field(default_factory=list)
    standard_count: int = 0
    check_item_count: int = 0
    subtree_score: Decimal | None = None

    @property
    def score(self) -> Decimal | None:
        return self.node.score if self.node.score is not None else self.subtree_score


def indicator_tree(*, system: IndexSystem) -> list[TreeNode]:
    """The whole tree in three queries, with standard counts and summed leaf scores."""
    nodes = list(
        Indicator.objects.filter(system=system)
        .select_related("lead_unit")
        .prefetch_related("cooperating_units")
        .annotate(check_items_n=Count("check_items"))
        .order_by("depth", "sort_order", "code")
    )
    wrapped: dict[int, TreeNode] = {}
    roots: list[TreeNode] = []
    for node in nodes:
        tn = TreeNode(node=node, check_item_count=node.check_items_n)
        wrapped[node.pk] = tn
        parent = wrapped.get(node.parent_id)
        (parent.children if parent else roots).append(tn)
    for root in roots:
        _sum_up(root)
    return roots


def _sum_up(tn: TreeNode) -> None:
    if not tn.children:
        tn.standard_count = 1 if tn.node.level == IndicatorLevel.STANDARD else 0
        tn.subtree_score = tn.node.score
        return
    total = None
    for child in tn.children:
        _sum_up(child)
        tn.standard_count += child.standard_count
        tn.check_item_count += child.check_item_count
        if child.score is not None:
            total = (total or Decimal(0)) + child.score
    tn.subtree_score = total


# --- Check items --------------------------------------------------------------------------


def check_item_list(*, user, point_type: PointType | None = None) -> QuerySet[CheckItem]:
    if not _staff(user):
        return CheckItem.objects.none()
    qs = CheckItem.objects.select_related(
        "point_type", "category", "category__parent", "indicator", "indicator__system"
    )
    if point_type is not None:
        qs = qs.filter(point_type=point_type)
    return qs.order_by("point_type__sort_order", "point_type__code", "sort_order", "code")


def check_item_get(*, user, pk) -> CheckItem:
    return get_object_or_404(check_item_list(user=user), pk=pk)


def point_types_with_item_counts(*, user) -> QuerySet[PointType]:
    if not _staff(user):
        return PointType.objects.none()
    return (
        PointType.objects.select_related("lead_unit")
        .annotate(
            item_count=Count("check_items", distinct=True),
            critical_count=Count(
                "check_items", filter=Q(check_items__is_critical=True), distinct=True
            ),
        )
        .order_by("sort_order", "code")
    )


def check_items_for_indicators(indicator_ids: list[int]) -> QuerySet[CheckItem]:
    return CheckItem.objects.filter(indicator_id__in=indicator_ids).select_related("point_type")
