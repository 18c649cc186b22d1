"""The list serializer's fast path gives exactly what DRF's own field machinery gives."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from civicloop.problems import selectors
from civicloop.problems.models import Status
from civicloop.problems.serializers import ProblemListSerializer
from civicloop.problems.tests.conftest import new_problem

pytestmark = pytest.mark.django_db


def test_fast_list_representation_equals_drf(ledger, bring):
    bring(Status.DISPATCHED)
    bring(Status.CLOSED)
    bring(Status.SUBMITTED)
    new_problem(ledger, report=True)  # pending review, no unit, no deadline
    rows = list(selectors.problem_list(user=ledger.p.command))
    assert len(rows) >= 4
    fast = ProblemListSerializer(rows, many=True).data
    drf = [serializers.ModelSerializer.to_representation(ProblemListSerializer(), p) for p in rows]
    assert [dict(r) for r in fast] == drf
    assert {r["status"] for r in fast} >= {"dispatched", "closed", "submitted", "pending_review"}
    nulls = [r for r in fast if r["responsible_unit"] is None]
    assert nulls and all(r["responsible_unit_name"] is None for r in nulls)
    assert any(r["due_at"] and r["light"] for r in fast)
