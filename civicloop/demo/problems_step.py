"""Demo step: the problem ledger of the demo city over the last 12 weeks.

Problems in every state (待受理 … 已销号, 挂账, 不予受理, 作废) with full histories from
`civicloop.problems.history`: mixed sources, categories from the taxonomy, at demo points
(or spots inside grids), dispatched to the unit `routing.suggest` proposes, acted on by the
demo logins of the right roles (a unit without a demo login has its liaison's actions
recorded without an account). Some are signed late, reworked, returned, extended, parked,
urged, reopened; the overdue sweep runs at the end so `is_overdue` and escalations are as
the periodic job leaves them. A few problems get generated before/after photos.

Registered with the demo builder (`register_step`); `demo_city` imports this module.
"""

from __future__ import annotations

import hashlib
import io
import random
import uuid

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from civicloop.demo.builder import DemoCity, register_reset, register_step
from civicloop.demo.data import CITY_CODE, CITY_NAME
from civicloop.orgs.models import Area, AreaLevel, Point, Unit
from civicloop.problems import evidence as ev
from civicloop.problems import listing, routing, services
from civicloop.problems.history import (
    ActorPool,
    HistoryStats,
    HistoryWorld,
    Place,
    generate_history,
)
from civicloop.problems.models import (
    Action,
    Evidence,
    EvidenceKind,
    Problem,
    ProblemEvent,
    ProblemRequest,
    Status,
)
from civicloop.standards.models import Category

PROBLEMS = {"tiny": 150, "small": 1500, "medium": 20_000, "large": 200_000}
PHOTO_PAIRS = {"tiny": 3, "small": 20, "medium": 25, "large": 25}  # before + after each
BARE_SPOTS = {"tiny": 20, "small": 120, "medium": 400, "large": 1000}  # spots off points
WEEKS = 12

DESCRIPTIONS = (
    "{where}发现{cat}，影响市容环境，请尽快整改。",
    "{where}存在{cat}问题，群众反映较多。",
    "督查发现{where}{cat}，需立即整改到位。",
    "{where}{cat}，已拍照取证，请责任单位限期整改。",
    "网格巡查发现{where}存在{cat}情况。",
)

# Set by the step for the command's summary and for tests (the last run's figures).
last_stats: HistoryStats | None = None


def demo_world(city: DemoCity, *, now=None, weeks: int = WEEKS) -> HistoryWorld:
    """The generator's world for a built demo city (also used by the benchmark)."""
    rng = city.rng("problem-places")
    points = list(
        Point.objects.filter(area__path__startswith=city.city.path, is_active=True)
        .select_related("area", "responsible_unit", "point_type__lead_unit")
        .order_by("code")
    )
    places = [
        Place(area=p.area, point=p, lng=p.lng, lat=p.lat, address=p.address, name=p.name)
        for p in points
    ]
    street_of = {g.pk: g.parent.parent for g in city.grids}
    for grid in rng.sample(city.grids, min(len(city.grids), BARE_SPOTS.get(city.size, 200))):
        lng, lat = city.rects[grid.code].random_point(rng)
        street = street_of[grid.pk]
        address = f"{CITY_NAME}{street.parent.name}{street.name}{grid.parent.name}"
        places.append(Place(area=grid, lng=lng, lat=lat, address=address, name=grid.parent.name))
    categories = list(
        Category.objects.filter(parent__isnull=False, is_active=True)
        .select_related("parent__default_unit", "default_unit")
        .order_by("code")
    )
    demo_users = [u.pk for u in city.users.values()]
    return HistoryWorld(
        places=places,
        categories=categories,
        actors=ActorPool.from_memberships(users=demo_users),
        route=_router(),
        reroute=_rerouter(city),
        now=now or timezone.now(),
        weeks=weeks,
        title_for=lambda cat, place: f"{place.name}{cat.name}" if place.name else cat.name,
        description_for=_describe,
    )


