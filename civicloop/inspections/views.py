"""Inspection pages: rounds (list, create/edit, detail with map and progress, actions),
the phone inspection form (auto-saved per item), a point's history across rounds, and
score tables with drill-down to the failed items and their problems.

Thin views: reads through `selectors`/`scoring` (scoped, out of scope → 404), writes
through `services`. A DomainError is shown where it happened, with the HTTP status of its
kind (400 bad input, 403 role, 409 status/concurrency). Every page needs a login.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicloop.accounts.models import Role
from civicloop.accounts.scope import scope_of
from civicloop.core.errors import DomainError, NotFound, NotPermitted
from civicloop.orgs import selectors as org_selectors
from civicloop.orgs.models import Area, AreaLevel, PointType, Unit
from civicloop.standards.models import Indicator

from . import permissions, scoring, selectors, services
from .forms import (
    ItemAnswerForm,
    QuotaFormSet,
    RoundFilterForm,
    RoundForm,
    SubmitForm,
    TeamFormSet,
)
from .models import (
    Inspection,
    InspectionStatus,
    ItemOutcome,
    ItemResult,
    Round,
    RoundStatus,
    RoundTeam,
    SamplePoint,
)
from .services import ItemAnswer

PAGE_SIZE = 30
ROUND_ACTIONS = {
    "draw": ("抽取样本", services.round_draw_sample),
    "publish": ("发布", services.round_publish),
    "assign": ("重新分配督查组", services.round_assign_teams),
    "close": ("结束", services.round_close),
}
SCORE_VIEWS = {
    "area": "按区域",
    "unit": "按责任单位",
    "point_type": "按点位类型",
    "indicator": "按测评指标",
}


# --- Helpers -----------------------------------------------------------------------------


def _deny(exc: DomainError):
    """NotFound → 404 page, NotPermitted → 403 page (nothing leaks beyond that)."""
    if isinstance(exc, NotFound):
        raise Http404(exc.message) from exc
    if isinstance(exc, NotPermitted):
        raise PermissionDenied(exc.message) from exc
    raise exc


def _map_config(**extra: Any) -> dict[str, Any]:
    return {
        "tileUrl": settings.CIVICLOOP.get("MAP_TILE_URL", ""),
        "tileAttribution": settings.CIVICLOOP.get("MAP_TILE_ATTRIBUTION", ""),
        **extra,
    }


def _bounds(points: list[dict]) -> list[list[float]] | None:
    located = [p for p in points if p["lat"] is not None]
    if not located:
        return None
    lats = [p["lat"] for p in located]
    lngs = [p["lng"] for p in located]
    return [[min(lats), min(lngs)], [max(lats), max(lngs)]]


def rate_class(rate, passed) -> str:
    """Map colour of a point: green ≥ 90 %, yellow ≥ 75 %, red below or critical failure."""
    if rate is None and passed is None:
        return "none"
    if passed is False or rate is None or rate < 0.75:
        return "red"
    if rate < 0.9:
        return "yellow"
    return "green"


def _can_manage(user, round_: Round) -> bool:
    return permissions.can_manage_round(user, round_)


# --- Round list / create / edit ----------------------------------------------------------


@login_required
@require_GET
def round_list(request: HttpRequest) -> HttpResponse:
    form = RoundFilterForm(request.GET or None)
    qs = form.apply(selectors.round_list(user=request.user)).order_by("-start_date", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    assignments = list(selectors.my_assignments(user=request.user)[:50])
    context = {
        "form": form,
        "page_obj": page,
        "querystring": params.urlencode(),
        "can_create": scope_of(request.user).has(Role.COMMAND),
        "assignments": assignments,
    }
    if request.htmx and request.htmx.target == "round-results":
        return render(request, "inspections/_round_table.html", context)
    return render(request, "inspections/round_list.html", context)


def _formsets(request, user, round_=None):
    data = request.POST if request.method == "POST" else None
    quota_initial = team_initial = None
    if round_ is not None and data is None:
        quota_initial = [
            {
                "point_type": q.point_type_id,
                "area": q.area_id,
                "per_level": q.per_level,
                "count": q.count,
            }
            for q in round_.quotas.all()
        ]
        team_initial = [
            {
                "team_id": t.pk,
                "name": t.name,
                "inspectors": list(t.inspectors.all()),
                "leader": t.leader_id,
            }
            for t in round_.teams.prefetch_related("inspectors")
        ]
    quotas = QuotaFormSet(data, prefix="quota", user=user, initial=quota_initial)
    teams = TeamFormSet(data, prefix="team", user=user, initial=team_initial)
    return quotas, teams


def _save_teams(user, round_: Round, teams) -> None:
    existing = {t.pk: t for t in round_.teams.all()}
    for i, tf in enumerate(teams.forms):
        if tf.is_blank:
            continue
        data = tf.cleaned_data
        team = existing.get(data.get("team_id"))
        if team is None:
            services.team_create(
                user=user,
                round_=round_,
                name=data["name"],
                inspectors=data.get("inspectors") or [],
                leader=data.get("leader"),
                sort_order=i,
            )
        else:
            services.team_set_inspectors(
                user=user,
                team=team,
                inspectors=data.get("inspectors") or [],
                leader=data.get("leader"),
            )


def _save_round(request, form, quotas, teams, round_: Round | None) -> Round:
    """One transaction: the round, its quotas (draft only) and its teams."""
    user = request.user
    with transaction.atomic():
        if round_ is None:
            fields = form.service_fields()
            round_ = services.round_create(user=user, **fields)
        else:
            services.round_update(
                user=user, round_=round_, **form.service_fields(frozen=round_.is_frozen)
            )
        if round_.status == RoundStatus.DRAFT:
            services.round_set_quotas(
                user=user, round_=round_, quotas=[q for f in quotas.forms if (q := f.to_input())]
            )
        if round_.status != RoundStatus.CLOSED:
            _save_teams(user, round_, teams)
    return round_


def _round_form_page(request, round_: Round | None) -> HttpResponse:
    user = request.user
    if round_ is not None:
        try:
            permissions.check_manage(user, round_)
        except DomainError as exc:
            _deny(exc)
    elif not scope_of(user).has(Role.COMMAND):
        raise PermissionDenied("只有创文办（指挥中心）可以创建检查轮次")
    initial = RoundForm.initial_for(round_) if round_ is not None else None
    data = request.POST if request.method == "POST" else None
    form = RoundForm(data, initial=initial, user=user, round_=round_)
    quotas, teams = _formsets(request, user, round_)
    status = 200
    if request.method == "POST":
        if form.is_valid() and quotas.is_valid() and teams.is_valid():
            try:
                saved = _save_round(request, form, quotas, teams, round_)
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status_code
            else:
                messages.success(request, "检查轮次已保存")
                return redirect("inspections:round_detail", saved.pk)
        else:
            status = 400
    context = {
        "form": form,
        "quotas": quotas,
        "teams": teams,
        "round": round_,
        "frozen": round_ is not None and round_.is_frozen,
    }
    return render(request, "inspections/round_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def round_create(request: HttpRequest) -> HttpResponse:
    return _round_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = selectors.round_get(user=request.user, pk=pk)
    return _round_form_page(request, round_)


# --- Round detail and actions ------------------------------------------------------------


def _inspection_of(sample: SamplePoint) -> Inspection | None:
    try:
        return sample.inspection
    except Inspection.DoesNotExist:
        return None


@login_required
@require_GET
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = selectors.round_get(user=request.user, pk=pk)
    samples = list(selectors.sample_list(user=request.user, round_=round_))
    for s in samples:
        s.inspection_or_none = _inspection_of(s)
    rows, map_points = [], []
    for s in samples:
        insp = s.inspection_or_none
        submitted = insp is not None and insp.status == InspectionStatus.SUBMITTED
        rate = float(insp.rate) if submitted and insp.rate is not None else None
        s.state = "submitted" if submitted else ("draft" if insp is not None else "todo")
        s.rate_class = rate_class(rate, insp.passed) if submitted else "none"
        s.rate_value = rate
        rows.append(s)
        if s.point.lat is not None:
            map_points.append(
                {
                    "id": s.pk,
                    "name": s.point.name,
                    "code": s.point.code,
                    "lng": s.point.lng,
                    "lat": s.point.lat,
                    "rate": rate,
                    "cls": s.rate_class,
                    "team": s.team.name if s.team_id else "未分组",
                    "url": reverse("inspections:sample", args=[s.pk]),
                }
            )
    manage = _can_manage(request.user, round_)
    my_team_ids = set(
        RoundTeam.inspectors.through.objects.filter(
            roundteam__round=round_, user_id=request.user.pk
        ).values_list("roundteam_id", flat=True)
    )
    context = {
        "round": round_,
        "progress": selectors.round_progress(round_),
        "samples": rows,
        "quotas": list(round_.quotas.select_related("point_type", "area")),
        "teams": list(round_.teams.prefetch_related("inspectors").select_related("leader")),
        "areas": list(round_.areas.all()),
        "point_types": list(round_.point_types.all()),
        "can_manage": manage,
        "my_team_ids": my_team_ids,
        "map_config": _map_config(points=map_points, bounds=_bounds(map_points)),
        "actions": _available_round_actions(round_) if manage else [],
    }
    return render(request, "inspections/round_detail.html", context)


def _available_round_actions(round_: Round) -> list[tuple[str, str, str]]:
    """(code, label, style) of the buttons that make sense in the round's status."""
    out = []
    if round_.status == RoundStatus.DRAFT:
        out.append(("draw", "抽取样本" if not round_.drawn_at else "重新抽样", "outline-primary"))
        out.append(("publish", "发布（冻结样本）", "primary"))
    if round_.status in (RoundStatus.DRAFT, RoundStatus.PUBLISHED, RoundStatus.IN_PROGRESS):
        out.append(("assign", "按街道分配督查组", "outline-secondary"))
    if round_.status in (RoundStatus.PUBLISHED, RoundStatus.IN_PROGRESS):
        out.append(("close", "结束本轮", "outline-danger"))
    return out


