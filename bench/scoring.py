"""Scoring benchmark (issue 5): compute a quarter for 500 assessed objects over N problems
and M inspections, next to the raw SQL aggregates it needs, measured in the same run
(DESIGN.md §10). Not a test.

    .venv/bin/python bench/scoring.py --quick                 # 20 000 problems, 5 000 inspections
    .venv/bin/python bench/scoring.py                         # 1 000 000 problems, 50 000 inspections
    .venv/bin/python bench/scoring.py --reuse                 # re-measure a seeded database
    .venv/bin/python bench/scoring.py --sqlite-path /tmp/civicloop_bench_1000000.sqlite3
    .venv/bin/python bench/scoring.py --db postgres           # the ledger bench's PG database

Seeding problems happens only for a fresh SQLite file. `--sqlite-path` (e.g. the database
bench/ledger.py seeded) and `--db postgres` (default: the ledger bench's `civicloop_bench`,
seeded by `bench/ledger.py --db postgres --copy`) reuse the problems already there and only
add the benchmark's inspections, once: a later run finds them and skips that step.

Seeding reuses the ledger benchmark (bench/ledger.py → demo city + problems.history
generator); inspections are written in bulk as rows with the totals the inspection
service stores on submit (like bench/inspections.py), spread over weekly rounds of the
quarter. The assessed objects are the 500 units responsible for the most points, the
scheme has every built-in component. Measured:

- compute: `computation.compute(period, objects=…)` (all component queries, assembly,
  ranks, grades, deltas, overdue list) — p50 over --repeat runs, and its Python peak
  memory (tracemalloc);
- compute + write: the whole background job body (`services.period_compute_now`);
- publish: freezing the snapshot (rows + JSON, overdue list);
- baseline: the raw SQL aggregates the computation needs (inspection roll-up, the three
  KPI GROUP BYs, city-found count, overdue list, manual adjustments), fetched with a bare
  cursor. Target: compute ≤ 3× baseline.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


PG_URL = "postgresql://civicloop:civicloop@127.0.0.1:5432/civicloop_bench"
ROUND_TITLE = "基准周排查"


def _args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--problems", type=int, default=1_000_000)
    ap.add_argument("--inspections", type=int, default=50_000)
    ap.add_argument("--objects", type=int, default=500)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument(
        "--sqlite-path", default=None, help="existing SQLite database to reuse (no seeding)"
    )
    ap.add_argument("--pg-url", default=PG_URL, help="PostgreSQL database to reuse (no seeding)")
    ap.add_argument("--quick", action="store_true", help="20 000 problems, 5 000 inspections")
    ap.add_argument("--city", default=None, help="demo city size (default large; quick: medium)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    args = ap.parse_args(argv)
    if args.quick:
        args.problems = 20_000 if "--problems" not in sys.argv else args.problems
        args.inspections = 5_000 if "--inspections" not in sys.argv else args.inspections
    args.city = args.city or ("medium" if args.quick else "large")
    args.repeat = args.repeat or (5 if args.quick else 3)
    # A history window of 26 weeks ending now covers the last complete quarter.
    args.weeks = 26
    args.pg_admin_url = ""
    args.copy = False  # bench/ledger.py option (PostgreSQL COPY); SQLite here
    return args


def db_path(args) -> Path:
    if args.sqlite_path:
        return Path(args.sqlite_path)
    return Path(f"/tmp/civicloop_bench_scoring_{args.problems}_{args.inspections}.sqlite3")


def setup(args) -> bool:
    """Point Django at the bench database; True when problems must be seeded."""
    if args.db == "postgres":
        # Never seeded here: a 1M-problem PostgreSQL database takes the ledger bench ~25 min.
        os.environ["DATABASE_URL"] = args.pg_url
        fresh = False
    else:
        path = db_path(args)
        if args.sqlite_path and not path.exists():
            raise SystemExit(f"{path} does not exist (--sqlite-path reuses, never seeds)")
        fresh = not ((args.reuse or args.sqlite_path) and path.exists())
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="civicloop_bench_media_"))
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return fresh


def last_quarter(today: date) -> tuple[date, date]:
    from civicloop.scoring.periods import bounds

    start, _ = bounds("quarter", today)
    return bounds("quarter", start - timedelta(days=1))


def ensure_inspections(args, start: date, end: date) -> tuple[int, float]:
    """The benchmark's inspections for the quarter, seeded once: (count, seconds spent).

    Rounds are recognised by title and dates; a partial set (an interrupted run) is
    removed and seeded again, so the step can be repeated on a reused database.
    """
    from django.db import connection, transaction

    from civicloop.inspections.models import Inspection, Round

    rounds = Round.objects.filter(
        title__startswith=ROUND_TITLE, start_date__gte=start, start_date__lte=end
    )
    have = Inspection.objects.filter(round__in=rounds).count()
    if have == args.inspections:
        return have, 0.0
    t0 = time.perf_counter()
    with transaction.atomic():
        Inspection.objects.filter(round__in=rounds).delete()
        rounds.delete()
    made = seed_inspections(args, start, end)
    with connection.cursor() as cur:
        for table in ("inspections_round", "inspections_samplepoint", "inspections_inspection"):
            cur.execute(f"ANALYZE {table}")
    return made, time.perf_counter() - t0


def seed_inspections(args, start: date, end: date) -> int:
    """Weekly rounds over the quarter; each samples distinct points; bulk rows."""
    from django.db import transaction
    from django.utils import timezone

    from civicloop.accounts.models import Membership, Role
    from civicloop.inspections.models import (
        Inspection,
        InspectionStatus,
        Round,
        RoundKind,
        RoundStatus,
        SamplePoint,
        SampleReason,
    )
    from civicloop.orgs.models import Point

    rng = random.Random(args.seed)
    points = list(
        Point.objects.filter(is_active=True).values_list(
            "pk", "point_type_id", "area_id", "area__path", "responsible_unit_id"
        )
    )
    inspector = Membership.objects.filter(role=Role.INSPECTOR).values_list("user_id", flat=True)[0]
    command = Membership.objects.filter(role=Role.COMMAND).values_list("user_id", flat=True)[0]
    weeks = max(1, (end - start).days // 7)
    per_round = -(-args.inspections // weeks)
    if per_round > len(points):
        raise SystemExit(f"{per_round} inspections per round > {len(points)} points")
    tz = timezone.get_current_timezone()
    made = 0
    for w in range(weeks):
        n = min(per_round, args.inspections - made)
        if n <= 0:
            break
        day = start + timedelta(days=7 * w)
        with transaction.atomic():
            r = Round.objects.create(
                kind=RoundKind.WEEKLY_CHECK,
                title=f"{ROUND_TITLE}{w + 1}",
                start_date=day,
                end_date=day + timedelta(days=6),
                status=RoundStatus.CLOSED,
                seed=w,
                created_by_id=command,
            )
            chosen = rng.sample(points, n)
            samples = SamplePoint.objects.bulk_create(
                [
                    SamplePoint(round=r, point_id=p[0], reason=SampleReason.QUOTA, position=i)
                    for i, p in enumerate(chosen)
                ],
                batch_size=2000,
            )
            rows = []
            for s, p in zip(samples, chosen, strict=True):
                when = timezone.make_aware(
                    datetime.combine(day + timedelta(days=rng.randint(0, 6)), datetime.min.time())
                    + timedelta(hours=rng.uniform(8, 18)),
                    tz,
                )
                maximum = Decimal(rng.choice([40, 60, 80, 100]))
                earned = (maximum * Decimal(rng.uniform(0.5, 1.0))).quantize(Decimal("0.01"))
                rows.append(
                    Inspection(
                        round=r,
                        sample=s,
                        point_id=p[0],
                        point_type_id=p[1],
                        area_id=p[2],
                        area_path=p[3],
                        unit_id=p[4],
                        inspector_id=inspector,
                        status=InspectionStatus.SUBMITTED,
                        started_at=when,
                        submitted_at=when + timedelta(minutes=20),
                        earned=earned,
                        max_score=maximum,
                        rate=(earned / maximum).quantize(Decimal("0.000001")),
                        passed=rng.random() > 0.05,
                        failed_count=rng.randint(0, 5),
                    )
                )
            Inspection.objects.bulk_create(rows, batch_size=2000)
        made += n
    return made


def make_scheme(args, start: date):
    from civicloop.accounts.models import User
    from civicloop.orgs.models import Area
    from civicloop.scoring import services
    from civicloop.scoring.models import ObjectGroup, PeriodKind
    from civicloop.scoring.services import ComponentSpec

    admin = User.objects.filter(is_superuser=True).first()
    scheme = services.scheme_create(
        admin,
        name=f"基准季度考核 {time.time():.0f}",
        period_kind=PeriodKind.QUARTER,
        object_group=ObjectGroup.POINT_UNITS,
        area=Area.objects.filter(parent=None).first(),
        components=[
            ComponentSpec("inspection_rate", 50),
            ComponentSpec("ledger_on_time_rate", 30),
            ComponentSpec("ledger_rework_rate", 10),
            ComponentSpec("ledger_overdue_count", 5),
            ComponentSpec("ledger_recurrence_count", 5),
            ComponentSpec("city_found_deduction"),
            ComponentSpec("late_rectification_deduction"),
            ComponentSpec("repeat_overdue_deduction"),
            ComponentSpec("manual_adjustment"),
        ],
    )
    period = services.period_create(admin, scheme, start)
    return admin, scheme, period


def pick_objects(args):
    """The `--objects` units responsible for the most active points."""
    from django.db.models import Count, Q

    from civicloop.orgs.models import Unit
    from civicloop.scoring.models import AssessedObject

    ids = list(
        Unit.objects.annotate(n=Count("points", filter=Q(points__is_active=True)))
        .filter(n__gt=0)
        .order_by("-n", "pk")
        .values_list("pk", flat=True)[: args.objects]
    )
    AssessedObject.objects.bulk_create(
        [AssessedObject(unit_id=pk) for pk in ids], ignore_conflicts=True
    )
    return list(AssessedObject.objects.filter(unit_id__in=ids).select_related("unit"))


def raw_baseline(period, objects, now):
    """The aggregates the computation needs, as bare SQL through one cursor."""
    from django.db import connection

    from civicloop.scoring.periods import window

    start, end = window(period.start_date, period.end_date)
    as_of = min(end, now)
    units = [o.unit_id for o in objects]
    marks = ",".join(["%s"] * len(units))

    def n(condition: str) -> str:
        # Counting a condition portably: SQLite sums booleans, PostgreSQL does not.
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    queries = [
        (
            "SELECT unit_id, COUNT(*), SUM(earned), SUM(max_score), SUM(rate), COUNT(rate), "
            "SUM(CASE WHEN passed THEN 1 ELSE 0 END), SUM(failed_count) "
            "FROM inspections_inspection WHERE status='submitted' AND submitted_at >= %s "
            f"AND submitted_at < %s AND unit_id IN ({marks}) GROUP BY unit_id",
            [start, end, *units],
        ),
        (
            "SELECT unit_id, "
            + ", ".join(
                n(c)
                for c in (
                    "action='dispatch'",
                    "action IN ('submit','leader_approve') AND to_status='submitted'",
                    "action='verify_fail'",
                    "action='approve_return'",
                    "action='reopen'",
                )
            )
            + ", "
            "AVG(CASE WHEN action='sign' THEN duration_seconds END), "
            "AVG(CASE WHEN action='verify_pass' THEN duration_seconds END) "
            "FROM problems_problemevent WHERE at >= %s AND at < %s GROUP BY unit_id",
            [start, end],
        ),
        (
            "SELECT responsible_unit_id, COUNT(*), "
            + n("status='closed'")
            + ", "
            + n("status='closed' AND submitted_at <= due_at")
            + " FROM problems_problem "
            "WHERE due_at >= %s AND due_at < %s AND dispatched_at IS NOT NULL "
            "AND status NOT IN ('parked','voided','rejected') GROUP BY responsible_unit_id",
            [start, end],
        ),
        (
            "SELECT responsible_unit_id, COUNT(*) FROM problems_problem "
            "WHERE status IN ('dispatched','rectifying','leader_review') AND due_at < %s "
            "GROUP BY responsible_unit_id",
            [as_of],
        ),
        (
            "SELECT responsible_unit_id, COUNT(*) FROM problems_problem WHERE created_at >= %s "
            "AND created_at < %s AND source IN ('inspection','superior_notice') AND status NOT "
            f"IN ('rejected','voided') AND responsible_unit_id IN ({marks}) "
            "GROUP BY responsible_unit_id",
            [start, end, *units],
        ),
        (
            "SELECT id, responsible_unit_id FROM problems_problem "
            "WHERE status IN ('dispatched','rectifying','leader_review') AND due_at < %s "
            f"AND responsible_unit_id IN ({marks}) ORDER BY id",
            [as_of, *units],
        ),
        (
            "SELECT obj_id, SUM(points), COUNT(*) FROM scoring_manualadjustment "
            "WHERE period_id = %s AND NOT is_void GROUP BY obj_id",
            [period.pk],
        ),
    ]

    def run():
        out = 0
        with connection.cursor() as cur:
            for sql, params in queries:
                cur.execute(sql, params)
                out += len(cur.fetchall())
        return out

    run.queries = queries  # for the per-query breakdown
    return run


def per_query_ms(queries) -> list[tuple[str, float]]:
    """Each baseline query timed once (warm): where the raw SQL time goes."""
    from django.db import connection

    out = []
    with connection.cursor() as cur:
        for sql, params in queries:
            t0 = time.perf_counter()
            cur.execute(sql, params)
            cur.fetchall()
            out.append((" ".join(sql.split())[:70], (time.perf_counter() - t0) * 1000))
    return out


def main(argv=None) -> None:
    args = _args(argv)
    fresh = setup(args)

    from django.db import connection
    from django.utils import timezone

    from bench.harness import Report, peak_python_memory, time_calls, time_once
    from civicloop.scoring import computation, services

    now = timezone.now()
    q_start, q_end = last_quarter(timezone.localdate())
    if not fresh:
        from django.core.management import call_command

        from civicloop.problems.models import Problem

        call_command("migrate", verbosity=0)
        # Name the figures after what is really there, not after --problems.
        args.problems = Problem.objects.count()
        if not args.problems:
            raise SystemExit("no problems in the reused database: seed it with bench/ledger.py")
    vendor = connection.vendor
    title = (
        f"Scoring benchmark — {vendor}, {args.problems:,} problems, {args.inspections:,} "
        f"inspections, {args.objects} objects, quarter {q_start}–{q_end}, {os.cpu_count()} CPUs"
    )
    report = Report(title)
    if fresh:
        import bench.ledger as ledger

        t0 = time.perf_counter()
        ledger.seed(args, report)
        t1 = time.perf_counter()
        print(f"ledger seeded in {t1 - t0:.0f} s", flush=True)
    n, secs = ensure_inspections(args, q_start, q_end)
    print(
        f"{n:,} inspections " + (f"seeded in {secs:.0f} s" if secs else "already there"),
        flush=True,
    )
    if fresh:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    admin, scheme, period = make_scheme(args, q_start)
    objects = pick_objects(args)
    print(f"{len(objects)} objects; period {period.label}", flush=True)
    report.title = report.title.replace(f"{args.objects} objects", f"{len(objects)} objects")
    # A few manual entries so that component has rows.
    for o in objects[:20]:
        services.adjustment_create(admin, period, o, points="-0.5", reason="基准扣分")

    def compute():
        return computation.compute(period, now=now, objects=objects)

    baseline = raw_baseline(period, objects, now)
    t_raw = time_calls("raw SQL aggregates", baseline, repeat=args.repeat, warmup=1)
    t_compute = time_calls("compute", compute, repeat=args.repeat, warmup=1)
    mem_compute, result = peak_python_memory(compute)
    mem_raw, _ = peak_python_memory(baseline)
    breakdown = per_query_ms(baseline.queries)
    for sql, ms in breakdown:
        print(f"  raw {ms:8.0f} ms  {sql}…", flush=True)
    ranked = sum(1 for r in result.rows if r.rank is not None)
    report.add(
        "raw SQL aggregates (baseline)", t_raw.p50, "ms", note=f"7 queries, p95 {t_raw.p95:.0f} ms"
    )
    report.add(
        "compute a quarter (read + score + rank)",
        t_compute.p50,
        "ms",
        baseline=t_raw.p50,
        target="≤ 3×",
        met=t_compute.p50 <= 3 * t_raw.p50,
        note=f"{len(result.rows)} objects, {ranked} ranked, "
        f"{len(result.overdue_problems):,} overdue listed; p95 {t_compute.p95:.0f} ms",
    )
    report.add(
        "compute: Python peak memory",
        mem_compute,
        "MiB",
        baseline=mem_raw,
        target="≤ 3×",
        met=mem_compute <= 3 * mem_raw,
        note=f"tracemalloc; raw SQL fetch peak {mem_raw:.2f} MiB",
    )

    # The whole job (compute + write) through the service, as the page triggers it. The
    # scheme's object group would select every point-owning unit; the benchmark pins the
    # same 500 objects by wrapping compute (benchmark only).
    original = computation.compute

    def job():
        computation.compute = lambda p, **kw: original(p, objects=objects, **kw)
        try:
            return services.period_compute_now(admin, period, now=now)
        finally:
            computation.compute = original

    secs, done = time_once(job)
    report.add(
        "background job: compute + write rows",
        secs * 1000,
        "ms",
        baseline=t_raw.p50,
        note=f"status {done.status}, {done.object_count} objects",
    )
    secs, snap = time_once(lambda: services.period_publish(admin, period))
    report.add(
        "publish snapshot (freeze rows + JSON)",
        secs * 1000,
        "ms",
        note=f"{snap.rows.count()} rows, {len(snap.data['overdue_problems']):,} overdue problems",
    )
    report.print()
    out = (
        ROOT
        / "bench"
        / "results"
        / (
            f"scoring-{vendor}-{args.problems}-{args.inspections}-{time.strftime('%Y%m%d-%H%M%S')}.json"
        )
    )
    report.save(out, raw_sql_breakdown_ms=breakdown)
    print(f"\nsaved {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
