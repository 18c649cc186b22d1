"""`manage.py sweep_overdue`: the overdue sweep for cron (same as the Celery beat task)."""

from django.core.management.base import BaseCommand

from civicloop.problems import services


class Command(BaseCommand):
    help = "标记超期问题并按超期时长自动升级督办级别（可由 cron 定时执行）"

    def handle(self, *args, **options):
        result = services.problem_sweep_overdue()
        escalated = ", ".join(f"L{k}: {v}" for k, v in sorted(result.escalated.items()))
        self.stdout.write(
            f"flagged {result.flagged}, cleared {result.cleared}, escalated {escalated}"
        )
