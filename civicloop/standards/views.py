"""Problem categories page (问题分类): two-level tree with deadline policies, read-only."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from civicloop.accounts.scope import scope_of
from civicloop.standards.models import Category


def _category_tree():
    """大类 with their 小类 in two queries (reference data, the same for every staff user)."""
    children = Category.objects.select_related("default_unit").order_by("sort_order", "code")
    return (
        Category.objects.filter(parent__isnull=True)
        .select_related("default_unit")
        .prefetch_related(Prefetch("children", queryset=children))
        .order_by("sort_order", "code")
    )


@login_required
@require_GET
def category_list(request: HttpRequest) -> HttpResponse:
    if not scope_of(request.user).is_staff_user:
        raise PermissionDenied
    return render(request, "standards/category_list.html", {"groups": _category_tree()})
