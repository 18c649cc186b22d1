"""The benchmark's urlconf: the project's URLs plus two bench-only DRF views.

- /bench/one/<pk>/  the bare baseline: authenticate, read one row by primary key, return
  three fields. Same middleware, auth and renderer as the real API, nothing else.
- /bench/ledger/    a STAND-IN for the ledger list, used only while /api/v1/problems/ is
  missing: the real selector (scope, filter, ordering) + DRF pagination + a plain
  serializer of the list columns.
"""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from civicloop.problems import selectors
from civicloop.problems.models import Problem


class OneRow(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, pk: int):
        row = Problem.objects.values("id", "number", "status").get(pk=pk)
        return Response(row)


class _StandInSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")
    unit = serializers.CharField(source="responsible_unit.name", default=None)
    area = serializers.CharField(source="area.name")
    light = serializers.CharField()

    class Meta:
        model = Problem
        fields = (
            "id",
            "number",
            "source",
            "category",
            "title",
            "area",
            "unit",
            "status",
            "severity",
            "due_at",
            "is_overdue",
            "escalation_level",
            "created_at",
            "light",
        )


class StandInLedger(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = _StandInSerializer

    def get_queryset(self):
        status = self.request.query_params.get("status")
        return selectors.problem_list(user=self.request.user, status=status)


def api_ledger_available(client) -> bool:
    """True when the real /api/v1/problems/ answers (it was being written concurrently)."""
    try:
        return client.get("/api/v1/problems/", {"page_size": 1}).status_code == 200
    except Exception:  # noqa: BLE001 - a half-written API module must not stop the bench
        return False


urlpatterns = [
    path("bench/one/<int:pk>/", OneRow.as_view()),
    path("bench/ledger/", StandInLedger.as_view()),
]
try:  # other apps are being written concurrently: a broken import must not stop the bench
    urlpatterns.append(path("", include("config.urls")))
except Exception as exc:  # noqa: BLE001
    import sys

    print(f"config.urls failed to import ({exc!r}); measuring the stand-in only", file=sys.stderr)
