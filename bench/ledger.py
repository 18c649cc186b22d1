"""Ledger benchmark: seed N problems with full histories, then time the ledger's hot paths
next to a bare baseline measured in the same run (DESIGN.md §10). Not a test.

    .venv/bin/python bench/ledger.py --problems 1000000 --db postgres
    .venv/bin/python bench/ledger.py --db sqlite --quick          # 20 000 problems, < 1 min

Uses its own database: SQLite /tmp/civicloop_bench_<N>.sqlite3, or PostgreSQL database
`civicloop_bench` (created/dropped through --pg-admin-url; the role needs CREATEDB).
`--reuse` skips seeding when the database already holds the problems (to re-measure).
Results: a markdown table on stdout and JSON in bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = "postgresql://civicloop:civicloop@127.0.0.1:5432/postgres"
PG_BENCH_DB = "civicloop_bench"


STEPS = ("transitions", "list", "kpi", "export", "sweep")


def _args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--problems", type=int, default=1_000_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--quick", action="store_true", help="20 000 problems, fewer samples")
    ap.add_argument("--city", default=None, help="demo city size (default: large, quick: small)")
    ap.add_argument("--weeks", type=int, default=None, help="history window (default 52)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--copy",
        action="store_true",
        help="PostgreSQL: seed with COPY instead of bulk_create (faster)",
    )
    ap.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    ap.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    ap.add_argument("--export-rows", type=int, default=100_000)
    ap.add_argument(
        "--samples", type=int, default=None, help="list: requests per endpoint (600, quick 300)"
    )
    ap.add_argument("--export-child", default=None, help=argparse.SUPPRESS)
    ap.add_argument(
        "--only",
        action="append",
        choices=list(STEPS),
        default=None,
        help="run only these measurements (repeatable), e.g. --only list",
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.problems = min(args.problems, 20_000) if "--problems" in sys.argv else 20_000
        args.export_rows = min(args.export_rows, 20_000)
    args.city = args.city or ("small" if args.quick else "large")
    args.weeks = args.weeks or (12 if args.quick else 52)
    # Requests per endpoint in the list step: a p95 needs a few hundred (of 100, it is
    # the 5th slowest, and ratios of two such swung by ±0.5).
    args.samples = args.samples or (300 if args.quick else 600)
    return args


def database_url(args) -> str:
    if args.db == "sqlite":
        return f"sqlite:////tmp/civicloop_bench_{args.problems}.sqlite3"
    base = args.pg_admin_url.rsplit("/", 1)[0]
    return f"{base}/{PG_BENCH_DB}"


def prepare_database(args) -> bool:
    """Fresh database unless --reuse finds one; returns True when it must be seeded."""
    if args.db == "sqlite":
        path = Path(database_url(args).removeprefix("sqlite:///"))
        if args.reuse and path.exists():
            return False
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return True
    import psycopg

    with psycopg.connect(args.pg_admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_BENCH_DB])
        if exists.fetchone():
            if args.reuse:
                return False
            conn.execute(f'DROP DATABASE "{PG_BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_BENCH_DB}"')
    return True


def setup_django(args) -> None:
    os.environ["DATABASE_URL"] = database_url(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="civicloop_bench_media_"))
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    # Production settings: with DEBUG on, Django records every query (on SQLite that
    # runs an extra SELECT QUOTE(…) per query to render its parameters), a cost of
    # development only that falls unevenly on endpoints with more queries.
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    import django

    django.setup()
    from django.conf import settings

    # Bare baseline and stand-ins live in a bench urlconf next to the real API.
    settings.ROOT_URLCONF = "bench.ledger_urls"
    settings.ALLOWED_HOSTS = ["*"]
    # Demo users share one hash; a fast hasher keeps city building out of the figures.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def maintain() -> float:
    """VACUUM (ANALYZE) the ledger tables on PostgreSQL, as autovacuum keeps them (migration
    0005 has it vacuum the problems table after 2 % of its rows changed). A --reuse run
    starts from there; without it, each earlier run's rolled-back sweeps leave dead rows
    and index entries behind — and autovacuum may be off on a development server (it was
    on the one these figures come from). Returns the seconds it took."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("problems_problem", "problems_problemevent"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return time.perf_counter() - started


# --- seeding ---------------------------------------------------------------------------------


