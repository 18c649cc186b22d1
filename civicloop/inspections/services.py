"""Every write of rounds and inspections (DESIGN.md §4, §9).

Round: draft → published (sample frozen) → in_progress → closed. Status changes are
compare-and-set on (status, version); a lost race is ConcurrentUpdate, a wrong status
TransitionNotAllowed. Quotas, scope and the sample change only in draft.

Inspection: draft (saved any number of times: one upsert per item, so a lost connection
loses nothing already sent) → submitted, once (compare-and-set on status and version).

On submit every failed item gets a problem in the ledger, through
`civicloop.problems.services` only:
- 回头看: when an earlier result at this point for the same check item has a problem that
  is closed, it is reopened (recurrence +1, dispatched again to its unit); when that
  problem is still open, the item is linked to it; otherwise
- a new problem is created (source 督查检查, the item's category, the point, the item's
  photo as the before-photo, source_key "insp:<result id>" so a retry returns the same
  problem) — registered by the inspector when their own scope allows it, else on behalf
  of the round's creator — and dispatched at once by the round's creator (command) to the
  routed unit (the point's responsible unit first, DESIGN.md §8) with the category's
  deadline. When the creator may not dispatch there, it stays 待派遣 for the command
  centre's queue.
All of it happens in the submit transaction: either the inspection is submitted and every
failure is in the ledger, or nothing changed.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from civicloop.core import audit
from civicloop.core.errors import (
    ConcurrentUpdate,
    NotFound,
    NotPermitted,
    TransitionNotAllowed,
    ValidationFailed,
)
from civicloop.orgs.models import Area, AreaLevel, PointType
from civicloop.problems import evidence as ev
from civicloop.standards.models import CheckItem

from . import permissions, sampling, scoring
from .models import (
    Inspection,
    InspectionStatus,
    ItemOutcome,
    ItemResult,
    ProblemLink,
    Round,
    RoundKind,
    RoundQuota,
    RoundStatus,
    RoundTeam,
    SamplePoint,
)

RS = RoundStatus

# status → statuses it may move to (the round's pure transition table).
ROUND_TRANSITIONS = {
    RS.DRAFT: {RS.PUBLISHED},
    RS.PUBLISHED: {RS.IN_PROGRESS, RS.CLOSED},
    RS.IN_PROGRESS: {RS.CLOSED},
    RS.CLOSED: set(),
}
INSPECTABLE = (RS.PUBLISHED, RS.IN_PROGRESS)


def now() -> datetime:
    # The ledger's clock, so demo histories pinned with problems.services.using_clock
    # give inspections and their problems the same times.
    from civicloop.problems.services import now as ledger_now

    return ledger_now()


def _required(value: str | None, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message)
    return value


# --- Rounds -----------------------------------------------------------------------------


def _check_round_fields(kind: str, title: str, start_date: date, end_date: date) -> str:
    if kind not in RoundKind.values:
        raise ValidationFailed("未知的检查轮次类型")
    title = _required(title, "请填写轮次标题")
    if start_date is None or end_date is None:
        raise ValidationFailed("请填写检查起止日期")
    if end_date < start_date:
        raise ValidationFailed("结束日期不能早于开始日期")
    return title


def _require_draft(round_: Round, what: str) -> None:
    if round_.status != RS.DRAFT:
        raise TransitionNotAllowed(f"轮次已发布，不能再{what}")


@transaction.atomic
def round_create(
    *,
    user,
    kind: str,
    title: str,
    start_date: date,
    end_date: date,
    areas: Iterable[Area],
    point_types: Iterable[PointType] = (),
    index_system=None,
    seed: int | None = None,
    include_revisits: bool = False,
    default_category=None,
    description: str = "",
) -> Round:
    """A draft round. Without a seed a random one is chosen (and stored: the sample stays
    reproducible either way)."""
    areas = list(areas)
    if not areas:
        raise ValidationFailed("请至少选择一个检查区域")
    if not permissions.can_manage_round(user, areas=areas):
        raise NotPermitted("只有覆盖所选区域的创文办（指挥中心）可以创建检查轮次")
    title = _check_round_fields(kind, title, start_date, end_date)
    round_ = Round.objects.create(
        kind=kind,
        title=title,
        start_date=start_date,
        end_date=end_date,
        index_system=index_system,
        seed=seed if seed is not None else secrets.randbits(31),
        include_revisits=include_revisits,
        default_category=default_category,
        description=description,
        created_by=user,
    )
    round_.areas.set(areas)
    round_.point_types.set(list(point_types))
    audit.record(user, "inspection_round.create", round_, data={"seed": round_.seed})
    return round_


_ROUND_FIELDS = {
    "kind",
    "title",
    "start_date",
    "end_date",
    "index_system",
    "seed",
    "include_revisits",
    "default_category",
    "description",
    "areas",
    "point_types",
}


@transaction.atomic
def round_update(*, user, round_: Round, **fields) -> Round:
    """Edit a draft round. The title, description and default category may also change
    after publishing; nothing that decides the sample does."""
    unknown = set(fields) - _ROUND_FIELDS
    if unknown:
        raise ValidationFailed(f"未知字段：{', '.join(sorted(unknown))}")
    permissions.check_manage(user, round_)
    frozen_ok = {"title", "description", "default_category"}
    if round_.status != RS.DRAFT and set(fields) - frozen_ok:
        raise TransitionNotAllowed("轮次已发布，抽样范围、配额和种子不能再修改")
    if round_.status == RS.CLOSED:
        raise TransitionNotAllowed("轮次已结束")
    areas = fields.pop("areas", None)
    point_types = fields.pop("point_types", None)
    for key, value in fields.items():
        setattr(round_, key, value)
    round_.title = _check_round_fields(
        round_.kind, round_.title, round_.start_date, round_.end_date
    )
    if areas is not None:
        areas = list(areas)
        if not areas:
            raise ValidationFailed("请至少选择一个检查区域")
        if not permissions.can_manage_round(user, areas=areas):
            raise NotPermitted("所选区域超出您的管辖范围")
        round_.areas.set(areas)
    if point_types is not None:
        round_.point_types.set(list(point_types))
    round_.save()
    audit.record(user, "inspection_round.update", round_, data={"fields": sorted(fields)})
    return round_


@dataclass(frozen=True)
class QuotaInput:
    count: int
    point_type: PointType | None = None
    area: Area | None = None
    per_level: str = ""


@transaction.atomic
def round_set_quotas(*, user, round_: Round, quotas: Iterable[QuotaInput]) -> list[RoundQuota]:
    """Replace the round's quotas (draft only). Areas must lie in the scope, types in the
    round's types; the same (type, area, level) twice is refused."""
    permissions.check_manage(user, round_)
    _require_draft(round_, "修改抽样配额")
    quotas = list(quotas)
    scope_paths = list(round_.areas.values_list("path", flat=True))
    type_ids = set(round_.point_types.values_list("pk", flat=True))
    seen: list[tuple] = []
    for i, q in enumerate(quotas, start=1):
        if q.count is None or int(q.count) < 1:
            raise ValidationFailed(f"第{i}条配额：抽取数量至少为1")
        if q.area is not None and not any(q.area.path.startswith(p) for p in scope_paths):
            raise ValidationFailed(f"第{i}条配额：区域“{q.area.name}”不在本轮检查范围内")
        if q.point_type is not None and type_ids and q.point_type.pk not in type_ids:
            raise ValidationFailed(f"第{i}条配额：点位类型“{q.point_type.name}”不在本轮范围内")
        if q.per_level and q.per_level not in AreaLevel.values:
            raise ValidationFailed(f"第{i}条配额：未知的区域层级")
        key = (getattr(q.point_type, "pk", None), getattr(q.area, "pk", None), q.per_level)
        if key in seen:
            raise ValidationFailed(f"第{i}条配额与前面的配额重复")
        seen.append(key)
    round_.quotas.all().delete()
    rows = RoundQuota.objects.bulk_create(
        [
            RoundQuota(
                round=round_,
                point_type=q.point_type,
                area=q.area,
                per_level=q.per_level,
                count=int(q.count),
            )
            for q in quotas
        ]
    )
    audit.record(
        user,
        "inspection_round.quotas",
        round_,
        data={"quotas": [[*key, int(q.count)] for key, q in zip(seen, quotas, strict=True)]},
    )
    return rows


