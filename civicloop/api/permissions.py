"""DRF permission classes shared by the apps' APIs.

Reads are scoped by the selectors (out of scope → 404), so permissions here only decide
who may *write*: a view lists the roles in `write_roles` (default: command). The service
then checks the jurisdiction of the concrete object again; this class is the early,
cheap "your role never writes here" answer (403 not_permitted).
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from civicloop.accounts.models import Role
from civicloop.accounts.scope import scope_of
from civicloop.core.errors import ErrorCode


class ReadScopedWriteByRole(BasePermission):
    message = ErrorCode.NOT_PERMITTED.label
    default_write_roles = frozenset({Role.COMMAND})

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        roles = getattr(view, "write_roles", self.default_write_roles)
        return scope_of(request.user).has(*roles)
