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
