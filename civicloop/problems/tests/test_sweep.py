"""The overdue sweep writes escalations in bulk: per batch one locking SELECT, one UPDATE
and one INSERT of events, whatever the number of problems."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicloop.problems import services
from civicloop.problems.models import Action, ProblemEvent
from civicloop.problems.tests.conftest import dispatched_due

pytestmark = pytest.mark.django_db


def t(stamp: str) -> datetime:
    return datetime.fromisoformat(f"{stamp}+08:00")


def test_escalation_is_one_insert_per_batch(ledger):
    late = [_dispatched(ledger, "2025-04-20T11:00") for _ in range(5)]
    with CaptureQueriesContext(connection) as ctx:
        result = services.problem_sweep_overdue(at=t("2025-04-20T12:00"), batch_size=2)
    assert (result.flagged, result.escalated) == (5, {3: 0, 2: 0, 1: 5})
    sqls = [q["sql"] for q in ctx.captured_queries]
    inserts = [s for s in sqls if s.startswith('INSERT INTO "problems_problemevent"')]
    level_updates = [s for s in sqls if 'SET "escalation_level"' in s]
    assert len(inserts) == 3 and len(level_updates) == 3  # batches of 2, 2, 1
    assert ProblemEvent.objects.filter(action=Action.ESCALATE).count() == 5
    assert {p.pk for p in late} == set(
        ProblemEvent.objects.filter(action=Action.ESCALATE).values_list("problem_id", flat=True)
    )


def _dispatched(ledger, due: str):
    return dispatched_due(ledger, t(due), sign=False)


def test_a_problem_urged_by_hand_is_flagged_without_another_escalation(ledger):
    urged = _dispatched(ledger, "2025-04-20T11:00")
    with services.using_clock(t("2025-04-19T09:00")):
        services.problem_urge(user=ledger.p.command, problem=urged, note="先催一次")
    plain = _dispatched(ledger, "2025-04-20T11:00")
    result = services.problem_sweep_overdue(at=t("2025-04-20T12:00"))
    assert (result.flagged, result.escalated) == (2, {3: 0, 2: 0, 1: 1})
    urged.refresh_from_db()
    plain.refresh_from_db()
    assert (urged.is_overdue, urged.escalation_level) == (True, 1)
    assert (plain.is_overdue, plain.escalation_level) == (True, 1)
    assert not urged.events.filter(action=Action.ESCALATE).exists()
    event = plain.events.get(action=Action.ESCALATE)
    assert event.data == {"level_before": 0, "level_after": 1} and event.actor is None
    assert event.unit_id == ledger.unit_a.pk and event.due_at == t("2025-04-20T11:00")


def test_overdue_but_not_yet_due_for_escalation_is_flagged(ledger, monkeypatch):
    from datetime import timedelta

    from civicloop.problems import deadlines

    monkeypatch.setattr(
        deadlines,
        "ESCALATION_AFTER",
        {1: timedelta(hours=2), 2: timedelta(days=3), 3: timedelta(days=7)},
    )
    late_1h = _dispatched(ledger, "2025-04-20T11:00")
    late_3h = _dispatched(ledger, "2025-04-20T09:00")
    result = services.problem_sweep_overdue(at=t("2025-04-20T12:00"))
    assert (result.flagged, result.escalated) == (2, {3: 0, 2: 0, 1: 1})
    late_1h.refresh_from_db()
    late_3h.refresh_from_db()
    assert (late_1h.is_overdue, late_1h.escalation_level) == (True, 0)
    assert (late_3h.is_overdue, late_3h.escalation_level) == (True, 1)