def _router():
    """routing.suggest, with a shortcut for spots off points when no rule exists.

    Without a point and without active rules, suggest's order reduces to: the category's
    default unit (小类, then 大类), else the street office (属地). That is computed here
    from loaded rows, because a large demo has ~10⁵ (category, grid) pairs and suggest
    spends three queries on each. test_history checks both give the same unit.
    """
    from civicloop.problems.models import RoutingRule

    has_rules = RoutingRule.objects.filter(is_active=True).exists()
    townships: dict[int, Unit | None] = {}
    suggested: dict[tuple, Unit | None] = {}

    def route(category, place: Place):
        point = place.point
        if point is not None and point.responsible_unit_id and point.responsible_unit.is_active:
            return point.responsible_unit  # suggest's first rule, whatever the category
        if point is not None or has_rules:
            key = (category.pk, getattr(point, "pk", None), place.area.pk)
            if key not in suggested:
                found = routing.suggest(category=category, point=point, area=place.area)
                suggested[key] = found.unit
            return suggested[key]
        for cat in (category, category.parent):
            if cat is not None and cat.default_unit_id and cat.default_unit.is_active:
                return cat.default_unit
        if place.area.pk not in townships:
            townships[place.area.pk] = routing.township_unit(place.area)
        return townships[place.area.pk]

    return route


def _rerouter(city: DemoCity):
    """After a wrong dispatch: the street office of the place (属地), else 城管局."""
    fallback = city.departments.get("城管局")
    townships: dict[int, Unit | None] = {}

    def reroute(place: Place, suggested, rng: random.Random):
        if place.area.pk not in townships:
            townships[place.area.pk] = routing.township_unit(place.area)
        unit = townships[place.area.pk]
        if unit is None or (suggested is not None and unit.pk == suggested.pk):
            unit = fallback
        return unit

    return reroute


def _describe(category, place: Place, rng: random.Random) -> str:
    where = place.name or place.address or "辖区内"
    return rng.choice(DESCRIPTIONS).format(where=where, cat=category.name)


@register_step("问题台账", order=200)
def make_problems(city: DemoCity) -> None:
    global last_stats
    world = demo_world(city)
    count = PROBLEMS.get(city.size, PROBLEMS["small"])
    stats = generate_history(world, count, seed=city.seed, batch_size=2000)
    # The periodic job's view of "now" (the generator replayed sweeps up to the last hour).
    services.problem_sweep_overdue(at=world.now)
    make_photos(city, PHOTO_PAIRS.get(city.size, 10))
    stats.statuses = _status_counts(city)
    last_stats = stats


def _status_counts(city: DemoCity):
    from collections import Counter

    rows = (
        Problem.objects.filter(area__path__startswith=city.city.path)
        .values_list("status")
        .order_by()
    )
    return Counter(status for (status,) in rows)


# --- photos ---------------------------------------------------------------------------------


def make_photos(city: DemoCity, pairs: int) -> int:
    """Before/after JPEGs for `pairs` closed problems (stored after commit); returns files."""
    rng = city.rng("problem-photos")
    closed = list(
        Problem.objects.filter(area__path__startswith=city.city.path, status=Status.CLOSED)
        .order_by("number")
        .values_list("pk", flat=True)[: pairs * 20]
    )
    chosen = sorted(rng.sample(closed, min(pairs, len(closed))))
    events = ProblemEvent.objects.filter(
        problem_id__in=chosen, action__in=[Action.CREATE, Action.REPORT, Action.SUBMIT]
    ).order_by("problem_id", "at", "id")
    # Before-photos on the creating event; after-photos on the last (passing) submission.
    first_event: dict[tuple[int, str], ProblemEvent] = {}
    for event in events:
        kind = EvidenceKind.AFTER if event.action == Action.SUBMIT else EvidenceKind.BEFORE
        first_event[(event.problem_id, kind)] = event
    rows = []
    for problem_id in chosen:
        seed = rng.random()
        for kind in (EvidenceKind.BEFORE, EvidenceKind.AFTER):
            event = first_event.get((problem_id, kind))
            if event is None:
                continue
            rows.append(_photo_row(problem_id, event, kind, seed, rng))
    Evidence.objects.bulk_create(rows)
    return len(rows)