@transaction.atomic
def team_create(
    *, user, round_: Round, name: str, inspectors: Iterable = (), leader=None, sort_order: int = 0
) -> RoundTeam:
    permissions.check_manage(user, round_)
    if round_.status == RS.CLOSED:
        raise TransitionNotAllowed("轮次已结束")
    name = _required(name, "请填写督查组名称")
    if round_.teams.filter(name=name).exists():
        raise ValidationFailed(f"督查组“{name}”已存在")
    team = RoundTeam.objects.create(round=round_, name=name, leader=leader, sort_order=sort_order)
    team.inspectors.set(list(inspectors))
    audit.record(user, "inspection_team.create", team, data={"round": round_.pk})
    return team


@transaction.atomic
def team_set_inspectors(*, user, team: RoundTeam, inspectors: Iterable, leader=None) -> RoundTeam:
    permissions.check_manage(user, team.round)
    if team.round.status == RS.CLOSED:
        raise TransitionNotAllowed("轮次已结束")
    inspectors = list(inspectors)
    team.inspectors.set(inspectors)
    if leader is not None:
        team.leader = leader
        team.save(update_fields=["leader"])
    audit.record(
        user, "inspection_team.members", team, data={"inspectors": [u.pk for u in inspectors]}
    )
    return team


@transaction.atomic
def round_draw_sample(*, user, round_: Round) -> int:
    """(Re)draw the sample of a draft round; assigns it to the teams if there are any.
    Returns the sample size."""
    permissions.check_manage(user, round_)
    _require_draft(round_, "重新抽样")
    draws = sampling.draw(round_)
    round_.samples.all().delete()
    SamplePoint.objects.bulk_create(
        [
            SamplePoint(
                round=round_,
                point_id=d.point_id,
                quota_id=d.quota_id,
                reason=d.reason,
                is_revisit=d.is_revisit,
                position=i,
            )
            for i, d in enumerate(draws)
        ],
        batch_size=1000,
    )
    at = now()
    Round.objects.filter(pk=round_.pk).update(drawn_at=at)
    round_.drawn_at = at
    _assign(round_)
    audit.record(
        user,
        "inspection_round.draw",
        round_,
        data={"seed": round_.seed, "size": len(draws)},
    )
    return len(draws)


