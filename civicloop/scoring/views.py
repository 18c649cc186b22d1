"""Assessment pages (考核排名): schemes and their editor, periods with computation (htmx
progress), the breakdown with drill-down to inspections and problems, review → publish,
version history with correction reasons, published rankings with trend arrows, an
object's rank trend (ECharts) and the bulletin form.

Thin views: reads via `civicloop.scoring.selectors` (scoped; out of scope → 404), writes
via `civicloop.scoring.services`. A DomainError on a post becomes a message on the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicloop.accounts.models import Role
from civicloop.accounts.scope import scope_of
from civicloop.bulletins import permissions as bulletin_permissions
from civicloop.bulletins import selectors as bulletin_selectors
from civicloop.bulletins import services as bulletin_services
from civicloop.bulletins.content import rank_change
from civicloop.bulletins.renderers.pdf import pdf_available
from civicloop.core.errors import DomainError, NotFound, NotPermitted
from civicloop.orgs.models import Area
from civicloop.scoring import forms, permissions, selectors, services
from civicloop.scoring.models import ComputationStatus, PublishedSnapshot, SnapshotRow

PAGE_SIZE = 30


def _call(func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc


def _post(request: HttpRequest, back: str, func, *args, ok: str = "", **kwargs):
    """Run a write from a form post: success → message; DomainError → error message."""
    try:
        result = _call(func, *args, **kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back), None
    if ok:
        messages.success(request, ok)
    return redirect(back), result


def _command_areas(user):
    scope = scope_of(user)
    qs = Area.objects.order_by("path")
    return qs if scope.is_superuser else qs.filter(scope.area_q(roles={Role.COMMAND}))


def _can_create(user) -> bool:
    return scope_of(user).has(Role.COMMAND)


# --- schemes ------------------------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    schemes = selectors.schemes(request.user)
    return render(
        request,
        "scoring/index.html",
        {"schemes": schemes, "can_create": _can_create(request.user)},
    )


def _editor(request, scheme=None) -> HttpResponse:
    areas = _command_areas(request.user)
    if request.method == "POST":
        form = forms.SchemeForm(request.POST, areas=areas)
        rows = _posted_rows(request.POST)
        if form.is_valid():
            try:
                specs = forms.parse_components(request.POST)
                fields = form.scheme_fields()
                if scheme is None:
                    scheme = _call(services.scheme_create, request.user, components=specs, **fields)
                else:
                    _call(services.scheme_update, request.user, scheme, **fields)
                    _call(services.scheme_set_components, request.user, scheme, specs)
                messages.success(request, "考核方案已保存")
                return redirect("scoring:scheme", pk=scheme.pk)
            except DomainError as exc:
                form.add_error(None, exc.message)
    else:
        initial = forms.initial_for(scheme) if scheme else None
        form = forms.SchemeForm(initial=initial, areas=areas)
        rows = forms.component_rows(scheme)
    return render(
        request,
        "scoring/scheme_form.html",
        {
            "form": form,
            "scheme": scheme,
            "rows": rows,
            "component_choices": forms.component_choices(),
            "component_help": _component_help(),
        },
        status=400 if request.method == "POST" else 200,
    )


def _posted_rows(post) -> list[dict]:
    keys = post.getlist("comp_key")
    active = set(post.getlist("comp_active"))
    cols = {k: post.getlist(f"comp_{k}") for k in ("label", "weight", "params")}
    return [
        {
            "key": key,
            **{k: (v[i] if i < len(v) else "") for k, v in cols.items()},
            "is_active": str(i) in active,
        }
        for i, key in enumerate(keys)
    ]


def _component_help() -> list[dict]:
    from civicloop.scoring.components import REGISTRY

    return [
        {
            "key": k,
            "label": c.label,
            "mode": c.mode,
            "defaults": c.defaults,
            "doc": (c.__doc__ or "").strip().split("\n\n")[0],
        }
        for k, c in REGISTRY.items()
    ]


@login_required
@require_http_methods(["GET", "POST"])
def scheme_new(request: HttpRequest) -> HttpResponse:
    if not _can_create(request.user):
        raise PermissionDenied("只有指挥中心可以配置考核方案")
    return _editor(request)


@login_required
@require_http_methods(["GET", "POST"])
def scheme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _call(selectors.scheme_get, request.user, pk)
    if not permissions.can_manage(request.user, scheme):
        raise PermissionDenied("只有本级指挥中心可以修改考核方案")
    return _editor(request, scheme)


@login_required
@require_GET
def scheme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    scheme = _call(selectors.scheme_get, user, pk)
    page = Paginator(_call(selectors.periods_of, user, scheme), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "scoring/scheme_detail.html",
        {
            "scheme": scheme,
            "page_obj": page,
            "can_manage": permissions.can_manage(user, scheme),
            "can_see_working": permissions.can_see_working(user, scheme),
            "accountability": _call(selectors.accountability_history, user, scheme, limit=6),
            "today": timezone.localdate().isoformat(),
        },
    )


@login_required
@require_POST
def period_create(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _call(selectors.scheme_get, request.user, pk)
    day = parse_date(request.POST.get("day", "")) or timezone.localdate()
    response, period = _post(
        request,
        reverse("scoring:scheme", args=[pk]),
        services.period_create,
        request.user,
        scheme,
        day,
    )
    return redirect("scoring:period", pk=period.pk) if period else response


# --- periods ------------------------------------------------------------------------------------


@login_required
@require_GET
def period_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    period = _call(selectors.period_get, user, pk)
    scheme = period.scheme
    working = permissions.can_see_working(user, scheme)
    context = {
        "period": period,
        "scheme": scheme,
        "can_manage": permissions.can_manage(user, scheme),
        "working": working,
        "snapshots": list(_call(selectors.snapshots_of, user, period)),
        "bulletins": list(bulletin_selectors.bulletins(user, period=period)[:20]),
    }
    if working:
        scores = list(_call(selectors.period_scores, user, period))
        context.update(
            scores=sorted(scores, key=lambda s: (s.rank is None, s.rank or 0, s.pk)),
            components=[c for c in scheme.components.all() if c.is_active],
            job=_call(selectors.computations_of, user, period).first(),
            adjustments=list(_call(selectors.adjustments_of, user, period)),
        )
    return render(request, "scoring/period_detail.html", context)


@login_required
@require_POST
def period_compute(request: HttpRequest, pk: int) -> HttpResponse:
    period = _call(selectors.period_get, request.user, pk)
    try:
        job = _call(services.computation_start, request.user, period)
    except DomainError as exc:
        if request.htmx:
            return render(
                request,
                "scoring/_computation.html",
                {"job": None, "error": exc.message, "period": period},
                status=409,
            )
        messages.error(request, exc.message)
        return redirect("scoring:period", pk=pk)
    if request.htmx:
        job.refresh_from_db()
        return _computation_response(request, job, period)
    return redirect("scoring:period", pk=pk)


def _computation_response(request, job, period) -> HttpResponse:
    response = render(request, "scoring/_computation.html", {"job": job, "period": period})
    if job.status in (ComputationStatus.SUCCEEDED, ComputationStatus.FAILED):
        # The page's tables were rendered before the job: reload them once it is done.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def computation_status(request: HttpRequest, pk: int) -> HttpResponse:
    job = _call(selectors.computation_get, request.user, pk)
    if not request.htmx:
        return render(request, "scoring/_computation.html", {"job": job, "period": job.period})
    return _computation_response(request, job, job.period)


@login_required
@require_POST
def period_publish(request: HttpRequest, pk: int) -> HttpResponse:
    period = _call(selectors.period_get, request.user, pk)
    version = request.POST.get("version")
    response, snapshot = _post(
        request,
        reverse("scoring:period", args=[pk]),
        services.period_publish,
        request.user,
        period,
        expected_version=int(version) if version and version.isdigit() else None,
        ok="已发布，结果已冻结",
    )
    return redirect("scoring:snapshot", pk=snapshot.pk) if snapshot else response


@login_required
@require_POST
def period_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    period = _call(selectors.period_get, request.user, pk)
    response, _ = _post(
        request,
        reverse("scoring:period", args=[pk]),
        services.period_reopen,
        request.user,
        period,
        reason=request.POST.get("reason", ""),
        ok="已撤回更正：重新计算并发布后生成新版本，原版本保留可查",
    )
    return response


@login_required
@require_POST
def adjustment_add(request: HttpRequest, pk: int) -> HttpResponse:
    from civicloop.scoring.models import AssessedObject

    period = _call(selectors.period_get, request.user, pk)
    obj = AssessedObject.objects.filter(pk=request.POST.get("obj") or 0).first()
    back = reverse("scoring:period", args=[pk])
    if obj is None:
        messages.error(request, "请选择考核对象")
        return redirect(back)
    response, _ = _post(
        request,
        back,
        services.adjustment_create,
        request.user,
        period,
        obj,
        points=request.POST.get("points", ""),
        reason=request.POST.get("reason", ""),
        evidence=request.FILES.get("evidence"),
        ok="已录入加减分，重新计算后生效",
    )
    return response


@login_required
@require_POST
def adjustment_void(request: HttpRequest, pk: int, adj: int) -> HttpResponse:
    period = _call(selectors.period_get, request.user, pk)
    adjustment = next(
        (a for a in _call(selectors.adjustments_of, request.user, period) if a.pk == adj), None
    )
    if adjustment is None:
        raise Http404("加减分不存在")
    response, _ = _post(
        request,
        reverse("scoring:period", args=[pk]),
        services.adjustment_void,
        request.user,
        adjustment,
        reason=request.POST.get("reason", ""),
        ok="已撤销",
    )
    return response


@login_required
@require_GET
def object_detail(request: HttpRequest, pk: int, obj: int) -> HttpResponse:
    """Drill-down: an object's breakdown and the inspections and problems behind it."""
    user = request.user
    period = _call(selectors.period_get, user, pk)
    score = _call(selectors.object_score_get, user, period, obj)
    target = score.obj
    ledger = {
        "created_from": period.start_date.isoformat(),
        "created_to": period.end_date.isoformat(),
    }
    ledger["unit" if target.unit_id else "area"] = target.unit_id or target.area_id
    return render(
        request,
        "scoring/object_detail.html",
        {
            "period": period,
            "score": score,
            "inspections": _call(selectors.object_inspections, user, period, obj)[:200],
            "created": _call(selectors.object_problems, user, period, obj, which="created")[:200],
            "due": _call(selectors.object_problems, user, period, obj, which="due")[:200],
            "overdue": _call(selectors.object_problems, user, period, obj, which="overdue"),
            "ledger_query": "&".join(f"{k}={v}" for k, v in ledger.items()),
        },
    )


