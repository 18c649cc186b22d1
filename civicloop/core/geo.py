"""Coordinates and geometry.

Chinese map apps deliver GCJ-02 (AMap/Tencent, "火星坐标") or BD-09 (Baidu). We store
WGS-84 and convert on input. GCJ-02 has no closed-form inverse, so WGS-84 is recovered by
fixed-point iteration on the forward transform (converges to < 1e-7° in a few steps).
Outside mainland China the offset is not applied, by definition of the datum.
"""

from __future__ import annotations

import math
from functools import lru_cache

from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import shape
from shapely.validation import explain_validity

from civicloop.core.errors import ValidationFailed

WGS84, GCJ02, BD09 = "wgs84", "gcj02", "bd09"
COORD_SYSTEMS = {WGS84: "WGS-84（GPS）", GCJ02: "GCJ-02（高德/腾讯）", BD09: "BD-09（百度）"}

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def out_of_china(lng: float, lat: float) -> bool:
    return not (73.66 < lng < 135.05 and 3.86 < lat < 53.55)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    if out_of_china(lng, lat):
        return lng, lat
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    if out_of_china(lng, lat):
        return lng, lat
    wlng, wlat = lng, lat
    for _ in range(30):
        glng, glat = wgs84_to_gcj02(wlng, wlat)
        dlng, dlat = glng - lng, glat - lat
        wlng, wlat = wlng - dlng, wlat - dlat
        if abs(dlng) < 1e-9 and abs(dlat) < 1e-9:
            break
    return wlng, wlat


def gcj02_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    # The usual closed-form inverse is off by up to ~2e-6° (0.2 m); refine it by fixed-point
    # iteration on the forward transform so BD-09 → GCJ-02 → BD-09 round-trips exactly.
    x, y = lng - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    glng, glat = z * math.cos(theta), z * math.sin(theta)
    for _ in range(10):
        blng, blat = gcj02_to_bd09(glng, glat)
        dlng, dlat = blng - lng, blat - lat
        glng, glat = glng - dlng, glat - dlat
        if abs(dlng) < 1e-10 and abs(dlat) < 1e-10:
            break
    return glng, glat


def to_wgs84(lng: float, lat: float, system: str = WGS84) -> tuple[float, float]:
    """Convert a coordinate in `system` to WGS-84, validating the range."""
    try:
        lng, lat = float(lng), float(lat)  # form/CSV input arrives as text
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"坐标必须是数字：经度 {lng}，纬度 {lat}") from exc
    if not (math.isfinite(lng) and math.isfinite(lat)) or not (
        -180 <= lng <= 180 and -90 <= lat <= 90
    ):
        raise ValidationFailed(f"坐标超出范围：经度 {lng}，纬度 {lat}")
    if system == WGS84:
        return lng, lat
    if system == GCJ02:
        return gcj02_to_wgs84(lng, lat)
    if system == BD09:
        return gcj02_to_wgs84(*bd09_to_gcj02(lng, lat))
    raise ValidationFailed(f"未知坐标系：{system}（可选 wgs84、gcj02、bd09）")


def from_wgs84(lng: float, lat: float, system: str) -> tuple[float, float]:
    if system == WGS84:
        return lng, lat
    if system not in COORD_SYSTEMS:
        raise ValidationFailed(f"未知坐标系：{system}（可选 wgs84、gcj02、bd09）")
    gcj = wgs84_to_gcj02(lng, lat)
    return gcj02_to_bd09(*gcj) if system == BD09 else gcj


# --- Geometry -------------------------------------------------------------------------


def normalise_geometry(geojson: dict) -> dict:
    """Accept a GeoJSON geometry, Feature or single-feature collection; return a geometry.

    Only Polygon and MultiPolygon make sense as area boundaries; an invalid ring (self
    intersection…) is refused with the reason.
    """
    if not isinstance(geojson, dict):
        raise ValidationFailed("边界必须是 GeoJSON 对象")
    if geojson.get("type") == "FeatureCollection":
        features = geojson.get("features") or []
        if len(features) != 1:
            raise ValidationFailed("边界 FeatureCollection 必须只包含一个要素")
        geojson = features[0]
    if isinstance(geojson, dict) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry") or {}
    if not isinstance(geojson, dict) or geojson.get("type") not in {"Polygon", "MultiPolygon"}:
        raise ValidationFailed("边界必须是 Polygon 或 MultiPolygon 类型的 GeoJSON")
    try:
        geom = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed input
        raise ValidationFailed(f"边界 GeoJSON 格式错误：{exc}") from exc
    if geom.is_empty:
        raise ValidationFailed("边界为空")
    if not geom.is_valid:
        raise ValidationFailed(f"边界图形无效：{_explain_in_chinese(explain_validity(geom))}")
    return {"type": geojson["type"], "coordinates": geojson["coordinates"]}


# GEOS validity reasons (explain_validity prefixes) in the users' language.
_VALIDITY_REASONS = {
    "Ring Self-intersection": "边界线自相交",
    "Self-intersection": "边界线自相交",
    "Too few points": "顶点太少",
    "Hole lies outside shell": "内洞位于外边界之外",
    "Nested holes": "内洞相互嵌套",
    "Interior is disconnected": "图形内部不连通",
    "Nested shells": "外边界相互嵌套",
    "Duplicate Rings": "边界线重复",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "边界线未闭合",
}


def _explain_in_chinese(reason: str) -> str:
    """'Self-intersection[117.05 36.05]' → '边界线自相交（位置 117.05 36.05）'."""
    for prefix, chinese in _VALIDITY_REASONS.items():
        if reason.startswith(prefix):
            where = reason[len(prefix) :].strip("[] ")
            return f"{chinese}（位置 {where}）" if where else chinese
    return reason


def geometry_bbox(geojson: dict) -> tuple[float, float, float, float]:
    return tuple(shape(geojson).bounds)  # (min_lng, min_lat, max_lng, max_lat)


@lru_cache(maxsize=50_000)
def _prepared(area_id: int, updated_marker: str, geojson_key: str):
    import json

    from shapely import prepare

    geom = shape(json.loads(geojson_key))
    prepare(geom)
    return geom


def contains(area_id: int, updated_marker: str, geojson: dict, lng: float, lat: float) -> bool:
    """Point-in-polygon with the prepared geometry cached per area version."""
    import json

    geom = _prepared(area_id, updated_marker, json.dumps(geojson, sort_keys=True))
    return geom.covers(ShapelyPoint(lng, lat))
