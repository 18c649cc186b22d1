"""Ledger pages: workbench, ledger, problem page with its actions, new problem, notice,
routing rules and KPIs.

Views are thin: reads go through `selectors` (scoped; out of scope → 404), writes through
`services`. A DomainError is shown on the form it came from, with the HTTP status of its
kind (409 for transition/concurrency errors, 400 for bad input, 403 for roles). Every page
needs a login.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Min, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from civicloop.accounts.models import Role
from civicloop.accounts.scope import scope_of
from civicloop.core.errors import ConcurrentUpdate, DomainError, NotFound
from civicloop.core.pagination import CappedCountPaginator
from civicloop.orgs import selectors as org_selectors
from civicloop.orgs.models import Area
from civicloop.problems import deadlines, exports, files, kpis, permissions, selectors, services
from civicloop.problems.forms import (
    ACTION_STYLE,
    SERVICE_FOR,
    ActionForm,
    EvidenceUploadForm,
    KpiForm,
    LedgerFilterForm,
    ProblemNewForm,
    RoutingRuleForm,
    perform_action,
)
from civicloop.problems.models import (
    Action,
    EscalationLevel,
    Evidence,
    EvidenceKind,
    Problem,
)
from civicloop.problems.routing import suggest_for
from civicloop.standards.models import Category

PAGE_SIZE = 30
A = Action

# Which workbench buckets each role works from (in WORKBENCH_BUCKETS order on the page).
ROLE_BUCKETS: dict[str, set[str]] = {
    Role.COMMAND: {
        "pending_review",
        "registered",
        "dispatched",
        "rectifying",
        "due_soon",
        "overdue",
        "submitted",
        "parked",
    },
    Role.LEADER: {"dispatched", "rectifying", "due_soon", "overdue", "submitted", "parked"},
    Role.INSPECTOR: {"registered", "due_soon", "overdue", "submitted"},
    Role.UNIT_HANDLER: {"dispatched", "rectifying", "leader_review", "due_soon", "overdue"},
    Role.UNIT_LEADER: {"leader_review", "dispatched", "rectifying", "due_soon", "overdue"},
    Role.GRID_WORKER: {"pending_review", "rectifying", "overdue"},
}
LEDGER_ROLES = frozenset(ROLE_BUCKETS)


# --- Helpers -----------------------------------------------------------------------------


def _page(request: HttpRequest, qs: QuerySet):
    # The count stops at 10 000 rows (the page says so): an exact COUNT(*) of a large
    # filter costs more than the page itself.
    return CappedCountPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _querystring(request: HttpRequest, drop: tuple[str, ...] = ("page",)) -> str:
    params = request.GET.copy()
    for key in drop:
        params.pop(key, None)
    return params.urlencode()


def _require_ledger_user(request: HttpRequest) -> None:
    """Ledger pages are for people who work on problems or have reported one."""
    if not request.user.is_authenticated:
        raise PermissionDenied


def _map_config(**extra: Any) -> dict[str, Any]:
    return {
        "tileUrl": settings.CIVICLOOP.get("MAP_TILE_URL", ""),
        "tileAttribution": settings.CIVICLOOP.get("MAP_TILE_ATTRIBUTION", ""),
        **extra,
    }


def _city_bounds() -> list[list[float]] | None:
    """The bounding box of every mapped area, [[south, west], [north, east]] for Leaflet."""
    box = Area.objects.filter(parent__isnull=True).aggregate(
        w=Min("min_lng"), s=Min("min_lat"), e=Max("max_lng"), n=Max("max_lat")
    )
    if None in box.values():
        return None
    return [[box["s"], box["w"]], [box["n"], box["e"]]]


def workbench_buckets_for(user) -> list[tuple[str, str]]:
    """(key, label) of the buckets the user's roles work from, in a stable order."""
    scope = scope_of(user)
    keys: set[str] = set()
    for role in scope.roles:
        keys |= ROLE_BUCKETS.get(role, set())
    if scope.is_superuser:
        keys = set(selectors.WORKBENCH_BUCKETS)
    return [(k, label) for k, (label, _q) in selectors.WORKBENCH_BUCKETS.items() if k in keys]


# --- Workbench ---------------------------------------------------------------------------


