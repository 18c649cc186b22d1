"""Export a registry to Excel: `manage.py export_registry <kind> <out.xlsx> [--user U]`.

The file has the same columns as the import template, so it can be edited and imported
again. Without --user everything is exported; with it, only that user's scope.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from civicloop.accounts.models import User
from civicloop.core.errors import DomainError
from civicloop.orgs import exports
from civicloop.orgs.imports import get_kind, kinds


class Command(BaseCommand):
    help = "把基础数据（区域、单位、点位类型、点位、用户）导出为 Excel，列与导入模板一致"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "kind", help="数据类型：" + "、".join(f"{k.key}（{k.title}）" for k in kinds().values())
        )
        parser.add_argument("out", help="输出的 .xlsx 文件路径")
        parser.add_argument("--user", help="只导出该用户可见的数据；默认导出全部")

    def handle(self, *args, **options) -> None:
        user = None
        if options.get("user"):
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"用户「{options['user']}」不存在或已停用")
        try:
            kind = get_kind(options["kind"])
            count = exports.export_registry(kind.key, options["out"], user=user)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"已导出「{kind.title}」{count} 行：{options['out']}"))
