"""Small benchmark harness: timings with percentiles, peak memory, ratio tables.

Benchmarks are not tests. They print figures and ratios against a baseline measured in the
same run on the same machine, so the numbers mean something on any hardware.
"""

from __future__ import annotations

import json
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Timing:
    name: str
    samples_ms: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples_ms)


def time_calls(name: str, fn: Callable[[], object], *, repeat: int, warmup: int = 2) -> Timing:
    for _ in range(warmup):
        fn()
    timing = Timing(name)
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        timing.samples_ms.append((time.perf_counter() - start) * 1000)
    return timing


def time_in_blocks(
    calls: dict[str, Callable[[], object]], *, repeat: int, blocks: int = 6, warmup: int = 3
) -> dict[str, Timing]:
    """Time several calls in alternating blocks (A×n, B×n, A×n, B×n, …), `repeat` samples
    each in all. The speed of a shared machine drifts during a run (±30 % here); timing
    one call after the other lets the drift fall on whichever ran then, alternating one
    call at a time leaves each call cold after the other (the baseline's code is evicted
    by the list's). Blocks keep each call in its steady state and spread the drift over
    all of them; each block starts with `warmup` untimed calls."""
    timings = {name: Timing(name) for name in calls}
    per_block = max(1, repeat // blocks)
    for _ in range(blocks):
        for name, fn in calls.items():
            for _ in range(warmup):
                fn()
            for _ in range(per_block):
                start = time.perf_counter()
                fn()
                timings[name].samples_ms.append((time.perf_counter() - start) * 1000)
    return timings


def time_once(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def peak_python_memory(fn: Callable[[], object]) -> tuple[float, object]:
    """Peak memory allocated by Python during fn, in MiB (tracemalloc)."""
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / (1024 * 1024), result


class Report:
    def __init__(self, title: str):
        self.title = title
        self.rows: list[dict] = []

    def add(
        self,
        metric: str,
        value: float,
        unit: str,
        *,
        baseline: float | None = None,
        target: str = "",
        note: str = "",
        met: bool | None = None,
    ) -> None:
        """One figure; `met` says whether it meets `target` (None: no target)."""
        ratio = (value / baseline) if baseline else None
        self.rows.append(
            {
                "metric": metric,
                "value": value,
                "unit": unit,
                "ratio": ratio,
                "target": target,
                "met": met,
                "note": note,
            }
        )

    def markdown(self) -> str:
        lines = [
            f"## {self.title}",
            "",
            "| metric | value | ratio to baseline | target | note |",
            "|---|---|---|---|---|",
        ]
        for r in self.rows:
            ratio = f"{r['ratio']:.2f}×" if r["ratio"] is not None else ""
            verdict = {True: " ✅", False: " ❌", None: ""}[r.get("met")]
            lines.append(
                f"| {r['metric']} | {_fmt(r['value'])} {r['unit']} | {ratio} "
                f"| {r['target']}{verdict} | {r['note']} |"
            )
        return "\n".join(lines)

    def print(self) -> None:
        print("\n" + self.markdown() + "\n", flush=True)

    def save(self, path: Path, **extra) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {"title": self.title, "rows": self.rows, **extra},
                ensure_ascii=False,
                indent=2,
                default=str,
            )
        )


def _fmt(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def peak_rss_mib() -> dict[str, float]:
    """This process's peak resident memory: VmHWM from /proc (Linux) and ru_maxrss."""
    import resource

    figures = {"ru_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                figures["vmhwm_mib"] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return figures


def timing_dict(t: Timing) -> dict:
    return asdict(t) | {"p50": t.p50, "p95": t.p95}