@login_required
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    user = request.user
    buckets = workbench_buckets_for(user)
    counts = selectors.workbench_counts(user=user) if buckets else {}
    keys = [k for k, _label in buckets]
    bucket = request.GET.get("bucket") or next((k for k in keys if counts.get(k)), None)
    if bucket is None and keys:
        bucket = keys[0]
    if bucket is not None and bucket not in selectors.WORKBENCH_BUCKETS:
        raise Http404("未知的工作台分组")
    if bucket is not None:
        qs = selectors.workbench_list(user=user, bucket=bucket)
    else:  # citizens: their own reports
        qs = selectors.problem_list(user=user)
    scope = scope_of(user)
    context = {
        "buckets": [(k, label, counts.get(k, 0)) for k, label in buckets],
        "bucket": bucket,
        "bucket_label": selectors.WORKBENCH_BUCKETS[bucket][0] if bucket else "我上报的问题",
        "page_obj": _page(request, qs),
        "querystring": _querystring(request),
        "pending_requests": (
            list(selectors.pending_requests(user=user).order_by("requested_at")[:20])
            if scope.has(Role.COMMAND)
            else []
        ),
        "can_new": _new_problem_mode(user) is not None,
    }
    if request.htmx and request.htmx.target == "problem-results":
        return render(request, "problems/_problem_table.html", context)
    return render(request, "problems/workbench.html", context)


@login_required
@require_GET
def workbench_cards(request: HttpRequest) -> HttpResponse:
    """The workbench counts as cards, lazily loaded into the home page (htmx)."""
    buckets = workbench_buckets_for(request.user)
    counts = selectors.workbench_counts(user=request.user) if buckets else {}
    context = {"buckets": [(k, label, counts.get(k, 0)) for k, label in buckets]}
    return render(request, "problems/_workbench_cards.html", context)


# --- Ledger ------------------------------------------------------------------------------


@login_required
@require_GET
def ledger(request: HttpRequest) -> HttpResponse:
    form = LedgerFilterForm(request.GET or None, user=request.user)
    qs = selectors.problem_list(user=request.user, filters=form.ledger_filters())
    context = {
        "form": form,
        "page_obj": _page(request, qs),
        "querystring": _querystring(request),
        "export_query": _querystring(request),
        "can_new": _new_problem_mode(request.user) is not None,
    }
    if request.htmx and request.htmx.target == "problem-results":
        return render(request, "problems/_ledger_results.html", context)
    return render(request, "problems/ledger.html", context)


@login_required
@require_GET
def ledger_export(request: HttpRequest) -> HttpResponse:
    """The ledger with the current filters as XLSX (streamed from a temporary file)."""
    form = LedgerFilterForm(request.GET or None, user=request.user)
    qs = selectors.problem_list(user=request.user, filters=form.ledger_filters())
    return exports.ledger_response(qs)


# --- Problem page ------------------------------------------------------------------------


def _evidence_groups(problem: Problem) -> dict[str, list[Evidence]]:
    groups: dict[str, list[Evidence]] = {k: [] for k in EvidenceKind.values}
    groups["staged"] = []
    for ev in selectors.problem_evidence(problem=problem):
        groups[ev.kind].append(ev)
        if ev.event_id is None:
            groups["staged"].append(ev)
    return groups


_DATA_LABELS = {
    "due_at": "整改时限",
    "due_at_before": "原时限",
    "due_at_after": "新时限",
    "requested_due_at": "申请延至",
    "review_on": "复核日期",
    "level_before": "原督办级别",
    "level_after": "督办级别",
    "merged_into_number": "合并至",
    "reason": "申请理由",
    "source": "来源",
    "severity": "整改类型",
    "overridden": "改派（未采用建议单位）",
    "leader_review": "需单位负责人审核",
}


