"""Sampling: reproducible from the seed, within quotas, no duplicates, inside the scope;
frozen once published; shared among teams; progress per team."""

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicloop.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed
from civicloop.inspections import sampling, selectors, services
from civicloop.inspections.models import RoundKind, SampleReason
from civicloop.inspections.services import QuotaInput
from civicloop.orgs.models import AreaLevel, Point


@pytest.fixture
def city(world):
    """30 markets and 20 back streets over both districts' grids (plus the world's two
    points), and one inactive market that must never be drawn."""
    w = world
    for i in range(30):
        Point.objects.create(
            code=f"M-{i:03d}",
            name=f"市场{i}",
            point_type=w.market,
            area=w.east_grid if i % 3 else w.west_grid,
            responsible_unit=w.unit_a if i % 3 else w.unit_b,
        )
    for i in range(20):
        Point.objects.create(
            code=f"S-{i:03d}",
            name=f"小巷{i}",
            point_type=w.street_type,
            area=w.east_grid if i % 2 else w.west_grid,
            responsible_unit=w.unit_a if i % 2 else w.unit_b,
        )
    Point.objects.create(
        code="M-OFF",
        name="停用市场",
        point_type=w.market,
        area=w.east_grid,
        responsible_unit=w.unit_a,
        is_active=False,
    )
    return w


def _round(w, **kw):
    defaults = dict(
        user=w.p.command,
        kind=RoundKind.WEEKLY_CHECK,
        title="周排查",
        start_date=date(2026, 4, 6),
        end_date=date(2026, 4, 12),
        areas=[w.city],
        seed=42,
    )
    return services.round_create(**{**defaults, **kw})


def _ids(round_):
    return list(round_.samples.order_by("position").values_list("point_id", flat=True))


def test_same_seed_same_sample_and_another_seed_differs(city):
    w = city
    r = _round(w)
    quotas = [
        QuotaInput(count=2, point_type=w.market, per_level=AreaLevel.DISTRICT),
        QuotaInput(count=3, point_type=w.street_type, area=w.east),
    ]
    services.round_set_quotas(user=w.p.command, round_=r, quotas=quotas)
    services.round_draw_sample(user=w.p.command, round_=r)
    first = _ids(r)
    services.round_draw_sample(user=w.p.command, round_=r)  # redraw in draft
    assert _ids(r) == first and len(first) == 7
    twin = _round(w, title="同种子")
    services.round_set_quotas(user=w.p.command, round_=twin, quotas=quotas)
    services.round_draw_sample(user=w.p.command, round_=twin)
    assert _ids(twin) == first
    others = set()
    for seed in (1, 2, 3):
        r.seed = seed
        others.add(tuple(d.point_id for d in sampling.draw(r)))
    assert len(others | {tuple(first)}) > 1


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(min_value=0, max_value=2**31 - 1),
    per_district=st.integers(min_value=1, max_value=25),
    east_streets=st.integers(min_value=1, max_value=15),
    anything=st.integers(min_value=1, max_value=60),
)
def test_any_seed_respects_quotas_scope_and_uniqueness(
    city, seed, per_district, east_streets, anything
):
    w = city
    r = _round(w, seed=seed, point_types=[w.market, w.street_type])
    services.round_set_quotas(
        user=w.p.command,
        round_=r,
        quotas=[
            QuotaInput(count=per_district, point_type=w.market, per_level=AreaLevel.DISTRICT),
            QuotaInput(count=east_streets, point_type=w.street_type, area=w.east),
            QuotaInput(count=anything),  # any type, whole scope: takes from what is left
        ],
    )
    draws = sampling.draw(r)
    points = Point.objects.in_bulk([d.point_id for d in draws])
    ids = [d.point_id for d in draws]
    assert len(ids) == len(set(ids))  # no duplicates
    assert all(p.is_active for p in points.values())
    assert all(p.area.path.startswith(w.city.path) for p in points.values())
    by_quota: dict[int, list] = {}
    for d in draws:
        by_quota.setdefault(d.quota_id, []).append(points[d.point_id])
    q_market, q_street, q_any = list(r.quotas.order_by("id"))
    active = Point.objects.filter(is_active=True)
    for district in (w.east, w.west):
        available = active.filter(point_type=w.market, area__path__startswith=district.path)
        got = [p for p in by_quota.get(q_market.pk, []) if p.area.path.startswith(district.path)]
        assert len(got) == min(per_district, available.count())
        assert all(p.point_type_id == w.market.pk for p in got)
    east_st = active.filter(point_type=w.street_type, area__path__startswith=w.east.path)
    got = by_quota.get(q_street.pk, [])
    assert len(got) == min(east_streets, east_st.count())
    assert all(
        p.point_type_id == w.street_type.pk and p.area.path.startswith(w.east.path) for p in got
    )
    left = active.count() - len(by_quota.get(q_market.pk, [])) - len(got)
    assert len(by_quota.get(q_any.pk, [])) == min(anything, left)
    # Reproducible.
    assert [d.point_id for d in sampling.draw(r)] == ids


def test_no_quota_is_a_census_of_the_scope(city):
    w = city
    r = _round(w, areas=[w.west], point_types=[w.market])
    services.round_draw_sample(user=w.p.command, round_=r)
    expected = Point.objects.filter(
        is_active=True, point_type=w.market, area__path__startswith=w.west.path
    ).order_by("code")
    assert _ids(r) == list(expected.values_list("pk", flat=True))


