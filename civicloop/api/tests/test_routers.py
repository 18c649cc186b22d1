"""The grouped API router resolves every path as DRF's flat router does."""

from __future__ import annotations

import pytest
from django.urls import URLResolver, path, re_path
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern
from django.utils.regex_helper import normalize
from rest_framework.routers import DefaultRouter

from civicloop.api import urls as api_urls
from civicloop.api.routers import group_by_prefix, literal_head

SAMPLES = {"pk": "12", "format": "json"}


def _resolver(patterns: list) -> URLResolver:
    return URLResolver(RegexPattern(r"^"), patterns)


def _resolve(resolver: URLResolver, url: str):
    """What the path resolves to: (route name, view class, actions, kwargs), or None."""
    try:
        match = resolver.resolve(url)
    except Resolver404:
        return None
    view = match.func
    return (
        match.url_name,
        getattr(view, "cls", view),
        getattr(view, "actions", None),
        match.kwargs,
    )


def _paths(patterns: list) -> list[str]:
    """A path for each route (its groups filled with sample values), and near misses."""
    out = []
    for pattern in patterns:
        for text, params in normalize(pattern.pattern._regex):
            url = text % {p: SAMPLES.get(p, "abc") for p in params}
            out += [url, f"{url}x", f"{url}7/", url.replace("12", "abc"), url.rstrip("/")]
    return out


def test_the_api_resolves_every_path_as_the_flat_router():
    flat = DefaultRouter()
    flat.registry = list(api_urls.router.registry)
    flat_patterns = flat.get_urls()
    grouped = api_urls.router.get_urls()
    assert len(grouped) < len(flat_patterns) / 3  # about two patterns per viewset
    paths = _paths(flat_patterns) + ["", "problems.json", "problems/.json", "nothing/"]
    flat_resolver, grouped_resolver = _resolver(flat_patterns), _resolver(grouped)
    resolved = 0
    for url in paths:
        expected = _resolve(flat_resolver, url)
        assert _resolve(grouped_resolver, url) == expected, url
        resolved += expected is not None
    assert resolved > len(flat_patterns)  # the routes themselves, and more


def _view(name):
    def view(request, **kwargs):  # pragma: no cover - never called
        return name

    view.__name__ = name
    return view


def test_a_route_never_moves_past_one_that_may_match_its_path():
    patterns = [
        re_path(r"^a/$", _view("a-list"), name="a-list"),
        re_path(r"^(?P<x>\w+)/(?P<y>\d+)/$", _view("any"), name="any"),  # matches "a/5/"
        re_path(r"^b\.(?P<format>\w+)$", _view("b-suffix"), name="b-suffix"),
        re_path(r"^a/(?P<pk>\d+)/$", _view("a-detail"), name="a-detail"),
        re_path(r"^a/(?P<pk>\d+)/x/$", _view("a-x"), name="a-x"),
    ]
    grouped = group_by_prefix(patterns, ["a"])
    # a-list alone, then `any`, then the later a-routes in one group past b's suffix.
    assert [str(p.pattern) for p in grouped] == [
        "^a/",
        r"^(?P<x>\w+)/(?P<y>\d+)/$",
        r"^b\.(?P<format>\w+)$",
        "^a/",
    ]
    flat_resolver, grouped_resolver = _resolver(patterns), _resolver(grouped)
    for url in ("a/", "a/5/", "a/5/x/", "b.json", "a/x/", "c/5/"):
        assert _resolve(grouped_resolver, url) == _resolve(flat_resolver, url), url
    assert _resolve(grouped_resolver, "a/5/")[0] == "any"
    assert _resolve(grouped_resolver, "a/5/x/")[0] == "a-x"


@pytest.mark.parametrize(
    ("pattern", "head"),
    [
        (re_path(r"^units\.(?P<format>[a-z0-9]+)/?$", _view("v")), "units."),
        (re_path(r"^units/(?P<pk>\d+)/$", _view("v")), "units/"),
        (re_path(r"^area-responsibilities/$", _view("v")), "area-responsibilities/"),
        (re_path(r"^units/?$", _view("v")), "units"),
        (re_path(r"^a|b/$", _view("v")), None),
        (re_path(r"units/$", _view("v")), None),
        (path("evidence/<int:pk>/", _view("v")), "evidence/"),
        (path("", _view("v")), ""),
    ],
)
def test_literal_head(pattern, head):
    assert literal_head(pattern) == head