def _photo_row(problem_id: int, event: ProblemEvent, kind: str, seed: float, rng) -> Evidence:
    content, (width, height) = _draw(seed, messy=kind == EvidenceKind.BEFORE)
    thumb, _ = _draw(seed, messy=kind == EvidenceKind.BEFORE, size=(160, 120))
    local = timezone.localtime(event.at)
    stem = f"problems/{local:%Y/%m}/{uuid.UUID(int=rng.getrandbits(128)).hex}"
    name, thumb_name = f"{stem}.jpg", f"{stem}_thumb.jpg"
    ev.write_on_commit(name, content)
    ev.write_on_commit(thumb_name, thumb)
    return Evidence(
        problem_id=problem_id,
        event=event,
        kind=kind,
        file=name,
        thumbnail=thumb_name,
        original_name=f"{'整改前' if kind == EvidenceKind.BEFORE else '整改后'}.jpg",
        content_type="image/jpeg",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        width=width,
        height=height,
        uploaded_by_id=event.actor_id,
        at=event.at,
    )


def _draw(seed: float, *, messy: bool, size=(480, 360)) -> tuple[bytes, tuple[int, int]]:
    """A street-ish scene: sky, road, kerb; litter and stains when `messy`."""
    rng = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size, (196, 214, 230))
    draw = ImageDraw.Draw(img)
    horizon = int(h * rng.uniform(0.35, 0.5))
    draw.rectangle([0, horizon, w, h], fill=(120, 122, 126))  # road
    draw.rectangle([0, horizon, w, horizon + h // 12], fill=(170, 168, 160))  # kerb
    for _ in range(rng.randint(2, 4)):  # buildings
        x = rng.randint(0, w - w // 5)
        top = rng.randint(h // 10, horizon - h // 10)
        shade = rng.randint(150, 210)
        draw.rectangle([x, top, x + w // rng.randint(5, 8), horizon], fill=(shade, shade - 10, 140))
    scene = random.Random(seed * 7)
    if messy:
        for _ in range(scene.randint(8, 16)):
            x, y = scene.randint(0, w), scene.randint(horizon, h)
            r = scene.randint(max(2, w // 80), max(4, w // 25))
            color = scene.choice([(70, 55, 40), (210, 40, 40), (240, 240, 240), (40, 110, 40)])
            draw.ellipse([x - r, y - r // 2, x + r, y + r // 2], fill=color)
    else:
        for _ in range(3):  # fresh lane markings
            x = scene.randint(0, w - w // 6)
            y = scene.randint(horizon + h // 6, h - 4)
            draw.rectangle([x, y, x + w // 8, y + max(2, h // 90)], fill=(245, 245, 245))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    return buf.getvalue(), size


# --- reset ------------------------------------------------------------------------------------


@register_reset(order=200)
def drop_problems() -> None:
    """Delete the demo city's problems (they PROTECT its points, areas, units)."""
    root = Area.objects.filter(code=CITY_CODE, level=AreaLevel.CITY, parent=None).first()
    if root is None:
        return
    problems = Problem.objects.filter(area__path__startswith=root.path)
    listing.ledger_changed()
    files = list(Evidence.objects.filter(problem__in=problems).values_list("file", "thumbnail"))
    Evidence.objects.filter(problem__in=problems).delete()
    ProblemRequest.objects.filter(problem__in=problems).delete()
    # Raw delete: the ORM's delete() would load every event (Evidence.event is SET_NULL)
    # and a large demo has millions; the evidence pointing at them is already gone.
    events = ProblemEvent.objects.filter(problem__in=problems)
    events._raw_delete(events.db)
    Problem.objects.filter(merged_into__in=problems).update(merged_into=None)
    problems._raw_delete(problems.db)

    def _remove_files() -> None:
        for name in (n for pair in files for n in pair if n):
            default_storage.delete(name)

    transaction.on_commit(_remove_files)