def _format_value(key: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if key in ("level_before", "level_after") and isinstance(value, int):
        return EscalationLevel(value).label if value in EscalationLevel.values else str(value)
    if isinstance(value, bool):
        return "是" if value else None
    if key == "source":
        from civicloop.problems.models import Source

        return Source(value).label if value in Source.values else str(value)
    if key == "severity" and isinstance(value, list) and len(value) == 2:
        from civicloop.problems.models import Severity

        labels = [Severity(v).label if v in Severity.values else v for v in value]
        return f"{labels[0]} → {labels[1]}"
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        parsed = parse_datetime(value)
        if parsed is not None:
            return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M")
    return str(value)


def event_details(event) -> list[tuple[str, str]]:
    """Readable (label, value) pairs from an event's data, e.g. deadline changes."""
    out = []
    for key, label in _DATA_LABELS.items():
        if key in (event.data or {}):
            text = _format_value(key, event.data[key])
            if text:
                out.append((label, text))
    return out


def _action_forms(request, problem, actions, *, suggestion, duplicates, bound=None):
    forms = {}
    for action in actions:
        if bound is not None and bound.action == action:
            forms[action] = bound
            continue
        forms[action] = ActionForm(
            action=action,
            problem=problem,
            user=request.user,
            suggested_unit=suggestion.unit if suggestion else None,
            duplicates=duplicates,
            auto_id=f"id_{action}_%s",
        )
    return forms


def _detail_context(request: HttpRequest, problem: Problem, *, bound: ActionForm | None = None):
    user = request.user
    pending = selectors.pending_request_kinds(problem)
    actions = permissions.available_actions(user, problem, pending_kinds=pending)
    # The routing suggestion is the dispatcher's: shown to command on registered problems.
    suggestion = suggest_for(problem) if A.DISPATCH in actions else None
    duplicates = (
        list(selectors.duplicate_candidates(user=user, problem=problem))
        if A.MERGE in actions
        else None
    )
    forms = _action_forms(
        request, problem, actions, suggestion=suggestion, duplicates=duplicates, bound=bound
    )
    events = list(selectors.problem_events(problem=problem))
    for event in events:
        event.details = event_details(event)
    upload_kinds = [
        (k, label) for k, label in EvidenceKind.choices if permissions.may_upload(user, problem, k)
    ]
    point = (
        {"lat": problem.lat, "lng": problem.lng, "label": problem.number}
        if problem.lat is not None
        else None
    )
    return {
        "problem": problem,
        "light": deadlines.light_of(problem, timezone.now()),
        "events": events,
        "evidence": _evidence_groups(problem),
        "requests": list(selectors.problem_requests(problem=problem)),
        "actions": [
            {
                "code": a,
                "label": Action(a).label,
                "style": ACTION_STYLE.get(a, "outline-primary"),
                "form": forms[a],
            }
            for a in actions
        ],
        "open_action": bound.action if bound is not None else (actions[0] if actions else ""),
        "suggestion": suggestion,
        "duplicates": duplicates,
        "upload_form": EvidenceUploadForm(kinds=upload_kinds) if upload_kinds else None,
        "map_config": _map_config(point=point) if point else None,
        "can_print_notice": problem.dispatched_at is not None
        and problem.responsible_unit_id is not None,
    }


@login_required
@require_GET
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = selectors.problem_get(user=request.user, pk=pk)
    return render(request, "problems/detail.html", _detail_context(request, problem))


def _status_for(exc: DomainError) -> int:
    return exc.status_code


@login_required
@require_POST
def problem_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one action from its form; errors go back into the same form."""
    if action not in SERVICE_FOR:
        raise Http404("未知操作")
    problem = selectors.problem_get(user=request.user, pk=pk)
    duplicates = (
        list(selectors.duplicate_candidates(user=request.user, problem=problem))
        if action == A.MERGE
        else None
    )
    form = ActionForm(
        request.POST,
        request.FILES,
        action=action,
        problem=problem,
        user=request.user,
        duplicates=duplicates,
        auto_id=f"id_{action}_%s",
    )
    status = 400
    if form.is_valid():
        try:
            perform_action(action, user=request.user, problem=problem, kwargs=form.service_kwargs())
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except DomainError as exc:
            form.add_domain_error(exc)
            status = _status_for(exc)
        else:
            messages.success(request, f"已{Action(action).label}")
            url = reverse("problems:detail", args=[problem.pk])
            if request.htmx:
                return HttpResponse(status=200, headers={"HX-Redirect": url})
            return redirect(url)
    elif form.stale:
        status = ConcurrentUpdate.status_code
    if request.htmx:
        context = {
            "problem": problem,
            "a": {
                "code": action,
                "label": Action(action).label,
                "style": ACTION_STYLE.get(action, "outline-primary"),
                "form": form,
            },
        }
        return render(request, "problems/_action_form.html", context, status=status)
    problem = selectors.problem_get(
        user=request.user, pk=pk
    )  # fresh: the service may have moved it
    form.problem = problem
    return render(
        request,
        "problems/detail.html",
        _detail_context(request, problem, bound=form),
        status=status,
    )


@login_required
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Stage photos/files on a problem (e.g. after-photos taken during rectification)."""
    problem = selectors.problem_get(user=request.user, pk=pk)
    form = EvidenceUploadForm(request.POST, request.FILES, kinds=EvidenceKind.choices)
    if form.is_valid():
        try:
            with transaction.atomic():  # all files or none
                for upload in form.cleaned_data["files"]:
                    services.evidence_upload(
                        user=request.user,
                        problem=problem,
                        kind=form.cleaned_data["kind"],
                        file=upload,
                    )
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except DomainError as exc:
            messages.error(request, exc.message)
            return _back_to_problem(request, problem, status=exc.status_code)
        messages.success(request, f"已上传 {len(form.cleaned_data['files'])} 个文件")
        return redirect("problems:detail", pk=problem.pk)
    messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return _back_to_problem(request, problem, status=400)


def _back_to_problem(request, problem, *, status: int) -> HttpResponse:
    return render(request, "problems/detail.html", _detail_context(request, problem), status=status)


@login_required
@require_POST
def evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = get_object_or_404(Evidence.objects.select_related("problem"), pk=pk)
    problem = selectors.problem_get(user=request.user, pk=evidence.problem_id)
    try:
        services.evidence_delete(user=request.user, evidence=evidence)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back_to_problem(request, problem, status=exc.status_code)
    messages.success(request, "已删除")
    return redirect("problems:detail", pk=problem.pk)


@login_required
@require_GET
def evidence_file(request: HttpRequest, pk: int, variant: str = "file") -> HttpResponse:
    """Serve a photo/file only to people who may see its problem (names are random, but
    the check is what protects them)."""
    return files.scoped_evidence_response(request.user, pk, variant)


# --- New problem -------------------------------------------------------------------------


def _new_problem_mode(user) -> str | None:
    """ "create" for inspectors/command, "report" for citizens/grid workers, else None."""
    scope = scope_of(user)
    if scope.has(Role.INSPECTOR, Role.COMMAND):
        return A.CREATE
    if scope.has(Role.CITIZEN, Role.GRID_WORKER):
        return A.REPORT
    return None


def _category_options() -> tuple[list[Category], list[dict[str, Any]]]:
    majors = list(
        Category.objects.filter(parent__isnull=True, is_active=True).order_by("sort_order", "code")
    )
    minors = list(
        Category.objects.filter(parent__isnull=False, is_active=True)
        .order_by("sort_order", "code")
        .values("pk", "name", "parent_id")
    )
    return majors, minors


@login_required
def problem_new(request: HttpRequest) -> HttpResponse:
    mode = _new_problem_mode(request.user)
    if mode is None:
        raise PermissionDenied("您的角色不能登记或上报问题")
    creating = mode == A.CREATE
    form = ProblemNewForm(
        request.POST or None, request.FILES or None, user=request.user, creating=creating
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            service = services.problem_create if creating else services.problem_report
            try:
                problem = service(user=request.user, **form.service_kwargs())
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status_code
            else:
                messages.success(
                    request, f"问题 {problem.number} 已{'登记' if creating else '上报'}"
                )
                return redirect("problems:detail", pk=problem.pk)
    majors, minors = _category_options()
    context = {
        "form": form,
        "creating": creating,
        "majors": majors,
        "minors": minors,
        "selected_category": form["category"].value() or "",
        "selected_point": _selected_point(request.user, form["point"].value()),
        "map_config": _map_config(bounds=_city_bounds(), picker=True),
    }
    return render(request, "problems/new.html", context, status=status)


def _selected_point(user, value):
    """The point chosen before a failed post, so the form keeps it (the select is filled by
    search, not with every point of the city)."""
    if not value or not str(value).isdigit():
        return None
    return org_selectors.point_list(user=user).filter(pk=int(value)).first()


@login_required
@require_GET
def point_options(request: HttpRequest) -> HttpResponse:
    """<option>s of points matching ?q= (name, code or address), for the new-problem form."""
    q = (request.GET.get("q") or "").strip()
    qs = org_selectors.point_list(user=request.user).filter(is_active=True)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(address__icontains=q))
    points = list(qs.order_by("name")[:50])
    return render(request, "problems/_point_options.html", {"points": points, "q": q})


# --- Rectification notice ----------------------------------------------------------------


def _notice_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    problem = selectors.problem_get(user=request.user, pk=pk)
    if problem.dispatched_at is None or problem.responsible_unit_id is None:
        raise Http404("该问题尚未派遣，没有整改通知单")
    dispatch = (
        problem.events.filter(action__in=[A.DISPATCH, A.REOPEN]).order_by("-at", "-id").first()
    )
    before = [
        e
        for e in selectors.problem_evidence(problem=problem, kind=EvidenceKind.BEFORE)
        if e.is_image
    ]
    local = timezone.localtime(problem.dispatched_at)
    return {
        "problem": problem,
        "office": f"{settings.CIVICLOOP['CITY_NAME']}创建全国文明城市工作指挥部办公室",
        "notice_no": f"创文整改〔{local.year}〕{problem.number.rsplit('-', 1)[-1]}号",
        "dispatch_note": dispatch.note if dispatch else "",
        "photos": before[:4],
        "leaders": exports.leaders_for_area(problem.area),
        "issued_on": local.date(),
    }


@login_required
@require_GET
def problem_notice(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "problems/notice.html", _notice_context(request, pk))


@login_required
@require_GET
def problem_notice_docx(request: HttpRequest, pk: int) -> HttpResponse:
    context = _notice_context(request, pk)
    return exports.notice_docx_response(context)


# --- Routing rules -----------------------------------------------------------------------


def _require_command(request: HttpRequest) -> None:
    if not scope_of(request.user).has(Role.COMMAND):
        raise PermissionDenied("只有创文办（指挥中心）可以维护派遣规则")


@login_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    _require_command(request)
    rules = selectors.routing_rule_list(user=request.user).select_related("category__parent")
    return render(request, "problems/rule_list.html", {"rules": rules})


def _rule_kwargs(form: RoutingRuleForm) -> dict[str, Any]:
    return dict(form.cleaned_data)


def _rule_call(form, call) -> Any | None:
    try:
        return call()
    except DomainError as exc:
        form.add_domain_error(exc)
        form.error_status = exc.status_code
        return None


@login_required
def rule_create(request: HttpRequest) -> HttpResponse:
    _require_command(request)
    form = RoutingRuleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        kwargs = _rule_kwargs(form)
        rule = _rule_call(form, lambda: services.routing_rule_create(user=request.user, **kwargs))
        if rule is not None:
            messages.success(request, f"已新增派遣规则“{rule.name}”")
            return redirect("problems:rule_list")
    return _rule_page(request, form, title="新增派遣规则")


@login_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_command(request)
    rule = selectors.routing_rule_get(user=request.user, pk=pk)
    form = RoutingRuleForm(
        request.POST or None, user=request.user, initial=RoutingRuleForm.initial_from(rule)
    )
    if request.method == "POST" and form.is_valid():
        kwargs = _rule_kwargs(form)
        saved = _rule_call(
            form, lambda: services.routing_rule_update(user=request.user, rule=rule, **kwargs)
        )
        if saved is not None:
            messages.success(request, "派遣规则已保存")
            return redirect("problems:rule_list")
    return _rule_page(request, form, title=f"编辑派遣规则：{rule.name}", rule=rule)


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_command(request)
    rule = selectors.routing_rule_get(user=request.user, pk=pk)
    try:
        services.routing_rule_delete(user=request.user, rule=rule)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("problems:rule_list")
    messages.success(request, f"已删除派遣规则“{rule.name}”")
    return redirect("problems:rule_list")


def _rule_page(request, form, *, title: str, rule=None) -> HttpResponse:
    status = 200
    if form.is_bound and form.errors:
        status = getattr(form, "error_status", 400)
    return render(
        request,
        "problems/rule_form.html",
        {"form": form, "title": title, "rule": rule},
        status=status,
    )


# --- KPIs --------------------------------------------------------------------------------


def _aware_day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _default_kpi_area(user) -> Area | None:
    """The top of the user's jurisdiction (for grouping by area)."""
    area = org_selectors.area_list(user=user).order_by("depth", "path").first()
    return area or Area.objects.filter(parent__isnull=True).order_by("path").first()


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def kpi_display(row: kpis.KpiRow) -> dict[str, Any]:
    data = row.as_dict()
    data.update(
        closure_pct=_pct(row.closure_rate),
        on_time_pct=_pct(row.on_time_rate),
        rework_pct=_pct(row.rework_rate),
        sign_hours=_hours(row.avg_sign_hours),
        handling_hours=_hours(row.avg_handling_hours),
    )
    return data


@login_required
@require_GET
def kpi(request: HttpRequest) -> HttpResponse:
    if not scope_of(request.user).has(*LEDGER_ROLES):
        raise PermissionDenied
    form = KpiForm(request.GET or None, user=request.user)
    start, end = form.period()
    group_by = (form.cleaned_data.get("group_by") if form.is_bound and form.is_valid() else "") or (
        "unit"
    )
    area = form.cleaned_data.get("area") if form.is_bound and form.is_valid() else None
    if group_by == "area" and area is None:
        area = _default_kpi_area(request.user)
    rows = []
    if group_by != "area" or area is not None:
        rows = kpis.kpi_table(
            group_by=group_by,
            start=_aware_day_start(start),
            end=_aware_day_start(end + timedelta(days=1)),
            user=request.user,
            area=area,
        )
    context = {
        "form": form,
        "start": start,
        "end": end,
        "group_by": group_by,
        "rows": [kpi_display(r) for r in rows],
        "total": kpi_display(kpis.kpi_totals(rows)),
    }
    return render(request, "problems/kpi.html", context)
