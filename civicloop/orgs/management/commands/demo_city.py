"""`manage.py demo_city --size small|medium|large --seed N [--reset]`.

Builds the demo city (civicloop.demo.builder) and prints the demo logins. The same seed
always gives the same city. On a database that already holds registry data the command
refuses (it never mixes demo rows with real ones); `--reset` first deletes what an earlier
run generated. Everything happens in one transaction: a failure leaves nothing behind.
"""

import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import ProtectedError

from civicloop.accounts.models import Role
from civicloop.demo import (
    data,
    problems_step,  # noqa: F401  registers the problem-ledger step
)
from civicloop.demo.builder import (
    DemoCity,
    DemoCityError,
    build_city,
    reset_demo,
    run_extra_steps,
)

ROLE_LABELS = {"admin": "超级管理员", **{r.value: r.label for r in Role}}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def format_logins(city: DemoCity) -> str:
    """The login table, aligned for a terminal (CJK characters are two columns wide)."""
    header = ("用户名", "姓名", "角色", "范围", "职务")
    rows = [
        (x.username, x.display_name, ROLE_LABELS.get(x.role, x.role), x.scope, x.title)
        for x in city.logins
    ]
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "-" * min(120, sum(widths) + 2 * (len(widths) - 1)))
    return "\n".join(lines)


class Command(BaseCommand):
    help = "生成演示城市（区域网格、责任单位、点位、账号、问题分类），同一种子结果相同。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=list(data.SIZES),
            default="small",
            help="规模：tiny（测试用）、small、medium、large",
        )
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
        parser.add_argument(
            "--reset", action="store_true", help="先删除以前生成的演示数据再重新生成"
        )

    def handle(self, *args, size: str, seed: int, reset: bool, **options):
        out = self.stdout
        try:
            with transaction.atomic():
                if reset:
                    deleted = reset_demo()
                    summary = "，".join(f"{k} {v}" for k, v in deleted.items() if v) or "无"
                    out.write(f"已清除以前的演示数据：{summary}")
                out.write(f"正在生成演示城市（规模 {size}，种子 {seed}）…")
                city = build_city(size, seed, stdout=out)
                run_extra_steps(city, stdout=out)
        except DemoCityError as exc:
            raise CommandError(str(exc)) from exc
        except ProtectedError as exc:
            raise CommandError(
                "无法清除演示数据：仍有其他数据引用演示城市的点位、单位或账号"
                f"（{exc.args[0]}）。请先删除这些数据，或换一个空数据库。"
            ) from exc

        total = sum(city.timings.values())
        out.write(
            self.style.SUCCESS(
                f"演示城市“{city.city.name}”已生成，用时 {total:.1f} 秒：区县 {len(city.districts)} 个，"
                f"街道 {len(city.streets)} 个，社区 {len(city.communities)} 个，网格 {len(city.grids)} 个；"
                f"单位 {len(city.all_units)} 个，点位类型 {len(city.point_types)} 类，"
                f"点位 {city.point_count} 个，问题分类 {city.category_count} 个。"
            )
        )
        out.write("")
        out.write("演示账号（统一密码：" + data.DEMO_PASSWORD + "）")
        out.write(format_logins(city))
        out.write("")
        out.write(self.style.WARNING("以上账号和密码仅供演示，请勿在生产环境使用。"))
