"""Who may see and act on rounds and inspections: role × scope (status is in services).

- Manage a round (edit, quotas, teams, draw, publish, close): `command` whose area scope
  covers every area of the round.
- See a round: command/leader whose area scope overlaps the round's areas (either contains
  the other), any member of one of its teams, superusers.
- Inspect a sample point: a member of the team the point is assigned to, or a `command`
  user whose scope covers the point's area. Anyone else who can see the round gets
  NotPermitted; who cannot see it gets NotFound.
"""

from __future__ import annotations

from django.db.models import Q

from civicloop.accounts.models import Role
from civicloop.accounts.scope import NOTHING, scope_of
from civicloop.core.errors import NotFound, NotPermitted

from .models import Round, RoundTeam, SamplePoint

VIEW_ROLES = (Role.COMMAND, Role.LEADER)


def _ancestor_paths(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def round_visibility_q(user) -> Q | None:
    """Q over rounds the user may see; None = everything (superuser)."""
    scope = scope_of(user)
    if scope.is_superuser:
        return None
    q = NOTHING
    for role in VIEW_ROLES:
        for path in scope.area_paths.get(role, ()):
            # A round area inside the user's area, or containing it.
            q |= Q(areas__path__startswith=path) | Q(areas__path__in=_ancestor_paths(path))
    if user is not None and user.is_authenticated:
        q |= Q(teams__inspectors=user)
    return q


def can_see_round(user, round_: Round) -> bool:
    q = round_visibility_q(user)
    if q is None:
        return True
    if q == NOTHING:
        return False
    return Round.objects.filter(q, pk=round_.pk).exists()


def _covers(user, area_path: str) -> bool:
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    return any(area_path.startswith(p) for p in scope.area_paths.get(Role.COMMAND, ()))


def can_manage_round(user, round_: Round | None = None, *, areas=None) -> bool:
    """Command over every area of the round (or of `areas` for a round being created)."""
    scope = scope_of(user)
    if not scope.has(Role.COMMAND):
        return False
    if areas is None:
        areas = list(round_.areas.all()) if round_ is not None else []
    return bool(areas) and all(_covers(user, a.path) for a in areas)


def check_manage(user, round_: Round) -> None:
    if not can_see_round(user, round_):
        raise NotFound()
    if not can_manage_round(user, round_):
        raise NotPermitted("只有覆盖本轮全部检查区域的创文办（指挥中心）可以管理检查轮次")


def is_team_member(user, team_id: int | None) -> bool:
    if team_id is None or user is None or not user.is_authenticated:
        return False
    return RoundTeam.inspectors.through.objects.filter(
        roundteam_id=team_id, user_id=user.pk
    ).exists()


def may_inspect(user, sample: SamplePoint) -> bool:
    if scope_of(user).is_superuser:
        return True
    if is_team_member(user, sample.team_id):
        return True
    return _covers(user, sample.point.area.path)


def check_inspect(user, sample: SamplePoint) -> None:
    if not can_see_round(user, sample.round):
        raise NotFound()
    if not may_inspect(user, sample):
        raise NotPermitted("该点位未分配给您所在的督查组")
