"""Queries compiled once and run with new values (civicloop.core.prepared)."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Q

from civicloop.accounts.models import Membership, Role
from civicloop.core.prepared import (
    PreparedValues,
    _hot_cursor,
    execute_hot,
    utc_datetime_from_text,
)
from civicloop.orgs.models import Area

pytestmark = pytest.mark.django_db


def _memberships_in(user_id, area_id):
    return Membership.objects.filter(user_id=user_id, area_id=area_id).values_list(
        "role", "area__path", "user__date_joined", "user__is_active"
    )


def test_same_rows_as_the_orm_for_any_values(world):
    prepared = PreparedValues(_memberships_in, arity=2)
    seen = 0
    for user in world.p.__dict__.values():
        for area in Area.objects.all():
            rows = prepared(user.pk, area.pk)
            assert rows == list(_memberships_in(user.pk, area.pk))
            seen += len(rows)
    assert seen >= 3
    (row,) = prepared(world.p.command.pk, world.city.pk)
    assert row[0] == Role.COMMAND and row[1] == world.city.path
    assert isinstance(row[2], datetime.datetime) and row[2].tzinfo is not None  # converted
    assert row[3] is True


def test_arguments_may_appear_in_any_order_and_more_than_once(world):
    def build(a, b):
        return Membership.objects.filter(Q(area_id=a) | Q(unit__area_id=a), user_id=b).values_list(
            "id"
        )

    prepared = PreparedValues(build, arity=2)
    assert sorted(prepared._compile("default").positions) == [0, 0, 1]
    for user in world.p.__dict__.values():
        assert prepared(world.city.pk, user.pk) == list(build(world.city.pk, user.pk))


def test_a_constant_parameter_is_refused():
    prepared = PreparedValues(
        lambda user_id: Membership.objects.filter(user_id=user_id, role=Role.COMMAND).values_list(
            "id"
        ),
        arity=1,
    )
    with pytest.raises(ValueError, match="not an argument"):
        prepared(1)


def _prepared_statements() -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def test_on_postgresql_the_statement_is_prepared_once_per_connection(world):
    from django.db import connection

    if connection.vendor != "postgresql":  # SQLite has no server-side statements
        assert _hot_cursor(connection) is None
        return
    sql = "SELECT id, date_joined FROM accounts_user WHERE id = %s AND is_active = %s"
    before = _prepared_statements()
    first = execute_hot(sql, [world.p.command.pk, True])
    new = _prepared_statements() - before
    assert len(new) == 1 and "accounts_user" in next(iter(new))
    second = execute_hot(sql, [world.p.leader.pk, True])
    assert _prepared_statements() - before == new  # planned once, run again
    assert first[0][0] == world.p.command.pk and second[0][0] == world.p.leader.pk
    assert first[0][1] == world.p.command.date_joined  # the C loader: same instant, aware
    assert first[0][1].utcoffset() == datetime.timedelta(0)


def test_elsewhere_it_is_a_plain_query(world):
    rows = execute_hot("SELECT id FROM accounts_user WHERE id = %s", [world.p.command.pk])
    assert rows == [(world.p.command.pk,)]


def test_watched_connections_see_every_hot_statement(world):
    """While queries are logged or wrapped, hot statements go through Django's cursor."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sql = "SELECT id FROM accounts_user WHERE id = %s"
    with CaptureQueriesContext(connection) as ctx:
        assert execute_hot(sql, [world.p.command.pk]) == [(world.p.command.pk,)]
    assert [q["sql"] for q in ctx.captured_queries if "accounts_user" in q["sql"]]
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        assert execute_hot(sql, [world.p.leader.pk]) == [(world.p.leader.pk,)]
    assert seen == [sql]


def test_errors_are_django_database_errors(world):
    from django.db import DatabaseError

    with pytest.raises(DatabaseError):
        execute_hot("SELECT no_such_column FROM accounts_user WHERE id = %s", [1])


def test_a_percent_sign_in_a_hot_statement_stays_literal(world):
    rows = execute_hot(
        "SELECT COUNT(*) FROM accounts_user WHERE username LIKE '%%' AND id = %s",
        [world.p.command.pk],
    )
    assert rows == [(1,)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-07 09:30:00", datetime.datetime(2026, 12, 7, 9, 30, tzinfo=datetime.UTC)),
        (
            "2026-12-07 09:30:00.000123",
            datetime.datetime(2026, 12, 7, 9, 30, 0, 123, tzinfo=datetime.UTC),
        ),
        ("2026-12-07T09:30", datetime.datetime(2026, 12, 7, 9, 30, tzinfo=datetime.UTC)),
        (  # not Django's format: Django's parser, the offset kept
            "2026-12-07 17:30:00+08:00",
            datetime.datetime(2026, 12, 7, 9, 30, tzinfo=datetime.UTC),
        ),
    ],
)
def test_utc_datetime_from_text(text, expected):
    value = utc_datetime_from_text(text)
    assert value == expected and value.tzinfo is not None


def test_utc_datetime_from_text_refuses_what_is_no_datetime():
    with pytest.raises(ValueError):
        utc_datetime_from_text("soon")


@pytest.mark.parametrize("microsecond", [0, 7, 999_999])
def test_utc_text_reads_back_the_same_instant(world, microsecond):
    from civicloop.accounts.models import User
    from civicloop.core.prepared import UtcText

    user = world.p.command
    stamp = datetime.datetime(2026, 3, 29, 1, 30, 5, microsecond, tzinfo=datetime.UTC)
    User.objects.filter(pk=user.pk).update(date_joined=stamp)
    (text,) = User.objects.filter(pk=user.pk).values_list(UtcText("date_joined"), flat=True)
    assert isinstance(text, str) and text.startswith("2026-03-29 01:30:05")
    assert utc_datetime_from_text(text) == stamp