def _assign(round_: Round, *, level: str = AreaLevel.STREET) -> None:
    """Share out the samples not yet inspected among the teams, whole streets at a time."""
    team_ids = list(round_.teams.order_by("sort_order", "id").values_list("pk", flat=True))
    open_samples = round_.samples.filter(
        Q(inspection__isnull=True) | Q(inspection__status=InspectionStatus.DRAFT)
    )
    items = list(open_samples.values_list("pk", "point__area__path"))
    group_paths = list(Area.objects.filter(level=level).values_list("path", flat=True))
    assignment = sampling.balance_teams(items, team_ids, group_paths)
    by_team: dict[int, list[int]] = {}
    for sample_id, team_id in assignment.items():
        by_team.setdefault(team_id, []).append(sample_id)
    for team_id, sample_ids in by_team.items():  # one UPDATE per team
        SamplePoint.objects.filter(pk__in=sample_ids).update(team_id=team_id)


@transaction.atomic
def round_assign_teams(*, user, round_: Round, level: str = AreaLevel.STREET) -> None:
    """Re-balance the points not yet submitted among the teams (until the round closes)."""
    permissions.check_manage(user, round_)
    if round_.status == RS.CLOSED:
        raise TransitionNotAllowed("轮次已结束")
    if not round_.teams.exists():
        raise ValidationFailed("请先建立督查组")
    _assign(round_, level=level)
    audit.record(user, "inspection_round.assign", round_, data={"level": level})


@transaction.atomic
def sample_assign(*, user, sample: SamplePoint, team: RoundTeam | None) -> SamplePoint:
    """Move one sample point to another team (not once it is submitted)."""
    permissions.check_manage(user, sample.round)
    if sample.round.status == RS.CLOSED:
        raise TransitionNotAllowed("轮次已结束")
    if team is not None and team.round_id != sample.round_id:
        raise ValidationFailed("督查组不属于本轮次")
    done = Inspection.objects.filter(sample=sample, status=InspectionStatus.SUBMITTED).exists()
    if done:
        raise TransitionNotAllowed("该点位已提交检查结果")
    sample.team = team
    sample.save(update_fields=["team"])
    audit.record(user, "inspection_sample.assign", sample, data={"team": getattr(team, "pk", None)})
    return sample


