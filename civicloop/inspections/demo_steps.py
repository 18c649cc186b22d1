"""Demo step: twelve weekly checks (周排查) and three monthly drills (月拉练) over the last
12 weeks, whose failures ARE problems of the ledger.

Everything goes through the services (rounds, sampling, teams, inspections, and the
ledger's sign/submit/verify), each call under `problems.services.using_clock(t)`, in time
order: a small discrete-event simulation (a heap of (time, action)). That keeps the two
apps consistent without copying the ledger's rules: a failed item opens a problem via
`inspection_submit` (source 督查检查, source_key "insp:<result id>", linked from
`ItemResult.problem`), the unit signs, rectifies (an after-photo) and the city inspector
verifies it days later; when a later round finds the same item failing at the same point,
回头看 reopens the closed problem or links to the still open one — because the earlier
problem's state at that moment is what the simulation has reached.

Weekly checks look at the points that fail most often in campaigns (markets, back
streets, public toilets, school surroundings), one per
type and district, so points come back every few weeks; a point that had an item fail
fails it again more often (反弹), which produces the reopenings. The current week's check
is still in progress. Unit actions for units without a demo login are entered by the demo
administrator, and the event note says so.

Sizes stay small on purpose (a few hundred inspections for `small`): seconds, not minutes.
"""

from __future__ import annotations

import heapq
import io
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from civicloop.accounts.models import Role, User
from civicloop.demo.builder import DemoCity, register_reset, register_step
from civicloop.demo.data import CITY_CODE
from civicloop.orgs.models import Area, AreaLevel, PointType
from civicloop.problems import services as ledger
from civicloop.problems.history import ActorPool
from civicloop.problems.models import Status
from civicloop.standards.models import IndexSystem, JudgeMode

from . import scoring, services
from .models import (
    Inspection,
    ItemOutcome,
    ItemResult,
    ProblemLink,
    Round,
    RoundKind,
    RoundStatus,
)
from .services import ItemAnswer, QuotaInput

WEEKS = 12
# Point types of the weekly check (codes of civicloop.demo.data.POINT_TYPES): markets,
# back streets, public toilets, school surroundings.
WEEKLY_TYPES = ("PT01", "PT17", "PT25", "PT33")
# Points per district: weekly per type, monthly in all.
WEEKLY_PER_TYPE = {"tiny": 1, "small": 1, "medium": 2, "large": 2}
MONTHLY_PER_DISTRICT = {"tiny": 3, "small": 8, "medium": 6, "large": 4}
MONTHLY_WEEKS = (1, 5, 9)  # weeks (0 = oldest) whose Wednesday starts a monthly drill
DEMO_SYSTEM_CODE = "WMCS-DJS-2025"

WORK_START, WORK_END = 9, 17
REFAIL = 0.25  # chance an item that failed here before fails again (反弹)
LEFT_OPEN = 0.12  # problems the unit has not rectified yet


@dataclass(order=True)
class _Event:
    at: datetime
    seq: int
    run: Callable[[], None] = field(compare=False)


@dataclass
class Stats:
    rounds: int = 0
    inspections: int = 0
    problems_created: int = 0
    reopened: int = 0
    linked: int = 0
    closed: int = 0


last_stats: Stats | None = None


