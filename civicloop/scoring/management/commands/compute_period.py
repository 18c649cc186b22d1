"""Compute (and optionally publish) an assessment period from cron or a shell.

manage.py compute_period --scheme 3 --date 2025-03-05 [--publish] [--user admin]
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from civicloop.accounts.models import User
from civicloop.core.errors import DomainError
from civicloop.scoring import services
from civicloop.scoring.models import ComputationStatus, Scheme


class Command(BaseCommand):
    help = "计算考核周期（含该日期的周/月/季/年），可选直接发布"

    def add_arguments(self, parser):
        parser.add_argument("--scheme", type=int, required=True, help="考核方案ID")
        parser.add_argument("--date", required=True, help="周期内任一日期，YYYY-MM-DD")
        parser.add_argument("--publish", action="store_true", help="计算成功后发布")
        parser.add_argument("--user", default=None, help="以该用户名执行（默认第一个超级用户）")

    def handle(self, *args, **opts):
        scheme = Scheme.objects.filter(pk=opts["scheme"]).first()
        if scheme is None:
            raise CommandError(f"考核方案 {opts['scheme']} 不存在")
        try:
            day = date.fromisoformat(opts["date"])
        except ValueError:
            raise CommandError("日期格式应为 YYYY-MM-DD") from None
        if opts["user"]:
            user = User.objects.filter(username=opts["user"]).first()
        else:
            user = User.objects.filter(is_superuser=True).order_by("pk").first()
        if user is None:
            raise CommandError("找不到执行用户")
        try:
            period = services.period_create(user, scheme, day)
            job = services.period_compute_now(user, period)
            if job.status != ComputationStatus.SUCCEEDED:
                raise CommandError(f"计算失败：{job.error.splitlines()[0] if job.error else ''}")
            self.stdout.write(
                f"{period.label}：已计算 {job.object_count} 个对象，用时 {job.duration_ms} ms"
            )
            if opts["publish"]:
                snap = services.period_publish(user, period)
                self.stdout.write(f"已发布第 {snap.version} 版")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