def _round_transition(round_: Round, target: str, changes: dict | None = None) -> None:
    if target not in ROUND_TRANSITIONS[round_.status]:
        raise TransitionNotAllowed(
            f"轮次当前为“{RoundStatus(round_.status).label}”，不能变为“{RoundStatus(target).label}”"
        )
    values = {"status": target, **(changes or {})}
    updated = Round.objects.filter(
        pk=round_.pk, status=round_.status, version=round_.version
    ).update(version=round_.version + 1, updated_at=timezone.now(), **values)
    if updated != 1:
        raise ConcurrentUpdate()
    for key, value in values.items():
        setattr(round_, key, value)
    round_.version += 1


@transaction.atomic
def round_publish(*, user, round_: Round) -> Round:
    """Freeze the sample. Publishing twice is refused; so is an empty sample."""
    permissions.check_manage(user, round_)
    if round_.status == RS.DRAFT and not round_.samples.exists():
        raise ValidationFailed("请先抽取样本点位")
    _round_transition(round_, RS.PUBLISHED, {"published_at": now()})
    audit.record(user, "inspection_round.publish", round_)
    return round_


@transaction.atomic
def round_start(*, user, round_: Round) -> Round:
    permissions.check_manage(user, round_)
    _round_transition(round_, RS.IN_PROGRESS)
    audit.record(user, "inspection_round.start", round_)
    return round_


@transaction.atomic
def round_close(*, user, round_: Round) -> Round:
    """End the round: open drafts can no longer be submitted."""
    permissions.check_manage(user, round_)
    _round_transition(round_, RS.CLOSED, {"closed_at": now()})
    audit.record(user, "inspection_round.close", round_)
    return round_


# --- Inspections ------------------------------------------------------------------------


def applicable_items(round_: Round, point_type_id: int):
    """The active check items of the point type; with an index system, those that belong
    to it or to no system at all."""
    qs = CheckItem.objects.filter(point_type_id=point_type_id, is_active=True)
    if round_.index_system_id:
        qs = qs.filter(Q(indicator__isnull=True) | Q(indicator__system_id=round_.index_system_id))
    return qs.order_by("sort_order", "code")


def _check_location(lng: float | None, lat: float | None) -> None:
    if (lng is None) != (lat is None):
        raise ValidationFailed("经度和纬度需同时提供")
    if lng is not None and not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise ValidationFailed("坐标超出范围")


def _require_inspectable(round_: Round) -> None:
    if round_.status not in INSPECTABLE:
        label = RoundStatus(round_.status).label
        raise TransitionNotAllowed(f"轮次“{label}”，不能检查")


@transaction.atomic
def inspection_start(
    *, user, sample: SamplePoint, lng: float | None = None, lat: float | None = None
) -> Inspection:
    """Open (or return) the inspection of a sample point. Idempotent. The round moves
    from published to in progress with its first inspection."""
    sample = SamplePoint.objects.select_related("round", "point__area").get(pk=sample.pk)
    permissions.check_inspect(user, sample)
    round_ = sample.round
    existing = Inspection.objects.filter(sample=sample).first()
    if existing is not None:
        return existing
    _require_inspectable(round_)
    _check_location(lng, lat)
    at = now()
    point = sample.point
    inspection, created = Inspection.objects.get_or_create(
        sample=sample,
        defaults={
            "round": round_,
            "point": point,
            "point_type_id": point.point_type_id,
            "area_id": point.area_id,
            "area_path": point.area.path,
            "unit_id": point.responsible_unit_id,
            "inspector": user,
            "started_at": at,
            "lng": lng,
            "lat": lat,
            "located_at": at if lng is not None else None,
        },
    )
    if created and round_.status == RS.PUBLISHED:
        # Whoever starts first moves the round on; a lost race here is harmless.
        Round.objects.filter(pk=round_.pk, status=RS.PUBLISHED).update(
            status=RS.IN_PROGRESS, version=F("version") + 1
        )
    return inspection


@dataclass(frozen=True)
class ItemAnswer:
    check_item_id: int
    outcome: str
    deduction: Decimal | None = None
    count: int | None = None
    note: str = ""
    photo: object | None = None  # an uploaded file; None keeps the current photo
    remove_photo: bool = False


def _claim_draft(inspection: Inspection) -> None:
    """Bump the version of a draft (so a submit racing with this save loses), or refuse."""
    updated = Inspection.objects.filter(pk=inspection.pk, status=InspectionStatus.DRAFT).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    if updated != 1:
        raise TransitionNotAllowed("检查结果已提交，不能再修改")