def seed(args, report) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from civicloop.demo import problems_step
    from civicloop.demo.builder import build_city
    from civicloop.problems.history import generate_history

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    city = build_city(args.city, args.seed)
    city_s = time.perf_counter() - t0
    world = problems_step.demo_world(city, weeks=args.weeks)
    print(
        f"city '{args.city}' built in {city_s:.1f} s: {city.point_count} points, "
        f"{len(city.grids)} grids, {len(city.all_units)} units; seeding {args.problems:,}…",
        flush=True,
    )
    started = time.perf_counter()
    last = [started]

    def progress(stats):
        now = time.perf_counter()
        if now - last[0] > 30 or stats.problems == args.problems:
            last[0] = now
            rate = stats.problems / (now - started)
            print(
                f"  {stats.problems:>10,} problems {stats.events:>11,} events "
                f"({rate:,.0f} problems/s)",
                flush=True,
            )

    batch = 5000 if args.db == "postgres" else 2000
    stats = generate_history(
        world, args.problems, seed=args.seed, batch_size=batch, progress=progress, copy=args.copy
    )
    how = "COPY" if args.copy and args.db == "postgres" else "bulk_create"
    seed_s = time.perf_counter() - started
    # What autovacuum / a DBA would do after a bulk load: fresh planner statistics.
    t1 = time.perf_counter()
    with connection.cursor() as cur:
        # VACUUM too on PostgreSQL: without it the visibility map is empty after the load,
        # so no index-only scan (the ledger's capped count) is possible until autovacuum
        # happens to run — not the state a production table is in.
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    analyze_s = time.perf_counter() - t1
    report.add(
        "bulk seed: problems",
        stats.problems / seed_s,
        "problems/s",
        note=f"{stats.problems:,} problems in {seed_s:.0f} s (generator + {how})",
    )
    report.add(
        "bulk seed: events",
        stats.events / seed_s,
        "events/s",
        note=f"{stats.events:,} events, {stats.requests:,} requests; ANALYZE {analyze_s:.1f} s",
    )
    return {
        "seed_seconds": seed_s,
        "problems": stats.problems,
        "events": stats.events,
        "statuses": dict(stats.statuses),
        "city_seconds": city_s,
    }


# --- measurements -----------------------------------------------------------------------------


def users():
    from civicloop.accounts.models import User

    return {
        u.username: u
        for u in User.objects.filter(
            username__in=["command", "inspector", "handler_cgj", "unitlead_cgj", "admin"]
        )
    }


