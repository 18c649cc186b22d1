"""Who may change the registry: `command` users, within their jurisdiction."""

from civicloop.accounts.models import Role
from civicloop.accounts.scope import scope_of


def can_edit_registry(user) -> bool:
    return scope_of(user).has(Role.COMMAND)


def can_edit_in_area(user, area) -> bool:
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    return any(area.path.startswith(p) for p in scope.area_paths.get(Role.COMMAND, ()))


def can_edit_citywide(user) -> bool:
    """City-wide reference data (point types, root areas) belongs to the city command."""
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    return any(p.count("/") == 2 for p in scope.area_paths.get(Role.COMMAND, ()))
