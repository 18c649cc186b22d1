"""Registry pages: units, areas, point types, points and the map.

Views are thin: reads go through `selectors` (scoped; out of scope → 404), writes through
`services` (command only; a DomainError is shown on the form). Every page needs a login.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Avg, Count, F, Max, Min, Q, QuerySet
from django.db.models.functions import Floor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from civicloop.accounts.scope import scope_of
from civicloop.core.errors import DomainError, NotPermitted
from civicloop.orgs import selectors, services
from civicloop.orgs.forms import (
    AreaFilterForm,
    AreaForm,
    PointFilterForm,
    PointForm,
    PointTypeForm,
    ResponsibilityForm,
    UnitFilterForm,
    UnitForm,
)
from civicloop.orgs.models import AREA_LEVEL_ORDER, AreaLevel
from civicloop.orgs.permissions import can_edit_in_area, can_edit_registry

PAGE_SIZE = 30
# The map draws at most this many single points; beyond it the view aggregates by grid.
MAP_POINT_LIMIT = 2000
MAP_GRID_COLUMNS, MAP_GRID_ROWS = 48, 32
MAP_AREA_LIMIT = 3000


# --- Helpers -------------------------------------------------------------------------


def _staff_only(request: HttpRequest) -> None:
    """Registry pages are for staff roles; citizens see nothing of it."""
    if not scope_of(request.user).is_staff_user:
        raise PermissionDenied


def _require_editor(request: HttpRequest, area=None) -> None:
    if not can_edit_registry(request.user):
        raise PermissionDenied("只有创文办（指挥中心）可以维护基础数据")
    if area is not None and not can_edit_in_area(request.user, area):
        raise PermissionDenied("该区域不在您的管辖范围内")


def _page(request: HttpRequest, qs: QuerySet):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _querystring(request: HttpRequest) -> str:
    """The current filters without the page number, for pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _save_with_service(form, call) -> Any | None:
    """Run a service call; on a DomainError put the message on the form, return None."""
    try:
        return call()
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        form.add_domain_error(exc)
        return None


def _edit_page(request, form, *, title: str, cancel_url: str, template: str = "orgs/form.html"):
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        template,
        {"form": form, "title": title, "cancel_url": cancel_url},
        status=status,
    )


def _can_edit(request: HttpRequest, area=None) -> bool:
    if not can_edit_registry(request.user):
        return False
    return area is None or can_edit_in_area(request.user, area)


# --- Units ---------------------------------------------------------------------------


@login_required
@require_GET
def unit_list(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    form = UnitFilterForm(request.GET or None)
    values = form.values() if form.is_bound else {}
    qs = selectors.unit_list(user=request.user)
    if q := values.get("q"):
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(short_name__icontains=q)
            | Q(code__icontains=q)
            | Q(contact_person__icontains=q)
            | Q(contact_phone__icontains=q)
        )
    if kind := values.get("kind"):
        qs = qs.filter(kind=kind)
    context = {
        "form": form,
        "page_obj": _page(request, qs.order_by("path")),
        "querystring": _querystring(request),
        "can_edit": can_edit_registry(request.user),
    }
    return render(request, "orgs/unit_list.html", context)


