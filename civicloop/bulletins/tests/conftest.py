"""Bulletin fixtures: the scoring app's hand-computed small city, week 1 computed and
published, with before/after photos on some problems (files in a temporary MEDIA_ROOT).

Published ranking of week 1 (see civicloop/scoring/tests/test_computation.py):
B 98.00 (1), C 98.00 (1), A 69.40 (3), E 49.00 (4), D 40.70 (5), F — (unranked).
"""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from civicloop.problems.models import Evidence, EvidenceKind
from civicloop.scoring import services as scoring_services
from civicloop.scoring.models import ComputationStatus
from civicloop.scoring.tests.conftest import NOW, city  # noqa: F401  (fixture reuse)

EXPECTED = [
    # rank, unit code, score, grade
    (1, "U-B", "98.00", "A"),
    (1, "U-C", "98.00", "A"),
    (3, "U-A", "69.40", "C"),
    (4, "U-E", "49.00", "D"),
    (5, "U-D", "40.70", "D"),
    (None, "U-F", None, ""),
]


def jpeg(color: tuple[int, int, int], size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def add_photo(problem, kind: str, color=(200, 30, 30)) -> Evidence:
    data = jpeg(color)
    name = default_storage.save(f"evidence/test/{problem.pk}-{kind}.jpg", ContentFile(data))
    return Evidence.objects.create(
        problem=problem,
        kind=kind,
        file=name,
        thumbnail=name,
        original_name=f"{kind}.jpg",
        content_type="image/jpeg",
        size=len(data),
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def published(city, media):  # noqa: F811
    job = scoring_services.period_compute_now(city.command, city.week1, now=NOW)
    assert job.status == ComputationStatus.SUCCEEDED, job.error
    snapshot = scoring_services.period_publish(city.command, city.week1)
    # The overdue problem of D gets a before photo (typical problem by default).
    before = add_photo(city.d_open, EvidenceKind.BEFORE)
    return SimpleNamespace(city=city, snapshot=snapshot, before=before)
