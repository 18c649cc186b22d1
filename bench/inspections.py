"""Inspections benchmark (issue 4): a round of 2 000 sampled points × 30 check items.

Measures, in one run on one machine (DESIGN.md §10):
- drawing the sample (round_draw_sample: quotas → 2 000 SamplePoint rows + team split);
- saving all 30 answers of one inspection, and submitting one inspection (p50/p95 over
  --submissions submissions, ~10 % failed items, each failure opening and dispatching a
  problem through the ledger's services);
- every roll-up of the round (area by district / street, unit, point type, indicator,
  round total, progress per team) next to its bare SQL, ratio target ≤ 2×.

    .venv/bin/python bench/inspections.py --db sqlite
    .venv/bin/python bench/inspections.py --db postgres     # database civicloop_bench_insp

The remaining inspections are written in bulk (rows with the totals the service would
store) so that the roll-ups run over 2 000 submitted inspections × 30 results.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = "postgresql://civicloop:civicloop@127.0.0.1:5432/postgres"
PG_DB = "civicloop_bench_insp"
SQLITE_PATH = "/tmp/civicloop_bench_insp.sqlite3"


def _args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--city", default="medium", help="demo city size (5 000 points)")
    ap.add_argument("--sample", type=int, default=2000)
    ap.add_argument("--items", type=int, default=30)
    ap.add_argument("--submissions", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=20, help="repetitions of each roll-up")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    return ap.parse_args(argv)


def prepare(args) -> None:
    if args.db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
    else:
        import psycopg

        with psycopg.connect(args.pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DB}"')
        os.environ["DATABASE_URL"] = args.pg_admin_url.rsplit("/", 1)[0] + f"/{PG_DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="civicloop_bench_media_"))
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- Seeding ------------------------------------------------------------------------------


def seed_world(args):
    """Demo city, an index system with one standard per item slot, 30 items per type."""
    from django.core.management import call_command

    from civicloop.core import trees
    from civicloop.demo.builder import build_city
    from civicloop.standards.models import (
        Category,
        CheckItem,
        IndexSystem,
        IndexSystemKind,
        Indicator,
        IndicatorLevel,
        JudgeMode,
    )

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    city = build_city(args.city, args.seed)
    print(f"city '{args.city}': {city.point_count} points in {time.perf_counter() - t0:.1f} s")
    system = IndexSystem.objects.create(
        name="基准体系", code="BENCH", kind=IndexSystemKind.LOCAL, version="1"
    )
    top = Indicator.objects.create(system=system, level=IndicatorLevel.ITEM, code="1", text="实地")
    trees.assign_path(top)
    standards = []
    for k in range(args.items):
        ind = Indicator.objects.create(
            system=system,
            level=IndicatorLevel.STANDARD,
            code=f"1.{k + 1}",
            text=f"标准{k + 1}",
            parent=top,
            weight=Decimal("1.5"),
        )
        trees.assign_path(ind)
        standards.append(ind)
    categories = list(Category.objects.filter(parent__isnull=False).order_by("code")[:10])
    modes = [JudgeMode.PASS_FAIL, JudgeMode.DEDUCTION, JudgeMode.COUNT]
    rows = []
    for pt in city.point_types.values():
        for k in range(args.items):
            mode = modes[k % 3]
            rows.append(
                CheckItem(
                    point_type=pt,
                    indicator=standards[k],
                    code=f"{pt.code}-{k + 1:02d}",
                    text=f"{pt.name}检查项{k + 1}",
                    judge_mode=mode,
                    max_score=Decimal(2 + k % 4),
                    deduction_per_count=Decimal("0.5") if mode == JudgeMode.COUNT else None,
                    is_critical=k == 0,
                    category=categories[k % len(categories)],
                    sort_order=k,
                )
            )
    CheckItem.objects.bulk_create(rows, batch_size=1000)
    return city


def make_round(args, command, inspectors):
    from civicloop.inspections import services
    from civicloop.inspections.models import RoundKind
    from civicloop.orgs.models import Area, AreaLevel

    city_area = Area.objects.get(level=AreaLevel.CITY)
    districts = Area.objects.filter(level=AreaLevel.DISTRICT).count()
    r = services.round_create(
        user=command,
        kind=RoundKind.MOCK_EVALUATION,
        title="基准模拟测评",
        start_date=date(2026, 5, 4),
        end_date=date(2026, 5, 10),
        areas=[city_area],
        seed=args.seed,
    )
    for n, group in enumerate(inspectors):
        services.team_create(user=command, round_=r, name=f"第{n + 1}组", inspectors=group)
    per = -(-args.sample // districts)  # ceil
    services.round_set_quotas(
        user=command,
        round_=r,
        quotas=[services.QuotaInput(count=per, per_level=AreaLevel.DISTRICT)],
    )
    return r


def answers_for(items, rng):
    """~10 % failures, ~5 % not applicable, the rest pass."""
    from civicloop.inspections.models import ItemOutcome
    from civicloop.inspections.services import ItemAnswer
    from civicloop.standards.models import JudgeMode

    out = []
    for it in items:
        x = rng.random()
        if x < 0.10 and not it.is_critical:
            kw = {}
            if it.judge_mode == JudgeMode.DEDUCTION:
                kw["deduction"] = Decimal(1)
            elif it.judge_mode == JudgeMode.COUNT:
                kw["count"] = rng.randint(1, 4)
            out.append(ItemAnswer(it.pk, ItemOutcome.FAIL, **kw))
        elif x < 0.15:
            out.append(ItemAnswer(it.pk, ItemOutcome.NOT_APPLICABLE))
        else:
            out.append(ItemAnswer(it.pk, ItemOutcome.PASS))
    return out


def bulk_fill(round_, samples, inspector, rng) -> None:
    """Submitted inspections written directly (seeding only, not measured)."""
    from django.db import transaction
    from django.utils import timezone

    from civicloop.inspections import scoring
    from civicloop.inspections.models import (
        Inspection,
        InspectionStatus,
        ItemOutcome,
        ItemResult,
    )
    from civicloop.standards.models import CheckItem

    items_by_type: dict[int, list] = {}
    for it in CheckItem.objects.order_by("sort_order"):
        items_by_type.setdefault(it.point_type_id, []).append(it)
    now = timezone.now()
    for start in range(0, len(samples), 200):
        chunk = samples[start : start + 200]
        with transaction.atomic():
            inspections, results = [], []
            for s in chunk:
                p = s.point
                items = items_by_type.get(p.point_type_id, [])
                rows = []
                for a, it in zip(answers_for(items, rng), items, strict=True):
                    d, earned, count = scoring.item_score(
                        judge_mode=it.judge_mode,
                        item_max=it.max_score,
                        deduction_per_count=it.deduction_per_count,
                        outcome=a.outcome,
                        deduction=a.deduction,
                        count=a.count,
                    )
                    rows.append(
                        ItemResult(
                            check_item=it,
                            indicator_id=it.indicator_id,
                            category_id=it.category_id,
                            code=it.code,
                            text=it.text,
                            judge_mode=it.judge_mode,
                            item_max=it.max_score,
                            deduction_per_count=it.deduction_per_count,
                            is_critical=it.is_critical,
                            outcome=a.outcome,
                            deduction=d,
                            count=count,
                            earned=earned,
                        )
                    )
                app = [r for r in rows if r.outcome != ItemOutcome.NOT_APPLICABLE]
                earned = sum((r.earned for r in app), Decimal(0))
                maximum = sum((r.item_max for r in app), Decimal(0))
                failed = [r for r in rows if r.outcome == ItemOutcome.FAIL]
                crit = any(r.is_critical for r in failed)
                inspections.append(
                    Inspection(
                        round=round_,
                        sample=s,
                        point=p,
                        point_type_id=p.point_type_id,
                        area_id=p.area_id,
                        area_path=p.area.path,
                        unit_id=p.responsible_unit_id,
                        inspector=inspector,
                        status=InspectionStatus.SUBMITTED,
                        started_at=now,
                        submitted_at=now,
                        earned=earned,
                        max_score=maximum,
                        rate=scoring.rate_of(earned, maximum),
                        passed=not crit,
                        failed_count=len(failed),
                        critical_failed=crit,
                    )
                )
                results.append(rows)
            Inspection.objects.bulk_create(inspections)
            for insp, rows in zip(inspections, results, strict=True):
                for r in rows:
                    r.inspection = insp
            ItemResult.objects.bulk_create([r for rows in results for r in rows], batch_size=2000)


# --- Raw SQL baselines ----------------------------------------------------------------------

AGG = (
    "COUNT(*), SUM(i.earned), SUM(i.max_score), SUM(i.rate), COUNT(i.rate), "
    "SUM(CASE WHEN i.passed THEN 1 ELSE 0 END), SUM(i.failed_count)"
)


def raw(sql: str, params: list):
    from django.db import connection

    def run():
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    return run


def raw_area(round_id: int, level: str):
    return raw(
        f"SELECT a.id, {AGG} FROM orgs_area a JOIN inspections_inspection i "
        "ON i.area_path LIKE a.path || '%%' "
        "WHERE a.level = %s AND i.round_id = %s AND i.status = 'submitted' GROUP BY a.id",
        [level, round_id],
    )


# The table whose names the roll-up returns with its groups (same output as the ORM's).
RAW_NAMES = {
    "unit_id": ("orgs_unit", "n.name, n.short_name, n.code, n.path, n.kind"),
    "point_type_id": ("orgs_pointtype", 'n.name, n.code, n."group", n.sort_order'),
}


def raw_group(round_id: int, column: str):
    if column not in RAW_NAMES:
        return raw(
            f"SELECT i.{column}, {AGG} FROM inspections_inspection i "
            f"WHERE i.round_id = %s AND i.status = 'submitted' GROUP BY i.{column}",
            [round_id],
        )
    table, names = RAW_NAMES[column]
    return raw(
        f"SELECT i.{column}, {names}, {AGG} FROM inspections_inspection i "
        f"JOIN {table} n ON n.id = i.{column} "
        f"WHERE i.round_id = %s AND i.status = 'submitted' GROUP BY i.{column}, {names}",
        [round_id],
    )


def raw_indicator(round_id: int):
    return raw(
        "SELECT r.indicator_id, COUNT(*), SUM(CASE WHEN r.outcome = 'fail' THEN 1 ELSE 0 END), "
        "AVG(CAST(r.earned AS DOUBLE PRECISION) / CAST(r.item_max AS DOUBLE PRECISION)) "
        "FROM inspections_itemresult r JOIN inspections_inspection i ON r.inspection_id = i.id "
        "WHERE i.round_id = %s AND i.status = 'submitted' AND r.indicator_id IS NOT NULL "
        "AND r.outcome <> 'not_applicable' GROUP BY r.indicator_id",
        [round_id],
    )


def raw_progress(round_id: int):
    return raw(
        "SELECT s.team_id, COUNT(*), "
        "SUM(CASE WHEN i.status = 'submitted' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN i.status = 'draft' THEN 1 ELSE 0 END) "
        "FROM inspections_samplepoint s LEFT JOIN inspections_inspection i ON i.sample_id = s.id "
        "WHERE s.round_id = %s GROUP BY s.team_id",
        [round_id],
    )


def raw_total(round_id: int):
    return raw(
        f"SELECT {AGG} FROM inspections_inspection i "
        "WHERE i.round_id = %s AND i.status = 'submitted'",
        [round_id],
    )


# --- Main -------------------------------------------------------------------------------------


def main(argv=None) -> None:
    args = _args(argv)
    prepare(args)
    from django.db import connection

    from bench.harness import Report, time_calls
    from civicloop.accounts.models import User
    from civicloop.inspections import scoring, selectors, services
    from civicloop.inspections.models import SamplePoint
    from civicloop.orgs.models import AreaLevel

    city = seed_world(args)
    report = Report(
        f"Inspections benchmark — {connection.vendor}, {args.sample} points × {args.items} "
        f"items, city '{args.city}' ({city.point_count} points), {os.cpu_count()} CPUs"
    )
    command = User.objects.get(username="command")
    inspectors = list(User.objects.filter(memberships__role="inspector").distinct()[:4])
    groups = [inspectors[i::2] for i in range(2)] if len(inspectors) >= 2 else [inspectors]
    r = make_round(args, command, groups)

    # 1. Drawing the sample (a redraw in draft is the same work).
    draw = time_calls(
        "draw", lambda: services.round_draw_sample(user=command, round_=r), repeat=5, warmup=1
    )
    size = r.samples.count()
    report.add(
        "draw sample (round_draw_sample)",
        draw.p50,
        "ms",
        note=f"{size} points, p95 {draw.p95:.0f} ms",
    )
    services.round_publish(user=command, round_=r)

    samples = list(
        SamplePoint.objects.filter(round=r).select_related("point__area").order_by("position")
    )
    rng = random.Random(args.seed)
    timed, rest = samples[: args.submissions], samples[args.submissions :]
    from civicloop.inspections.services import applicable_items
    from civicloop.problems.models import Problem

    save_ms, submit_ms = [], []
    before = Problem.objects.count()
    for s in timed:
        i = services.inspection_start(user=command, sample=s)
        items = list(applicable_items(r, s.point.point_type_id))
        answers = answers_for(items, rng)
        t = time.perf_counter()
        services.inspection_save(user=command, inspection=i, answers=answers)
        save_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        services.inspection_submit(user=command, inspection=i)
        submit_ms.append((time.perf_counter() - t) * 1000)
    opened = Problem.objects.count() - before

    def pct(values, q):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    report.add(
        "save 30 answers (draft) p50",
        pct(save_ms, 0.5),
        "ms",
        note=f"p95 {pct(save_ms, 0.95):.1f} ms",
    )
    report.add(
        "submit one inspection p50",
        pct(submit_ms, 0.5),
        "ms",
        note=f"p95 {pct(submit_ms, 0.95):.1f} ms; {opened} problems opened+dispatched "
        f"over {len(timed)} submissions",
    )
    report.add("submit one inspection p95", pct(submit_ms, 0.95), "ms")

    t = time.perf_counter()
    bulk_fill(r, rest, command, rng)
    print(f"bulk-filled {len(rest)} inspections in {time.perf_counter() - t:.1f} s")

    # 3. Roll-ups vs bare SQL.
    cases = [
        (
            "area roll-up: districts",
            lambda: scoring.area_rollup(r, level=AreaLevel.DISTRICT),
            raw_area(r.pk, AreaLevel.DISTRICT),
        ),
        (
            "area roll-up: streets",
            lambda: scoring.area_rollup(r, level=AreaLevel.STREET),
            raw_area(r.pk, AreaLevel.STREET),
        ),
        ("unit roll-up", lambda: scoring.unit_rollup(r), raw_group(r.pk, "unit_id")),
        (
            "point-type roll-up",
            lambda: scoring.point_type_rollup(r),
            raw_group(r.pk, "point_type_id"),
        ),
        ("indicator roll-up", lambda: scoring.indicator_rollup(r), raw_indicator(r.pk)),
        ("round total", lambda: scoring.round_total(r), raw_total(r.pk)),
        ("progress per team", lambda: selectors.round_progress(r), raw_progress(r.pk)),
    ]
    all_ms = all_raw = 0.0
    for name, fn, base in cases:
        ours = time_calls(name, fn, repeat=args.repeat)
        bare = time_calls(name + " raw", base, repeat=args.repeat)
        all_ms += ours.p50
        all_raw += bare.p50
        report.add(
            name,
            ours.p50,
            "ms",
            baseline=bare.p50,
            target="≤ 2×",
            note=f"raw SQL {bare.p50:.2f} ms",
        )
    report.add("all roll-ups together", all_ms, "ms", baseline=all_raw, target="≤ 2×")
    report.print()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = ROOT / "bench" / "results" / f"inspections-{args.db}-{stamp}.json"
    report.save(out)
    print(f"results: {out}")


if __name__ == "__main__":
    main()
