from __future__ import annotations

from functools import cached_property
from urllib import parse

from django.utils.encoding import force_str
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from civicloop.core.pagination import DEFAULT_COUNT_CAP, CappedCountPaginator


class StandardPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class CappedCountPagination(StandardPagination):
    """Page-number pagination whose count stops at COUNT_CAP (civicloop.core.pagination):
    for lists that reach 100 000s of rows, where an exact COUNT(*) costs more than the page.
    `count_capped: true` says `count` is a lower bound; `next` stays correct either way."""

    count_cap = DEFAULT_COUNT_CAP

    def django_paginator_class(self, queryset, page_size):  # noqa: D102 - DRF hook
        # `queryset` may also be a PageSource (civicloop.core.pagination).
        return CappedCountPaginator(queryset, page_size, cap=self.count_cap)

    @cached_property
    def _this_page(self) -> _PageLinks:
        return _PageLinks(self.request.build_absolute_uri(), self.page_query_param)

    def get_next_link(self) -> str | None:
        if not self.page.has_next():
            return None
        return self._this_page.to(self.page.next_page_number())

    def get_previous_link(self) -> str | None:
        if not self.page.has_previous():
            return None
        return self._this_page.to(self.page.previous_page_number())

    def get_paginated_response(self, data) -> Response:
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_capped": paginator.count_capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        body = super().get_paginated_response_schema(schema)
        props = body["properties"]
        props["count"] = {
            **props["count"],
            "description": f"Number of results, exact up to {self.count_cap}; "
            "when count_capped is true, at least this many.",
        }
        ordered = {}
        for key, value in props.items():
            ordered[key] = value
            if key == "count":
                ordered["count_capped"] = {
                    "type": "boolean",
                    "example": False,
                    "description": f"True when there are more than {self.count_cap} results "
                    "(narrow the filters to get an exact count).",
                }
        body["properties"] = ordered
        body["required"] = [*body.get("required", []), "count_capped"]
        return body


class _PageLinks:
    """DRF's replace_query_param / remove_query_param (page 1 has no page parameter) for
    the links of one response, with the request's URL split and its query parsed once
    instead of once per link."""

    def __init__(self, url: str, key: str) -> None:
        self.parts = parse.urlsplit(force_str(url))
        self.query = parse.parse_qs(self.parts.query, keep_blank_values=True)
        self.key = key

    def to(self, number: int) -> str:
        query = dict(self.query)
        if number == 1:
            query.pop(self.key, None)
        else:
            query[self.key] = [str(number)]
        encoded = parse.urlencode(sorted(query.items()), doseq=True)
        return parse.urlunsplit(self.parts._replace(query=encoded))