@login_required
@require_POST
def round_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ROUND_ACTIONS:
        raise Http404("未知操作")
    round_ = selectors.round_get(user=request.user, pk=pk)
    label, service = ROUND_ACTIONS[action]
    try:
        result = service(user=request.user, round_=round_)
    except (NotFound, NotPermitted) as exc:
        _deny(exc)
    except DomainError as exc:
        messages.error(request, f"{label}失败：{exc.message}")
        return redirect("inspections:round_detail", round_.pk)
    if action == "draw":
        messages.success(request, f"已抽取样本 {result} 个点位（种子 {round_.seed}）")
    else:
        messages.success(request, f"已{label}")
    return redirect("inspections:round_detail", round_.pk)


@login_required
@require_POST
def sample_assign(request: HttpRequest, pk: int) -> HttpResponse:
    sample = get_object_or_404(SamplePoint.objects.select_related("round"), pk=pk)
    round_ = selectors.round_get(user=request.user, pk=sample.round_id)
    team_id = request.POST.get("team") or None
    team = round_.teams.filter(pk=team_id).first() if team_id else None
    if team_id and team is None:
        messages.error(request, "督查组不属于本轮次")
        return redirect("inspections:round_detail", round_.pk)
    try:
        services.sample_assign(user=request.user, sample=sample, team=team)
    except (NotFound, NotPermitted) as exc:
        _deny(exc)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"已将“{sample.point.name}”分配给{team.name if team else '未分组'}"
        )
    return redirect("inspections:round_detail", round_.pk)