class _Sim:
    def __init__(self, city: DemoCity, now: datetime):
        self.city = city
        self.now = now
        self.rng = city.rng("inspections")
        self.heap: list[_Event] = []
        self.seq = itertools.count()
        self.stats = Stats()
        users = city.users
        self.command = users["command"]
        self.admin = users["admin"]
        self.verifier = users["inspector"]
        self.district_inspectors = [
            users[f"inspector_d{i}"]
            for i in range(1, len(city.districts) + 1)
            if f"inspector_d{i}" in users
        ]
        self.actors = ActorPool.from_memberships(users=[u.pk for u in users.values()])
        self.user_by_id = {u.pk: u for u in users.values()}
        self.system = IndexSystem.objects.filter(code=DEMO_SYSTEM_CODE).first()
        self.items_cache: dict[tuple[int, int], list] = {}
        self.quality: dict[int, float] = {}
        self.failed_before: set[tuple[int, int]] = set()  # (point, check item)

    # --- the event loop --------------------------------------------------------------

    def at(self, when: datetime, run: Callable[[], None]) -> None:
        if when <= self.now:
            heapq.heappush(self.heap, _Event(when, next(self.seq), run))

    def run(self) -> None:
        while self.heap:
            event = heapq.heappop(self.heap)
            with ledger.using_clock(event.at):
                event.run()

    # --- time helpers ----------------------------------------------------------------

    def moment(self, day: date, hour: float) -> datetime:
        base = timezone.make_aware(datetime.combine(day, time(0, 0)))
        return base + timedelta(hours=hour)

    def work_time(self, day: date) -> datetime:
        return self.moment(day, self.rng.uniform(WORK_START, WORK_END))

    def later(self, t: datetime, lo_hours: float, hi_hours: float) -> datetime:
        t = t + timedelta(hours=self.rng.uniform(lo_hours, hi_hours))
        local = timezone.localtime(t)
        if local.hour >= 18 or local.hour < 8:  # people act in the daytime
            day = local.date() + timedelta(days=1 if local.hour >= 18 else 0)
            t = self.work_time(day)
        return t

    # --- rounds ----------------------------------------------------------------------

    def schedule_rounds(self) -> None:
        today = timezone.localtime(self.now).date()
        this_monday = today - timedelta(days=today.weekday())
        for week in range(WEEKS):
            monday = this_monday - timedelta(weeks=WEEKS - 1 - week)
            self.at(self.moment(monday, 8.5), lambda m=monday, w=week: self.weekly(w, m))
            if week in MONTHLY_WEEKS:
                wednesday = monday + timedelta(days=2)
                self.at(self.moment(wednesday, 8.5), lambda d=wednesday: self.monthly(d))

    def _types(self, codes) -> list[PointType]:
        found = {t.code: t for t in PointType.objects.filter(code__in=codes)}
        return [found[c] for c in codes if c in found]

    def weekly(self, week: int, monday: date) -> None:
        types = self._types(WEEKLY_TYPES)
        per = WEEKLY_PER_TYPE.get(self.city.size, 1)
        quotas = [QuotaInput(count=per, point_type=t, per_level=AreaLevel.DISTRICT) for t in types]
        teams = [
            (f"第{i}督查组", [u, *([self.verifier] if i == 1 else [])])
            for i, u in enumerate(self.district_inspectors, start=1)
        ]
        iso_week = monday.isocalendar()[1]
        self.make_round(
            kind=RoundKind.WEEKLY_CHECK,
            title=f"第{iso_week}周创城问题排查（{monday.month}月{monday.day}日起）",
            start=monday,
            end=monday + timedelta(days=6),
            types=types,
            quotas=quotas,
            teams=teams,
            workdays=5,
        )

    def monthly(self, start: date) -> None:
        per = MONTHLY_PER_DISTRICT.get(self.city.size, 6)
        inspectors = [self.verifier, *self.district_inspectors]
        teams = [
            ("拉练一组", inspectors[: max(1, len(inspectors) // 2)]),
            ("拉练二组", inspectors[max(1, len(inspectors) // 2) :] or inspectors[:1]),
        ]
        self.make_round(
            kind=RoundKind.MONTHLY_DRILL,
            title=f"{start.month}月创城工作拉练检查",
            start=start,
            end=start + timedelta(days=2),
            types=[],
            quotas=[QuotaInput(count=per, per_level=AreaLevel.DISTRICT)],
            teams=teams,
            workdays=3,
        )

    def make_round(self, *, kind, title, start, end, types, quotas, teams, workdays) -> None:
        cmd = self.command
        round_ = services.round_create(
            user=cmd,
            kind=kind,
            title=title,
            start_date=start,
            end_date=end,
            areas=[self.city.city],
            point_types=types,
            index_system=self.system,
            seed=self.rng.randrange(1, 2**31),
            description="演示数据",
        )
        services.round_set_quotas(user=cmd, round_=round_, quotas=quotas)
        for i, (name, members) in enumerate(teams):
            services.team_create(
                user=cmd,
                round_=round_,
                name=name,
                inspectors=members,
                leader=members[0],
                sort_order=i,
            )
        services.round_draw_sample(user=cmd, round_=round_)
        services.round_publish(user=cmd, round_=round_)
        self.stats.rounds += 1
        samples = list(
            round_.samples.select_related("point__area", "point__responsible_unit", "team")
            .prefetch_related("team__inspectors")
            .order_by("position")
        )
        for sample in samples:
            day = start + timedelta(days=self.rng.randrange(workdays))
            when = self.work_time(day)
            self.at(when, lambda s=sample, r=round_: self.inspect(r, s))
        close_at = self.moment(end + timedelta(days=1), 9)
        self.at(close_at, lambda r=round_: self.close(r))

    def close(self, round_: Round) -> None:
        round_.refresh_from_db()
        if round_.status in (RoundStatus.PUBLISHED, RoundStatus.IN_PROGRESS):
            services.round_close(user=self.command, round_=round_)

    # --- inspecting ------------------------------------------------------------------

    def items_for(self, round_: Round, point_type_id: int) -> list:
        key = (round_.index_system_id or 0, point_type_id)
        if key not in self.items_cache:
            self.items_cache[key] = list(services.applicable_items(round_, point_type_id))
        return self.items_cache[key]

    def point_quality(self, point) -> float:
        if point.pk not in self.quality:
            self.quality[point.pk] = random.Random(f"{self.city.seed}:{point.code}").uniform(
                0.8, 0.99
            )
        return self.quality[point.pk]

    def answer(self, point, item) -> ItemAnswer:
        rng = self.rng
        p_fail = (1 - self.point_quality(point)) * (0.3 if item.is_critical else 1.2)
        if (point.pk, item.pk) in self.failed_before:
            p_fail = max(p_fail, REFAIL)
        if not item.is_critical and rng.random() < 0.03:
            return ItemAnswer(item.pk, ItemOutcome.NOT_APPLICABLE)
        if rng.random() >= p_fail:
            return ItemAnswer(item.pk, ItemOutcome.PASS)
        self.failed_before.add((point.pk, item.pk))
        note = rng.choice(("现场发现问题，已拍照", "存在明显问题", "整改不到位", ""))
        if item.judge_mode == JudgeMode.DEDUCTION:
            steps = max(1, int(item.max_score * 2))
            d = Decimal(rng.randint(1, steps)) / 2
            return ItemAnswer(
                item.pk, ItemOutcome.FAIL, deduction=min(d, item.max_score), note=note
            )
        if item.judge_mode == JudgeMode.COUNT:
            return ItemAnswer(item.pk, ItemOutcome.FAIL, count=rng.randint(1, 4), note=note)
        return ItemAnswer(item.pk, ItemOutcome.FAIL, note=note)

    def inspect(self, round_: Round, sample) -> None:
        round_.refresh_from_db(fields=["status", "version"])
        if round_.status not in (RoundStatus.PUBLISHED, RoundStatus.IN_PROGRESS):
            return
        members = list(sample.team.inspectors.all()) if sample.team_id else []
        user = self.rng.choice(members) if members else self.command
        point = sample.point
        jitter = lambda: self.rng.uniform(-0.0004, 0.0004)  # noqa: E731
        lng = None if point.lng is None else round(point.lng + jitter(), 6)
        lat = None if point.lat is None else round(point.lat + jitter(), 6)
        inspection = services.inspection_start(user=user, sample=sample, lng=lng, lat=lat)
        items = self.items_for(round_, point.point_type_id)
        if not items:
            return
        answers = [self.answer(point, item) for item in items]
        write_draft(inspection, items, answers)
        t = ledger.now() + timedelta(minutes=self.rng.randint(8, 25))
        self.at(t, lambda: self.submit(user, inspection))

    def submit(self, user, inspection: Inspection) -> None:
        inspection = services.inspection_submit(user=user, inspection=inspection)
        self.stats.inspections += 1
        results = inspection.results.filter(problem__isnull=False).select_related(
            "problem__responsible_unit"
        )
        for result in results:
            problem = result.problem
            if result.problem_link == ProblemLink.CREATED:
                self.stats.problems_created += 1
            elif result.problem_link == ProblemLink.REOPENED:
                self.stats.reopened += 1
            else:
                self.stats.linked += 1
                continue
            if problem.status == Status.DISPATCHED:
                self.rectify(problem.pk)

    # --- the unit's side of the loop ----------------------------------------------------

    def unit_user(self, problem) -> tuple[User, str]:
        path = problem.responsible_unit.path if problem.responsible_unit_id else None
        uid = self.actors.unit_actor(Role.UNIT_HANDLER, path)
        if uid is not None:
            return self.user_by_id[uid], ""
        return self.admin, "（演示数据：该责任单位无演示账号，由管理员代为录入）"

    def rectify(self, problem_id: int) -> None:
        if self.rng.random() < LEFT_OPEN:
            return
        now = ledger.now()
        sign_at = self.later(now, 1, 20)
        submit_at = self.later(sign_at, 20, 90)
        verify_at = self.later(submit_at, 4, 40)
        self.at(sign_at, lambda: self.step(problem_id, "sign"))
        self.at(submit_at, lambda: self.step(problem_id, "submit"))
        self.at(verify_at, lambda: self.step(problem_id, "verify"))

    def step(self, problem_id: int, what: str) -> None:
        from civicloop.problems.models import Problem

        problem = Problem.objects.select_related("responsible_unit", "area").get(pk=problem_id)
        user, note = self.unit_user(problem)
        if what == "sign" and problem.status == Status.DISPATCHED:
            ledger.problem_sign(user=user, problem=problem, note=note)
        elif what == "submit" and problem.status == Status.RECTIFYING:
            ledger.problem_submit(
                user=user,
                problem=problem,
                description="已按要求完成整改，现场已恢复整洁有序。" + note,
                files=[_after_photo(problem_id)],
            )
        elif what == "verify" and problem.status == Status.SUBMITTED:
            ledger.problem_verify_pass(
                user=self.verifier, problem=problem, note="复查合格，予以销号"
            )
            self.stats.closed += 1


def write_draft(inspection: Inspection, items: list, answers: list[ItemAnswer]) -> None:
    """The draft answers of a new inspection in one INSERT.

    Why not `services.inspection_save`? It upserts item by item (three queries each), which
    made this step take ~15 s for the small city. The rows here are exactly what it writes
    for a first save without photos (same snapshot fields, same `scoring.item_score`);
    tests/test_demo.py compares the two. Submitting still goes through the service, so
    scores and ledger problems come from the real code path.
    """
    rows = []
    for item, answer in zip(items, answers, strict=True):
        deduction, earned, count = scoring.item_score(
            judge_mode=item.judge_mode,
            item_max=item.max_score,
            deduction_per_count=item.deduction_per_count,
            outcome=answer.outcome,
            deduction=answer.deduction,
            count=answer.count,
        )
        rows.append(
            ItemResult(
                inspection=inspection,
                check_item=item,
                indicator_id=item.indicator_id,
                category_id=item.category_id,
                code=item.code,
                text=item.text,
                judge_mode=item.judge_mode,
                item_max=item.max_score,
                deduction_per_count=item.deduction_per_count,
                is_critical=item.is_critical,
                outcome=answer.outcome,
                deduction=deduction,
                count=count,
                earned=earned,
                note=answer.note.strip(),
            )
        )
    ItemResult.objects.bulk_create(rows)


_PHOTO: bytes | None = None


def _after_photo(problem_id: int) -> ContentFile:
    """A small tidy-street JPEG (the same picture each time: it is demo evidence)."""
    global _PHOTO
    if _PHOTO is None:
        img = Image.new("RGB", (160, 120), (196, 214, 230))
        img.paste((120, 122, 126), (0, 60, 160, 120))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=70)
        _PHOTO = buf.getvalue()
    return ContentFile(_PHOTO, name=f"整改后-{problem_id}.jpg")


@register_step("督查检查", order=300)
def make_inspections(city: DemoCity, *, now: datetime | None = None) -> Stats:
    """Run after the ledger step (order 200): it sweeps overdue flags again at the end."""
    global last_stats
    sim = _Sim(city, now or timezone.now())
    sim.schedule_rounds()
    sim.run()
    ledger.problem_sweep_overdue(at=sim.now)
    last_stats = sim.stats
    return sim.stats


def drop_inspections() -> None:
    """Delete the demo city's rounds (samples, inspections and results cascade)."""
    root = Area.objects.filter(code=CITY_CODE, level=AreaLevel.CITY, parent=None).first()
    if root is None:
        return
    rounds = Round.objects.filter(areas__path__startswith=root.path).values("pk")
    ItemResult.objects.filter(inspection__round__in=rounds).delete()
    Inspection.objects.filter(round__in=rounds).delete()
    Round.objects.filter(pk__in=rounds).delete()


# Rounds PROTECT the demo index system and results reference ledger problems: removed
# before the standards' (50) and the ledger's (200) hooks run.
register_reset(drop_inspections, order=300)
