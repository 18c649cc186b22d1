"""A small city with hand-known numbers for the scoring tests.

Week 1 = Mon 2025-03-03 … Sun 2025-03-09 (Asia/Shanghai). Scheme "点位责任单位周考核"
ranks the units owning active points in the city (object group point_units):

| unit | inspections (point rates)  | due in week: on time / due | city-found | manual |
|------|----------------------------|----------------------------|------------|--------|
| A    | 0.90, 0.80 → mean 85       | 1 / 2 (one closed late)    | 2          |        |
| B    | 1.00 → 100                 | 1 / 1                      | 0 (citizen)| −2     |
| C    | 0.95 → 95                  | none (not applicable)      | 0          | +3     |
| D    | 0.70 → 70                  | 0 / 1 (still open: overdue)| 1 (notice) |        |
| E    | none (not applicable)      | 1 / 2                      | 0          |        |
| F    | none                       | none                       | 0          |        |

Components: inspection_rate w=60, ledger_on_time_rate w=40, city_found −0.3 each,
late_rectification −1 each, manual adjustments. Base 100.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from civicloop.core import trees
from civicloop.inspections.models import (
    Inspection,
    InspectionStatus,
    Round,
    RoundKind,
    RoundStatus,
    SamplePoint,
    SampleReason,
)
from civicloop.orgs.models import Point, Unit, UnitKind
from civicloop.problems.models import Action, Problem, ProblemEvent, Source, Status
from civicloop.scoring import services
from civicloop.scoring.models import ObjectGroup, PeriodKind
from civicloop.scoring.objects import object_for
from civicloop.scoring.services import ComponentSpec

TZ = ZoneInfo("Asia/Shanghai")
WEEK1 = datetime(2025, 3, 3, tzinfo=TZ).date()
WEEK2 = datetime(2025, 3, 10, tzinfo=TZ).date()
NOW = datetime(2025, 4, 1, 12, 0, tzinfo=TZ)


def at(day: int, hour: int = 10, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=TZ)


class Builder:
    def __init__(self, world):
        self.world = world
        self.round = None
        self.seq = 0

    def unit(self, name: str, code: str, area) -> Unit:
        unit = Unit.objects.create(name=name, code=code, kind=UnitKind.TOWNSHIP, area=area)
        trees.assign_path(unit)
        return unit

    def point(self, code: str, unit: Unit, area) -> Point:
        return Point.objects.create(
            code=code,
            name=f"点位{code}",
            point_type=self.world.market,
            area=area,
            responsible_unit=unit,
        )

    def inspection(self, point: Point, rate: str, when: datetime, *, round_=None) -> Inspection:
        if round_ is None:
            # A point is sampled once per round: open a new round when it repeats.
            if self.round is None or self.round.samples.filter(point=point).exists():
                self.round = Round.objects.create(
                    kind=RoundKind.WEEKLY_CHECK,
                    title=f"排查{self.seq}",
                    start_date=WEEK1,
                    end_date=WEEK1 + timedelta(days=13),
                    status=RoundStatus.IN_PROGRESS,
                    seed=1,
                    created_by=self.world.p.command,
                )
            round_ = self.round
        self.seq += 1
        sample = SamplePoint.objects.create(
            round=round_, point=point, reason=SampleReason.QUOTA, position=self.seq
        )
        rate_d = Decimal(rate)
        return Inspection.objects.create(
            round=round_,
            sample=sample,
            point=point,
            point_type=point.point_type,
            area=point.area,
            area_path=point.area.path,
            unit=point.responsible_unit,
            inspector=self.world.p.inspector,
            status=InspectionStatus.SUBMITTED,
            started_at=when,
            submitted_at=when,
            earned=rate_d * 20,
            max_score=Decimal(20),
            rate=rate_d,
            passed=True,
        )

    def problem(
        self,
        unit,
        point,
        *,
        source=Source.INSPECTION,
        created,
        due,
        submitted=None,
        closed=False,
        status=None,
    ) -> Problem:
        """A dispatched problem; closed when `closed` (submitted at `submitted`)."""
        self.seq += 1
        status = status or (Status.CLOSED if closed else Status.RECTIFYING)
        p = Problem.objects.create(
            number=f"WT-T-{self.seq:05d}",
            source=source,
            category=self.world.cat_litter,
            description="测试问题",
            point=point,
            area=point.area,
            status=status,
            responsible_unit=unit,
            due_at=due,
            dispatched_at=created + timedelta(hours=1),
            submitted_at=submitted,
            closed_at=(submitted + timedelta(hours=2)) if closed else None,
            created_at=created,
        )
        events = [
            (Action.CREATE, "", Status.REGISTERED, created),
            (Action.DISPATCH, Status.REGISTERED, Status.DISPATCHED, created + timedelta(hours=1)),
            (Action.SIGN, Status.DISPATCHED, Status.RECTIFYING, created + timedelta(hours=2)),
        ]
        if submitted is not None:
            events.append((Action.SUBMIT, Status.RECTIFYING, Status.SUBMITTED, submitted))
        if closed:
            events.append(
                (
                    Action.VERIFY_PASS,
                    Status.SUBMITTED,
                    Status.CLOSED,
                    submitted + timedelta(hours=2),
                )
            )
        ProblemEvent.objects.bulk_create(
            ProblemEvent(
                problem=p, action=a, from_status=f, to_status=t, at=when, unit=unit, due_at=due
            )
            for a, f, t, when in events
        )
        return p


@pytest.fixture
def city(world):
    b = Builder(world)
    w = world
    unit_c = b.unit("东兴街道办事处", "U-C", w.east_street)
    unit_d = b.unit("西兴街道办事处", "U-D", w.west_street)
    unit_e = b.unit("东安街道办事处", "U-E", w.east_street)
    unit_f = b.unit("西安街道办事处", "U-F", w.west_street)
    point_a2 = b.point("P-A-2", w.unit_a, w.east_grid)
    point_c = b.point("P-C-1", unit_c, w.east_grid)
    point_d = b.point("P-D-1", unit_d, w.west_grid)
    point_e = b.point("P-E-1", unit_e, w.east_grid)
    b.point("P-F-1", unit_f, w.west_grid)

    # Inspections in week 1 (and one outside it that must not count).
    b.inspection(w.point_a, "0.90", at(4))
    b.inspection(point_a2, "0.80", at(5))
    b.inspection(w.point_b, "1.00", at(4))
    b.inspection(point_c, "0.95", at(6))
    b.inspection(point_d, "0.70", at(7))
    b.inspection(point_e, "0.10", at(12))  # week 2

    # Problems due in week 1.
    b.problem(w.unit_a, w.point_a, created=at(3), due=at(5), submitted=at(4), closed=True)
    b.problem(w.unit_a, w.point_a, created=at(3), due=at(5), submitted=at(6), closed=True)
    b.problem(
        w.unit_b,
        w.point_b,
        source=Source.CITIZEN,
        created=at(3),
        due=at(6),
        submitted=at(5),
        closed=True,
    )
    d_open = b.problem(unit_d, point_d, source=Source.SUPERIOR_NOTICE, created=at(3), due=at(5))
    b.problem(
        unit_e,
        point_e,
        source=Source.CITIZEN,
        created=at(3),
        due=at(6),
        submitted=at(5),
        closed=True,
    )
    b.problem(unit_e, point_e, source=Source.CITIZEN, created=at(3), due=at(6))

    scheme = services.scheme_create(
        w.p.command,
        name="点位责任单位周考核",
        period_kind=PeriodKind.WEEK,
        object_group=ObjectGroup.POINT_UNITS,
        area=w.city,
        red_list_size=1,
        black_list_size=1,
        accountability_bottom_n=2,
        accountability_periods=2,
        components=[
            ComponentSpec("inspection_rate", 60),
            ComponentSpec("ledger_on_time_rate", 40),
            ComponentSpec("city_found_deduction"),
            ComponentSpec("late_rectification_deduction"),
            ComponentSpec("manual_adjustment"),
        ],
    )
    week1 = services.period_create(w.p.command, scheme, WEEK1 + timedelta(days=2))
    objs = {
        name: object_for(u)
        for name, u in {
            "A": w.unit_a,
            "B": w.unit_b,
            "C": unit_c,
            "D": unit_d,
            "E": unit_e,
            "F": unit_f,
        }.items()
    }
    services.adjustment_create(w.p.command, week1, objs["B"], points="-2", reason="材料迟报")
    services.adjustment_create(w.p.command, week1, objs["C"], points="3", reason="创新做法获市表扬")
    return SimpleNamespace(
        world=w,
        b=b,
        scheme=scheme,
        week1=week1,
        objs=objs,
        units=SimpleNamespace(A=w.unit_a, B=w.unit_b, C=unit_c, D=unit_d, E=unit_e, F=unit_f),
        points=SimpleNamespace(
            A=w.point_a, A2=point_a2, B=w.point_b, C=point_c, D=point_d, E=point_e
        ),
        d_open=d_open,
        command=w.p.command,
    )
