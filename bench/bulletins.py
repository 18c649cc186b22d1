"""Bulletin benchmark: a DOCX bulletin with 50 photos (25 typical problems × before/after),
a 500-object ranking and 200 overdue problems, next to a bare python-docx baseline measured
in the same run (the same pictures and a plain table, no official-document formatting).
Not a test; prints figures.

    .venv/bin/python bench/bulletins.py              # thumbnails (320 px) and originals
    .venv/bin/python bench/bulletins.py --repeat 5 --objects 500 --photos 50

No database: the content is built in memory exactly as `build_content` returns it from a
published snapshot, so the figures are the renderers' own cost.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from docx import Document  # noqa: E402
from docx.shared import Mm  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from bench.harness import peak_python_memory, time_calls  # noqa: E402
from civicloop.bulletins.content import BulletinContent, TypicalProblem  # noqa: E402
from civicloop.bulletins.renderers.docx import render_docx  # noqa: E402
from civicloop.bulletins.renderers.xlsx import render_xlsx  # noqa: E402

COMPONENTS = [
    ("inspection_rate", "实地检查得分率", "weighted"),
    ("ledger_on_time_rate", "问题按期整改率", "weighted"),
    ("ledger_rework_rate", "整改返工率", "weighted"),
    ("city_found_deduction", "市级督查发现问题扣分", "additive"),
    ("manual_adjustment", "手工加减分", "additive"),
]


def photo(rng: random.Random, size: tuple[int, int]) -> bytes:
    """A distinct JPEG (python-docx de-duplicates identical images by hash)."""
    img = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle(
            [x, y, x + size[0] // 8, y + size[1] // 8],
            fill=tuple(rng.randrange(256) for _ in range(3)),
        )
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def content(objects: int, photos: int, overdue: int, size: tuple[int, int]) -> BulletinContent:
    rng = random.Random(1)
    rows = []
    for i in range(objects):
        score = round(100 - i * 60 / max(objects, 1), 2)
        rows.append(
            {
                "position": i + 1,
                "obj_id": i + 1,
                "name": f"第{i + 1}街道办事处",
                "rank": i + 1,
                "score": f"{score:.2f}",
                "weighted_score": f"{score:.2f}",
                "adjustment": "0.00",
                "grade": "A" if score >= 90 else "B" if score >= 75 else "C",
                "previous_rank": i + 1 + rng.randint(-3, 3) if i else None,
                "rank_delta": rng.randint(-3, 3) if i else None,
                "score_delta": "1.50",
                "on_red_list": i < 3,
                "on_black_list": i >= objects - 3,
                "red_flag": i == 0,
                "accountability": i >= objects - 2,
                "breakdown": [
                    {
                        "key": k,
                        "label": label,
                        "mode": mode,
                        "weight": "1",
                        "applicable": True,
                        "points": "88.00",
                        "effective_weight": "0.25",
                        "contribution": "22.00",
                        "detail": {},
                    }
                    for k, label, mode in COMPONENTS
                ],
            }
        )
    problems = [
        {
            "id": n,
            "number": f"WT-2026-{n:06d}",
            "title": "背街小巷暴露垃圾未及时清运，影响市容环境",
            "category": "暴露垃圾",
            "unit": f"第{n % 40 + 1}街道办事处",
            "area": "东华社区第一网格",
            "address": "东华路",
            "due_at": "2026-11-10T17:30:00+08:00",
            "escalation_level": 1,
            "obj_id": n % 40 + 1,
            "object": f"第{n % 40 + 1}街道办事处",
        }
        for n in range(overdue)
    ]
    typical = [
        TypicalProblem(
            number=f"WT-2026-{n:06d}",
            title=f"典型问题{n + 1}：农贸市场周边占道经营",
            unit=f"第{n + 1}街道办事处",
            area="东华农贸市场",
            description="督查发现市场周边占道经营、垃圾乱堆，经督办已整改到位。",
            before=photo(rng, size),
            after=photo(rng, size),
        )
        for n in range(photos // 2)
    ]
    names = [
        {"obj_id": r["obj_id"], "name": r["name"], "rank": r["rank"], "score": r["score"]}
        for r in rows
    ]
    return BulletinContent(
        issuer="示范市创建全国文明城市工作指挥部办公室",
        doc_number="示范创城办〔2026〕12号",
        title="关于2026年第46周街道周考核考核结果的通报",
        addressee="各区、各有关单位：",
        signed_on=date(2026, 11, 22),
        scheme_name="街道周考核",
        period_label="2026年第46周",
        start_date="2026-11-09",
        end_date="2026-11-15",
        group_noun="街道（乡镇）",
        version=1,
        correction_reason="",
        settings={
            "name": "街道周考核",
            "accountability_periods": 3,
            "accountability_bottom_n": 3,
            "components": [
                {"key": k, "label": label, "weight": "1", "params": {}}
                for k, label, _ in COMPONENTS
            ],
        },
        rows=rows,
        red_list=names[:3],
        black_list=names[-3:],
        red_flag=names[:1],
        accountability=names[-2:],
        overdue=problems,
        typical=typical,
    )


def baseline(c: BulletinContent) -> bytes:
    """Bare python-docx: the same pictures and a plain ranking table, no formatting."""
    doc = Document()
    doc.add_paragraph(c.title)
    table = doc.add_table(rows=1, cols=5)
    for r in c.rows:
        cells = table.add_row().cells
        for cell, text in zip(
            cells, (str(r["rank"]), r["name"], r["score"], r["grade"], ""), strict=True
        ):
            cell.text = text
    for t in c.typical:
        for data in (t.before, t.after):
            doc.add_picture(io.BytesIO(data), width=Mm(72))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--objects", type=int, default=500)
    ap.add_argument("--photos", type=int, default=50)
    ap.add_argument("--overdue", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    print(
        f"DOCX bulletin: {args.objects} objects, {args.overdue} overdue problems, "
        f"{args.photos} photos\n"
    )
    print(
        "| variant | photo size | DOCX p50 (s) | bare python-docx p50 (s) | ratio | "
        "DOCX MiB | peak Python MiB | XLSX p50 (s) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, size in (("thumbnails", (320, 240)), ("originals", (1600, 1200))):
        c = content(args.objects, args.photos, args.overdue, size)
        docx_t = time_calls("docx", lambda c=c: render_docx(c), repeat=args.repeat, warmup=1)
        base_t = time_calls("bare", lambda c=c: baseline(c), repeat=args.repeat, warmup=1)
        xlsx_t = time_calls("xlsx", lambda c=c: render_xlsx(c), repeat=args.repeat, warmup=1)
        peak, (data, count) = peak_python_memory(lambda c=c: render_docx(c))
        assert count == args.photos, count
        print(
            f"| {label} | {size[0]}×{size[1]} | {docx_t.p50 / 1000:.2f} | "
            f"{base_t.p50 / 1000:.2f} | {docx_t.p50 / base_t.p50:.2f} | "
            f"{len(data) / 2**20:.1f} | {peak:.0f} | {xlsx_t.p50 / 1000:.2f} |"
        )


if __name__ == "__main__":
    main()