# --- published rankings -------------------------------------------------------------------------


def _rows_with_arrows(rows) -> list:
    out = list(rows)
    for r in out:
        r.change = rank_change(r.rank_delta, r.previous_rank)
    return sorted(out, key=lambda r: (r.rank is None, r.rank or 0, r.position))


@login_required
@require_GET
def snapshot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    snapshot = _call(selectors.snapshot_get, user, pk)
    period = snapshot.period
    scheme = period.scheme
    can_request = bulletin_permissions.can_request(user, scheme)
    return render(
        request,
        "scoring/snapshot_detail.html",
        {
            "snapshot": snapshot,
            "period": period,
            "scheme": scheme,
            "data": snapshot.data,
            "rows": _rows_with_arrows(_call(selectors.snapshot_rows, user, snapshot)),
            "overdue": snapshot.data.get("overdue_problems", []),
            "versions": list(_call(selectors.snapshots_of, user, period)),
            "is_latest": not PublishedSnapshot.objects.filter(
                period=period, version__gt=snapshot.version
            ).exists(),
            "can_request": can_request,
            "can_download": bulletin_permissions.can_download(user, scheme),
            "bulletins": list(bulletin_selectors.bulletins(user, snapshot=snapshot)[:10]),
            "defaults": {
                "issuer": bulletin_services.default_issuer(scheme),
                "doc_number": bulletin_services.default_doc_number(
                    scheme, timezone.localdate().year
                ),
                "title": bulletin_services.default_title(snapshot),
            }
            if can_request
            else None,
            "pdf_available": pdf_available(),
        },
    )


