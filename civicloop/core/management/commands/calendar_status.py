"""Print which source the working calendar uses for each year (DESIGN.md §7)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from civicloop.core import workcalendar


def describe(year: int) -> str:
    """One Chinese line describing the calendar source of `year`."""
    status = workcalendar.year_status(year)
    count = workcalendar.override_count(year)
    if status == workcalendar.STATUS_PACKAGE:
        extra = f"，另有 {count} 条后台调整" if count else ""
        return f"{year} 年：使用内置的国务院节假日安排（含调休）{extra}"
    if status == workcalendar.STATUS_TABLE:
        return f"{year} 年：使用后台录入的节假日调整（{count} 条），其余日期按周末双休计算"
    return f"{year} 年：无法定节假日数据，按周末双休计算，请在后台录入节假日"


class Command(BaseCommand):
    help = "显示各年份工作日历的数据来源（内置数据 / 后台录入 / 仅周末）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--years", nargs="+", type=int, help="要检查的年份，默认今年和明年")

    def handle(self, *args, **options) -> None:
        this_year = timezone.localdate().year
        years = options["years"] or [this_year, this_year + 1]
        workcalendar.clear_cache()  # a long-lived shell may hold an old table
        for year in years:
            line = describe(year)
            if workcalendar.year_status(year) == workcalendar.STATUS_FALLBACK:
                self.stdout.write(self.style.WARNING(line))
            else:
                self.stdout.write(line)
