"""Random sequences of actions by random personas, with time passing and overdue sweeps,
keep the ledger's invariants:

- status always equals the last event's to_status, and a refused action changes nothing;
- a closed problem's last event is a verify_pass by a user outside the responsible unit;
- the counters (rework, return, recurrence, extension, escalation) equal what the events
  say, and KPI aggregates recomputed from events match the counters.
"""

import collections
import os
from datetime import datetime, timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from civicloop.core.errors import DomainError
from civicloop.problems import kpis, permissions, services, workflow
from civicloop.problems.models import Action, Problem, ProblemEvent, Status
from civicloop.problems.tests.actions import SERVICE_ACTIONS, call, snapshot
from civicloop.problems.tests.conftest import new_problem

A = Action
PERSONAS = [
    "command",
    "inspector",
    "handler_a",
    "handler_b",
    "citizen",
    "outsider",
    "leader",
    "unit_leader_a",
    "mixed",
    "grid_worker",
]
ENDINGS = {A.VOID, A.REJECT, A.MERGE}
START = datetime.fromisoformat("2025-03-03T09:00:00+08:00")


def _count(problem, *actions):
    return ProblemEvent.objects.filter(problem=problem, action__in=actions).count()


@pytest.mark.django_db
def test_random_histories_keep_the_invariants(ledger):
    world = ledger
    seen: collections.Counter = collections.Counter()

    class Ledger(RuleBasedStateMachine):
        @initialize(report=st.booleans(), child_unit=st.booleans())
        def start(self, report, child_unit):
            # Each example runs in its own savepoint, rolled back in teardown: examples
            # never see each other's rows, so generation is reproducible and the global
            # KPI checks below are exact.
            self._savepoint = transaction.atomic()
            self._savepoint.__enter__()
            self.clock = START
            self.unit = world.unit_a_child if child_unit else world.unit_a
            with services.using_clock(self.clock):
                self.into = new_problem(world)
                self.problem = new_problem(world, report=report)

        def teardown(self):
            if hasattr(self, "_savepoint"):
                seen.update(
                    ProblemEvent.objects.filter(problem=self.problem).values_list(
                        "action", flat=True
                    )
                )
                transaction.set_rollback(True)
                self._savepoint.__exit__(None, None, None)

        def _load(self):
            return Problem.objects.select_related("responsible_unit", "area").get(
                pk=self.problem.pk
            )

        @rule(action=st.sampled_from(SERVICE_ACTIONS), persona=st.sampled_from(PERSONAS))
        def act(self, action, persona):
            """Anything by anyone: mostly refusals, which must change nothing."""
            self._do(self._load(), action, persona)

        @rule(data=st.data())
        def progress(self, data):
            """An action the table allows now, by a persona whose role allows it: drives
            the problem deep into the loop (dispatch, rework, reopen, returns...)."""
            problem = self._load()
            # Ending actions stay reachable through `act`; here they would cut histories short.
            options = sorted(
                workflow.allowed_actions(problem.status) & set(SERVICE_ACTIONS) - ENDINGS
            )
            if not options:
                return
            action = data.draw(st.sampled_from(options))
            able = [n for n in PERSONAS if permissions.may(getattr(world.p, n), problem, action)]
            persona = data.draw(st.sampled_from(able or PERSONAS))
            self._do(problem, action, persona)

        def _do(self, problem, action, persona):
            user = getattr(world.p, persona)
            before = snapshot(problem)
            with services.using_clock(self.clock):
                try:
                    if action == A.DISPATCH:
                        services.problem_dispatch(user=user, problem=problem, unit=self.unit)
                    else:
                        call(action, user, problem, world, into=self.into)
                except DomainError:
                    assert snapshot(problem) == before, f"{persona} {action} changed things"

        @rule(hours=st.integers(min_value=1, max_value=200))
        def time_passes(self, hours):
            self.clock += timedelta(hours=hours)

        @rule()
        def sweep(self):
            services.problem_sweep_overdue(at=self.clock)

        @invariant()
        def status_is_last_event(self):
            problem = Problem.objects.get(pk=self.problem.pk)
            last = ProblemEvent.objects.filter(problem=problem).order_by("at", "id").last()
            assert problem.status == last.to_status

        @invariant()
        def closed_means_independent_pass(self):
            problem = Problem.objects.select_related("responsible_unit").get(pk=self.problem.pk)
            if problem.status != Status.CLOSED:
                return
            last = ProblemEvent.objects.filter(problem=problem).order_by("at", "id").last()
            assert last.action == A.VERIFY_PASS
            assert not permissions.belongs_to_unit(last.actor, problem)

        @invariant()
        def counters_match_events(self):
            p = Problem.objects.get(pk=self.problem.pk)
            assert p.rework_count == _count(p, A.VERIFY_FAIL)
            assert p.return_count == _count(p, A.APPROVE_RETURN)
            assert p.recurrence_count == _count(p, A.REOPEN)
            assert p.extension_count == _count(p, A.APPROVE_EXTENSION)
            # Escalation counts urges since the current dispatch cycle began.
            cycle = (
                ProblemEvent.objects.filter(
                    problem=p, action__in=[A.DISPATCH, A.REOPEN, A.APPROVE_RETURN]
                )
                .order_by("at", "id")
                .last()
            )
            since = ProblemEvent.objects.filter(problem=p, action__in=[A.URGE, A.ESCALATE])
            if cycle is not None:
                since = since.filter(pk__gt=cycle.pk)
            levels = [e.data.get("level_after", 0) for e in since.order_by("pk")]
            assert p.escalation_level == (levels[-1] if levels else 0)

        @invariant()
        def kpis_from_events_match_counters(self):
            rows = kpis.kpi_table(
                group_by="unit",
                start=START - timedelta(days=1),
                end=START + timedelta(days=3650),
                now=self.clock,
            )
            totals = kpis.kpi_totals(rows)
            sums = Problem.objects.aggregate(
                r=Sum("rework_count"), t=Sum("return_count"), c=Sum("recurrence_count")
            )
            assert totals.reworks == (sums["r"] or 0)
            assert totals.returns == (sums["t"] or 0)
            assert totals.recurrences == (sums["c"] or 0)
            p = Problem.objects.get(pk=self.problem.pk)
            if p.status == Status.CLOSED:
                last_pass = (
                    ProblemEvent.objects.filter(problem=p, action=A.VERIFY_PASS)
                    .order_by("at", "id")
                    .last()
                )
                assert last_pass.on_time == (p.submitted_at <= p.due_at)
                assert totals.closed == (1 if p.due_at < START + timedelta(days=3650) else 0)

    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=40,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    if os.environ.get("DIAG"):
        print(seen)
