"""The demo step: twelve weekly and three monthly periods computed and published."""

import io

import pytest
from django.core.management import call_command

from civicloop.scoring.models import Period, PeriodStatus, PublishedSnapshot, Scheme

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_demo_city_has_published_assessments_and_reset_removes_them():
    call_command("demo_city", size="tiny", seed=3, stdout=io.StringIO())
    weekly = Scheme.objects.get(name="街道周考核")
    monthly = Scheme.objects.get(name="市直部门月考核")
    for scheme, count in ((weekly, 12), (monthly, 3)):
        periods = Period.objects.filter(scheme=scheme)
        assert periods.count() == count
        assert set(periods.values_list("status", flat=True)) == {PeriodStatus.PUBLISHED}
        assert not periods.filter(snapshots__isnull=True).exists()
        # Consecutive calendar periods (no gaps).
        starts = sorted(periods.values_list("start_date", flat=True))
        assert len(set(starts)) == count
    snaps = PublishedSnapshot.objects.filter(period__scheme=weekly)
    assert snaps.filter(version=2).count() == 1  # one correction, version 1 kept
    latest = snaps.order_by("-period__start_date", "-version").first()
    assert latest.data["rows"] and latest.data["red_list"]
    ranked = [r for r in latest.data["rows"] if r["rank"] is not None]
    assert ranked, "streets of the demo city get scores"

    call_command("demo_city", size="tiny", seed=3, reset=True, stdout=io.StringIO())
    assert Scheme.objects.filter(name="街道周考核").count() == 1  # rebuilt once, not twice
