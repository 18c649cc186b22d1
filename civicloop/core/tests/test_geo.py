"""Coordinate conversion and boundary geometry (civicloop.core.geo) against reference values."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicloop.core import geo
from civicloop.core.errors import ValidationFailed

# Published reference values of two widely copied implementations. Both use the same
# Krasovsky-ellipsoid GCJ-02 and the usual BD-09 formula, so the forward transforms must
# match to floating-point noise. (Later eviltransform versions switched to the WGS-84
# semi-major axis and publish different BD-09 vectors; those are not used here.)
#   wandergis/coordtransform test/app.js, input (116.404, 39.915):
COORDTRANSFORM_INPUT = (116.404, 39.915)
COORDTRANSFORM_WGS_TO_GCJ = (116.41024449916938, 39.91640428150164)
COORDTRANSFORM_GCJ_TO_BD = (116.41036949371029, 39.92133699351021)
COORDTRANSFORM_BD_TO_GCJ = (116.39762729119315, 39.90865673957631)
# coordtransform's gcj02towgs84 is the one-step approximation; ours iterates to the exact
# inverse, so the two agree only to a few 1e-7°.
COORDTRANSFORM_GCJ_TO_WGS_APPROX = (116.39775550083061, 39.91359571849836)
#   googollee/eviltransform test vectors (lat/lng reordered to lng, lat): WGS-84 → GCJ-02.
EVILTRANSFORM = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
]

EPS = 1e-9


def close(a, b, tol=EPS):
    return abs(a[0] - b[0]) < tol and abs(a[1] - b[1]) < tol


def test_wgs84_to_gcj02_matches_coordtransform():
    assert close(geo.wgs84_to_gcj02(*COORDTRANSFORM_INPUT), COORDTRANSFORM_WGS_TO_GCJ)


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_eviltransform(wgs, gcj):
    assert close(geo.wgs84_to_gcj02(*wgs), gcj)


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM)
def test_gcj02_to_wgs84_is_the_exact_inverse(wgs, gcj):
    assert close(geo.gcj02_to_wgs84(*gcj), wgs, 1e-8)


def test_gcj02_to_wgs84_close_to_the_common_approximation():
    exact = geo.gcj02_to_wgs84(*COORDTRANSFORM_INPUT)
    assert close(exact, COORDTRANSFORM_GCJ_TO_WGS_APPROX, 1e-6)
    assert close(geo.wgs84_to_gcj02(*exact), COORDTRANSFORM_INPUT)  # ...but exact


def test_bd09_matches_coordtransform():
    assert close(geo.gcj02_to_bd09(*COORDTRANSFORM_INPUT), COORDTRANSFORM_GCJ_TO_BD)
    # The published inverse is the closed-form approximation (error up to ~2e-6°); ours
    # refines it to the exact inverse of the forward transform.
    gcj = geo.bd09_to_gcj02(*COORDTRANSFORM_INPUT)
    assert close(gcj, COORDTRANSFORM_BD_TO_GCJ, 1e-6)
    assert close(geo.gcj02_to_bd09(*gcj), COORDTRANSFORM_INPUT)


def test_offsets_are_the_expected_few_hundred_metres():
    # Sanity on magnitude: in Beijing GCJ-02 is ~600 m east-north-east of WGS-84.
    wgs = (116.391275, 39.907105)  # Tiananmen Square area
    gcj = geo.wgs84_to_gcj02(*wgs)
    assert 0.005 < gcj[0] - wgs[0] < 0.008
    assert 0.001 < gcj[1] - wgs[1] < 0.002


def test_to_and_from_wgs84_dispatch_by_system():
    wgs = EVILTRANSFORM[2][0]
    gcj = EVILTRANSFORM[2][1]
    bd = geo.gcj02_to_bd09(*gcj)
    assert geo.from_wgs84(*wgs, geo.WGS84) == wgs
    assert close(geo.from_wgs84(*wgs, geo.GCJ02), gcj)
    assert close(geo.from_wgs84(*wgs, geo.BD09), bd)
    assert geo.to_wgs84(*wgs) == wgs
    assert close(geo.to_wgs84(*gcj, geo.GCJ02), wgs, 1e-8)
    assert close(geo.to_wgs84(*bd, geo.BD09), wgs, 1e-8)


china = st.tuples(
    st.floats(min_value=74.0, max_value=134.5), st.floats(min_value=18.0, max_value=53.0)
)


@given(point=china, system=st.sampled_from([geo.GCJ02, geo.BD09]))
def test_round_trip_accuracy(point, system):
    back = geo.to_wgs84(*geo.from_wgs84(*point, system), system)
    assert close(back, point, 1e-6)


@given(point=china)
def test_bd09_gcj02_round_trip(point):
    assert close(geo.bd09_to_gcj02(*geo.gcj02_to_bd09(*point)), point, 1e-6)


@pytest.mark.parametrize(
    "point",
    [(2.3522, 48.8566), (-74.006, 40.7128), (139.6917, 35.6895), (151.2093, -33.8688), (0, 0)],
)
def test_out_of_china_unchanged(point):
    assert geo.out_of_china(*point)
    assert geo.wgs84_to_gcj02(*point) == point
    assert geo.gcj02_to_wgs84(*point) == point
    assert geo.to_wgs84(*point, geo.GCJ02) == point


@pytest.mark.parametrize(
    ("lng", "lat", "system"),
    [
        (181, 30, geo.WGS84),
        (116, -91, geo.GCJ02),
        (math.nan, 30, geo.WGS84),
        (116, math.inf, geo.BD09),
        (116, 39, "cgcs2000"),
        (None, 39, geo.WGS84),
        ("abc", 39, geo.WGS84),
    ],
)
def test_invalid_input_raises_validation_failed(lng, lat, system):
    with pytest.raises(ValidationFailed):
        geo.to_wgs84(lng, lat, system)


def test_from_wgs84_rejects_unknown_system():
    with pytest.raises(ValidationFailed):
        geo.from_wgs84(116.4, 39.9, "cgcs2000")


def test_numeric_strings_are_accepted():
    # Form and CSV input arrive as text.
    assert geo.to_wgs84("116.4", "39.9") == (116.4, 39.9)


# --- Geometry --------------------------------------------------------------------------

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[117.0, 36.0], [117.1, 36.0], [117.1, 36.1], [117.0, 36.1], [117.0, 36.0]]],
}
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[117.0, 36.0], [117.1, 36.1], [117.1, 36.0], [117.0, 36.1], [117.0, 36.0]]],
}


def test_normalise_geometry_accepts_polygon_feature_and_collection():
    assert geo.normalise_geometry(SQUARE) == SQUARE
    feature = {"type": "Feature", "properties": {"name": "x"}, "geometry": SQUARE}
    assert geo.normalise_geometry(feature) == SQUARE
    collection = {"type": "FeatureCollection", "features": [feature]}
    assert geo.normalise_geometry(collection) == SQUARE
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]}
    assert geo.normalise_geometry(multi) == multi


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "Point", "coordinates": [117.0, 36.0]},
        {"type": "LineString", "coordinates": [[117.0, 36.0], [117.1, 36.1]]},
        {"type": "Feature", "geometry": None},
        {"type": "FeatureCollection", "features": []},
        {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": SQUARE}] * 2},
        {"type": "FeatureCollection", "features": ["nonsense"]},
        {"type": "Polygon", "coordinates": [[[117.0, 36.0], [117.1, 36.0]]]},
        {"type": "Polygon", "coordinates": "nonsense"},
        {"type": "Polygon", "coordinates": []},
        "not a dict",
    ],
)
def test_normalise_geometry_rejects_non_polygons(bad):
    with pytest.raises(ValidationFailed) as exc:
        geo.normalise_geometry(bad)
    assert exc.value.message.startswith("边界")


def test_normalise_geometry_rejects_self_intersection_with_chinese_reason():
    with pytest.raises(ValidationFailed) as exc:
        geo.normalise_geometry(BOWTIE)
    assert exc.value.message.startswith("边界图形无效")
    assert "自相交" in exc.value.message


def test_bbox_and_contains():
    assert geo.geometry_bbox(SQUARE) == (117.0, 36.0, 117.1, 36.1)
    assert geo.contains(1, "v1", SQUARE, 117.05, 36.05)
    assert geo.contains(1, "v1", SQUARE, 117.0, 36.05)  # on the boundary counts
    assert not geo.contains(1, "v1", SQUARE, 117.2, 36.05)
