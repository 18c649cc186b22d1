"""Demo step: bulletins for the published demo periods and a handful of exposure items
(discovered by civicloop.demo.builder; runs after the scoring step, order 400).

- one bulletin (DOCX + XLSX; PDF only where LibreOffice exists) for the latest published
  version of every period of the demo schemes (12 weekly + 3 monthly); photos of typical
  problems only in the newest bulletin of each scheme, so `demo_city --size small` stays
  fast;
- five problems with before-photos published to the public exposure board.

Generation runs in this process inside the demo transaction (the queued task that fires
after commit finds the rows already done: it is idempotent).
"""

from __future__ import annotations

from django.core.files.storage import default_storage

from civicloop.accounts.models import User
from civicloop.bulletins import selectors, services
from civicloop.bulletins.models import Bulletin, ExposureItem, JobStatus
from civicloop.demo.builder import DemoCity, register_reset, register_step
from civicloop.scoring.models import PublishedSnapshot

DEMO_SCHEMES = ("街道周考核", "市直部门月考核")  # civicloop.scoring.demo_steps.SCHEME_NAMES
EXPOSURE_ITEMS = 5


def _actor() -> User:
    return User.objects.filter(is_superuser=True).order_by("pk").first() or User.objects.get(
        username="command"
    )


def _latest_snapshots() -> list[PublishedSnapshot]:
    """The latest version of each published demo period, oldest period first."""
    latest: dict[int, PublishedSnapshot] = {}
    for snap in (
        PublishedSnapshot.objects.filter(period__scheme__name__in=DEMO_SCHEMES)
        .select_related("period__scheme__area")
        .order_by("period__start_date", "version")
    ):
        latest[snap.period_id] = snap
    return sorted(latest.values(), key=lambda s: (s.period.scheme_id, s.period.start_date))


@register_step("通报与曝光台", order=450)
def make_bulletins(city: DemoCity) -> None:
    actor = _actor()
    snapshots = _latest_snapshots()
    newest = {}
    for snap in snapshots:
        newest[snap.period.scheme_id] = snap.pk  # sorted by start: the last one wins
    failed = []
    for snap in snapshots:
        with_photos = snap.pk in newest.values()
        bulletin = services.bulletin_request(
            actor,
            snap,
            include_photos=with_photos,
            typical_problem_ids=None if with_photos else [],
        )
        done = services.bulletin_generate(bulletin.pk)
        if done.status != JobStatus.SUCCEEDED:
            failed.append(f"{snap}: {done.error[:300]}")
    if failed:
        raise RuntimeError("demo bulletins failed: " + "; ".join(failed))
    for problem in selectors.exposure_candidates(actor, limit=EXPOSURE_ITEMS):
        services.exposure_publish(actor, problem.pk)


@register_reset(order=450)
def drop_bulletin_files() -> None:
    """Exposure items of the demo city go first (they PROTECT the demo users who
    published them); bulletin rows go with their snapshots (CASCADE); then the files of
    bulletins that no longer exist, whatever order the reset hooks run in."""
    from django.db.models import Q

    from civicloop.demo import data
    from civicloop.problems.models import Problem

    # The problem-ledger reset may already have removed the problems with a raw delete
    # (no cascade), so catch items by their demo publisher or a vanished problem (no
    # join through the problem: its row may be gone).
    ExposureItem.objects.filter(
        Q(published_by__email__iendswith="@" + data.DEMO_EMAIL_DOMAIN)
        | ~Q(problem_id__in=Problem.objects.values("pk"))
    ).delete()
    for bulletin in Bulletin.objects.filter(snapshot__period__scheme__name__in=DEMO_SCHEMES).only(
        "docx", "xlsx", "pdf"
    ):
        for f in (bulletin.docx, bulletin.xlsx, bulletin.pdf):
            if f:
                default_storage.delete(f.name)
    _delete_orphans()


def _delete_orphans() -> None:
    if not default_storage.exists("bulletins"):
        return
    alive = {str(pk) for pk in Bulletin.objects.values_list("pk", flat=True)}
    snapshot_dirs, _ = default_storage.listdir("bulletins")
    for snap_dir in snapshot_dirs:
        bulletin_dirs, _ = default_storage.listdir(f"bulletins/{snap_dir}")
        for b_dir in bulletin_dirs:
            if b_dir in alive:
                continue
            _, files = default_storage.listdir(f"bulletins/{snap_dir}/{b_dir}")
            for name in files:
                default_storage.delete(f"bulletins/{snap_dir}/{b_dir}/{name}")