# --- The inspection form (phone) ---------------------------------------------------------


def _sample_for_inspect(request, pk: int) -> SamplePoint:
    """The sample if the user may inspect it: 404 when the round is out of sight, 403 when
    visible but not assigned to one of the user's teams (and not command over the point)."""
    sample = (
        SamplePoint.objects.select_related(
            "round__index_system",
            "point__area",
            "point__point_type",
            "point__responsible_unit",
            "team",
        )
        .filter(pk=pk)
        .first()
    )
    if sample is None:
        raise Http404("抽样点位不存在或无权访问")
    try:
        permissions.check_inspect(request.user, sample)
    except DomainError as exc:
        _deny(exc)
    return sample


def _form_groups(rows) -> list[dict]:
    """Group the check items by their indicator (测评标准), keeping item order."""
    groups: dict[object, dict] = {}
    for row in rows:
        ind = row.item.indicator
        key = ind.pk if ind is not None else None
        if key not in groups:
            groups[key] = {"title": ind.text if ind is not None else "其他检查项", "rows": []}
        groups[key]["rows"].append(row)
    return list(groups.values())


def _inspection_context(request, sample: SamplePoint, inspection: Inspection | None) -> dict:
    from .selectors import FormRow

    if inspection is not None:
        rows = selectors.inspection_form(user=request.user, inspection=inspection)
    else:
        items = services.applicable_items(sample.round, sample.point.point_type_id)
        rows = [FormRow(item, None) for item in items.select_related("indicator")]
    # The indicator text is used for grouping: load them in one query.
    ind_ids = {r.item.indicator_id for r in rows if r.item.indicator_id}
    indicators = Indicator.objects.in_bulk(ind_ids)
    for r in rows:
        if r.item.indicator_id:
            r.item.indicator = indicators[r.item.indicator_id]
    answered = sum(1 for r in rows if r.result is not None)
    return {
        "sample": sample,
        "round": sample.round,
        "point": sample.point,
        "inspection": inspection,
        "groups": _form_groups(rows),
        "total": len(rows),
        "answered": answered,
        "inspectable": sample.round.status in services.INSPECTABLE,
        "submit_form": SubmitForm(initial={"note": inspection.note if inspection else ""}),
    }


