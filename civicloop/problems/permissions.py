"""Who may act on a problem: role × scope, never status (status is workflow.py).

Visibility (an invisible problem is a 404, never a 403):
- area roles (command, leader, inspector, grid worker) see problems whose area is in their
  area subtree;
- unit roles (handler, unit leader) see problems whose responsible unit is in their unit
  subtree;
- anyone sees the problems they reported themselves (citizens see only those).

Independence of verification: a user who holds a unit role on the responsible unit's line
(the unit itself, one of its ancestors or one of its sub-units) never verifies or reopens
that problem, even if they also hold an inspector or command role.
"""

from __future__ import annotations

from collections.abc import Iterable

from civicloop.accounts.models import AREA_ROLES, Role
from civicloop.accounts.scope import scope_of
from civicloop.core.errors import NotFound, NotPermitted
from civicloop.problems import workflow
from civicloop.problems.models import Action, Problem, Status

A = Action

COMMAND_ACTIONS = frozenset(
    {
        A.ACCEPT,
        A.REJECT,
        A.MERGE,
        A.DISPATCH,
        A.APPROVE_RETURN,
        A.DENY_RETURN,
        A.APPROVE_EXTENSION,
        A.DENY_EXTENSION,
        A.PARK,
        A.UNPARK,
        A.URGE,
        A.VOID,
    }
)
UNIT_ACTIONS = frozenset({A.SIGN, A.REQUEST_RETURN, A.REQUEST_EXTENSION, A.SUBMIT})
UNIT_LEADER_ACTIONS = frozenset({A.LEADER_APPROVE, A.LEADER_DENY})
VERIFY_ACTIONS = frozenset({A.VERIFY_PASS, A.VERIFY_FAIL, A.REOPEN})
# Who may bring a new problem in, and through which door.
REPORT_ROLES = frozenset({Role.CITIZEN, Role.GRID_WORKER})
CREATE_ROLES = frozenset({Role.INSPECTOR, Role.COMMAND})
VERIFY_ROLES = frozenset({Role.INSPECTOR, Role.COMMAND})
UNIT_WORK_ROLES = frozenset({Role.UNIT_HANDLER, Role.UNIT_LEADER})


def _in_area(user, area_path: str, roles: Iterable[str]) -> bool:
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    return any(
        area_path.startswith(path) for role in roles for path in scope.area_paths.get(role, ())
    )


def _in_unit(user, unit_path: str | None, roles: Iterable[str]) -> bool:
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    if not unit_path:
        return False
    return any(
        unit_path.startswith(path) for role in roles for path in scope.unit_paths.get(role, ())
    )


def _unit_path(problem: Problem) -> str | None:
    return problem.responsible_unit.path if problem.responsible_unit_id else None


def can_see(user, problem: Problem) -> bool:
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    if user is not None and problem.reporter_id is not None and problem.reporter_id == user.pk:
        return True
    return _in_area(user, problem.area.path, AREA_ROLES) or _in_unit(
        user, _unit_path(problem), UNIT_WORK_ROLES
    )


def belongs_to_unit(user, problem: Problem) -> bool:
    """True when the user holds a unit role anywhere on the responsible unit's line."""
    unit_path = _unit_path(problem)
    if not unit_path:
        return False
    scope = scope_of(user)
    return any(
        unit_path.startswith(path) or path.startswith(unit_path)
        for role in UNIT_WORK_ROLES
        for path in scope.unit_paths.get(role, ())
    )


def may(user, problem: Problem, action: str) -> bool:
    """Role and scope allow `action` on this problem (status is not considered)."""
    area_path = problem.area.path
    if action in COMMAND_ACTIONS:
        return _in_area(user, area_path, {Role.COMMAND})
    if action in UNIT_ACTIONS:
        return _in_unit(user, _unit_path(problem), UNIT_WORK_ROLES)
    if action in UNIT_LEADER_ACTIONS:
        return _in_unit(user, _unit_path(problem), {Role.UNIT_LEADER})
    if action in VERIFY_ACTIONS:
        return _in_area(user, area_path, VERIFY_ROLES) and not belongs_to_unit(user, problem)
    # report/create are checked by may_create; escalate is the system's alone.
    return False


def check(user, problem: Problem, action: str) -> None:
    """NotFound when the problem is outside the user's scope, NotPermitted when visible but
    the role does not allow the action."""
    if not can_see(user, problem):
        raise NotFound()
    if not may(user, problem, action):
        if action in VERIFY_ACTIONS and belongs_to_unit(user, problem):
            raise NotPermitted("责任单位人员不能核查本单位整改的问题")
        raise NotPermitted(f"您无权执行“{Action(action).label}”")


def may_create(user, action: str, area_path: str) -> bool:
    """report: citizens anywhere, grid workers in their area; create: inspector/command."""
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    if action == A.REPORT:
        return Role.CITIZEN in scope.roles or _in_area(user, area_path, {Role.GRID_WORKER})
    if action == A.CREATE:
        return _in_area(user, area_path, CREATE_ROLES)
    return False


def check_create(user, action: str, area_path: str) -> None:
    if user is None or not user.is_authenticated:
        raise NotPermitted()
    if not may_create(user, action, area_path):
        if action == A.REPORT:
            raise NotPermitted("只有市民或本网格网格员可以上报问题")
        raise NotPermitted("只有督查员或创文办可以在本辖区登记问题")


def may_upload(user, problem: Problem, kind: str) -> bool:
    """Evidence: the unit adds after-photos/documents while rectifying; command and
    inspectors in scope may add any kind; the reporter may add before-photos."""
    if _in_area(user, problem.area.path, {Role.COMMAND, Role.INSPECTOR}):
        return True
    if kind in ("after", "document") and _in_unit(user, _unit_path(problem), UNIT_WORK_ROLES):
        return problem.status == Status.RECTIFYING
    return kind == "before" and user is not None and problem.reporter_id == user.pk


def available_actions(user, problem: Problem, *, pending_kinds: Iterable[str] = ()) -> list[str]:
    """Exactly the actions this user may take now, for the problem page's buttons.

    `pending_kinds`: kinds of pending ProblemRequests ("return", "extension"); approve/deny
    need one, request needs none (pass what selectors.pending_request_kinds returns).
    """
    if not can_see(user, problem):
        return []
    pending = set(pending_kinds)
    result = []
    for action in sorted(workflow.allowed_actions(problem.status)):
        if not may(user, problem, action):
            continue
        if action in (A.APPROVE_RETURN, A.DENY_RETURN) and "return" not in pending:
            continue
        if action in (A.APPROVE_EXTENSION, A.DENY_EXTENSION) and "extension" not in pending:
            continue
        if action == A.REQUEST_RETURN and "return" in pending:
            continue
        if action == A.REQUEST_EXTENSION and "extension" in pending:
            continue
        if action == A.URGE and problem.escalation_level >= 3:
            continue
        result.append(action)
    return result
