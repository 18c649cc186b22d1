"""Who may configure, compute, publish and read assessments.

- manage (edit schemes, add adjustments, compute, publish, reopen): `command` whose area
  contains the scheme's area (a scheme without an area — the whole registry — needs a
  command of a root area, or a superuser).
- see the working numbers (computed, unpublished): `command`, `leader`, `inspector` over
  the scheme's area, same rule.
- see published rankings: additionally every staff user whose own territory (area roles:
  their areas; unit roles: their units' areas) overlaps the scheme's area either way —
  rankings are sent to the assessed units themselves.
"""

from __future__ import annotations

from civicloop.accounts.models import Role
from civicloop.accounts.scope import scope_of
from civicloop.core.errors import NotFound, NotPermitted
from civicloop.scoring.models import Scheme

READ_WORKING = (Role.COMMAND, Role.LEADER, Role.INSPECTOR)


def _scheme_path(scheme: Scheme) -> str:
    return scheme.area.path if scheme.area_id else ""


def _covers(paths, target: str) -> bool:
    """A user path covers the scheme when it is an ancestor-or-self of the scheme's area
    (root-level path for a scheme without area)."""
    if not target:
        return any(p.count("/") == 2 for p in paths)  # "/<id>/": a root area
    return any(target.startswith(p) for p in paths)


def _has(user, scheme: Scheme, roles) -> bool:
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    target = _scheme_path(scheme)
    paths = [p for role in roles for p in scope.area_paths.get(role, ())]
    return _covers(paths, target)


def can_manage(user, scheme: Scheme) -> bool:
    return _has(user, scheme, (Role.COMMAND,))


def can_see_working(user, scheme: Scheme) -> bool:
    return _has(user, scheme, READ_WORKING)


def can_see_published(user, scheme: Scheme) -> bool:
    scope = scope_of(user)
    if scope.is_superuser or can_see_working(user, scheme):
        return True
    if not scope.is_staff_user:
        return False
    target = _scheme_path(scheme)
    own = [p for paths in scope.area_paths.values() for p in paths]
    own += list(scope.unit_area_paths)
    return any(not target or p.startswith(target) or target.startswith(p) for p in own)


def check_manage(user, scheme: Scheme) -> None:
    if can_manage(user, scheme):
        return
    if can_see_published(user, scheme):
        raise NotPermitted()
    raise NotFound()


def can_create_scheme(user, area) -> bool:
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    paths = scope.area_paths.get(Role.COMMAND, ())
    if area is None:
        return any(p.count("/") == 2 for p in paths)
    return any(area.path.startswith(p) for p in paths)
