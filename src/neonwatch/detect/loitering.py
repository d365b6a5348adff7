"""Loitering: one vessel slow for hours far from shore, as carriers wait for a transfer."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from neonwatch.detect.config import Config
from neonwatch.detect.events import F64, make_events
from neonwatch.detect.runs import find_runs, medians
from neonwatch.detect.schema import Kind
from neonwatch.geo import haversine_m, shore_distance_km
from neonwatch.tracks import Grid

NM_KM = 1.852
KNOT_MS = 1852.0 / 3600.0


def grid_speed(grid: Grid) -> F64:
    """Reported speed over ground, or, where a transmitter gives none, the speed implied by
    the grid positions on either side."""
    sog = grid.sog.copy()
    missing = np.isnan(sog)
    if missing.any() and grid.size > 1:
        same = grid.track[1:] == grid.track[:-1]
        d = haversine_m(grid.lat[1:], grid.lon[1:], grid.lat[:-1], grid.lon[:-1])
        dt = np.maximum((grid.ts[1:] - grid.ts[:-1]) / 1000.0, 1.0)
        step_kn = np.where(same, d / dt / KNOT_MS, np.nan)
        implied = np.fmax(np.r_[np.nan, step_kn], np.r_[step_kn, np.nan])
        sog[missing] = implied[missing]
    return sog


def find_loitering(grid: Grid, config: Config, sog: F64 | None = None) -> pa.Table:
    cfg = config.loitering
    speed = grid_speed(grid) if sog is None else sog
    slow = np.flatnonzero(speed < cfg.max_sog_kn)
    step_ms = config.tracks.grid_minutes * 60_000
    runs = find_runs(
        grid.track[slow],
        grid.ts[slow],
        grid.lat[slow],
        grid.lon[slow],
        cfg.merge_gap_h * 3_600_000 + step_ms,
    )
    duration_h = (runs.end - runs.start) / 3_600_000.0
    long_enough = duration_h >= cfg.min_duration_h
    shore = np.full(runs.size, np.nan)
    shore[long_enough] = shore_distance_km(runs.lat[long_enough], runs.lon[long_enough])
    keep = long_enough & (shore >= cfg.min_shore_distance_nm * NM_KM)
    med = medians({"sog": speed[slow]}, runs.member, runs.size)["sog"]
    first, last = slow[runs.first[keep]], slow[runs.last[keep]]
    return make_events(
        Kind.LOITERING,
        mmsi=grid.mmsi[first],
        start=runs.start[keep],
        end=runs.end[keep],
        start_lat=grid.lat[first],
        start_lon=grid.lon[first],
        end_lat=grid.lat[last],
        end_lon=grid.lon[last],
        lat=runs.lat[keep],
        lon=runs.lon[keep],
        median_sog=med[keep],
        rule=(
            f"loitering: < {cfg.max_sog_kn:g} kn for >= {cfg.min_duration_h:g} h, "
            f">= {cfg.min_shore_distance_nm:g} nm from shore"
        ),
        thresholds=config.section_json("loitering"),
        confidence=0.5 + 0.5 * np.minimum(duration_h[keep] / cfg.min_duration_h - 1, 1),
    )