def bench_transitions(args, report) -> None:
    """dispatch → sign → submit (→ leader approve) → verify pass through the services."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from bench.harness import Timing
    from civicloop.orgs.models import Unit
    from civicloop.problems import services
    from civicloop.problems.models import Problem, Status

    u = users()
    unit = Unit.objects.get(code__endswith="-BM-CGJ", parent=None)
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 140, 60)).save(buf, "JPEG", quality=80)
    jpeg = buf.getvalue()
    count = 30 if args.quick else 100
    ids = list(
        Problem.objects.filter(status=Status.REGISTERED)
        .values_list("pk", flat=True)
        .order_by("-id")[:count]
    )
    timings = {name: Timing(name) for name in ("dispatch", "sign", "submit", "verify_pass")}

    def timed(name, fn):
        start = time.perf_counter()
        fn()
        timings[name].samples_ms.append((time.perf_counter() - start) * 1000)

    started = time.perf_counter()
    for pk in ids:
        p = Problem.objects.select_related("category", "area", "point", "responsible_unit").get(
            pk=pk
        )
        timed(
            "dispatch",
            lambda p=p: services.problem_dispatch(user=u["command"], problem=p, unit=unit),
        )
        timed("sign", lambda p=p: services.problem_sign(user=u["handler_cgj"], problem=p))
        photo = SimpleUploadedFile("after.jpg", jpeg, content_type="image/jpeg")
        timed(
            "submit",
            lambda p=p, f=photo: services.problem_submit(
                user=u["handler_cgj"], problem=p, description="已整改", files=[f]
            ),
        )
        if p.status == Status.LEADER_REVIEW:
            services.problem_leader_approve(user=u["unitlead_cgj"], problem=p)
        timed(
            "verify_pass", lambda p=p: services.problem_verify_pass(user=u["inspector"], problem=p)
        )
    total = time.perf_counter() - started
    n = sum(len(t.samples_ms) for t in timings.values())
    report.add(
        "transitions via services",
        n / total,
        "transitions/s",
        note=f"{len(ids)} × dispatch/sign/submit(+photo)/verify, one at a time",
    )
    for t in timings.values():
        report.add(f"  {t.name} p50 / p95", t.p50, "ms", note=f"p95 {t.p95:.1f} ms")


def bench_list(args, report) -> None:
    import random

    from django.test import Client
    from rest_framework.authtoken.models import Token

    from bench.harness import time_in_blocks
    from bench.ledger_urls import api_ledger_available
    from civicloop.problems.models import Problem

    u = users()
    token, _ = Token.objects.get_or_create(user=u["command"])
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_HOST="localhost")
    pk = Problem.objects.order_by("-id").values_list("pk", flat=True).first()
    rng = random.Random(7)
    use_api = api_ledger_available(client)
    url = "/api/v1/problems/" if use_api else "/bench/ledger/"

    def one_row():
        r = client.get(f"/bench/one/{pk}/")
        assert r.status_code == 200, r.status_code

    def ledger():
        page = rng.randint(1, 20)
        r = client.get(url, {"status": "rectifying", "page": page})
        assert r.status_code == 200, (r.status_code, r.content[:300])

    def ledger_page1():
        r = client.get(url, {"status": "rectifying"})
        assert r.status_code == 200

    timed = time_in_blocks(
        {"base": one_row, "list": ledger, "first": ledger_page1}, repeat=args.samples
    )
    base, lst, first = timed["base"], timed["list"], timed["first"]
    label = "API /api/v1/problems/" if use_api else "STAND-IN selector+serializer view"
    report.add("minimal DRF endpoint (1 row) p50", base.p50, "ms", note=f"p95 {base.p95:.1f} ms")
    report.add(
        f"ledger list p95 ({label}, status=rectifying, pages 1–20)",
        lst.p95,
        "ms",
        baseline=base.p95,
        target="≤ 3× minimal",
        met=lst.p95 <= 3 * base.p95,
        note=f"p50 {lst.p50:.1f} ms; 50 rows/page, command (city scope)",
    )
    report.add(
        "ledger list page 1 p95",
        first.p95,
        "ms",
        baseline=base.p95,
        target="≤ 3× minimal",
        met=first.p95 <= 3 * base.p95,
        note=f"p50 {first.p50:.1f} ms",
    )


KPI_RAW_EVENTS = """
SELECT e.unit_id,
       SUM(CASE WHEN e.action = 'dispatch' THEN 1 ELSE 0 END),
       SUM(CASE WHEN e.action IN ('submit', 'leader_approve') AND e.to_status = 'submitted'
                THEN 1 ELSE 0 END),
       SUM(CASE WHEN e.action = 'verify_fail' THEN 1 ELSE 0 END),
       SUM(CASE WHEN e.action = 'approve_return' THEN 1 ELSE 0 END),
       SUM(CASE WHEN e.action = 'reopen' THEN 1 ELSE 0 END),
       AVG(CASE WHEN e.action = 'sign' THEN e.duration_seconds END),
       AVG(CASE WHEN e.action = 'verify_pass' THEN e.duration_seconds END)
FROM problems_problemevent e
WHERE e.at >= %s AND e.at < %s
GROUP BY e.unit_id
"""
KPI_RAW_DUE = """
SELECT p.responsible_unit_id, COUNT(*),
       SUM(CASE WHEN p.status = 'closed' THEN 1 ELSE 0 END),
       SUM(CASE WHEN p.status = 'closed' AND p.submitted_at <= p.due_at THEN 1 ELSE 0 END)
FROM problems_problem p
WHERE p.due_at >= %s AND p.due_at < %s AND p.dispatched_at IS NOT NULL
  AND p.status NOT IN ('parked', 'voided', 'rejected')