def _photo_fields(upload, at: datetime) -> dict:
    """Validate and re-encode with the ledger's evidence processing; store on commit."""
    item = ev.process_upload(upload)
    if not item.is_image:
        raise ValidationFailed("现场照片只能是 JPG、PNG 或 WebP 图片")
    local = timezone.localtime(at)
    stem = f"inspections/{local:%Y/%m}/{uuid.uuid4().hex}"
    name = f"{stem}.{item.extension}"
    thumb = f"{stem}_thumb.{item.extension}" if item.thumbnail else ""
    ev.write_on_commit(name, item.content)
    if thumb:
        ev.write_on_commit(thumb, item.thumbnail)
    return {
        "photo": name,
        "photo_thumbnail": thumb,
        "photo_sha256": item.sha256,
        "photo_taken_at": item.exif_taken_at,
        "photo_lng": item.exif_lng,
        "photo_lat": item.exif_lat,
    }


NO_PHOTO = {
    "photo": "",
    "photo_thumbnail": "",
    "photo_sha256": "",
    "photo_taken_at": None,
    "photo_lng": None,
    "photo_lat": None,
}


def _delete_files_on_commit(names: Iterable[str]) -> None:
    names = [n for n in names if n]
    if names:
        transaction.on_commit(lambda: [default_storage.delete(n) for n in names])


@transaction.atomic
def inspection_save(
    *,
    user,
    inspection: Inspection,
    answers: Iterable[ItemAnswer] = (),
    lng: float | None = None,
    lat: float | None = None,
    note: str | None = None,
) -> list[ItemResult]:
    """Save a draft: upsert one result per answered item (any number of times)."""
    inspection = Inspection.objects.select_related("round", "sample__round", "point__area").get(
        pk=inspection.pk
    )
    permissions.check_inspect(user, inspection.sample)
    _require_inspectable(inspection.round)
    _check_location(lng, lat)
    answers = list(answers)
    _claim_draft(inspection)
    items = applicable_items(inspection.round, inspection.point_type_id).in_bulk(
        [a.check_item_id for a in answers]
    )
    at = now()
    existing = {
        r.check_item_id: r
        for r in ItemResult.objects.filter(
            inspection=inspection, check_item_id__in=[a.check_item_id for a in answers]
        )
    }
    saved = []
    for answer in answers:
        item = items.get(answer.check_item_id)
        if item is None:
            raise ValidationFailed("检查项不适用于该点位")
        saved.append(_upsert(inspection, item, answer, existing.get(item.pk), at))
    changes: dict = {}
    if lng is not None:
        changes.update(lng=lng, lat=lat, located_at=at)
    if note is not None:
        changes["note"] = note.strip()
    if changes:
        Inspection.objects.filter(pk=inspection.pk).update(**changes)
    return saved


def _upsert(
    inspection: Inspection, item: CheckItem, answer: ItemAnswer, current: ItemResult | None, at
) -> ItemResult:
    # The snapshot is taken when the result is first saved and kept on later saves, so the
    # item an inspector saw is the item that is scored.
    snap = current or ItemResult(
        inspection=inspection,
        check_item=item,
        indicator_id=item.indicator_id,
        category_id=item.category_id,
        code=item.code,
        text=item.text,
        judge_mode=item.judge_mode,
        item_max=item.max_score,
        deduction_per_count=item.deduction_per_count,
        is_critical=item.is_critical,
    )
    deduction, earned, count = scoring.item_score(
        judge_mode=snap.judge_mode,
        item_max=snap.item_max,
        deduction_per_count=snap.deduction_per_count,
        outcome=answer.outcome,
        deduction=answer.deduction,
        count=answer.count,
    )
    values = {
        "indicator_id": snap.indicator_id,
        "category_id": snap.category_id,
        "code": snap.code,
        "text": snap.text,
        "judge_mode": snap.judge_mode,
        "item_max": snap.item_max,
        "deduction_per_count": snap.deduction_per_count,
        "is_critical": snap.is_critical,
        "outcome": answer.outcome,
        "deduction": deduction,
        "count": count,
        "earned": earned,
        "note": (answer.note or "").strip(),
    }
    old_files = []
    if answer.photo is not None:
        values.update(_photo_fields(answer.photo, at))
        if current is not None:
            old_files = [current.photo.name, current.photo_thumbnail.name]
    elif answer.remove_photo:
        values.update(NO_PHOTO)
        if current is not None:
            old_files = [current.photo.name, current.photo_thumbnail.name]
    result, _ = ItemResult.objects.update_or_create(
        inspection=inspection, check_item=item, defaults=values
    )
    _delete_files_on_commit(old_files)
    return result


