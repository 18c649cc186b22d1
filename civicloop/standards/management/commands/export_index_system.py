"""manage.py export_index_system CODE OUT.xlsx [--form flat|code]"""

from django.core.management.base import BaseCommand, CommandError

from civicloop.standards import index_xlsx
from civicloop.standards.models import IndexSystem
from civicloop.standards.services.index_systems import read_tree


class Command(BaseCommand):
    help = "导出测评体系为层级表（合并单元格）或编码表"

    def add_arguments(self, parser) -> None:
        parser.add_argument("code")
        parser.add_argument("out")
        parser.add_argument("--form", choices=["flat", "code"], default="flat")

    def handle(self, *args, code: str, out: str, form: str, **opts) -> None:
        system = IndexSystem.objects.filter(code=code).first()
        if system is None:
            raise CommandError(f"没有编码为「{code}」的测评体系")
        tree = read_tree(system)
        if form == "code":
            rows = index_xlsx.write_code_form(out, tree)
        else:
            rows = index_xlsx.write_flat(out, tree, title=str(system))
        self.stdout.write(f"已导出「{system}」{rows} 行到 {out}")
