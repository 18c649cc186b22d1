"""Two transitions racing on one problem: exactly one wins, the other gets ConcurrentUpdate.

Each thread has its own database connection and loads the problem before either writes
(a barrier), so both start from the same status/version, as two browsers would. Runs on
whatever database the suite uses (SQLite in CI by default, PostgreSQL in the PG job).
"""

import threading
import time

import pytest
from django.db import OperationalError, connection, connections

from civicloop.core.errors import ConcurrentUpdate
from civicloop.problems import services
from civicloop.problems.models import Action, Problem, ProblemEvent, Status
from civicloop.problems.tests.conftest import bring_to


def _waiting(fn, *args):
    """Call fn, waiting out lock conflicts the way a file database's busy_timeout does.

    The default test database is SQLite in-memory with a shared cache, where a writer
    that meets another's lock gets SQLITE_LOCKED at once instead of waiting. The whole
    transaction has rolled back by then, so calling again is exactly "wait, then run".
    PostgreSQL blocks on the row lock by itself and never gets here.
    """
    for _ in range(200):
        try:
            return fn(*args)
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.01)
    raise AssertionError("lock never released")


def _race(pk: int, workers: list) -> list:
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(i, fn):
        try:
            problem = Problem.objects.select_related("responsible_unit", "area").get(pk=pk)
            barrier.wait(timeout=10)
            _waiting(fn, problem)
            results[i] = "won"
        except ConcurrentUpdate:
            results[i] = "lost"
        except Exception as exc:  # surfaced in the assertion message
            results[i] = repr(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_verifications_exactly_one_wins(ledger):
    problem = bring_to(ledger, Status.SUBMITTED)
    p = ledger.p
    results = _race(
        problem.pk,
        [
            lambda pr: services.problem_verify_pass(user=p.inspector, problem=pr),
            lambda pr: services.problem_verify_fail(user=p.command, problem=pr, reason="仍有垃圾"),
        ],
    )
    assert sorted(results) == ["lost", "won"], results
    problem.refresh_from_db()
    last = ProblemEvent.objects.filter(problem=problem).order_by("at", "id").last()
    assert problem.status == last.to_status
    assert (
        ProblemEvent.objects.filter(
            problem=problem, action__in=[Action.VERIFY_PASS, Action.VERIFY_FAIL]
        ).count()
        == 1
    )
    assert problem.rework_count == (1 if last.action == Action.VERIFY_FAIL else 0)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_urges_do_not_both_count(ledger):
    """Same status before and after: the version in the compare-and-set catches it."""
    problem = bring_to(ledger, Status.RECTIFYING)
    p = ledger.p
    results = _race(
        problem.pk,
        [
            lambda pr: services.problem_urge(user=p.command, problem=pr),
            lambda pr: services.problem_urge(user=p.command, problem=pr),
        ],
    )
    assert sorted(results) == ["lost", "won"], results
    problem.refresh_from_db()
    assert problem.escalation_level == 1
    assert ProblemEvent.objects.filter(problem=problem, action=Action.URGE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_get_distinct_numbers(ledger):
    from civicloop.problems.tests.conftest import new_problem

    numbers: list[str] = []
    errors: list[str] = []
    barrier = threading.Barrier(4)

    def run():
        try:
            barrier.wait(timeout=10)
            numbers.append(_waiting(new_problem, ledger).number)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(set(numbers)) == 4
    assert connection.vendor in ("sqlite", "postgresql")