@login_required
@require_GET
def sample_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The inspection form of a sample point, or its results once submitted."""
    sample = get_object_or_404(SamplePoint.objects.select_related("round"), pk=pk)
    selectors.round_get(user=request.user, pk=sample.round_id)  # out of sight → 404
    inspection = Inspection.objects.filter(sample_id=sample.pk).first()
    if inspection is not None and inspection.status == InspectionStatus.SUBMITTED:
        return redirect("inspections:inspection_detail", inspection.pk)
    sample = _sample_for_inspect(request, pk)
    context = _inspection_context(request, sample, inspection)
    return render(request, "inspections/inspect.html", context)


def _start(request, sample: SamplePoint, lng, lat) -> Inspection:
    inspection = Inspection.objects.filter(sample_id=sample.pk).first()
    if inspection is None:
        inspection = services.inspection_start(user=request.user, sample=sample, lng=lng, lat=lat)
    return inspection


def _item_response(request, sample, item, result, *, error: str = "", status: int = 200):
    context = {"sample": sample, "item": item, "result": result, "error": error}
    return render(request, "inspections/_item_status.html", context, status=status)


@login_required
@require_POST
def item_save(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    """Auto-save of one check item (htmx, or the offline re-sync in inspection-form.js).
    The first save starts the inspection; saving the same answer again changes nothing."""
    sample = _sample_for_inspect(request, pk)
    item = (
        services.applicable_items(sample.round, sample.point.point_type_id)
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise Http404("检查项不适用于该点位")
    form = ItemAnswerForm(request.POST, request.FILES)
    if not form.is_valid():
        return _item_response(request, sample, item, None, error=form.first_error(), status=400)
    data = form.cleaned_data
    lng, lat = form.location()
    answer = ItemAnswer(
        check_item_id=item.pk,
        outcome=data["outcome"],
        deduction=data.get("deduction") if data["outcome"] == ItemOutcome.FAIL else None,
        count=data.get("count") if data["outcome"] == ItemOutcome.FAIL else None,
        note=data.get("note") or "",
        photo=data.get("photo"),
        remove_photo=bool(data.get("remove_photo")),
    )
    try:
        with transaction.atomic():
            inspection = _start(request, sample, lng, lat)
            (result,) = services.inspection_save(
                user=request.user, inspection=inspection, answers=[answer], lng=lng, lat=lat
            )
    except (NotFound, NotPermitted) as exc:
        _deny(exc)
    except DomainError as exc:
        return _item_response(
            request, sample, item, None, error=exc.message, status=exc.status_code
        )
    return _item_response(request, sample, item, result)


@login_required
@require_POST
def inspection_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit once; a second submit (or a missing answer) shows the service's message."""
    sample = _sample_for_inspect(request, pk)
    form = SubmitForm(request.POST)
    inspection = Inspection.objects.filter(sample_id=sample.pk).first()
    error, status = "", 200
    if not form.is_valid():
        error, status = "提交的数据有误", 400
    elif inspection is None:
        error, status = "请先填写检查项再提交", 400
    else:
        lng, lat = form.location()
        try:
            with transaction.atomic():
                if inspection.status == InspectionStatus.DRAFT:
                    services.inspection_save(
                        user=request.user,
                        inspection=inspection,
                        note=form.cleaned_data.get("note") or "",
                    )
                inspection = services.inspection_submit(
                    user=request.user, inspection=inspection, lng=lng, lat=lat
                )
        except (NotFound, NotPermitted) as exc:
            _deny(exc)
        except DomainError as exc:
            error, status = exc.message, exc.status_code
        else:
            created = inspection.results.filter(problem__isnull=False).count()
            messages.success(
                request,
                f"检查结果已提交：得分率 {_pct(inspection.rate)}，"
                f"{inspection.failed_count} 项不达标，已转入问题台账 {created} 项",
            )
            return redirect("inspections:inspection_detail", inspection.pk)
    fresh = Inspection.objects.filter(sample_id=sample.pk).first()
    if fresh is not None and fresh.status == InspectionStatus.SUBMITTED:
        # A second submit: say so on the results page rather than a dead form.
        messages.error(request, error or "检查结果已提交，不能重复提交")
        return redirect("inspections:inspection_detail", fresh.pk)
    context = _inspection_context(request, sample, fresh)
    context["submit_error"] = error
    return render(request, "inspections/inspect.html", context, status=status)


