"""Import a registry sheet from Excel: `manage.py import_registry <kind> <file.xlsx>`.

Without --user it is a system import (no jurisdiction limit). All-or-nothing: on any error
nothing is written, every bad row/column is printed in Chinese, and the exit code is 1.
`--template` writes the empty template of <kind> to <file.xlsx> instead.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from civicloop.accounts.models import User
from civicloop.core.errors import DomainError, ImportFailed
from civicloop.core.xlsx import format_errors
from civicloop.orgs import exports
from civicloop.orgs.imports import MODES, get_kind, import_registry, kinds


class Command(BaseCommand):
    help = "从 Excel 导入基础数据（区域、单位、点位类型、点位、用户），全部成功或全部不写入"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "kind", help="数据类型：" + "、".join(f"{k.key}（{k.title}）" for k in kinds().values())
        )
        parser.add_argument("file", help=".xlsx 文件路径（--template 时为输出路径）")
        parser.add_argument("--user", help="以该用户身份导入（按其管辖范围校验）；默认为系统导入")
        parser.add_argument(
            "--mode",
            choices=MODES,
            default="upsert",
            help="upsert：新增并更新已有编码（默认）；create：只新增，已有编码报错",
        )
        parser.add_argument("--template", action="store_true", help="只生成空白导入模板")

    def handle(self, *args, **options) -> None:
        try:
            kind = get_kind(options["kind"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if options["template"]:
            exports.write_template(kind.key, options["file"])
            self.stdout.write(
                self.style.SUCCESS(f"已生成「{kind.title}」导入模板：{options['file']}")
            )
            return
        user = self._user(options.get("user"))
        try:
            result = import_registry(kind.key, options["file"], user=user, mode=options["mode"])
        except FileNotFoundError as exc:
            raise CommandError(f"文件不存在：{options['file']}") from exc
        except ImportFailed as exc:
            self.stderr.write(exc.message)
            details = [d for d in exc.details or [] if d.get("message") != exc.message]
            if details:
                self.stderr.write(format_errors(details))
            raise CommandError("导入失败，未写入任何数据", returncode=1) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(result.summary))
        if result.passwords:
            self.stdout.write("新用户的初始密码（只显示这一次，请妥善转交）：")
            for username, password in result.passwords:
                self.stdout.write(f"  {username}\t{password}")

    @staticmethod
    def _user(username: str | None):
        if not username:
            return None
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"用户「{username}」不存在或已停用") from exc
