"""neonwatch.geo: distances on the sphere, to the coast and to ports, the land mask, routes.

Expected values come from outside the data where possible (the length of a degree, Point Nemo,
harbours and beaches whose positions are well known); the nearest-coast search is also checked
against brute force over the shipped coastline.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from neonwatch.geo import (
    crosses_land,
    haversine_m,
    land_mask,
    nearest_port,
    port_distance_km,
    ports,
    reference,
    sea_route,
    shore_distance_km,
)
from neonwatch.geo.shore import SHORE_EXACT_KM
from neonwatch.geo.sphere import EARTH_RADIUS_KM, unit_vectors

YOKOSUKA = (35.280, 139.665)  # Yokosuka naval port, inner harbour
BUSAN = (35.100, 129.040)  # Busan North Port
SHANGHAI = (31.350, 121.600)  # Yangtze estuary off Wusongkou, Shanghai
MORGANS_POINT = (29.680, -94.980)  # Houston Ship Channel where it enters Galveston Bay
POINT_NEMO = (-48.8767, -123.3933)  # oceanic pole of inaccessibility, 2,688 km from land
TOKYO = (35.681, 139.767)  # Tokyo station
MT_FUJI = (35.361, 138.727)
SEA_OF_JAPAN = (40.0, 135.0)
NE_PACIFIC = (30.0, -150.0)


def test_haversine_known_lengths() -> None:
    # one degree of latitude on the mean sphere: R * pi / 180
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(111_194.9, abs=1.0)
    assert haversine_m(45.0, 10.0, 46.0, 10.0) == pytest.approx(111_194.9, abs=1.0)
    # across the antimeridian: 0.2 degree of longitude at the equator, not 359.8
    assert haversine_m(0.0, 179.9, 0.0, -179.9) == pytest.approx(22_239.0, abs=1.0)
    assert haversine_m(0.0, 179.9, 0.0, -179.9) == pytest.approx(
        haversine_m(0.0, -0.1, 0.0, 0.1), rel=1e-9
    )
    # a quarter of the globe
    assert haversine_m(0.0, 0.0, 90.0, 0.0) == pytest.approx(np.pi / 2 * 6_371_008.8, rel=1e-12)


def test_haversine_vectorised_and_broadcasting() -> None:
    lat = np.array([0.0, 10.0, -33.9])
    lon = np.array([0.0, 179.5, 151.2])
    d = haversine_m(lat, lon, 0.0, 0.0)
    assert d.shape == (3,)
    assert d[0] == 0.0
    np.testing.assert_allclose(haversine_m(0.0, 0.0, lat, lon), d)
    # short hops keep their precision (1 m east at the equator)
    one_metre = np.degrees(1.0 / 6_371_008.8)
    assert haversine_m(0.0, 0.0, 0.0, one_metre) == pytest.approx(1.0, rel=1e-9)


def test_shore_distance_far_offshore() -> None:
    d = shore_distance_km([POINT_NEMO[0], NE_PACIFIC[0]], [POINT_NEMO[1], NE_PACIFIC[1]])
    assert 2_600 < d[0] < 2_800  # published: 2,688 km to Ducie, Motu Nui and Maher Island
    assert d[1] > 1_000  # between California and Hawaii


def test_shore_distance_near_a_straight_coast() -> None:
    # The Cote d'Argent (Landes) is a straight north-south beach at about 1.25 W around
    # 44.5 N; 5 km west of it is 5 km from shore.
    five_km_west = 5.0 / (EARTH_RADIUS_KM * np.radians(1.0) * np.cos(np.radians(44.5)))
    d = shore_distance_km(44.5, -1.25 - five_km_west)
    assert abs(float(d) - 5.0) < 1.5


def test_shore_distance_in_harbours_and_on_land() -> None:
    lat, lon = np.array([YOKOSUKA, MORGANS_POINT, MT_FUJI, TOKYO]).T
    d = shore_distance_km(lat, lon)
    assert d[0] < 3.0 and d[1] < 3.0
    assert d[2] == 0.0  # inland: on land counts as zero
    assert d[3] < 3.0  # Tokyo station is about 1.5 km from the bay


def test_shore_distance_agrees_with_brute_force() -> None:
    """Against every densified coastline point of East Asia. Within the exact range: never
    farther, and at most half the densified spacing nearer (the result measures to segments,
    not just their points). Beyond it, close."""
    lat, lon, line_len = reference.coastline_vertices()
    v, _ = reference.densify(lat, lon, line_len)
    vlat = np.degrees(np.arcsin(v[:, 2]))
    vlon = np.degrees(np.arctan2(v[:, 1], v[:, 0]))
    region = v[(vlat > 15) & (vlat < 55) & (vlon > 105) & (vlon < 160)]
    rng = np.random.default_rng(7)
    qlat = rng.uniform(25.0, 45.0, 400)
    qlon = rng.uniform(118.0, 145.0, 400)
    got = shore_distance_km(qlat, qlon)
    sea = ~land_mask(qlat, qlon)
    q = unit_vectors(qlat[sea], qlon[sea])
    chord = np.sqrt(np.maximum(2.0 - 2.0 * (q @ region.T).max(axis=1), 0.0))
    brute = 2.0 * EARTH_RADIUS_KM * np.arcsin(chord / 2.0)
    exact = brute < SHORE_EXACT_KM
    assert exact.sum() > 100 and (~exact).sum() > 50
    diff = got[sea] - brute
    assert np.all(diff[exact] <= 1e-3)
    assert np.all(diff[exact] >= -reference.COAST_SPACING_KM / 2 - 1e-3)
    assert np.all(np.abs(diff[~exact]) < 1.0)


def test_shore_distance_continuous_across_the_antimeridian() -> None:
    # Taveuni (Fiji) straddles 180 degrees; the Bering Sea off Chukotka too
    lat = np.array([-16.75, -16.75, 65.0, 65.0])
    lon = np.array([179.9999, -179.9999, 179.9999, -179.9999])
    d = shore_distance_km(lat, lon)
    assert abs(d[0] - d[1]) < 0.1 and abs(d[2] - d[3]) < 0.1
    # longitudes out of range wrap
    np.testing.assert_allclose(shore_distance_km(40.0, 495.0), shore_distance_km(40.0, 135.0))


def test_invalid_positions() -> None:
    lat = np.array([np.nan, 91.0, 40.0])
    lon = np.array([0.0, 181.0, np.nan])
    assert np.isnan(shore_distance_km(lat, lon)).all()
    assert np.isnan(port_distance_km(lat, lon)).all()
    assert not land_mask(lat, lon).any()
    km, names = nearest_port(lat, lon)
    assert np.isnan(km).all() and all(n is None for n in names)


def test_port_distance() -> None:
    lat, lon = np.array([YOKOSUKA, BUSAN, SHANGHAI, POINT_NEMO, NE_PACIFIC]).T
    d = port_distance_km(lat, lon)
    assert np.all(d[:3] < 5.0)
    assert np.all(d[3:] > 500.0)
    assert d.shape == (5,)


def test_nearest_port_names() -> None:
    lat, lon = np.array([YOKOSUKA, BUSAN, SHANGHAI]).T
    km, names = nearest_port(lat, lon)
    assert "YOKOSUKA" in names[0]
    assert "BUSAN" in names[1] or "PUSAN" in names[1]
    assert "SHANGHAI" in names[2]
    np.testing.assert_allclose(km, port_distance_km(lat, lon))


def test_ports_table() -> None:
    t = ports()
    assert t.columns == ["name", "iso3", "lat", "lon", "source"]
    counts = dict(t.group_by("source").len().iter_rows())
    # all WPI ports; GFW's 60,410 anchorages less a North Pole placeholder and one row whose
    # longitude reads 1001
    assert counts == {"wpi": 3_669, "gfw_anchorage": 60_408}
    assert np.abs(t["lat"].to_numpy()).max() < 90.0
    assert np.abs(t["lon"].to_numpy()).max() <= 180.0
    assert t.filter(t["source"] == "wpi")["name"].null_count() == 0


def test_land_mask() -> None:
    lat, lon = np.array([TOKYO, MT_FUJI, SEA_OF_JAPAN, POINT_NEMO, (48.85, 2.35)]).T
    assert land_mask(lat, lon).tolist() == [True, True, False, False, True]
    grid = np.meshgrid(np.linspace(-89.0, 89.0, 300), np.linspace(-180.0, 179.0, 600))
    share = land_mask(grid[0], grid[1]).mean()
    assert 0.25 < share < 0.40  # about 29% of the globe by area, more on a lat/lon grid


def test_sea_route_across_the_antimeridian() -> None:
    lat, lon = sea_route(50.0, 170.0, 50.0, -170.0, 21)
    assert (lat[0], lon[0], lat[-1], lon[-1]) == (50.0, 170.0, 50.0, -170.0)
    assert np.all(np.abs(lon) >= 170.0)  # east over 180, not west round the world
    assert lat[10] > 50.0  # a great circle bows poleward
    legs = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    assert legs.sum() == pytest.approx(haversine_m(50.0, 170.0, 50.0, -170.0), rel=1e-9)
    np.testing.assert_allclose(legs, legs[0], rtol=1e-9)


def test_crosses_land() -> None:
    assert crosses_land(*sea_route(*SEA_OF_JAPAN, 36.0, 145.0, 50))  # over Honshu
    assert not crosses_land(*sea_route(35.0, 141.5, 30.0, 150.0, 50))  # open Pacific
    # the harbour position sits on a land cell of the 1/60 degree grid; the ends of a path can
    # be left out of the check
    lat, lon = sea_route(*YOKOSUKA, 35.33, 139.75, 10)
    assert crosses_land(lat, lon)
    assert not crosses_land(lat, lon, ignore_ends_km=3.0)


def test_speed_one_million_points() -> None:
    """Loose sanity check, not a benchmark: the machine may be shared."""
    rng = np.random.default_rng(0)
    n = 1_000_000
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    lon = rng.uniform(-180.0, 180.0, n)
    shore_distance_km(lat[:10], lon[:10])  # load the reference outside the timing
    port_distance_km(lat[:10], lon[:10])
    for f in (shore_distance_km, port_distance_km, land_mask):
        t0 = time.process_time()
        out = f(lat, lon)
        assert time.process_time() - t0 < 3.0, f.__name__
        assert out.shape == (n,)
