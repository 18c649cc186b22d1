"""Two phones submitting the same inspection at once: exactly one wins, the failed items
get exactly one problem each."""

import threading

import pytest
from django.db import connections

from civicloop.core.errors import ConcurrentUpdate, TransitionNotAllowed
from civicloop.inspections import services
from civicloop.inspections.models import Inspection, InspectionStatus, ItemOutcome, ItemResult
from civicloop.inspections.tests.conftest import answers_all_pass
from civicloop.problems.models import Problem
from civicloop.problems.tests.test_concurrency import _waiting


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_exactly_one_wins(insp):
    i = services.inspection_start(user=insp.member, sample=insp.sample_a)
    services.inspection_save(
        user=insp.member,
        inspection=i,
        answers=answers_all_pass(
            insp.items, M1={"outcome": ItemOutcome.FAIL}, M4={"outcome": ItemOutcome.FAIL}
        ),
    )
    users = [insp.member, insp.w.p.inspector]  # two members of the same team
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(n):
        try:
            inspection = Inspection.objects.get(pk=i.pk)
            barrier.wait(timeout=10)
            _waiting(lambda: services.inspection_submit(user=users[n], inspection=inspection))
            results[n] = "won"
        except (TransitionNotAllowed, ConcurrentUpdate):
            results[n] = "lost"
        except Exception as exc:  # surfaced in the assertion message
            results[n] = repr(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["lost", "won"], results
    i.refresh_from_db()
    assert i.status == InspectionStatus.SUBMITTED and i.passed is False
    assert Problem.objects.count() == 2
    assert ItemResult.objects.filter(inspection=i, problem__isnull=False).count() == 2
