"""Scoped reads: who sees what, the ledger filters, workbench counts in one query, no N+1."""

from datetime import datetime

import pytest
from django.http import Http404

from civicloop.accounts.scope import scope_of
from civicloop.problems import selectors, services
from civicloop.problems.models import Source, Status
from civicloop.problems.tests.conftest import bring_to, new_problem


def t(stamp: str) -> datetime:
    return datetime.fromisoformat(f"{stamp}+08:00")


@pytest.fixture
def spread(ledger):
    """Problems in several states, east (unit A, its sub-unit) and west (unit B)."""
    w = ledger
    out = {
        "reported": new_problem(w, report=True),
        "registered": bring_to(w, Status.REGISTERED),
        "rectifying": bring_to(w, Status.RECTIFYING),
        "child": bring_to(w, Status.DISPATCHED, unit=w.unit_a_child),
        "submitted": bring_to(w, Status.SUBMITTED),
    }
    west = services.problem_create(
        user=w.p.command,
        source=Source.MEDIA,
        category=w.cat_litter,
        description="西华小巷污水横流",
        point=w.point_b,
    )
    services.problem_dispatch(user=w.p.command, problem=west, unit=w.unit_b)
    out["west"] = west
    return out


def _ids(qs):
    return {p.pk for p in qs}


def test_scope_per_persona(ledger, spread):
    p, s = ledger.p, spread
    everything = {x.pk for x in s.values()}
    east = everything - {s["west"].pk}
    assert _ids(selectors.problem_list(user=p.command)) == everything
    assert _ids(selectors.problem_list(user=p.leader)) == everything
    assert _ids(selectors.problem_list(user=p.inspector)) == east
    assert _ids(selectors.problem_list(user=p.outsider)) == {s["west"].pk}
    assert _ids(selectors.problem_list(user=p.handler_a)) == {
        s["rectifying"].pk,
        s["child"].pk,
        s["submitted"].pk,
    }
    assert _ids(selectors.problem_list(user=p.handler_b)) == {s["west"].pk}
    assert _ids(selectors.problem_list(user=p.citizen)) == {s["reported"].pk}
    assert _ids(selectors.problem_list(user=p.grid_worker)) == east
    with pytest.raises(Http404):
        selectors.problem_get(user=p.outsider, pk=s["rectifying"].pk)
    with pytest.raises(Http404):
        selectors.problem_get(user=p.handler_b, number=s["rectifying"].number)
    assert selectors.problem_get(user=p.handler_a, pk=s["child"].pk) == s["child"]


def test_filters(ledger, spread):
    w, s, cmd = ledger, spread, ledger.p.command
    assert _ids(selectors.problem_list(user=cmd, status=Status.RECTIFYING)) == {s["rectifying"].pk}
    assert _ids(selectors.problem_list(user=cmd, unit=w.unit_a)) == {
        s["rectifying"].pk,
        s["child"].pk,
        s["submitted"].pk,
    }
    assert _ids(selectors.problem_list(user=cmd, unit=w.unit_a_child.pk)) == {s["child"].pk}
    assert _ids(selectors.problem_list(user=cmd, area=w.west)) == {s["west"].pk}
    assert len(selectors.problem_list(user=cmd, category=w.cat_env)) == 6  # 大类 ⊇ 小类
    assert _ids(selectors.problem_list(user=cmd, source=Source.MEDIA)) == {s["west"].pk}
    assert _ids(selectors.problem_list(user=cmd, keyword="污水")) == {s["west"].pk}
    assert _ids(selectors.problem_list(user=cmd, keyword=s["child"].number.lower())) == {
        s["child"].pk
    }
    far = t("2100-01-01T00:00")
    overdue = _ids(selectors.problem_list(user=cmd, overdue=True, now=far))
    assert overdue == {s["rectifying"].pk, s["child"].pk, s["west"].pk}
    assert _ids(selectors.problem_list(user=cmd, light="red", now=far)) == overdue
    today = s["west"].created_at.astimezone().date()
    assert len(selectors.problem_list(user=cmd, created_from=today, created_to=today)) == 6
    assert len(selectors.problem_list(user=cmd, created_to=today.replace(year=2000))) == 0
    # Unknown ordering falls back to newest first.
    assert list(selectors.problem_list(user=cmd, ordering="; drop table")) == list(
        selectors.problem_list(user=cmd)
    )


def test_workbench_counts_in_one_query(ledger, spread, django_assert_num_queries):
    cmd, handler = ledger.p.command, ledger.p.handler_a
    scope_of(cmd), scope_of(handler)  # memberships are loaded once per request anyway
    with django_assert_num_queries(1):
        counts = selectors.workbench_counts(user=cmd)
    assert counts["pending_review"] == 1 and counts["registered"] == 1
    assert counts["dispatched"] == 2 and counts["rectifying"] == 1
    assert counts["submitted"] == 1 and counts["overdue"] == 0
    far = selectors.workbench_counts(user=handler, now=t("2100-01-01T00:00"))
    assert far["overdue"] == 2 and far["pending_review"] == 0 and far["submitted"] == 1
    assert _ids(selectors.workbench_list(user=handler, bucket="dispatched")) == {spread["child"].pk}


def test_ledger_list_has_no_n_plus_one(ledger, spread, django_assert_max_num_queries):
    cmd = ledger.p.command
    scope_of(cmd)
    with django_assert_max_num_queries(1):
        rows = [
            (
                p.number,
                p.category.name,
                p.area.name,
                p.light,
                p.responsible_unit.name if p.responsible_unit else "",
            )
            for p in selectors.problem_list(user=cmd)
        ]
    assert len(rows) == 6


def test_timeline_and_requests(ledger, spread, django_assert_max_num_queries):
    problem = spread["submitted"]
    with django_assert_max_num_queries(2):
        events = [
            (e.action, e.actor.name if e.actor else "", list(e.evidence.all()))
            for e in selectors.problem_events(problem=problem)
        ]
    assert [a for a, _, _ in events] == ["create", "dispatch", "sign", "submit"]
    assert len(events[-1][2]) == 1  # the after-photo hangs on the submit event
    rect = spread["rectifying"]
    services.problem_request_return(user=ledger.p.handler_a, problem=rect, reason="非本单位")
    assert selectors.pending_request_kinds(rect) == {"return"}
    assert [r.problem_id for r in selectors.pending_requests(user=ledger.p.command)] == [rect.pk]
    assert list(selectors.pending_requests(user=ledger.p.outsider)) == []
