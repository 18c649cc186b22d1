"""manage.py import_check_items FILE [--xlsform --point-type CODE [--dry-run]]"""

from django.core.management.base import BaseCommand, CommandError

from civicloop.core.errors import DomainError, ImportFailed
from civicloop.core.xlsx import format_errors
from civicloop.orgs.models import PointType
from civicloop.standards import checkitem_xlsx, xlsform


class Command(BaseCommand):
    help = "导入检查项：Excel 模板格式，或 XLSForm（--xlsform，需指定 --point-type）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--xlsform", action="store_true")
        parser.add_argument("--point-type", dest="point_type", help="点位类型编码或名称")
        parser.add_argument("--dry-run", action="store_true", help="XLSForm 只预览")

    def handle(self, *args, file: str, **opts) -> None:
        try:
            if opts["xlsform"]:
                self._xlsform(file, opts)
            else:
                result = checkitem_xlsx.import_check_items(file, user=None)
                self.stdout.write(result.summary())
        except ImportFailed as exc:
            raise CommandError(f"{exc.message}\n{format_errors(exc.details or [])}") from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _xlsform(self, file: str, opts) -> None:
        word = opts.get("point_type") or ""
        point_type = (
            PointType.objects.filter(code=word).first()
            or PointType.objects.filter(name=word).first()
        )
        if point_type is None:
            raise CommandError("XLSForm 导入需要 --point-type（点位类型编码或名称）")
        result = xlsform.import_xlsform(
            file, user=None, point_type=point_type, dry_run=opts["dry_run"]
        )
        self.stdout.write(f"可导入 {len(result.items)} 个检查项")
        for f in result.unsupported:
            self.stdout.write(f"  未导入 {f.name}（{f.type}）：{f.reason}")
        for f in result.notes:
            self.stdout.write(f"  提示 {f.name}：{f.reason}")
        if result.saved:
            self.stdout.write(result.saved.summary())