@transaction.atomic
def inspection_submit(
    *, user, inspection: Inspection, lng: float | None = None, lat: float | None = None
) -> Inspection:
    """Submit once: totals stored, every failed item in the ledger (see module doc)."""
    inspection = Inspection.objects.select_related(
        "round__created_by", "round__default_category", "sample__round", "point__area"
    ).get(pk=inspection.pk)
    permissions.check_inspect(user, inspection.sample)
    if inspection.status != InspectionStatus.DRAFT:
        raise TransitionNotAllowed("检查结果已提交，不能重复提交")
    round_ = inspection.round
    _require_inspectable(round_)
    _check_location(lng, lat)
    _check_complete(inspection)
    _check_categories(inspection)
    totals = scoring.inspection_totals(inspection.pk)
    at = now()
    point = inspection.point
    changes = {
        "status": InspectionStatus.SUBMITTED,
        "submitted_at": at,
        "earned": totals.earned,
        "max_score": totals.max_score,
        "rate": totals.rate,
        "passed": totals.passed,
        "failed_count": totals.failed_count,
        "critical_failed": totals.critical_failed,
        # The point's area and unit at submission are the ones the scores count against.
        "area_id": point.area_id,
        "area_path": point.area.path,
        "unit_id": point.responsible_unit_id,
    }
    if lng is not None:
        changes.update(lng=lng, lat=lat, located_at=at)
    updated = Inspection.objects.filter(
        pk=inspection.pk, status=InspectionStatus.DRAFT, version=inspection.version
    ).update(version=inspection.version + 1, updated_at=timezone.now(), **changes)
    if updated != 1:
        status = Inspection.objects.filter(pk=inspection.pk).values_list("status", flat=True)
        if list(status) == [InspectionStatus.SUBMITTED]:
            raise TransitionNotAllowed("检查结果已提交，不能重复提交")
        raise ConcurrentUpdate()
    for key, value in changes.items():
        setattr(inspection, key, value)
    inspection.version += 1
    open_problems(inspection, user=user)
    audit.record(
        user,
        "inspection.submit",
        inspection,
        data={"rate": str(totals.rate), "passed": totals.passed, "failed": totals.failed_count},
    )
    return inspection


def _check_complete(inspection: Inspection) -> None:
    missing = list(
        applicable_items(inspection.round, inspection.point_type_id)
        .exclude(results__inspection=inspection)
        .values_list("code", flat=True)
    )
    if missing:
        raise ValidationFailed(
            f"还有{len(missing)}个检查项未填写：{'、'.join(missing[:10])}",
            details={"missing": missing},
        )


def _check_categories(inspection: Inspection) -> None:
    if inspection.round.default_category_id:
        return
    missing = list(
        inspection.results.filter(outcome=ItemOutcome.FAIL, category__isnull=True).values_list(
            "code", flat=True
        )
    )
    if missing:
        raise ValidationFailed(
            f"检查项{'、'.join(missing)}未设置问题分类，无法生成问题；请联系创文办设置",
            details={"no_category": missing},
        )


# --- Failed items → the ledger ----------------------------------------------------------


def open_problems(inspection: Inspection, *, user) -> int:
    """Give every failed item of a submitted inspection its problem. Idempotent: items
    that already have one are skipped, creation is keyed by "insp:<result id>".
    Returns how many items got a problem now."""
    from civicloop.problems import permissions as ledger_perms
    from civicloop.problems.models import Action

    failed = list(
        inspection.results.filter(outcome=ItemOutcome.FAIL, problem__isnull=True).select_related(
            "category"
        )
    )
    if not failed:
        return 0
    round_ = inspection.round
    creator = (
        user
        if ledger_perms.may_create(user, Action.CREATE, inspection.point.area.path)
        else round_.created_by
    )
    earlier = _earlier_problems(inspection, [r.check_item_id for r in failed])
    for result in failed:
        problem, link = _problem_for(
            result, inspection, earlier.get(result.check_item_id), user=user, creator=creator
        )
        ItemResult.objects.filter(pk=result.pk).update(problem=problem, problem_link=link)
        result.problem, result.problem_link = problem, link
    return len(failed)


