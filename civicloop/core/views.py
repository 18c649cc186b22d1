import posixpath

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.static import serve

from civicloop.accounts.scope import scope_of
from civicloop.orgs import selectors as org_selectors


def _calendar_fallback_years() -> list[int]:
    """Years (this and next) whose working calendar is weekends-only, for a warning banner."""
    try:
        from civicloop.core.workcalendar import fallback_years
    except ImportError:  # the working calendar module is optional for this page
        return []
    year = timezone.localdate().year
    return fallback_years([year, year + 1])


def _registry_counts(user) -> dict[str, int]:
    return {
        "units": org_selectors.unit_list(user=user).count(),
        "areas": org_selectors.area_list(user=user).count(),
        "points": org_selectors.point_list(user=user).count(),
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Landing page: role-aware cards with what the user can reach, in their scope."""
    scope = scope_of(request.user)
    context = {
        "is_staff_user": scope.is_staff_user,
        "counts": _registry_counts(request.user) if scope.is_staff_user else None,
        "fallback_years": _calendar_fallback_years() if scope.is_staff_user else [],
    }
    return render(request, "core/home.html", context)


def public_media(request, path: str):
    """Serve media under the public prefixes only (check items' example photos).

    The path is normalised before the prefix check, so `check_items/../problems/x.jpg`
    cannot reach private files. Everything else under MEDIA_ROOT is private and is served
    by the owning app's scoped views.
    """
    if "\\" in path or "\x00" in path:
        raise Http404
    normalised = posixpath.normpath(path).lstrip("/")
    if normalised.startswith("..") or not normalised.startswith(
        tuple(settings.PUBLIC_MEDIA_PREFIXES)
    ):
        raise Http404
    return serve(request, normalised, document_root=settings.MEDIA_ROOT)
