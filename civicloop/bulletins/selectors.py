"""Every read of the bulletins app, scoped by `user=` (out of scope → NotFound).

The public exposure board is the one unscoped read: it only ever returns published
items and their chosen photos.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from civicloop.accounts.models import Role
from civicloop.accounts.scope import scope_of
from civicloop.bulletins import permissions
from civicloop.bulletins.models import Bulletin, ExposureItem
from civicloop.core.errors import NotFound
from civicloop.scoring.models import Period, PublishedSnapshot

FILE_KINDS = ("docx", "xlsx", "pdf")


def _visible_snapshot_ids(user) -> QuerySet | None:
    """None = every snapshot (superuser); else the snapshots of schemes whose bulletins
    the user may download (schemes are few: checked in Python by permissions.py)."""
    from civicloop.scoring.models import Scheme

    if scope_of(user).is_superuser:
        return None
    ids = [s.pk for s in Scheme.objects.select_related("area") if permissions.can_download(user, s)]
    return PublishedSnapshot.objects.filter(period__scheme_id__in=ids).values("pk")


def bulletins(user, *, period: Period | None = None, snapshot: PublishedSnapshot | None = None):
    """Bulletins the user may download, newest first (one query)."""
    qs = Bulletin.objects.select_related("snapshot__period__scheme", "requested_by")
    visible = _visible_snapshot_ids(user)
    if visible is not None:
        qs = qs.filter(snapshot_id__in=visible)
    if period is not None:
        qs = qs.filter(snapshot__period=period)
    if snapshot is not None:
        qs = qs.filter(snapshot=snapshot)
    return qs.order_by("-created_at", "-id")


def bulletin_get(user, pk: int) -> Bulletin:
    bulletin = (
        Bulletin.objects.select_related("snapshot__period__scheme__area", "requested_by")
        .filter(pk=pk)
        .first()
    )
    if bulletin is None or not permissions.can_download(user, bulletin.snapshot.period.scheme):
        raise NotFound()
    return bulletin


def bulletin_file(user, pk: int, kind: str) -> tuple[Bulletin, str]:
    """(bulletin, storage name) of one generated file; 404 when absent or out of scope."""
    if kind not in FILE_KINDS:
        raise NotFound()
    bulletin = bulletin_get(user, pk)
    name = getattr(bulletin, kind).name
    if not name:
        raise NotFound("文件尚未生成")
    return bulletin, name


def download_name(bulletin: Bulletin, kind: str) -> str:
    label = bulletin.snapshot.data.get("period", {}).get("label", "")
    return f"{bulletin.doc_number} {label}考核通报.{kind}".replace("/", "-")


# --- exposure board --------------------------------------------------------------------------


def public_exposure() -> QuerySet[ExposureItem]:
    """Published items for the public page, newest first (photos joined, one query)."""
    return (
        ExposureItem.objects.filter(is_published=True)
        .select_related("before_evidence", "after_evidence")
        .order_by("-published_at", "-id")
    )


def public_photo(item_id: int, which: str):
    """The before/after photo chosen for a published item, else NotFound."""
    item = public_exposure().filter(pk=item_id).first()
    if item is None or which not in ("before", "after"):
        raise NotFound()
    evidence = item.before_evidence if which == "before" else item.after_evidence
    if evidence is None:
        raise NotFound()
    return evidence


def _admin_q(user) -> Q | None:
    scope = scope_of(user)
    if scope.is_superuser:
        return None
    return scope.area_q(prefix="problem__area__", roles={Role.COMMAND})


def exposure_admin(user, *, published: bool | None = None) -> QuerySet[ExposureItem]:
    """Items a command administers (its area subtree), live and taken down."""
    if not permissions.can_manage_exposure(user):
        raise NotFound()
    qs = ExposureItem.objects.select_related(
        "problem", "published_by", "unpublished_by", "before_evidence", "after_evidence"
    )
    q = _admin_q(user)
    if q is not None:
        qs = qs.filter(q)
    if published is not None:
        qs = qs.filter(is_published=published)
    return qs.order_by("-published_at", "-id")


def exposure_item_get(user, pk: int) -> ExposureItem:
    item = exposure_admin(user).filter(pk=pk).first()
    if item is None:
        raise NotFound()
    return item


def exposure_candidates(user, *, keyword: str = "", limit: int = 30):
    """Problems with a before photo that a command could put on the board (not live)."""
    from civicloop.problems.models import Evidence, EvidenceKind, Problem, Status

    if not permissions.can_manage_exposure(user):
        raise NotFound()
    scope = scope_of(user)
    with_photo = Evidence.objects.filter(
        kind=EvidenceKind.BEFORE, content_type__startswith="image/"
    ).values("problem_id")
    live = ExposureItem.objects.filter(is_published=True).values("problem_id")
    qs = (
        Problem.objects.filter(pk__in=with_photo)
        .exclude(pk__in=live)
        .exclude(status__in=[Status.PENDING_REVIEW, Status.REJECTED, Status.VOIDED])
        .select_related("category", "responsible_unit", "area")
    )
    if not scope.is_superuser:
        qs = qs.filter(scope.area_q(prefix="area__", roles={Role.COMMAND}))
    if keyword:
        qs = qs.filter(
            Q(number__icontains=keyword)
            | Q(title__icontains=keyword)
            | Q(description__icontains=keyword)
        )
    return qs.order_by("-created_at", "-id")[:limit]