def _earlier_problems(inspection: Inspection, item_ids: list[int]) -> dict[int, object]:
    """Per check item: the problem of the latest earlier failure at this point (one query)."""
    rows = (
        ItemResult.objects.filter(
            inspection__point_id=inspection.point_id,
            check_item_id__in=item_ids,
            problem__isnull=False,
            inspection__status=InspectionStatus.SUBMITTED,
        )
        .exclude(inspection_id=inspection.pk)
        .select_related("problem__area", "problem__responsible_unit", "problem__category")
        .order_by("check_item_id", "-inspection__submitted_at", "-id")
    )
    out: dict[int, object] = {}
    for row in rows:
        out.setdefault(row.check_item_id, row.problem)
    return out


def _problem_for(result: ItemResult, inspection: Inspection, earlier, *, user, creator):
    from civicloop.problems import permissions as ledger_perms
    from civicloop.problems import services as ledger
    from civicloop.problems.models import OPEN_STATUSES, Action, Source, Status

    round_ = inspection.round
    point = inspection.point
    photos = _photo_upload(result)
    if earlier is not None and earlier.status == Status.CLOSED:
        actor = next(
            (u for u in (user, round_.created_by) if ledger_perms.may(u, earlier, Action.REOPEN)),
            None,
        )
        if actor is not None:
            ledger.problem_reopen(
                user=actor,
                problem=earlier,
                reason=f"回头看：{round_.title}中检查项“{result.code} {result.text[:60]}”再次不达标"
                + (f"。{result.note}" if result.note else ""),
                photos=photos,
            )
            return earlier, ProblemLink.REOPENED
    if earlier is not None and earlier.status in OPEN_STATUSES:
        return earlier, ProblemLink.LINKED
    category = result.category or round_.default_category
    description = result.text + (f"\n检查说明：{result.note}" if result.note else "")
    if result.judge_mode == "count" and result.count:
        description += f"\n发现{result.count}处"
    problem = ledger.problem_create(
        user=creator,
        source=Source.INSPECTION,
        category=category,
        title=f"{point.name}：{result.text}"[:200],
        description=description,
        point=point,
        photos=photos,
        source_ref=f"{RoundKind(round_.kind).label}·{round_.title}·{result.code}"[:128],
        source_key=f"insp:{result.pk}",
        note=f"检查轮次 {round_.pk}，点位检查 {inspection.pk}",
    )
    _dispatch(problem, round_.created_by)
    return problem, ProblemLink.CREATED


def _dispatch(problem, dispatcher) -> None:
    from civicloop.problems import permissions as ledger_perms
    from civicloop.problems import routing
    from civicloop.problems import services as ledger
    from civicloop.problems.models import Action, Status

    if problem.status != Status.REGISTERED:
        return  # a retry: the first attempt already dispatched it
    if not ledger_perms.may(dispatcher, problem, Action.DISPATCH):
        return  # stays 待派遣 in the command centre's queue
    unit = routing.suggest_for(problem).unit
    if unit is None or not unit.is_active:
        return
    ledger.problem_dispatch(
        user=dispatcher, problem=problem, unit=unit, note="督查检查发现问题，按点位责任单位派遣"
    )


def _photo_upload(result: ItemResult) -> list:
    """The item's photo as an upload for the ledger (it re-processes it as evidence)."""
    if not result.photo:
        return []
    try:
        with default_storage.open(result.photo.name, "rb") as fh:
            data = fh.read()
    except (FileNotFoundError, OSError):
        return []  # the file is written on commit of the save; gone files are not fatal
    return [ContentFile(data, name=result.photo.name.rsplit("/", 1)[-1])]


@transaction.atomic
def inspection_retry_problems(*, user, inspection: Inspection) -> int:
    """Re-run problem opening for a submitted inspection (command only); idempotent."""
    permissions.check_manage(user, inspection.round)
    if inspection.status != InspectionStatus.SUBMITTED:
        raise TransitionNotAllowed("检查结果尚未提交")
    return open_problems(inspection, user=user)


def sample_for(*, user, round_: Round, point_id: int) -> SamplePoint:
    """Helper for pages/API: the sample of a point in a round, or NotFound."""
    sample = SamplePoint.objects.select_related("round", "point__area").filter(
        round=round_, point_id=point_id
    )
    found = sample.first()
    if found is None or not permissions.can_see_round(user, round_):
        raise NotFound()
    return found