GROUP BY p.responsible_unit_id
"""
KPI_RAW_OVERDUE = """
SELECT p.responsible_unit_id, COUNT(*)
FROM problems_problem p
WHERE p.status IN ('dispatched', 'rectifying', 'leader_review') AND p.due_at < %s
GROUP BY p.responsible_unit_id
"""


def kpi_raw(start, end, now) -> int:
    """The same aggregate as kpis.kpi_table(group_by="unit"), as hand-written SQL."""
    from django.db import connection

    from civicloop.orgs.models import Unit

    keys = set()
    with connection.cursor() as cur:
        cur.execute(KPI_RAW_EVENTS, [start, end])
        keys |= {r[0] for r in cur.fetchall()}
        cur.execute(KPI_RAW_DUE, [start, end])
        keys |= {r[0] for r in cur.fetchall()}
        cur.execute(KPI_RAW_OVERDUE, [now])
        keys |= {r[0] for r in cur.fetchall()}
    dict(Unit.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))
    return len(keys)


def bench_kpi(args, report) -> None:
    from django.utils import timezone

    from bench.harness import time_calls
    from civicloop.problems import kpis

    now = timezone.now()
    end = now
    start = now - timedelta(days=91)
    repeat = 5 if args.quick else 7
    ours = time_calls(
        "kpi_table",
        lambda: kpis.kpi_table(group_by="unit", start=start, end=end, now=now),
        repeat=repeat,
        warmup=1,
    )
    raw = time_calls("raw SQL", lambda: kpi_raw(start, end, now), repeat=repeat, warmup=1)
    u = users()
    scoped = time_calls(
        "kpi_table scoped",
        lambda: kpis.kpi_table(group_by="unit", start=start, end=end, now=now, user=u["command"]),
        repeat=3,
        warmup=1,
    )
    rows = len(kpis.kpi_table(group_by="unit", start=start, end=end, now=now))
    report.add("raw SQL of the KPI aggregate p50", raw.p50, "ms")
    report.add(
        "unit KPI table, one quarter (kpis.kpi_table) p50",
        ours.p50,
        "ms",
        baseline=raw.p50,
        target="≤ 2× raw SQL",
        met=ours.p50 <= 2 * raw.p50,
        note=f"{rows} unit rows; all units (user=None)",
    )
    report.add(
        "  same, scoped to the city command user p50",
        scoped.p50,
        "ms",
        baseline=raw.p50,
        note="scope adds area-path joins",
    )


def bench_sweep(args, report) -> None:
    from django.db.models import Count
    from django.db.models.functions import TruncMinute
    from django.utils import timezone

    from civicloop.problems import services
    from civicloop.problems.models import UNIT_OPEN_STATUSES, Problem

    now = timezone.now()
    t1 = time.perf_counter()
    r1 = services.problem_sweep_overdue(at=now)
    first = time.perf_counter() - t1
    t2 = time.perf_counter()
    services.problem_sweep_overdue(at=now)
    steady = time.perf_counter() - t2
    from django.conf import settings
    from django.db import transaction

    def sweep_at(*moments: datetime):
        """The sweep at each moment in turn, the last one timed; all rolled back, so that
        a --reuse run measures the same again (kept, it would flag ahead of the clock).
        The rollback leaves dead rows; maintain() first, as autovacuum would."""
        maintain()  # the table as autovacuum leaves it between beats, not after the last run
        with transaction.atomic():
            for moment in moments[:-1]:
                services.problem_sweep_overdue(at=moment)
            t = time.perf_counter()
            result = services.problem_sweep_overdue(at=moments[-1])
            seconds = time.perf_counter() - t
            transaction.set_rollback(True)
        return result, seconds

    # The job as it runs: celery beat starts it every `interval` seconds. Deadlines come
    # from the working calendar and bunch at a few minutes of the day (17:30, 10:30 …), so
    # besides the next beat, the beat over the day's busiest deadline minute.
    interval = timedelta(
        seconds=settings.CELERY_BEAT_SCHEDULE["problems-sweep-overdue"]["schedule"]
    )
    r2, beat = sweep_at(now + interval)
    busiest = (
        Problem.objects.filter(
            status__in=UNIT_OPEN_STATUSES,
            is_overdue=False,
            due_at__gt=now,
            due_at__lt=now + timedelta(days=1),
        )
        .annotate(minute=TruncMinute("due_at"))
        .values("minute")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if busiest:
        r4, peak = sweep_at(busiest["minute"] - interval / 2, busiest["minute"] + interval / 2)
    r3, day = sweep_at(now + timedelta(days=1))
    pg = args.db == "postgres"

    def add(label, seconds, result=None, *, targeted: bool, rolled_back: bool = True) -> None:
        note = ""
        if result is not None:
            note = (
                f"flagged {result.flagged}, cleared {result.cleared}, "
                f"escalated {sum(result.escalated.values())}"
            )
            if rolled_back:
                note += " (events written; rolled back)"
        report.add(
            label,
            seconds,
            "s",
            target="< 2 s (PostgreSQL, 1M)" if pg and targeted else "",
            met=(seconds < 2) if pg and targeted else None,
            note=note,
        )

    minutes = interval.total_seconds() / 60
    add("overdue sweep (steady state, nothing new)", steady, targeted=True)
    add(
        f"overdue sweep one beat later ({minutes:.0f} min: the job as scheduled)",
        beat,
        r2,
        targeted=True,
    )
    add("overdue sweep (first run after seeding)", first, r1, targeted=False, rolled_back=False)
    if busiest:
        local = timezone.localtime(busiest["minute"]).strftime("%H:%M")
        label = (
            f"overdue sweep, the beat over the day's busiest deadline ({local}, {busiest['n']} due)"
        )
        add(label, peak, r4, targeted=True)
    add(
        "overdue sweep one day later (the backlog of a day without the job)",
        day,
        r3,
        targeted=False,
    )


def bench_export(args, report) -> None:
    cmd = [
        sys.executable,
        str(Path(__file__)),
        "--db",
        args.db,
        "--problems",
        str(args.problems),
        "--pg-admin-url",
        args.pg_admin_url,
    ]
    env = {**os.environ}
    results = {}
    for mode in ("baseline", "export"):
        out = subprocess.run(
            cmd + ["--export-child", mode, "--export-rows", str(args.export_rows)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if out.returncode != 0:
            print(out.stdout, out.stderr, file=sys.stderr)
            raise RuntimeError(f"export child ({mode}) failed")
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    exp, base = results["export"], results["baseline"]
    label = "civicloop.problems.exports.export_ledger" if exp["real"] else "STAND-IN openpyxl"
    report.add(
        f"XLSX export of {exp['rows']:,} rows ({label})",
        exp["seconds"],
        "s",
        note=f"{exp['rows'] / exp['seconds']:,.0f} rows/s, file {exp['bytes'] / 2**20:.1f} MiB",
    )
    report.add(
        "  export peak RSS (VmHWM)",
        exp["vmhwm_mib"],
        "MiB",
        target="< 200 MB",
        met=exp["vmhwm_mib"] * 1.048576 < 200,
        # ru_maxrss survives fork+exec (it includes the parent's RSS at fork): not used.
        note=f"process baseline (Django loaded, no export) {base['vmhwm_mib']:.0f} MiB",
    )


def export_child(args) -> None:
    """Runs in a subprocess so its peak RSS is the export's alone."""
    from bench.harness import peak_rss_mib

    figures = {"real": False, "rows": 0, "seconds": 0.0, "bytes": 0}
    if args.export_child == "export":
        from civicloop.accounts.models import User
        from civicloop.problems import selectors

        user = User.objects.get(username="command")
        qs = selectors.problem_list(user=user)[: args.export_rows]
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as fh:
            start = time.perf_counter()
            try:
                from civicloop.problems.exports import export_ledger

                figures["real"] = True
            except ImportError:
                export_ledger = _standin_export
            figures["rows"] = export_ledger(qs, fh)
            fh.flush()
            figures["seconds"] = time.perf_counter() - start
            figures["bytes"] = os.path.getsize(fh.name)
    else:
        from civicloop.problems.models import Problem

        Problem.objects.exists()  # connect, load models: what every export pays anyway
    print(json.dumps({**figures, **peak_rss_mib()}))


