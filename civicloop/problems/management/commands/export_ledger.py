"""`manage.py export_ledger out.xlsx [--status ...] [--unit ID] [--area ID] ...`

Exports the ledger (all problems, or a user's scope with --user) with the same filters as
the ledger page, in constant memory (see civicloop.problems.exports).
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from civicloop.accounts.models import User
from civicloop.problems import exports, selectors
from civicloop.problems.models import Severity, Source, Status


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from exc


class Command(BaseCommand):
    help = "导出问题台账为 Excel（可按状态、单位、区域、分类、来源、日期等筛选）"

    def add_arguments(self, parser):
        parser.add_argument("output", help="输出文件路径，如 out.xlsx")
        parser.add_argument("--status", action="append", choices=Status.values, default=[])
        parser.add_argument("--unit", type=int, help="责任单位 ID（含下级单位）")
        parser.add_argument("--area", type=int, help="区域 ID（含下级区域）")
        parser.add_argument("--category", type=int, help="问题分类 ID（大类含小类）")
        parser.add_argument("--source", choices=Source.values)
        parser.add_argument("--severity", choices=Severity.values)
        parser.add_argument("--overdue", action="store_true", help="仅已超期")
        parser.add_argument("--from", dest="created_from", type=_date)
        parser.add_argument("--to", dest="created_to", type=_date)
        parser.add_argument("--keyword", default="")
        parser.add_argument("--user", help="按该用户的数据范围导出（默认全部）")

    def handle(self, *args, **options):
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"用户不存在：{options['user']}")
        else:
            # A transient superuser: the scope helpers then restrict nothing.
            user = User(username="export_ledger", is_superuser=True, is_active=True)
        filters = selectors.LedgerFilters(
            status=options["status"] or None,
            unit=options["unit"],
            area=options["area"],
            category=options["category"],
            source=options["source"],
            severity=options["severity"],
            overdue=True if options["overdue"] else None,
            created_from=options["created_from"],
            created_to=options["created_to"],
            keyword=options["keyword"],
        )
        qs = selectors.problem_list(user=user, filters=filters)
        with open(options["output"], "wb") as out:
            count = exports.export_ledger(qs, out)
        self.stdout.write(f"exported {count} problems to {options['output']}")
