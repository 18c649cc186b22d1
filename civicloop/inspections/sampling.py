"""Drawing the sample of a round, reproducibly, and sharing it out among the teams.

The draw is a pure function of (seed, quotas, candidate set):

1. Candidates are the active points in scope (any round area's subtree; the round's point
   types, or every type when none is chosen), ordered by point code.
2. Each quota becomes one or more cells: (point type or any, area subtree or whole scope,
   count). A quota with `per_level` becomes one cell per area of that level inside its
   area (or inside the scope).
3. Cells are processed from the most specific to the least (type given before "any type",
   deeper area before shallower, then by codes), each drawing `count` points — or all of
   them when fewer are left — with `random.Random(seed).sample` from its candidates that
   no earlier cell took. Quotas therefore add up; a point is never drawn twice.
4. Without any quota the whole scope is taken (a census, e.g. a 专项督查 of every market).
5. With `include_revisits`, points in scope with a problem closed since the start of the
   previous round of the same kind (any time, if there is none) are added (回头看); a
   point already drawn is only flagged.

Same seed + same candidates + same quotas → the same sample, in the same order.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Q, QuerySet
from django.utils import timezone

from civicloop.orgs.models import Area, Point

from .models import Round, RoundStatus, SampleReason


@dataclass(frozen=True)
class Candidate:
    pk: int
    code: str
    point_type_id: int
    area_id: int
    area_path: str


@dataclass(frozen=True)
class Cell:
    quota_id: int | None
    point_type_id: int | None
    area_path: str | None  # subtree prefix; None = the whole scope
    count: int
    sort_key: tuple


@dataclass(frozen=True)
class Draw:
    point_id: int
    quota_id: int | None
    reason: str
    is_revisit: bool


def scope_q(round_: Round, prefix: str = "") -> Q:
    """Q over points (reached through `prefix`) inside the round's scope."""
    paths = list(round_.areas.values_list("path", flat=True))
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{prefix}area__path__startswith": path})
    type_ids = list(round_.point_types.values_list("pk", flat=True))
    if type_ids:
        q &= Q(**{f"{prefix}point_type_id__in": type_ids})
    return q


def scope_points(round_: Round) -> QuerySet[Point]:
    return Point.objects.filter(scope_q(round_), is_active=True)


def candidates(round_: Round) -> list[Candidate]:
    rows = (
        scope_points(round_)
        .order_by("code")
        .values_list("pk", "code", "point_type_id", "area_id", "area__path")
    )
    return [Candidate(*row) for row in rows]


def cells(round_: Round) -> list[Cell]:
    """Expand the round's quotas into cells, in processing order."""
    scope_paths = list(round_.areas.values_list("path", flat=True))
    out: list[Cell] = []
    for quota in round_.quotas.select_related("point_type", "area"):
        type_code = quota.point_type.code if quota.point_type_id else "~"
        bases = [quota.area.path] if quota.area_id else scope_paths
        if quota.per_level:
            base_q = Q(pk__in=[])
            for path in bases:
                base_q |= Q(path__startswith=path)
            areas = Area.objects.filter(base_q, level=quota.per_level).order_by("code")
            targets = [(a.path, a.depth, a.code) for a in areas]
        elif quota.area_id:
            targets = [(quota.area.path, quota.area.depth, quota.area.code)]
        else:
            targets = [(None, -1, "~")]
        for path, depth, code in targets:
            key = (
                0 if quota.point_type_id else 1,
                -depth,
                type_code,
                code,
                quota.per_level,
                quota.pk,
            )
            out.append(Cell(quota.pk, quota.point_type_id, path, quota.count, key))
    out.sort(key=lambda c: c.sort_key)
    return out


def draw_from(
    seed: int, pool: list[Candidate], plan: list[Cell]
) -> list[tuple[Candidate, int | None]]:
    """The pure draw: (candidate, quota id) in draw order."""
    if not plan:
        return [(c, None) for c in pool]
    rng = random.Random(seed)
    by_type: dict[int, list[Candidate]] = defaultdict(list)
    for cand in pool:
        by_type[cand.point_type_id].append(cand)
    taken: set[int] = set()
    drawn: list[tuple[Candidate, int | None]] = []
    for cell in plan:
        source = by_type.get(cell.point_type_id, []) if cell.point_type_id else pool
        eligible = [
            c
            for c in source
            if c.pk not in taken
            and (cell.area_path is None or c.area_path.startswith(cell.area_path))
        ]
        chosen = rng.sample(eligible, min(cell.count, len(eligible)))
        for cand in chosen:
            taken.add(cand.pk)
            drawn.append((cand, cell.quota_id))
    return drawn


def previous_round(round_: Round) -> Round | None:
    """The latest non-draft round of the same kind that started before this one."""
    return (
        Round.objects.filter(kind=round_.kind, start_date__lt=round_.start_date)
        .exclude(status=RoundStatus.DRAFT)
        .exclude(pk=round_.pk)
        .order_by("-start_date", "-id")
        .first()
    )


def revisit_point_ids(round_: Round) -> set[int]:
    """Points in scope with a problem closed since the previous round of the same kind."""
    from civicloop.problems.selectors import point_ids_with_closed_problems

    prev = previous_round(round_)
    since = timezone.make_aware(datetime.combine(prev.start_date, time.min)) if prev else None
    return point_ids_with_closed_problems(points=scope_points(round_), since=since)


def draw(round_: Round) -> list[Draw]:
    """The full sample of a round (quotas, then 回头看 points)."""
    pool = candidates(round_)
    drawn = draw_from(round_.seed, pool, cells(round_))
    revisit = revisit_point_ids(round_) if round_.include_revisits else set()
    out = [Draw(c.pk, quota_id, SampleReason.QUOTA, c.pk in revisit) for c, quota_id in drawn]
    seen = {d.point_id for d in out}
    for cand in pool:  # code order, so the extra points are reproducible too
        if cand.pk in revisit and cand.pk not in seen:
            out.append(Draw(cand.pk, None, SampleReason.REVISIT, True))
    return out


# --- Sharing the sample among teams -----------------------------------------------------


def balance_teams(
    items: list[tuple[int, str]], team_ids: list[int], group_paths: list[str]
) -> dict[int, int]:
    """Assign (sample id, area path) items to teams, whole areas at a time.

    Items are grouped by the deepest of `group_paths` (e.g. the streets) containing their
    area, so a team works a compact territory; groups are then dealt largest first to the
    team with the fewest points so far (longest-processing-time greedy), ties to the first
    team. Deterministic. Returns {sample id: team id}.
    """
    if not team_ids:
        return {}
    ordered_groups = sorted(group_paths, key=len, reverse=True)
    groups: dict[str, list[int]] = defaultdict(list)
    for sample_id, path in items:
        key = next((g for g in ordered_groups if path.startswith(g)), path)
        groups[key].append(sample_id)
    load = {team_id: 0 for team_id in team_ids}
    out: dict[int, int] = {}
    for key in sorted(groups, key=lambda k: (-len(groups[k]), k)):
        team_id = min(team_ids, key=lambda t: (load[t], team_ids.index(t)))
        for sample_id in groups[key]:
            out[sample_id] = team_id
        load[team_id] += len(groups[key])
    return out