def _standin_export(queryset, fileobj) -> int:
    """Clearly a stand-in: a write-only openpyxl workbook fed by a values iterator."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("问题台账")
    fields = (
        "number",
        "source",
        "category__name",
        "address",
        "responsible_unit__name",
        "dispatched_at",
        "due_at",
        "status",
        "rework_count",
    )
    count = 0
    for row in queryset.values_list(*fields).iterator(chunk_size=2000):
        ws.append([v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row])
        count += 1
    wb.save(fileobj)
    return count


def main(argv=None) -> None:
    args = _args(argv)
    if args.export_child:
        setup_django(args)
        export_child(args)
        return
    must_seed = prepare_database(args)
    setup_django(args)
    from django.db import connection

    from bench.harness import Report

    report = Report(
        f"Ledger benchmark — {args.db}, {args.problems:,} problems, "
        f"city '{args.city}', {os.cpu_count()} CPUs"
    )
    meta = {
        "args": vars(args),
        "started": datetime.now().isoformat(),
        "database": connection.vendor,
    }
    if must_seed:
        meta["seed"] = seed(args, report)
    else:
        print(f"reusing the seeded database (maintained in {maintain():.1f} s)", flush=True)
    for name, step in (
        ("transitions", bench_transitions),
        ("list", bench_list),
        ("kpi", bench_kpi),
        ("export", bench_export),
        ("sweep", bench_sweep),
    ):
        if args.only and name not in args.only:
            continue
        t = time.perf_counter()
        step(args, report)
        print(f"  [{name} done in {time.perf_counter() - t:.1f} s]", flush=True)
    report.print()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = ROOT / "bench" / "results" / f"ledger-{args.db}-{args.problems}-{stamp}.json"
    report.save(out, meta=meta)
    print(f"results: {out}")


if __name__ == "__main__":
    main()