def _pct(rate) -> str:
    return "—" if rate is None else f"{float(rate) * 100:.1f}%"


@login_required
@require_GET
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = selectors.inspection_get(user=request.user, pk=pk)
    results = list(selectors.inspection_results(user=request.user, inspection=inspection))
    may_edit = inspection.status == InspectionStatus.DRAFT and permissions.may_inspect(
        request.user, inspection.sample
    )
    context = {
        "inspection": inspection,
        "round": inspection.round,
        "point": inspection.point,
        "results": results,
        "may_edit": may_edit,
        "rate_class": rate_class(
            float(inspection.rate) if inspection.rate is not None else None, inspection.passed
        ),
    }
    return render(request, "inspections/inspection_detail.html", context)


@login_required
@require_GET
def result_photo(request: HttpRequest, pk: int, variant: str = "full") -> FileResponse:
    """An item photo, only for users who may see its round."""
    result = get_object_or_404(ItemResult.objects.select_related("inspection"), pk=pk)
    selectors.inspection_get(user=request.user, pk=result.inspection_id)  # scope → 404
    name = result.photo_thumbnail.name if variant == "thumb" else ""
    name = name or result.photo.name
    if not name or not default_storage.exists(name):
        raise Http404("照片不存在")
    return FileResponse(default_storage.open(name, "rb"))


# --- Point history -----------------------------------------------------------------------


@login_required
@require_GET
def point_history(request: HttpRequest, pk: int) -> HttpResponse:
    point = org_selectors.point_get(user=request.user, pk=pk)
    inspections = list(selectors.point_history(user=request.user, point=point)[:100])
    failed = (
        ItemResult.objects.filter(
            inspection__in=[i.pk for i in inspections], outcome=ItemOutcome.FAIL
        )
        .select_related("problem")
        .order_by("inspection_id", "code")
    )
    by_inspection: dict[int, list[ItemResult]] = {}
    for r in failed:
        by_inspection.setdefault(r.inspection_id, []).append(r)
    for i in inspections:
        i.failed_results = by_inspection.get(i.pk, [])
        i.rate_class = rate_class(float(i.rate) if i.rate is not None else None, i.passed)
    chart = [
        {"round": i.round.title, "date": i.submitted_at.date().isoformat(), "rate": float(i.rate)}
        for i in reversed(inspections)
        if i.rate is not None
    ]
    context = {"point": point, "inspections": inspections, "chart": chart}
    return render(request, "inspections/point_history.html", context)