def test_quota_outside_scope_or_type_refused(city):
    w = city
    r = _round(w, areas=[w.east], point_types=[w.market])
    with pytest.raises(ValidationFailed):
        services.round_set_quotas(user=w.p.command, round_=r, quotas=[QuotaInput(1, area=w.west)])
    with pytest.raises(ValidationFailed):
        services.round_set_quotas(
            user=w.p.command, round_=r, quotas=[QuotaInput(1, point_type=w.street_type)]
        )
    with pytest.raises(ValidationFailed):
        services.round_set_quotas(user=w.p.command, round_=r, quotas=[QuotaInput(0)])
    assert not r.quotas.exists()


def test_published_sample_is_frozen(city):
    w = city
    r = _round(w)
    with pytest.raises(ValidationFailed):
        services.round_publish(user=w.p.command, round_=r)  # nothing drawn yet
    services.round_set_quotas(user=w.p.command, round_=r, quotas=[QuotaInput(5)])
    services.round_draw_sample(user=w.p.command, round_=r)
    drawn = _ids(r)
    services.round_publish(user=w.p.command, round_=r)
    with pytest.raises(TransitionNotAllowed):
        services.round_publish(user=w.p.command, round_=r)
    with pytest.raises(TransitionNotAllowed):
        services.round_draw_sample(user=w.p.command, round_=r)
    with pytest.raises(TransitionNotAllowed):
        services.round_set_quotas(user=w.p.command, round_=r, quotas=[QuotaInput(9)])
    with pytest.raises(TransitionNotAllowed):
        services.round_update(user=w.p.command, round_=r, seed=99)
    services.round_update(user=w.p.command, round_=r, title="改个标题")  # allowed
    assert _ids(r) == drawn


def test_only_command_over_the_scope_manages_rounds(city):
    w = city
    with pytest.raises(NotPermitted):
        _round(w, user=w.p.outsider)  # command of the west only, round over the city
    r = _round(w)
    with pytest.raises(NotPermitted):
        services.round_draw_sample(user=w.p.outsider, round_=r)
    with pytest.raises(NotFound):
        services.round_draw_sample(user=w.p.handler_a, round_=r)
    assert not r.samples.exists()


def test_revisit_points_are_added(city, django_capture_on_commit_callbacks):
    from civicloop.problems import services as ledger
    from civicloop.problems.models import Source

    w = city
    off_quota = Point.objects.get(code="S-001")
    problem = ledger.problem_create(
        user=w.p.command,
        source=Source.INSPECTION,
        category=w.cat_litter,
        description="垃圾",
        point=off_quota,
    )
    # Close it through the ledger.
    from civicloop.inspections.tests.conftest import photo

    ledger.problem_dispatch(user=w.p.command, problem=problem, unit=w.unit_a)
    ledger.problem_sign(user=w.p.handler_a, problem=problem)
    ledger.problem_submit(user=w.p.handler_a, problem=problem, description="好了", files=[photo()])
    ledger.problem_verify_pass(user=w.p.command, problem=problem)
    r = _round(w, include_revisits=True, point_types=[w.market])
    services.round_set_quotas(user=w.p.command, round_=r, quotas=[QuotaInput(3)])
    assert off_quota.pk not in {d.point_id for d in sampling.draw(r)}  # not a market
    r2 = _round(w, include_revisits=True)
    services.round_set_quotas(
        user=w.p.command, round_=r2, quotas=[QuotaInput(3, point_type=w.market)]
    )
    services.round_draw_sample(user=w.p.command, round_=r2)
    revisit = r2.samples.get(point=off_quota)
    assert revisit.reason == SampleReason.REVISIT and revisit.is_revisit
    assert r2.samples.count() == 4


def test_teams_get_whole_areas_balanced(world):
    # Pure function: 3 streets with 5, 4 and 3 points over 2 teams.
    items = [(i, "/1/2/10/") for i in range(5)]
    items += [(10 + i, "/1/2/11/99/") for i in range(4)]
    items += [(20 + i, "/1/3/12/") for i in range(3)]
    out = sampling.balance_teams(items, [7, 8], ["/1/2/10/", "/1/2/11/", "/1/3/12/"])
    assert {out[i] for i in range(5)} == {7}  # a street stays with one team
    assert {out[i] for i in range(10, 14)} == {8}
    assert {out[i] for i in range(20, 23)} == {8}
    assert sampling.balance_teams(items, [], []) == {}


def test_draw_assigns_teams_and_progress_is_one_query(city, django_assert_num_queries):
    w = city
    r = _round(w)
    t1 = services.team_create(user=w.p.command, round_=r, name="一组", inspectors=[w.p.inspector])
    t2 = services.team_create(user=w.p.command, round_=r, name="二组")
    services.round_set_quotas(
        user=w.p.command,
        round_=r,
        quotas=[QuotaInput(4, per_level=AreaLevel.STREET)],
    )
    services.round_draw_sample(user=w.p.command, round_=r)
    services.round_publish(user=w.p.command, round_=r)
    assert r.samples.filter(team__isnull=True).count() == 0
    assert set(r.samples.values_list("team", flat=True)) == {t1.pk, t2.pk}
    sample = r.samples.filter(team=t1).first()
    services.inspection_start(user=w.p.inspector, sample=sample)
    with django_assert_num_queries(1):
        progress = selectors.round_progress(r)
    assert [(p.team_name, p.total, p.drafts, p.done) for p in progress] == [
        ("一组", 4, 1, 0),
        ("二组", 4, 0, 0),
    ]
    listed = selectors.round_list(user=w.p.command).get(pk=r.pk)
    assert (listed.sample_count, listed.done_count) == (8, 0)
    assert selectors.my_assignments(user=w.p.inspector).count() == 4
