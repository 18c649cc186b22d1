"""Load (or refresh) the default problem-category taxonomy: `manage.py load_categories`."""

from django.core.management.base import BaseCommand

from civicloop.orgs.models import Unit, UnitKind
from civicloop.standards.taxonomy import iter_default_rows, load_default_categories


def department_lookup() -> dict[str, Unit]:
    """Map department keys ("城管局") to city-level department units by name.

    A key matches a department whose short name equals it, or whose name contains it; the
    shortest such name wins, so "公安局" prefers 市公安局 over 市公安局交通警察支队.
    """
    departments = list(
        Unit.objects.filter(kind=UnitKind.DEPARTMENT, parent__isnull=True, is_active=True)
        .order_by("path")
        .only("pk", "name", "short_name")
    )

    def find(key: str) -> Unit | None:
        exact = [u for u in departments if u.short_name == key]
        if exact:
            return exact[0]
        matches = [u for u in departments if key in u.name]
        return min(matches, key=lambda u: len(u.name)) if matches else None

    keys = {row["dept"] for row in iter_default_rows()}
    return {key: unit for key in keys if (unit := find(key)) is not None}


class Command(BaseCommand):
    help = "导入默认问题分类（大类/小类、处置时限、结案条件），按编码幂等更新。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep-existing",
            action="store_true",
            help="只新增缺少的分类，不修改已有分类（保留管理员调整过的时限）",
        )
        parser.add_argument(
            "--no-units", action="store_true", help="不根据部门名称设置默认责任单位"
        )

    def handle(self, *args, keep_existing: bool = False, no_units: bool = False, **options):
        lookup = None if no_units else department_lookup()
        written = load_default_categories(lookup, overwrite=not keep_existing)
        matched = 0 if lookup is None else len(lookup)
        self.stdout.write(
            self.style.SUCCESS(
                f"问题分类导入完成：新增或更新 {written} 个；匹配到默认责任单位的部门 {matched} 个。"
            )
        )
