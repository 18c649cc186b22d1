"""Nested boundaries for the demo city: recursive rectangle subdivision with jitter.

A parent rectangle is cut into horizontal strips and each strip into cells, with cut
positions jittered so the cells differ in size. Children tile their parent exactly, and
neighbours share the very same (rounded) coordinates, so boundaries nest without gaps
or overlaps, and a point drawn inside a grid cell lies inside every ancestor too.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

DECIMALS = 6  # ~0.1 m: plenty for a demo, and keeps the stored GeoJSON short


@dataclass(frozen=True)
class Rect:
    min_lng: float
    min_lat: float
    max_lng: float
    max_lat: float

    @property
    def width(self) -> float:
        return self.max_lng - self.min_lng

    @property
    def height(self) -> float:
        return self.max_lat - self.min_lat

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.min_lng + self.max_lng) / 2, (self.min_lat + self.max_lat) / 2)

    def polygon(self) -> dict:
        """GeoJSON Polygon, counter-clockwise exterior ring (RFC 7946)."""
        a, b, c, d = self.min_lng, self.min_lat, self.max_lng, self.max_lat
        return {"type": "Polygon", "coordinates": [[[a, b], [c, b], [c, d], [a, d], [a, b]]]}

    def random_point(self, rng: random.Random, margin: float = 0.06) -> tuple[float, float]:
        """A point strictly inside, away from the border by `margin` of each side."""
        lng = self.min_lng + self.width * rng.uniform(margin, 1 - margin)
        lat = self.min_lat + self.height * rng.uniform(margin, 1 - margin)
        return round(lng, DECIMALS), round(lat, DECIMALS)


def city_rect(centre: tuple[float, float], extent: float) -> Rect:
    """A city `extent` degrees of longitude wide, roughly square on the ground."""
    lng, lat = centre
    # A degree of longitude is shorter than a degree of latitude by cos(lat).
    height = extent * math.cos(math.radians(lat)) * 0.85
    return Rect(
        round(lng - extent / 2, DECIMALS),
        round(lat - height / 2, DECIMALS),
        round(lng + extent / 2, DECIMALS),
        round(lat + height / 2, DECIMALS),
    )


def _cuts(start: float, end: float, parts: int, rng: random.Random, jitter: float) -> list[float]:
    """parts+1 ascending positions from start to end; inner ones jittered and rounded."""
    weights = [1 + rng.uniform(-jitter, jitter) for _ in range(parts)]
    total = sum(weights)
    positions = [start]
    acc = 0.0
    for w in weights[:-1]:
        acc += w
        positions.append(round(start + (end - start) * acc / total, DECIMALS))
    positions.append(end)
    return positions


def subdivide(rect: Rect, count: int, rng: random.Random, jitter: float = 0.3) -> list[Rect]:
    """Cut `rect` into `count` cells (rows north→south, cells west→east)."""
    if count < 1:
        raise ValueError("count must be positive")
    # Choose rows so cells come out roughly square on the ground.
    aspect = rect.height / (rect.width * math.cos(math.radians(rect.centre[1])))
    rows = max(1, min(count, round(math.sqrt(count * aspect))))
    per_row = [count // rows] * rows
    for i in rng.sample(range(rows), count % rows):
        per_row[i] += 1
    lats = _cuts(rect.min_lat, rect.max_lat, rows, rng, jitter)
    cells: list[Rect] = []
    for row in reversed(range(rows)):  # north first, like reading a map
        lngs = _cuts(rect.min_lng, rect.max_lng, per_row[row], rng, jitter)
        cells += [Rect(lngs[i], lats[row], lngs[i + 1], lats[row + 1]) for i in range(per_row[row])]
    return cells
