import io

import pytest
from django.core.management import CommandError, call_command

from civicloop.scoring.models import PeriodStatus


def test_compute_period_command_computes_and_publishes(city):
    out = io.StringIO()
    call_command(
        "compute_period",
        scheme=city.scheme.pk,
        date="2025-03-05",
        publish=True,
        user="command",
        stdout=out,
    )
    city.week1.refresh_from_db()
    assert city.week1.status == PeriodStatus.PUBLISHED
    assert "已计算 6 个对象" in out.getvalue() and "第 1 版" in out.getvalue()
    with pytest.raises(CommandError, match="已发布"):
        call_command(
            "compute_period",
            scheme=city.scheme.pk,
            date="2025-03-05",
            user="command",
            stdout=io.StringIO(),
        )
    with pytest.raises(CommandError, match="不存在"):
        call_command("compute_period", scheme=999, date="2025-03-05", stdout=io.StringIO())
