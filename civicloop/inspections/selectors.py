"""Every read of rounds and inspections, scoped to a user (outside scope → 404).

Lists come with their related rows (select_related / one aggregate), never N+1.
Score roll-ups are in `scoring`; the pages call them after `round_get` has checked scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from civicloop.standards.models import CheckItem

from . import permissions
from .models import (
    Inspection,
    InspectionStatus,
    ItemOutcome,
    ItemResult,
    Round,
    RoundStatus,
    SamplePoint,
)

DONE = Q(samples__inspection__status=InspectionStatus.SUBMITTED)


def round_list(*, user) -> QuerySet[Round]:
    """Visible rounds with sample size and submitted count (one query)."""
    q = permissions.round_visibility_q(user)
    qs = Round.objects.all()
    if q is not None:
        # Visibility joins areas/teams; a subquery keeps the counts free of duplicates.
        qs = qs.filter(pk__in=Round.objects.filter(q).values("pk"))
    return qs.select_related("index_system", "created_by").annotate(
        sample_count=Count("samples", distinct=True),
        done_count=Count("samples", filter=DONE, distinct=True),
    )


def round_get(*, user, pk) -> Round:
    try:
        return round_list(user=user).get(pk=pk)
    except (Round.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("检查轮次不存在或无权访问") from exc


@dataclass(frozen=True)
class TeamProgress:
    team_id: int | None
    team_name: str
    total: int
    drafts: int
    done: int

    @property
    def ratio(self) -> float | None:
        return self.done / self.total if self.total else None


def round_progress(round_: Round) -> list[TeamProgress]:
    """Points done / total per team (unassigned points as a row of their own): one query."""
    rows = (
        SamplePoint.objects.filter(round=round_)
        .order_by()
        .values("team", "team__name", "team__sort_order")
        .annotate(
            total=Count("id"),
            drafts=Count("id", filter=Q(inspection__status=InspectionStatus.DRAFT)),
            done=Count("id", filter=Q(inspection__status=InspectionStatus.SUBMITTED)),
        )
    )
    out = [
        TeamProgress(r["team"], r["team__name"] or "未分组", r["total"], r["drafts"], r["done"])
        for r in rows
    ]
    out.sort(key=lambda p: (p.team_id is None, p.team_name))
    return out


def sample_list(*, user, round_: Round) -> QuerySet[SamplePoint]:
    """The sample with point, type, area, unit, team and inspection (scores for the map)."""
    if not permissions.can_see_round(user, round_):
        raise Http404("检查轮次不存在或无权访问")
    return (
        SamplePoint.objects.filter(round=round_)
        .select_related(
            "point__point_type",
            "point__area",
            "point__responsible_unit",
            "team",
            "inspection",
        )
        .order_by("position")
    )


def my_assignments(*, user) -> QuerySet[SamplePoint]:
    """Sample points of the user's teams in rounds open for inspection."""
    if user is None or not user.is_authenticated:
        return SamplePoint.objects.none()
    return (
        SamplePoint.objects.filter(
            team__inspectors=user,
            round__status__in=[RoundStatus.PUBLISHED, RoundStatus.IN_PROGRESS],
        )
        .select_related("round", "point__point_type", "point__area", "team", "inspection")
        .order_by("round__start_date", "round_id", "position")
    )


def inspection_get(*, user, pk) -> Inspection:
    try:
        inspection = Inspection.objects.select_related(
            "round", "sample__round", "point__point_type", "point__area", "inspector", "unit"
        ).get(pk=pk)
    except (Inspection.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("检查记录不存在或无权访问") from exc
    if not permissions.can_see_round(user, inspection.round):
        raise Http404("检查记录不存在或无权访问")
    return inspection


@dataclass(frozen=True)
class FormRow:
    item: CheckItem
    result: ItemResult | None


def inspection_form(*, user, inspection: Inspection) -> list[FormRow]:
    """The applicable check items of the point with the saved results (two queries)."""
    from .services import applicable_items

    if not permissions.can_see_round(user, inspection.round):
        raise Http404("检查记录不存在或无权访问")
    items = list(applicable_items(inspection.round, inspection.point_type_id))
    results = {
        r.check_item_id: r
        for r in ItemResult.objects.filter(inspection=inspection).select_related("problem")
    }
    return [FormRow(item, results.get(item.pk)) for item in items]


def inspection_results(*, user, inspection: Inspection) -> QuerySet[ItemResult]:
    if not permissions.can_see_round(user, inspection.round):
        raise Http404("检查记录不存在或无权访问")
    return inspection.results.select_related("problem", "category", "indicator").order_by("id")


def failed_results(
    *,
    user,
    round_: Round,
    area=None,
    unit=None,
    point_type=None,
    indicator=None,
) -> QuerySet[ItemResult]:
    """Drill-down: the failed items of a round (optionally of an area subtree, a unit, a
    point type or an indicator) with their problem and its current status."""
    if not permissions.can_see_round(user, round_):
        raise Http404("检查轮次不存在或无权访问")
    qs = ItemResult.objects.filter(
        inspection__round=round_,
        inspection__status=InspectionStatus.SUBMITTED,
        outcome=ItemOutcome.FAIL,
    )
    if area is not None:
        qs = qs.filter(inspection__area_path__startswith=area.path)
    if unit is not None:
        qs = qs.filter(inspection__unit=unit)
    if point_type is not None:
        qs = qs.filter(inspection__point_type=point_type)
    if indicator is not None:
        qs = qs.filter(indicator=indicator)
    return qs.select_related(
        "inspection__point", "inspection__unit", "problem", "category"
    ).order_by("inspection__point__code", "code")


def point_history(*, user, point) -> QuerySet[Inspection]:
    """A point's submitted inspections across the rounds the user may see, newest first."""
    q = permissions.round_visibility_q(user)
    qs = Inspection.objects.filter(point=point, status=InspectionStatus.SUBMITTED)
    if q is not None:
        qs = qs.filter(round__in=Round.objects.filter(q).values("pk"))
    return qs.select_related("round", "inspector").order_by("-submitted_at", "-id")
