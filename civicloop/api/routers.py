"""The API router: DRF's DefaultRouter with its routes grouped under one include per
viewset prefix.

Django resolves a path by trying the patterns in order. The flat router list is ~190
patterns (list, detail and every extra action of 22 viewsets, each twice for the `.json`
format suffix), so `/api/v1/problems/` tried ~50 regexes before its own and
`/api/v1/public-exposure/` ~190, and every miss left a list in the ResolverMatch's
`tried` that only the garbage collector frees. Grouped, a path tries about two patterns per
viewset before its own.

The URLs, their names and their order of precedence stay the same: a route is moved up
into its prefix's group only past routes that cannot match a path starting with that
prefix (their literal beginnings differ), and routes of other shapes stay where they are.
civicloop/api/tests/test_routers.py resolves every route both ways.
"""

from __future__ import annotations

import re

from django.urls import URLPattern, URLResolver, include, re_path
from django.urls.resolvers import RegexPattern, RoutePattern
from rest_framework.routers import DefaultRouter

_PLAIN_PREFIX = re.compile(r"[\w-]+")
# One literal character of a regex: a letter, digit, _, - or /, or escaped punctuation.
_LITERAL = re.compile(r"[\w/-]|\\[^\w\s]")
_QUANTIFIERS = ("?", "*", "+", "{")


def literal_head(pattern: URLPattern | URLResolver) -> str | None:
    """The text every path the pattern matches starts with ('^units\\.(?P<f>…)' →
    'units.'); None when it cannot be told (unanchored, alternation)."""
    if isinstance(pattern.pattern, RoutePattern):
        return str(pattern.pattern._route).split("<", 1)[0]
    regex = getattr(pattern.pattern, "_regex", "")
    if not regex.startswith("^") or "|" in regex:
        return None
    head, at = [], 1
    while match := _LITERAL.match(regex, at):
        head.append(match.group()[-1])
        at = match.end()
    if head and regex[at : at + 1] in _QUANTIFIERS:
        head.pop()  # "a/?": the last character is not in every match
    return "".join(head)


def _disjoint(head: str | None, prefix: str) -> bool:
    """True when no path starting with `prefix` can match a pattern whose every match
    starts with `head`."""
    return head is not None and not head.startswith(prefix) and not prefix.startswith(head)


def group_by_prefix(patterns: list, prefixes: list[str]) -> list:
    """`patterns` with the routes under each of `prefixes` ('units' for '^units/…')
    gathered into one include, in the place of the first of them."""
    by_length = sorted(prefixes, key=len, reverse=True)

    def owner(pattern) -> str | None:
        if not isinstance(pattern.pattern, RegexPattern) or not isinstance(pattern, URLPattern):
            return None
        regex = pattern.pattern._regex
        return next((p for p in by_length if regex.startswith(f"^{p}/")), None)

    owners = [owner(pattern) for pattern in patterns]
    heads = [literal_head(pattern) for pattern in patterns]
    grouped, placed = [], set()
    for first, pattern in enumerate(patterns):
        if first in placed:
            continue
        prefix = owners[first]
        if prefix is None:
            grouped.append(pattern)
            continue
        members = []
        for later in range(first, len(patterns)):
            if later in placed:
                continue
            if owners[later] == prefix:
                members.append(patterns[later])
                placed.add(later)
            elif not _disjoint(heads[later], f"{prefix}/"):
                break  # the rest of this prefix's routes stay behind this one
        grouped.append(re_path(f"^{prefix}/", include(_within(members, prefix))))
    return grouped


def _within(members: list[URLPattern], prefix: str) -> list[URLPattern]:
    """The routes with '^<prefix>/' taken off their regex."""
    cut = len(f"^{prefix}/")
    return [
        re_path(f"^{m.pattern._regex[cut:]}", m.callback, m.default_args, name=m.name)
        for m in members
    ]


class PrefixGroupedRouter(DefaultRouter):
    """DefaultRouter whose routes sit under one include per (plain) viewset prefix."""

    def get_urls(self):
        prefixes = [p for p, _viewset, _basename in self.registry if _PLAIN_PREFIX.fullmatch(p)]
        return group_by_prefix(super().get_urls(), prefixes)