@login_required
@require_GET
def unit_tree(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    qs = selectors.unit_list(user=request.user)
    roots = qs.exclude(parent__in=qs.values("pk")).annotate(child_count=Count("children"))
    return render(request, "orgs/unit_tree.html", {"nodes": roots.order_by("sort_order", "path")})


@login_required
@require_GET
def unit_children(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    unit = selectors.unit_get(user=request.user, pk=pk)
    nodes = (
        selectors.unit_list(user=request.user)
        .filter(parent=unit)
        .annotate(child_count=Count("children"))
        .order_by("sort_order", "path")
    )
    return render(request, "partials/tree_nodes.html", {"nodes": nodes, "kind": "unit"})


@login_required
@require_GET
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    unit = selectors.unit_get(user=request.user, pk=pk)
    children = selectors.unit_list(user=request.user).filter(parent=unit).order_by("path")
    points = selectors.point_list(user=request.user).filter(responsible_unit=unit)
    context = {
        "unit": unit,
        "children": children,
        "point_count": points.count(),
        "led_types": unit.led_point_types.all(),
        "can_edit": _can_edit(request, unit.area),
    }
    return render(request, "orgs/unit_detail.html", context)


@login_required
def unit_create(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    _require_editor(request)
    form = UnitForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        unit = _save_with_service(form, lambda: services.unit_create(user=request.user, **data))
        if unit is not None:
            messages.success(request, f"已新增单位“{unit.name}”")
            return redirect("orgs:unit_detail", pk=unit.pk)
    return _edit_page(request, form, title="新增单位", cancel_url=reverse("orgs:unit_list"))


@login_required
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    unit = selectors.unit_get(user=request.user, pk=pk)
    _require_editor(request, unit.area)
    form = UnitForm(request.POST or None, user=request.user, instance=unit)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        saved = _save_with_service(
            form, lambda: services.unit_update(user=request.user, unit=unit, **data)
        )
        if saved is not None:
            messages.success(request, "单位信息已保存")
            return redirect("orgs:unit_detail", pk=unit.pk)
    cancel = reverse("orgs:unit_detail", args=[unit.pk])
    return _edit_page(request, form, title=f"编辑单位：{unit.name}", cancel_url=cancel)


# --- Areas ---------------------------------------------------------------------------


@login_required
@require_GET
def area_list(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    form = AreaFilterForm(request.GET or None)
    values = form.values() if form.is_bound else {}
    qs = selectors.area_list(user=request.user).select_related("parent")
    if q := values.get("q"):
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if level := values.get("level"):
        qs = qs.filter(level=level)
    context = {
        "form": form,
        "page_obj": _page(request, qs.defer("boundary", "parent__boundary").order_by("path")),
        "querystring": _querystring(request),
        "can_edit": can_edit_registry(request.user),
    }
    return render(request, "orgs/area_list.html", context)


def _area_nodes(qs: QuerySet) -> QuerySet:
    return (
        qs.defer("boundary").annotate(child_count=Count("children")).order_by("sort_order", "path")
    )


@login_required
@require_GET
def area_tree(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    qs = selectors.area_list(user=request.user)
    roots = _area_nodes(qs.exclude(parent__in=qs.values("pk")))
    return render(request, "orgs/area_tree.html", {"nodes": roots})


@login_required
@require_GET
def area_children(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    area = selectors.area_get(user=request.user, pk=pk)
    nodes = _area_nodes(selectors.area_list(user=request.user).filter(parent=area))
    return render(request, "partials/tree_nodes.html", {"nodes": nodes, "kind": "area"})


@login_required
@require_GET
def area_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    area = selectors.area_get(user=request.user, pk=pk)
    points = selectors.point_list(user=request.user).filter(area__path__startswith=area.path)
    can_edit = _can_edit(request, area)
    context = {
        "area": area,
        "ancestors": selectors.area_ancestors(area),
        "children": _area_nodes(selectors.area_list(user=request.user).filter(parent=area)),
        "point_count": points.count(),
        "points": points.order_by("code")[:20],
        "responsibilities": selectors.area_responsibilities(area=area),
        "can_edit": can_edit,
        "resp_form": ResponsibilityForm(user=request.user) if can_edit else None,
        "map_config": _map_config(focus_area=area),
    }
    return render(request, "orgs/area_detail.html", context)


@login_required
def area_create(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    _require_editor(request)
    initial = {}
    if parent_id := request.GET.get("parent"):
        parent = selectors.area_get(user=request.user, pk=parent_id)
        initial = {"parent": parent, "level": _next_level(parent.level)}
    form = AreaForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        area = _save_with_service(form, lambda: services.area_create(user=request.user, **data))
        if area is not None:
            messages.success(request, f"已新增区域“{area.name}”")
            return redirect("orgs:area_detail", pk=area.pk)
    return _edit_page(request, form, title="新增区域", cancel_url=reverse("orgs:area_tree"))


def _next_level(level: str) -> str:
    index = AREA_LEVEL_ORDER.index(level)
    return AREA_LEVEL_ORDER[min(index + 1, len(AREA_LEVEL_ORDER) - 1)]


@login_required
def area_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    area = selectors.area_get(user=request.user, pk=pk)
    _require_editor(request, area)
    form = AreaForm(request.POST or None, user=request.user, instance=area)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        saved = _save_with_service(
            form, lambda: services.area_update(user=request.user, area=area, **data)
        )
        if saved is not None:
            messages.success(request, "区域信息已保存")
            return redirect("orgs:area_detail", pk=area.pk)
    cancel = reverse("orgs:area_detail", args=[area.pk])
    return _edit_page(request, form, title=f"编辑区域：{area.name}", cancel_url=cancel)


@login_required
@require_POST
def responsibility_add(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    area = selectors.area_get(user=request.user, pk=pk)
    _require_editor(request, area)
    form = ResponsibilityForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.service_data()
        saved = _save_with_service(
            form, lambda: services.responsibility_add(user=request.user, area=area, **data)
        )
        if saved is not None:
            messages.success(request, f"已添加{saved.get_kind_display()}")
            return redirect("orgs:area_detail", pk=area.pk)
    context = {
        "form": form,
        "title": f"添加区域责任：{area.name}",
        "cancel_url": reverse("orgs:area_detail", args=[area.pk]),
        "action": reverse("orgs:responsibility_add", args=[area.pk]),
    }
    return render(request, "orgs/form.html", context, status=400)


@login_required
@require_POST
def responsibility_remove(request: HttpRequest, pk: int, resp_pk: int) -> HttpResponse:
    _staff_only(request)
    area = selectors.area_get(user=request.user, pk=pk)
    _require_editor(request, area)
    responsibility = get_object_or_404(selectors.area_responsibilities(area=area), pk=resp_pk)
    try:
        services.responsibility_remove(user=request.user, responsibility=responsibility)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已移除")
    return redirect("orgs:area_detail", pk=area.pk)


# --- Point types ---------------------------------------------------------------------


@login_required
@require_GET
def point_type_list(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    types = list(selectors.point_type_list(user=request.user).order_by("sort_order", "code"))
    counts = _scoped_point_counts(request.user)
    for pt in types:
        pt.scoped_count = counts.get(pt.pk, 0)
    context = {"types": types, "can_edit": can_edit_registry(request.user)}
    return render(request, "orgs/point_type_list.html", context)


def _scoped_point_counts(user) -> dict[int, int]:
    """Points per type within the user's scope (the global count would mislead a district)."""
    rows = (
        selectors.point_list(user=user).order_by().values("point_type_id").annotate(n=Count("id"))
    )
    return {row["point_type_id"]: row["n"] for row in rows}


@login_required
@require_GET
def point_type_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    point_type = selectors.point_type_get(user=request.user, pk=pk)
    points = selectors.point_list(user=request.user).filter(point_type=point_type)
    context = {
        "pt": point_type,
        "point_count": points.count(),
        "points": points.order_by("code")[:20],
        "can_edit": can_edit_registry(request.user),
    }
    return render(request, "orgs/point_type_detail.html", context)


@login_required
def point_type_create(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    _require_editor(request)
    form = PointTypeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        pt = _save_with_service(form, lambda: services.point_type_create(user=request.user, **data))
        if pt is not None:
            messages.success(request, f"已新增点位类型“{pt.name}”")
            return redirect("orgs:point_type_detail", pk=pt.pk)
    cancel = reverse("orgs:point_type_list")
    return _edit_page(request, form, title="新增点位类型", cancel_url=cancel)


@login_required
def point_type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    point_type = selectors.point_type_get(user=request.user, pk=pk)
    _require_editor(request)
    form = PointTypeForm(request.POST or None, user=request.user, instance=point_type)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        saved = _save_with_service(
            form,
            lambda: services.point_type_update(user=request.user, point_type=point_type, **data),
        )
        if saved is not None:
            messages.success(request, "点位类型已保存")
            return redirect("orgs:point_type_detail", pk=point_type.pk)
    cancel = reverse("orgs:point_type_detail", args=[point_type.pk])
    return _edit_page(request, form, title=f"编辑点位类型：{point_type.name}", cancel_url=cancel)


# --- Points --------------------------------------------------------------------------


def _filtered_points(request: HttpRequest, form: PointFilterForm) -> QuerySet:
    values = form.values() if form.is_bound else {}
    qs = selectors.point_list(user=request.user)
    if q := values.get("q"):
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(address__icontains=q))
    if point_type := values.get("point_type"):
        qs = qs.filter(point_type=point_type)
    if area := values.get("area"):
        qs = qs.filter(area__path__startswith=area.path)
    if unit := values.get("unit"):
        qs = qs.filter(responsible_unit=unit)
    return qs.defer("area__boundary").order_by("code")


@login_required
@require_GET
def point_list(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    form = PointFilterForm(request.GET or None, user=request.user)
    context = {
        "form": form,
        "page_obj": _page(request, _filtered_points(request, form)),
        "querystring": _querystring(request),
        "can_edit": can_edit_registry(request.user),
    }
    # htmx live filtering swaps only the result table.
    if request.htmx and request.htmx.target == "point-results":
        return render(request, "orgs/_point_results.html", context)
    return render(request, "orgs/point_list.html", context)


@login_required
@require_GET
def point_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    point = selectors.point_get(user=request.user, pk=pk)
    context = {
        "point": point,
        "ancestors": selectors.area_ancestors(point.area),
        "can_edit": _can_edit(request, point.area),
        "map_config": _map_config(focus_point=point),
    }
    return render(request, "orgs/point_detail.html", context)


@login_required
def point_create(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    _require_editor(request)
    form = PointForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        point = _save_with_service(form, lambda: services.point_create(user=request.user, **data))
        if point is not None:
            messages.success(request, f"已新增点位“{point.name}”")
            return redirect("orgs:point_detail", pk=point.pk)
    return _edit_page(request, form, title="新增点位", cancel_url=reverse("orgs:point_list"))


@login_required
def point_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    point = selectors.point_get(user=request.user, pk=pk)
    _require_editor(request, point.area)
    form = PointForm(request.POST or None, user=request.user, instance=point)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        saved = _save_with_service(
            form, lambda: services.point_update(user=request.user, point=point, **data)
        )
        if saved is not None:
            messages.success(request, "点位信息已保存")
            return redirect("orgs:point_detail", pk=point.pk)
    cancel = reverse("orgs:point_detail", args=[point.pk])
    return _edit_page(request, form, title=f"编辑点位：{point.name}", cancel_url=cancel)


# --- Map -----------------------------------------------------------------------------


def _map_config(*, focus_area=None, focus_point=None) -> dict[str, Any]:
    """What the map script needs; tiles only when the deployment configures them."""
    config: dict[str, Any] = {
        "tileUrl": settings.CIVICLOOP.get("MAP_TILE_URL", ""),
        "tileAttribution": settings.CIVICLOOP.get("MAP_TILE_ATTRIBUTION", ""),
    }
    if focus_area is not None and focus_area.boundary:
        config["boundary"] = focus_area.boundary
        config["bounds"] = [
            [focus_area.min_lat, focus_area.min_lng],
            [focus_area.max_lat, focus_area.max_lng],
        ]
    if focus_point is not None:
        if focus_point.lng is not None:
            config["point"] = {"lat": focus_point.lat, "lng": focus_point.lng}
        if focus_point.area.boundary:
            config["boundary"] = focus_point.area.boundary
    return config


@login_required
@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    extent = (
        selectors.area_list(user=request.user)
        .filter(min_lng__isnull=False)
        .aggregate(w=Min("min_lng"), s=Min("min_lat"), e=Max("max_lng"), n=Max("max_lat"))
    )
    config = _map_config()
    if extent["w"] is not None:
        config["bounds"] = [[extent["s"], extent["w"]], [extent["n"], extent["e"]]]
    config.update(
        pointsUrl=reverse("orgs:map_points"),
        areasUrl=reverse("orgs:map_areas"),
        pointLimit=MAP_POINT_LIMIT,
        # The script swaps the 0 for a point id to link popups to detail pages.
        pointUrlTemplate=reverse("orgs:point_detail", args=[0]),
    )
    levels = [(value, label) for value, label in AreaLevel.choices if value != AreaLevel.CITY]
    context = {
        "map_config": config,
        "levels": levels,
        "point_types": selectors.point_type_list(user=request.user).order_by("sort_order", "code"),
    }
    return render(request, "orgs/map.html", context)


def _parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """`west,south,east,north` in WGS-84 degrees, or None when absent or malformed."""
    if not raw:
        return None
    try:
        west, south, east, north = (float(x) for x in raw.split(","))
    except ValueError:
        return None
    if not (west < east and south < north):
        return None
    return west, south, east, north


def _bad_request(message: str) -> JsonResponse:
    return JsonResponse({"code": "validation_error", "message": message}, status=400)


@login_required
@require_GET
def map_points(request: HttpRequest) -> JsonResponse:
    """Points inside the current map view; aggregated into grid cells when too many."""
    _staff_only(request)
    bbox = _parse_bbox(request.GET.get("bbox"))
    if bbox is None:
        return _bad_request("参数 bbox 应为“西经度,南纬度,东经度,北纬度”")
    west, south, east, north = bbox
    qs = selectors.point_list(user=request.user).filter(
        lng__gte=west, lng__lte=east, lat__gte=south, lat__lte=north, is_active=True
    )
    if (type_id := request.GET.get("type", "")).isdigit():
        qs = qs.filter(point_type_id=int(type_id))
    total = qs.count()
    if total <= MAP_POINT_LIMIT:
        rows = qs.order_by().values(
            "id", "code", "name", "lng", "lat", "address",
            type_name=F("point_type__name"), unit_name=F("responsible_unit__name"),
        )  # fmt: skip
        return JsonResponse({"total": total, "truncated": False, "points": list(rows)})
    return JsonResponse(
        {
            "total": total,
            "truncated": True,
            "clusters": _grid_clusters(qs, bbox),
            "message": f"当前视野内共 {total} 个点位，超过 {MAP_POINT_LIMIT} 个，已按网格聚合显示，请放大地图查看单个点位",
        }
    )


def _grid_clusters(qs: QuerySet, bbox: tuple[float, float, float, float]) -> list[dict]:
    """Count points per cell of a fixed grid over the bbox, in one GROUP BY query."""
    west, south, east, north = bbox
    cell_w = (east - west) / MAP_GRID_COLUMNS
    cell_h = (north - south) / MAP_GRID_ROWS
    rows = (
        qs.order_by()
        .annotate(gx=Floor((F("lng") - west) / cell_w), gy=Floor((F("lat") - south) / cell_h))
        .values("gx", "gy")
        .annotate(count=Count("id"), lng=Avg("lng"), lat=Avg("lat"))
    )
    return [{"lng": r["lng"], "lat": r["lat"], "count": r["count"]} for r in rows]


@login_required
@require_GET
def map_areas(request: HttpRequest) -> JsonResponse:
    """Area boundaries of one level (optionally within a bbox) as a FeatureCollection."""
    _staff_only(request)
    level = request.GET.get("level", AreaLevel.STREET)
    if level not in AreaLevel.values:
        return _bad_request("未知的区域层级")
    qs = selectors.area_list(user=request.user).filter(level=level, boundary__isnull=False)
    if bbox := _parse_bbox(request.GET.get("bbox")):
        west, south, east, north = bbox
        qs = qs.filter(min_lng__lte=east, max_lng__gte=west, min_lat__lte=north, max_lat__gte=south)
    rows = list(
        qs.order_by("path").values("id", "name", "code", "level", "boundary")[: MAP_AREA_LIMIT + 1]
    )
    truncated = len(rows) > MAP_AREA_LIMIT
    features = [
        {
            "type": "Feature",
            "geometry": row["boundary"],
            "properties": {
                "id": row["id"],
                "name": row["name"],
                "code": row["code"],
                "url": reverse("orgs:area_detail", args=[row["id"]]),
            },
        }
        for row in rows[:MAP_AREA_LIMIT]
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features, "truncated": truncated})