# --- Scores ------------------------------------------------------------------------------


def _area_level(request, round_: Round) -> tuple[str | None, Area | None]:
    parent = None
    if request.GET.get("parent"):
        parent = Area.objects.filter(pk=request.GET["parent"]).first()
        if parent is None:
            raise Http404("区域不存在")
        return None, parent
    level = request.GET.get("level") or AreaLevel.DISTRICT
    if level not in AreaLevel.values:
        raise Http404("未知的区域层级")
    return level, None


def _score_rows(round_: Round, by: str, level, parent) -> tuple[Round | None, list[dict]]:
    if by == "indicator":
        from .sampling import previous_round

        prev = previous_round(round_)
        current = scoring.indicator_rollup(round_)
        before = {s.indicator.pk: s for s in scoring.indicator_rollup(prev)} if prev else {}
        rows = []
        for s in current:
            p = before.get(s.indicator.pk)
            rows.append(
                {
                    "key": s.indicator,
                    "label": f"{s.indicator.code} {s.indicator.text}",
                    "n": s.results,
                    "failed": s.failed,
                    "rate": s.rate,
                    "value": s.value,
                    "score": s.score,
                    "delta": (s.rate - p.rate) if p is not None and s.rate is not None else None,
                    "drill": {"indicator": s.indicator.pk},
                }
            )
        return prev, rows
    prev, deltas = scoring.compare(round_, by=by, level=level, parent=parent)
    rows = []
    for d in deltas:
        cur = d.current
        if cur is None or not cur.n:
            continue  # an area without inspections in this round, or only in the previous
        key = d.key
        drill_key = {"area": "area", "unit": "unit", "point_type": "point_type"}[by]
        rows.append(
            {
                "key": key,
                "label": key.name,
                "n": cur.n,
                "failed": cur.failed_items,
                "rate": cur.rate,
                "pass_rate": cur.pass_rate,
                "passed": cur.passed,
                "earned": cur.earned,
                "max_score": cur.max_score,
                "delta": d.delta,
                "drill": {drill_key: key.pk},
                "children": by == "area" and key.level != AreaLevel.GRID,
            }
        )
    return prev, rows


@login_required
@require_GET
def round_scores(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = selectors.round_get(user=request.user, pk=pk)
    by = request.GET.get("by") or "area"
    if by not in SCORE_VIEWS:
        raise Http404("未知的汇总方式")
    level, parent = _area_level(request, round_) if by == "area" else (None, None)
    prev, rows = _score_rows(round_, by, level, parent)
    context = {
        "round": round_,
        "by": by,
        "views": SCORE_VIEWS,
        "level": level,
        "parent": parent,
        "levels": [(v, lbl) for v, lbl in AreaLevel.choices if v != AreaLevel.CITY],
        "previous": prev,
        "rows": rows,
        "total": scoring.round_total(round_),
    }
    return render(request, "inspections/round_scores.html", context)


_DRILL = {
    "area": (Area, "area"),
    "unit": (Unit, "unit"),
    "point_type": (PointType, "point_type"),
    "indicator": (Indicator, "indicator"),
}


@login_required
@require_GET
def round_failed(request: HttpRequest, pk: int) -> HttpResponse:
    """Drill-down: the failed items (of an area / unit / type / indicator) and their problems."""
    round_ = selectors.round_get(user=request.user, pk=pk)
    filters, labels = {}, []
    for param, (model, kw) in _DRILL.items():
        value = request.GET.get(param)
        if value:
            obj = model.objects.filter(pk=value).first() if value.isdigit() else None
            if obj is None:
                raise Http404("筛选对象不存在")
            filters[kw] = obj
            labels.append(getattr(obj, "name", None) or f"{obj.code} {obj.text[:30]}")
    qs = selectors.failed_results(user=request.user, round_=round_, **filters)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "round": round_,
        "page_obj": page,
        "labels": labels,
        "querystring": params.urlencode(),
    }
    return render(request, "inspections/round_failed.html", context)
