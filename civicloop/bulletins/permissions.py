"""Who may generate and download bulletins, and who runs the exposure board.

- Generate a bulletin: whoever may manage the scheme (scoring: command over its area).
- Download a bulletin (internal document): `command` or `leader` whose jurisdiction
  contains the scheme's area (ancestor-or-self), or a superuser. Assessed units read the
  published ranking pages, not the internal document files.
- Exposure board: `command` publishes/unpublishes problems inside its own area subtree.
  The public page shows only published items, to everyone, without login.
"""

from __future__ import annotations

from civicloop.accounts.models import Role
from civicloop.accounts.scope import scope_of
from civicloop.scoring import permissions as scoring_permissions
from civicloop.scoring.models import Scheme

DOWNLOAD_ROLES = (Role.COMMAND, Role.LEADER)


def can_request(user, scheme: Scheme) -> bool:
    return scoring_permissions.can_manage(user, scheme)


def can_download(user, scheme: Scheme) -> bool:
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    target = scheme.area.path if scheme.area_id else ""
    paths = [p for role in DOWNLOAD_ROLES for p in scope.area_paths.get(role, ())]
    if not target:
        return any(p.count("/") == 2 for p in paths)  # a root-area role covers "all"
    return any(target.startswith(p) for p in paths)


def can_manage_exposure(user) -> bool:
    return scope_of(user).has(Role.COMMAND)