def rank_trend(user, scheme, obj_id: int) -> list[dict]:
    """The object's rank and score in each published period of the scheme (latest
    version per period), oldest first. Two queries."""
    latest: dict[int, PublishedSnapshot] = {}
    for snap in (
        PublishedSnapshot.objects.filter(period__scheme=scheme)
        .select_related("period")
        .defer("data")
        .order_by("period__start_date", "version")
    ):
        latest[snap.period_id] = snap
    rows = {
        r.snapshot_id: r
        for r in SnapshotRow.objects.filter(snapshot__in=list(latest.values()), obj_id=obj_id)
    }
    out = []
    for snap in sorted(latest.values(), key=lambda s: s.period.start_date):
        row = rows.get(snap.pk)
        if row is None:
            continue
        out.append(
            {
                "label": snap.period.label,
                "start": snap.period.start_date.isoformat(),
                "rank": row.rank,
                "score": float(row.score) if row.score is not None else None,
                "snapshot": snap.pk,
            }
        )
    return out


@login_required
@require_GET
def object_trend(request: HttpRequest, pk: int, obj: int) -> HttpResponse:
    scheme = _call(selectors.scheme_get, request.user, pk)
    points = rank_trend(request.user, scheme, obj)
    if not points:
        raise Http404("该对象没有已发布的排名")
    name = (
        SnapshotRow.objects.filter(snapshot_id=points[-1]["snapshot"], obj_id=obj)
        .values_list("name", flat=True)
        .first()
    )
    return render(
        request,
        "scoring/object_trend.html",
        {"scheme": scheme, "points": points, "name": name, "obj_id": obj},
    )
