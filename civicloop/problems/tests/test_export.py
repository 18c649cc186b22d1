"""Ledger export: rows and columns for a filter, leaders from ancestors, bounded queries,
the page download and the management command."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from civicloop.orgs.models import AreaResponsibility, ResponsibilityKind
from civicloop.problems import exports, selectors, services
from civicloop.problems.models import Problem, Status

pytestmark = pytest.mark.django_db

HEADER = [
    "问题编号",
    "来源",
    "问题分类",
    "位置",
    "所属区域",
    "责任单位",
    "包片领导",
    "派遣时间",
    "整改时限",
    "状态",
    "超期天数",
    "返工次数",
]


def rows_of(data: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(data), read_only=True).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def export_bytes(qs, **kw) -> bytes:
    out = io.BytesIO()
    exports.export_ledger(qs, out, **kw)
    return out.getvalue()


@pytest.fixture
def leaders(ledger):
    AreaResponsibility.objects.create(
        area=ledger.east, kind=ResponsibilityKind.LEADER, person_name="王区长", title="副区长"
    )
    AreaResponsibility.objects.create(
        area=ledger.east_grid, kind=ResponsibilityKind.LEADER, user=ledger.p.leader
    )
    AreaResponsibility.objects.create(  # not a leader: never in the column
        area=ledger.east_grid, kind=ResponsibilityKind.SUPPORTING_UNIT, unit=ledger.cgj
    )
    return ledger


def test_columns_rows_and_filter(ledger, leaders, bring, helpers):
    dispatched = bring(Status.DISPATCHED)
    bring(Status.REGISTERED)
    qs = selectors.problem_list(user=ledger.p.command, status="dispatched")
    rows = rows_of(export_bytes(qs))
    assert rows[0] == HEADER
    assert len(rows) == 2
    row = dict(zip(HEADER, rows[1], strict=True))
    assert row["问题编号"] == dispatched.number
    assert row["来源"] == "督查检查"
    assert row["问题分类"] == "市容环境/暴露垃圾"
    assert row["位置"] == "东华农贸市场 · 东华路1号"
    assert row["所属区域"] == "东华社区第一网格"
    assert row["责任单位"] == "东华街道办事处"
    # grid leader first, then the district's (an ancestor's) leader
    assert row["包片领导"] == "包片领导、王区长（副区长）"
    local_due = timezone.localtime(dispatched.due_at).replace(tzinfo=None, microsecond=0)
    assert row["整改时限"].replace(microsecond=0) == local_due
    assert row["派遣时间"] is not None
    assert row["状态"] == "待签收"
    assert row["超期天数"] is None
    assert row["返工次数"] == 0


def test_overdue_days_and_rework(ledger, bring):
    problem = bring(Status.SUBMITTED)
    services.problem_verify_fail(user=ledger.p.inspector, problem=problem, reason="不合格")
    later = problem.due_at + timedelta(days=2, hours=1)
    qs = selectors.problem_list(user=ledger.p.command)
    row = dict(zip(HEADER, rows_of(export_bytes(qs, now=later))[1], strict=True))
    assert row["状态"] == "整改中"
    assert row["超期天数"] == 3  # 2 days and 1 hour late: the third day has begun
    assert row["返工次数"] == 1


def test_bounded_queries_whatever_the_row_count(ledger, leaders, helpers):
    for _ in range(30):
        helpers.new_problem(ledger)
    qs = selectors.problem_list(user=ledger.p.command)
    with CaptureQueriesContext(connection) as ctx:
        data = export_bytes(qs)
    assert len(rows_of(data)) == 31
    # leaders (1) + the rows (1); scope is cached on the user
    assert len(ctx.captured_queries) <= 3, [q["sql"] for q in ctx.captured_queries]


def test_export_respects_scope(ledger, bring, helpers):
    bring(Status.DISPATCHED)
    helpers.new_problem(ledger, point=ledger.point_b)
    qs = selectors.problem_list(user=ledger.p.outsider)
    rows = rows_of(export_bytes(qs))
    assert len(rows) == 2 and rows[1][4] == "西华社区第一网格"


def test_page_download_uses_current_filter(client, ledger, bring):
    dispatched = bring(Status.DISPATCHED)
    bring(Status.REGISTERED)
    client.force_login(ledger.p.command)
    r = client.get(reverse("problems:export"), {"status": "dispatched"})
    assert r.status_code == 200
    assert r["Content-Type"] == exports.XLSX_TYPE
    assert "attachment" in r["Content-Disposition"]
    rows = rows_of(b"".join(r.streaming_content))
    assert [row[0] for row in rows[1:]] == [dispatched.number]
    client.force_login(ledger.p.handler_b)
    rows = rows_of(b"".join(client.get(reverse("problems:export")).streaming_content))
    assert rows == [HEADER]


def test_management_command(tmp_path, ledger, bring):
    bring(Status.DISPATCHED)
    bring(Status.REGISTERED)
    out = tmp_path / "out.xlsx"
    call_command("export_ledger", str(out), "--status", "registered", stdout=io.StringIO())
    rows = rows_of(out.read_bytes())
    assert len(rows) == 2 and rows[1][9] == "待派遣"
    call_command("export_ledger", str(out), "--user", "handler_a", stdout=io.StringIO())
    assert [r[9] for r in rows_of(out.read_bytes())[1:]] == ["待签收"]
    assert Problem.objects.count() == 2
