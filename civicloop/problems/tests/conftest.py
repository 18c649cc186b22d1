"""Fixtures for the ledger tests: extra personas and a helper that brings a problem into
any status through the services (never by writing the row)."""

import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicloop.accounts.models import Membership, Role, User
from civicloop.problems import services
from civicloop.problems.models import Problem, Source, Status


def photo(
    name: str = "after.jpg", *, size=(64, 48), color=(200, 30, 30), exif=None
) -> SimpleUploadedFile:
    buf = io.BytesIO()
    img = Image.new("RGB", size, color)
    if exif is not None:
        img.save(buf, "JPEG", exif=exif)
    else:
        img.save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def api_as(user):
    """An API client authenticated by `user`'s token, as a program would call."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _user(username, *memberships, superuser=False):
    user = User.objects.create_user(
        username=username, password="pass-1234-word", display_name=username, is_superuser=superuser
    )
    for role, target in memberships:
        kwargs = (
            {"unit": target} if role in (Role.UNIT_HANDLER, Role.UNIT_LEADER) else {"area": target}
        )
        if role == Role.CITIZEN:
            kwargs = {}
        Membership.objects.create(user=user, role=role, **kwargs)
    return user


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The personas' PBKDF2 hashing dominates setup time; these tests never log in.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ledger(world):
    """The world plus: a unit leader of unit A, a grid worker in the east grid, an
    inspector who also handles for unit A (must never verify A's work), a superuser, and
    unit A's community sub-unit requiring leader approval of submissions."""
    world.unit_a_child.submission_needs_leader_approval = True
    world.unit_a_child.save(update_fields=["submission_needs_leader_approval"])
    p = world.p
    p.unit_leader_a = _user("unit_leader_a", (Role.UNIT_LEADER, world.unit_a))
    p.grid_worker = _user("grid_worker", (Role.GRID_WORKER, world.east_grid))
    p.mixed = _user("mixed", (Role.INSPECTOR, world.east), (Role.UNIT_HANDLER, world.unit_a))
    p.admin = _user("admin", superuser=True)
    return world


def new_problem(world, *, report=False, point=None, **kw) -> Problem:
    point = point or world.point_a
    if report:
        return services.problem_report(
            user=world.p.citizen,
            category=world.cat_litter,
            description="路边有暴露垃圾",
            point=point,
            **kw,
        )
    return services.problem_create(
        user=world.p.command,
        source=Source.INSPECTION,
        category=world.cat_litter,
        description="路边有暴露垃圾",
        point=point,
        **kw,
    )


def dispatched_due(world, due_at, *, sign=True) -> Problem:
    """A problem dispatched to unit_a on 2025-03-01 09:00 (+08:00) with the deadline
    `due_at`, signed for by its handler unless sign=False."""
    from datetime import datetime

    problem = new_problem(world)
    with services.using_clock(datetime.fromisoformat("2025-03-01T09:00+08:00")):
        services.problem_dispatch(
            user=world.p.command, problem=problem, unit=world.unit_a, due_at=due_at
        )
        if sign:
            services.problem_sign(user=world.p.handler_a, problem=problem)
    return problem


def bring_to(world, status: str, *, unit=None) -> Problem:
    """A problem in `status`, reached through the normal path of services."""
    p = world.p
    if status in (Status.PENDING_REVIEW, Status.REJECTED):
        problem = new_problem(world, report=True)
        if status == Status.REJECTED:
            services.problem_reject(user=p.command, problem=problem, reason="不属实")
        return problem
    problem = new_problem(world)
    if status == Status.REGISTERED:
        return problem
    if status == Status.VOIDED:
        return services.problem_void(user=p.command, problem=problem, reason="重复登记")
    services.problem_dispatch(user=p.command, problem=problem, unit=unit or world.unit_a)
    if status == Status.DISPATCHED:
        return problem
    services.problem_sign(user=p.handler_a, problem=problem)
    if status == Status.RECTIFYING:
        return problem
    if status == Status.PARKED:
        import datetime

        return services.problem_park(
            user=p.command,
            problem=problem,
            reason="需纳入改造计划",
            review_on=datetime.date(2100, 1, 1),
        )
    if status == Status.LEADER_REVIEW:
        problem = bring_to(world, Status.RECTIFYING, unit=world.unit_a_child)
        return services.problem_submit(
            user=p.handler_a, problem=problem, description="已清理", files=[photo()]
        )
    services.problem_submit(
        user=p.handler_a, problem=problem, description="已清理", files=[photo()]
    )
    if status == Status.SUBMITTED:
        return problem
    services.problem_verify_pass(user=p.inspector, problem=problem)
    assert status == Status.CLOSED
    return problem


@pytest.fixture
def bring(ledger):
    return lambda status, **kw: bring_to(ledger, status, **kw)


@pytest.fixture
def helpers():
    return SimpleNamespace(photo=photo, new_problem=new_problem, bring_to=bring_to)
