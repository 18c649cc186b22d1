"""Call any transition service with valid default arguments (shared by the exhaustive and
the stateful tests), and snapshot everything a refused call must leave untouched."""

from datetime import date, timedelta

from django.forms.models import model_to_dict

from civicloop.problems import services
from civicloop.problems.models import Action, Evidence, Problem, ProblemEvent, ProblemRequest
from civicloop.problems.tests.conftest import photo

A = Action

# Every action a person can take on an existing problem (report/create make new ones;
# escalate is the sweep's).
SERVICE_ACTIONS = [a for a in Action.values if a not in (A.REPORT, A.CREATE, A.ESCALATE)]


def call(action: str, user, problem: Problem, world, *, into: Problem | None = None):
    s = services
    now = s.now()
    later = (problem.due_at or now) + timedelta(days=5)
    table = {
        A.ACCEPT: lambda: s.problem_accept(user=user, problem=problem),
        A.REJECT: lambda: s.problem_reject(user=user, problem=problem, reason="不属实"),
        A.MERGE: lambda: s.problem_merge(user=user, problem=problem, into=into),
        A.DISPATCH: lambda: s.problem_dispatch(user=user, problem=problem, unit=world.unit_a),
        A.SIGN: lambda: s.problem_sign(user=user, problem=problem),
        A.REQUEST_RETURN: lambda: s.problem_request_return(
            user=user, problem=problem, reason="不属于本单位职责"
        ),
        A.APPROVE_RETURN: lambda: s.problem_approve_return(user=user, problem=problem),
        A.DENY_RETURN: lambda: s.problem_deny_return(user=user, problem=problem, note="属于你单位"),
        A.REQUEST_EXTENSION: lambda: s.problem_request_extension(
            user=user, problem=problem, reason="需要采购材料", requested_due_at=later
        ),
        A.APPROVE_EXTENSION: lambda: s.problem_approve_extension(user=user, problem=problem),
        A.DENY_EXTENSION: lambda: s.problem_deny_extension(
            user=user, problem=problem, note="时间足够"
        ),
        A.PARK: lambda: s.problem_park(
            user=user, problem=problem, reason="纳入年度改造计划", review_on=date(2100, 1, 1)
        ),
        A.UNPARK: lambda: s.problem_unpark(user=user, problem=problem),
        A.SUBMIT: lambda: s.problem_submit(
            user=user, problem=problem, description="已整改", files=[photo()]
        ),
        A.LEADER_APPROVE: lambda: s.problem_leader_approve(user=user, problem=problem),
        A.LEADER_DENY: lambda: s.problem_leader_deny(
            user=user, problem=problem, reason="照片不清楚"
        ),
        A.VERIFY_PASS: lambda: s.problem_verify_pass(user=user, problem=problem),
        A.VERIFY_FAIL: lambda: s.problem_verify_fail(user=user, problem=problem, reason="仍有垃圾"),
        A.REOPEN: lambda: s.problem_reopen(user=user, problem=problem, reason="回头看发现反弹"),
        A.URGE: lambda: s.problem_urge(user=user, problem=problem),
        A.VOID: lambda: s.problem_void(user=user, problem=problem, reason="误报"),
    }
    return table[action]()


def snapshot(problem: Problem) -> dict:
    row = Problem.objects.get(pk=problem.pk)
    data = model_to_dict(row)
    data["updated_at"] = row.updated_at
    return {
        "row": data,
        "events": list(ProblemEvent.objects.filter(problem=problem).values_list("pk", flat=True)),
        "requests": list(
            ProblemRequest.objects.filter(problem=problem).values_list("pk", "status")
        ),
        "evidence": list(Evidence.objects.filter(problem=problem).values_list("pk", "event_id")),
    }
