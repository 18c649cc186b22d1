"""manage.py import_index_system FILE (--code C --name N --kind K --sys-version V | --into CODE)"""

from django.core.management.base import BaseCommand, CommandError

from civicloop.core.errors import DomainError, ImportFailed
from civicloop.core.xlsx import format_errors
from civicloop.standards.models import IndexSystem, IndexSystemKind
from civicloop.standards.services import index_systems as svc


class Command(BaseCommand):
    help = "导入测评体系（层级表或编码表 .xlsx）：新建体系，或替换草稿体系的全部指标"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--into", help="替换该编码的草稿体系")
        parser.add_argument("--code")
        parser.add_argument("--name")
        parser.add_argument("--kind", choices=IndexSystemKind.values, default="local")
        parser.add_argument("--sys-version", dest="sys_version", help="版本，如 2025版")
        parser.add_argument("--year", type=int)

    def handle(self, *args, file: str, into: str | None, **opts) -> None:
        target = None
        new = None
        if into:
            target = IndexSystem.objects.filter(code=into).first()
            if target is None:
                raise CommandError(f"没有编码为「{into}」的测评体系")
        else:
            missing = [k for k in ("code", "name", "sys_version") if not opts.get(k)]
            if missing:
                raise CommandError("新建体系需要 --code、--name 和 --sys-version")
            new = {
                "code": opts["code"],
                "name": opts["name"],
                "kind": opts["kind"],
                "version": opts["sys_version"],
                "year": opts.get("year"),
            }
        try:
            result = svc.index_system_import(user=None, source=file, system=target, new_system=new)
        except ImportFailed as exc:
            raise CommandError(f"{exc.message}\n{format_errors(exc.details or [])}") from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(result.summary())
