"""The problems tables carry each index once (migration 0004)."""

from __future__ import annotations

import pytest
from django.db import connection

from civicloop.problems.models import Problem, ProblemEvent

pytestmark = pytest.mark.django_db


def _indexes(model) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {
        name: info["columns"]
        for name, info in constraints.items()
        if info["index"] and not info["primary_key"] and not info["unique"]
    }


@pytest.mark.parametrize(
    ("model", "column", "composite"),
    [
        (Problem, "area_id", "problem_area_status"),
        (Problem, "category_id", "problem_category_created"),
        (Problem, "reporter_id", "problem_reporter"),
        (Problem, "responsible_unit_id", "problem_unit_status"),
        (ProblemEvent, "problem_id", "pevent_problem_at"),
        (ProblemEvent, "unit_id", "pevent_unit_action_at"),
    ],
)
def test_a_foreign_key_led_composite_index_is_its_only_index(model, column, composite):
    indexes = _indexes(model)
    assert indexes[composite][0] == column
    assert [name for name, columns in indexes.items() if columns == [column]] == []


def test_other_foreign_keys_keep_their_own_index():
    assert ["point_id"] in _indexes(Problem).values()
    assert ["actor_id"] in _indexes(ProblemEvent).values()


def test_postgresql_vacuums_the_problems_table_early():
    if connection.vendor != "postgresql":
        pytest.skip("autovacuum settings exist on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'problems_problem'")
        (options,) = cursor.fetchone()
    assert "autovacuum_vacuum_scale_factor=0.02" in options
