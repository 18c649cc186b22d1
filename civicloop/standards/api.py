"""REST API of the standards registry: problem categories (read-only for now).

Categories are reference data every staff user reads (citizens get an empty list, as for
point types). There is no standards service layer for category writes yet, so the API
offers none; categories are maintained in the admin until it exists.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from civicloop.accounts.scope import scope_of
from civicloop.standards.models import Category
from civicloop.standards.serializers import CategorySerializer


def category_list(*, user) -> QuerySet[Category]:
    """Categories a user may read: all of them for staff, none for citizens."""
    if not scope_of(user).is_staff_user:
        return Category.objects.none()
    return Category.objects.select_related("parent", "default_unit")


@extend_schema_view(
    list=extend_schema(summary="List problem categories (问题分类)"),
    retrieve=extend_schema(summary="Get a problem category"),
)
class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Category.objects.none()
    serializer_class = CategorySerializer
    lookup_value_regex = r"\d+"
    filterset_fields = {
        "parent": ["exact", "isnull"],
        "kind": ["exact"],
        "deadline_unit": ["exact"],
        "is_active": ["exact"],
    }
    search_fields = ["code", "name"]
    ordering_fields = ["sort_order", "code", "name"]
    ordering = ["sort_order", "code"]

    def get_queryset(self):
        return category_list(user=self.request.user)


def register(router) -> None:
    router.register("categories", CategoryViewSet, basename="category")
