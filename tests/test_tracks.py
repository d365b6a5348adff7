"""Tracks: ordering, splitting one MMSI between transmitters, and the 10-minute grid."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from neonwatch.tracks import assign_tracks, prepare, prepare_batches, resample
from scenarios import HOUR_MS, T0_MS, Traffic


def tracks_of(traffic: Traffic):  # type: ignore[no-untyped-def]
    return assign_tracks(prepare(traffic.frame()), max_speed_kn=50, min_jump_km=5, stale_h=6)


def test_prepare_orders_and_drops_repeats_and_unusable_rows() -> None:
    df = pl.DataFrame(
        {
            "mmsi": [2, 1, 1, 1, 3],
            "ts": [T0_MS + 5, T0_MS + 9, T0_MS + 1, T0_MS + 1, T0_MS],
            "lat": [1.0, 2.0, 3.0, 3.5, None],
            "lon": [1.0, 2.0, 3.0, 3.5, 4.0],
            "sog": [None, 1.0, 2.0, 2.0, 1.0],
        }
    ).with_columns(pl.col("ts").cast(pl.Datetime("ms", "UTC")))
    pos = prepare(df)
    assert pos.mmsi.tolist() == [1, 1, 2]
    assert pos.ts.tolist() == [T0_MS + 1, T0_MS + 9, T0_MS + 5]
    assert pos.lat.tolist() == [3.0, 2.0, 1.0]  # the first of two rows at one time is kept
    assert np.isnan(pos.sog[2])


def test_two_transmitters_sharing_an_mmsi_become_two_tracks() -> None:
    t = Traffic()
    t.leg(1, 0, 2, 10.0, 150.0, knots=12, every_s=60)
    t.leg(1, 0, 2, 12.0, 152.0, knots=12, every_s=67)
    pos = tracks_of(t)
    assert np.unique(pos.track).size == 2
    for track in np.unique(pos.track):
        lat = pos.lat[pos.track == track]
        assert np.ptp(lat) < 0.5  # each track stays with its own ship


def test_a_long_silence_then_a_plausible_position_continues_the_track() -> None:
    t = Traffic()
    t.leg(1, 0, 1, 10.0, 150.0, knots=12)
    t.leg(1, 11, 12, 11.5, 150.0, knots=12)  # 167 km in 10 h: 9 knots
    assert np.unique(tracks_of(t).track).size == 1


def test_grid_interpolates_only_across_short_gaps() -> None:
    t = Traffic()
    t.leg(1, 0, 1, 10.0, 150.0, knots=6, every_s=1800)  # every 30 min: interpolated
    t.leg(1, 3, 4, 10.0, 151.0, knots=6, every_s=600)  # a 2 h silence before: left empty
    grid = resample(tracks_of(t), step_minutes=10, max_interpolation_h=1)
    minutes = (grid.ts - T0_MS) / 60_000
    assert minutes.tolist() == [0, 10, 20, 30, 180, 190, 200, 210, 220, 230]
    assert grid.lat[1] == pytest.approx(10.0 + (6 * 1852 / 6) / 111_195, rel=1e-3)


def test_grid_crosses_the_180th_meridian_the_short_way() -> None:
    t = Traffic()
    t.point(1, 0.0, 40.0, 179.95)
    t.point(1, 0.5, 40.0, -179.95)
    grid = resample(tracks_of(t), step_minutes=10, max_interpolation_h=1)
    assert grid.size == 4
    assert np.all(np.abs(grid.lon) > 179.9)  # never swept back across longitude 0
    assert grid.lon[0] == pytest.approx(179.95) and grid.lon[-1] == pytest.approx(-179.95)
    assert (grid.ts - T0_MS).tolist() == [0, HOUR_MS // 6, HOUR_MS // 3, HOUR_MS // 2]


def test_batches_hold_whole_vessels_and_the_same_positions() -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    df = pl.DataFrame(
        {
            "mmsi": rng.integers(200_000_000, 800_000_000, 300)[rng.integers(0, 300, n)],
            "ts": T0_MS + rng.integers(0, 48 * HOUR_MS, n),
            "lat": rng.uniform(-60, 60, n),
            "lon": rng.uniform(-180, 180, n),
            "sog": rng.uniform(0, 20, n),
        }
    ).with_columns(pl.col("ts").cast(pl.Datetime("ms", "UTC")))
    whole = prepare(df)
    batches = list(prepare_batches(df, batch_positions=1_000))
    assert len(batches) == 20
    seen: set[int] = set()
    for b in batches:
        vessels = set(np.unique(b.mmsi).tolist())
        assert not vessels & seen  # no vessel is split between batches
        seen |= vessels
        later = (b.mmsi[1:] > b.mmsi[:-1]) | ((b.mmsi[1:] == b.mmsi[:-1]) & (b.ts[1:] > b.ts[:-1]))
        assert np.all(later)  # ordered by vessel then time, no repeats
    rows = {
        (m, t, la)
        for b in batches
        for m, t, la in zip(b.mmsi.tolist(), b.ts.tolist(), b.lat.tolist(), strict=True)
    }
    assert rows == set(zip(whole.mmsi.tolist(), whole.ts.tolist(), whole.lat.tolist(), strict=True))
    assert sum(b.size for b in batches) == whole.size
