"""Fixtures for inspection tests: check items of the market type, a round with a team,
and helpers that drive everything through the services."""

import io
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicloop.accounts.models import Membership, Role, User
from civicloop.inspections import services
from civicloop.inspections.models import ItemOutcome, RoundKind
from civicloop.inspections.services import ItemAnswer
from civicloop.standards.models import (
    CheckItem,
    IndexSystem,
    IndexSystemKind,
    Indicator,
    IndicatorLevel,
    JudgeMode,
)


def photo(name: str = "site.jpg", color=(30, 120, 200)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def make_user(username: str, *memberships) -> User:
    user = User.objects.create_user(username=username, password="x", display_name=username)
    for role, area in memberships:
        Membership.objects.create(user=user, role=role, area=area)
    return user


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _indicator(system, code, text, parent=None, weight=None, score=None, level=None):
    from civicloop.core import trees

    ind = Indicator.objects.create(
        system=system,
        code=code,
        text=text,
        parent=parent,
        level=level or (IndicatorLevel.STANDARD if parent else IndicatorLevel.ITEM),
        weight=weight,
        score=score,
    )
    trees.assign_path(ind)
    return ind


@pytest.fixture
def insp(world):
    """world + an index system with two standards, five market check items (one per
    judge mode, one critical, one for N/A), a street-type item, an inspector team member
    who has no area role of their own, and a published round over the whole city."""
    w = world
    system = IndexSystem.objects.create(
        name="测试体系", code="TEST", kind=IndexSystemKind.LOCAL, version="1"
    )
    top = _indicator(system, "1", "公共环境")
    std_clean = _indicator(system, "1.1", "市场环境整洁", top, weight=Decimal("4"))
    std_order = _indicator(system, "1.2", "经营秩序规范", top, score=Decimal("2"))

    def item(
        code,
        text,
        mode=JudgeMode.PASS_FAIL,
        max_score="1",
        per=None,
        critical=False,
        indicator=None,
        point_type=None,
        sort=0,
    ):
        return CheckItem.objects.create(
            point_type=point_type or w.market,
            indicator=indicator,
            code=code,
            text=text,
            judge_mode=mode,
            max_score=Decimal(max_score),
            deduction_per_count=Decimal(per) if per else None,
            is_critical=critical,
            category=w.cat_litter,
            sort_order=sort,
        )

    items = SimpleNamespace(
        clean=item("M1", "地面无垃圾", max_score="2", indicator=std_clean, sort=1),
        deduct=item("M2", "摊位摆放整齐", JudgeMode.DEDUCTION, "5", indicator=std_order, sort=2),
        count=item("M3", "无乱张贴", JudgeMode.COUNT, "3", per="0.5", indicator=std_clean, sort=3),
        critical=item("M4", "无活禽宰杀", critical=True, max_score="4", sort=4),
        na=item("M5", "公厕洁净", max_score="2", sort=5),
        street=item("S1", "路面干净", point_type=w.street_type),
    )
    member = make_user("team_member", (Role.INSPECTOR, w.east_grid))
    stranger = make_user("other_team", (Role.INSPECTOR, w.east_grid))
    round_ = services.round_create(
        user=w.p.command,
        kind=RoundKind.WEEKLY_CHECK,
        title="第1周排查",
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 8),
        areas=[w.city],
        seed=7,
    )
    team = services.team_create(
        user=w.p.command, round_=round_, name="第一组", inspectors=[member, w.p.inspector]
    )
    other = services.team_create(
        user=w.p.command, round_=round_, name="第二组", inspectors=[stranger]
    )
    services.round_draw_sample(user=w.p.command, round_=round_)  # census: both points
    services.round_publish(user=w.p.command, round_=round_)
    samples = {s.point_id: s for s in round_.samples.all()}
    for s in samples.values():
        services.sample_assign(user=w.p.command, sample=s, team=team)
    return SimpleNamespace(
        w=w,
        system=system,
        std_clean=std_clean,
        std_order=std_order,
        items=items,
        member=member,
        stranger=stranger,
        round=round_,
        team=team,
        other_team=other,
        sample_a=samples[w.point_a.pk],
        sample_b=samples[w.point_b.pk],
    )


def answers_all_pass(items, **overrides) -> list[ItemAnswer]:
    """An answer for every market item: pass, unless overridden by code → ItemAnswer kw."""
    out = []
    for it in (items.clean, items.deduct, items.count, items.critical, items.na):
        kw = overrides.get(it.code, {"outcome": ItemOutcome.PASS})
        out.append(ItemAnswer(check_item_id=it.pk, **kw))
    return out


def inspect(insp, sample, user, **overrides):
    """Start, save every market item, submit: the submitted inspection."""
    inspection = services.inspection_start(user=user, sample=sample)
    services.inspection_save(
        user=user, inspection=inspection, answers=answers_all_pass(insp.items, **overrides)
    )
    return services.inspection_submit(user=user, inspection=inspection)
