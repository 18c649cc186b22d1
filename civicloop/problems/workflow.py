"""The pure transition table of the problem closed loop (DESIGN.md §6).

No database, no users: `target_status(action, current)` says where an action leads from a
status, or raises TransitionNotAllowed. Who may act is `permissions.py`; the write is
`services.py`. Creation actions (report, create) start from `None`.

Leader review is a real status (`leader_review`, 待单位审核) rather than a flag: a unit
whose `submission_needs_leader_approval` is set sends `submit` there instead of straight to
`submitted`; `leader_approve` moves on to `submitted`, `leader_deny` goes back to
`rectifying`. The deadline clock keeps running in `leader_review` (the problem is still
with the unit), so it is urgeable and can go overdue, like `rectifying`.
"""

from __future__ import annotations

from civicloop.core.errors import TransitionNotAllowed
from civicloop.problems.models import Action, Status

S, A = Status, Action

_OPEN = (
    S.PENDING_REVIEW,
    S.REGISTERED,
    S.DISPATCHED,
    S.RECTIFYING,
    S.LEADER_REVIEW,
    S.SUBMITTED,
    S.PARKED,
)
_WITH_UNIT = (S.DISPATCHED, S.RECTIFYING, S.LEADER_REVIEW)


def _same(*states: Status) -> dict:
    """Actions that keep the status (requests, urging) map a state to itself."""
    return {s: s for s in states}


# action → {current status (None = not yet created) → target status}
TABLE: dict[str, dict[str | None, str]] = {
    A.REPORT: {None: S.PENDING_REVIEW},
    A.CREATE: {None: S.REGISTERED},
    A.ACCEPT: {S.PENDING_REVIEW: S.REGISTERED},
    A.REJECT: {S.PENDING_REVIEW: S.REJECTED},
    A.MERGE: {S.PENDING_REVIEW: S.REJECTED},
    A.DISPATCH: {S.REGISTERED: S.DISPATCHED},
    A.SIGN: {S.DISPATCHED: S.RECTIFYING},
    A.REQUEST_RETURN: _same(S.DISPATCHED, S.RECTIFYING),
    A.APPROVE_RETURN: {S.DISPATCHED: S.REGISTERED, S.RECTIFYING: S.REGISTERED},
    A.DENY_RETURN: _same(S.DISPATCHED, S.RECTIFYING),
    A.REQUEST_EXTENSION: _same(S.RECTIFYING),
    A.APPROVE_EXTENSION: _same(S.RECTIFYING),
    A.DENY_EXTENSION: _same(S.RECTIFYING),
    A.PARK: {S.RECTIFYING: S.PARKED},
    A.UNPARK: {S.PARKED: S.RECTIFYING},
    A.SUBMIT: {S.RECTIFYING: S.SUBMITTED},  # → leader_review when the unit requires it
    A.LEADER_APPROVE: {S.LEADER_REVIEW: S.SUBMITTED},
    A.LEADER_DENY: {S.LEADER_REVIEW: S.RECTIFYING},
    A.VERIFY_PASS: {S.SUBMITTED: S.CLOSED},
    A.VERIFY_FAIL: {S.SUBMITTED: S.RECTIFYING},
    A.REOPEN: {S.CLOSED: S.DISPATCHED},
    A.URGE: _same(*_WITH_UNIT),
    A.ESCALATE: _same(*_WITH_UNIT),  # the overdue sweep's automatic urge
    A.VOID: {s: S.VOIDED for s in _OPEN},
}

ALL_ACTIONS: tuple[str, ...] = tuple(TABLE)
ALL_STATUSES: tuple[str, ...] = tuple(Status.values)
CREATION_ACTIONS = frozenset({A.REPORT, A.CREATE})


def target_status(action: str, current: str | None, *, leader_approval: bool = False) -> str:
    """The status `action` leads to from `current`, or TransitionNotAllowed.

    `leader_approval`: the responsible unit requires its leader to approve submissions.
    """
    moves = TABLE.get(action)
    if moves is None:
        raise TransitionNotAllowed(f"未知操作：{action}")
    target = moves.get(current)
    if target is None:
        label = Status(current).label if current in Status.values else "新建"
        raise TransitionNotAllowed(
            f"当前状态（{label}）不允许执行“{Action(action).label}”",
            details={"action": action, "status": current},
        )
    if action == A.SUBMIT and leader_approval:
        return S.LEADER_REVIEW.value
    return str(target)


def allowed_actions(current: str | None) -> set[str]:
    """Every action the table allows from `current` (before any permission check)."""
    return {str(action) for action, moves in TABLE.items() if current in moves}
