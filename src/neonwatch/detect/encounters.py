"""Encounters (ship-to-ship transfers): two vessels within metres of each other, slow, for
hours, away from any port — the GFW definition (Miller et al. 2018).

Pairs are found per grid time with one k-d tree over all slow grid rows: each row is a point
in four dimensions, its position on the Earth (metres, as a 3D vector, so the 180th meridian
is no edge) plus its grid time scaled far apart, so only rows of the same time can pair.
Only rows slower than ``candidate_sog_kn`` take part: a fast ship cannot be in a slow meeting.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy.spatial import cKDTree

from neonwatch.detect.config import Config
from neonwatch.detect.events import F64, centroid, make_events
from neonwatch.detect.runs import medians
from neonwatch.detect.schema import EVENTS, Kind
from neonwatch.geo import (
    EARTH_RADIUS_M,
    haversine_m,
    km_to_chord,
    port_distance_km,
    shore_distance_km,
    unit_vectors,
)
from neonwatch.tracks import Grid

_SLOT_SPACING_M = 1e8  # far more than any pairing radius
PORT_PREFILTER_MARGIN_KM = 5.0  # rows this much inside the port radius cannot make an encounter


def close_pairs(grid: Grid, speed: F64, config: Config) -> dict[str, np.ndarray]:
    """Every pair of slow grid rows at the same time within ``max_distance_m``."""
    cfg = config.encounter
    rows = np.flatnonzero(~(speed >= cfg.candidate_sog_kn))  # NaN speed stays a candidate
    if not cfg.in_port and rows.size:
        # Ships at anchor in port sit by the hundred within 500 m of each other: drop rows
        # clearly inside a port before pairing (the final test on each encounter's centroid
        # still applies), or the pairs of crowded anchorages swamp everything else.
        near_port = port_distance_km(grid.lat[rows], grid.lon[rows])
        rows = rows[near_port >= cfg.min_port_distance_km - PORT_PREFILTER_MARGIN_KM]
    slot = (grid.ts[rows] - grid.ts.min(initial=0)) // int(config.tracks.grid_minutes * 60_000)
    points = np.column_stack(
        [EARTH_RADIUS_M * unit_vectors(grid.lat[rows], grid.lon[rows]), slot * _SLOT_SPACING_M]
    )
    chord = EARTH_RADIUS_M * float(km_to_chord(cfg.max_distance_m / 1000))
    if rows.size < 2:
        pairs = np.zeros((0, 2), dtype=np.int64)
    else:
        pairs = cKDTree(points).query_pairs(chord, output_type="ndarray")
    i, j = rows[pairs[:, 0]], rows[pairs[:, 1]]
    keep = grid.mmsi[i] != grid.mmsi[j]
    i, j = i[keep], j[keep]
    swap = grid.mmsi[i] > grid.mmsi[j]
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    return {"a": i, "b": j}


def find_encounters(grid: Grid, speed: F64, config: Config) -> pa.Table:
    cfg = config.encounter
    pairs = close_pairs(grid, speed, config)
    a, b = pairs["a"], pairs["b"]
    if a.size == 0:
        return EVENTS.empty_table()
    key = (grid.mmsi[a] << 31) | grid.mmsi[b]
    ts = grid.ts[a]
    order = np.lexsort((ts, key))
    a, b, key, ts = a[order], b[order], key[order], ts[order]
    # A pair seen twice at one time (one of them has two tracks) counts once.
    first = np.r_[True, (key[1:] != key[:-1]) | (ts[1:] != ts[:-1])]
    a, b, key, ts = a[first], b[first], key[first], ts[first]
    dist = haversine_m(grid.lat[a], grid.lon[a], grid.lat[b], grid.lon[b])

    # Continuous runs (one grid step apart), kept when long and slow enough.
    step = config.tracks.grid_minutes * 60_000
    new = np.r_[True, (key[1:] != key[:-1]) | (ts[1:] - ts[:-1] > step)]
    run = np.cumsum(new) - 1
    n_runs = int(new.sum())
    start_row = np.flatnonzero(new)
    end_row = np.r_[start_row[1:] - 1, key.size - 1]
    med = medians({"sog_a": speed[a], "sog_b": speed[b], "dist": dist}, run, n_runs)
    duration_ms = ts[end_row] - ts[start_row]
    slow = ~(med["sog_a"] >= cfg.max_median_sog_kn) & ~(med["sog_b"] >= cfg.max_median_sog_kn)
    good = (duration_ms >= cfg.min_duration_h * 3_600_000) & slow
    good_runs = np.flatnonzero(good)

    # Merge kept runs of one pair separated by less than ``merge_gap_h``.
    r_key, r_start, r_end = (
        key[start_row[good_runs]],
        ts[start_row[good_runs]],
        ts[end_row[good_runs]],
    )
    merge_new = np.r_[
        True, (r_key[1:] != r_key[:-1]) | (r_start[1:] - r_end[:-1] >= cfg.merge_gap_h * 3_600_000)
    ]
    merged = np.cumsum(merge_new) - 1
    n_enc = int(merge_new.sum())
    run_to_enc = np.full(n_runs, -1, dtype=np.int64)
    run_to_enc[good_runs] = merged
    member = run_to_enc[run]  # each pair row -> its encounter, or -1
    inside = member >= 0

    enc_first = np.full(n_enc, key.size, dtype=np.int64)
    np.minimum.at(enc_first, member[inside], np.flatnonzero(inside))
    enc_last = np.full(n_enc, -1, dtype=np.int64)
    np.maximum.at(enc_last, member[inside], np.flatnonzero(inside))
    mid_lat = (grid.lat[a] + grid.lat[b]) / 2
    mid_lon = np.degrees(
        np.arctan2(
            np.sin(np.radians(grid.lon[a])) + np.sin(np.radians(grid.lon[b])),
            np.cos(np.radians(grid.lon[a])) + np.cos(np.radians(grid.lon[b])),
        )
    )
    c_lat, c_lon = centroid(mid_lat[inside], mid_lon[inside], member[inside], n_enc)
    stats = medians(
        {"sog_a": speed[a[inside]], "sog_b": speed[b[inside]], "dist": dist[inside]},
        member[inside],
        n_enc,
    )
    min_dist = np.full(n_enc, np.inf)
    np.minimum.at(min_dist, member[inside], dist[inside])

    port_km = port_distance_km(c_lat, c_lon) if n_enc else np.zeros(0)
    shore_km = shore_distance_km(c_lat, c_lon) if n_enc else np.zeros(0)
    at_sea = (port_km >= cfg.min_port_distance_km) & (shore_km >= cfg.min_shore_distance_km)
    keep = np.ones(n_enc, dtype=bool) if cfg.in_port else at_sea
    f, last = enc_first[keep], enc_last[keep]
    start, end = ts[f], ts[last]
    hours = (end - start) / 3_600_000.0
    closeness = 1 - stats["dist"][keep] / cfg.max_distance_m
    return make_events(
        Kind.ENCOUNTER,
        mmsi=grid.mmsi[a[f]],
        mmsi_2=grid.mmsi[b[f]],
        start=start,
        end=end,
        start_lat=mid_lat[f],
        start_lon=mid_lon[f],
        end_lat=mid_lat[last],
        end_lon=mid_lon[last],
        lat=c_lat[keep],
        lon=c_lon[keep],
        min_distance_m=min_dist[keep],
        median_distance_m=stats["dist"][keep],
        median_sog=stats["sog_a"][keep],
        median_sog_2=stats["sog_b"][keep],
        rule=(
            f"encounter: <= {cfg.max_distance_m:g} m for >= {cfg.min_duration_h:g} h, median "
            f"speed < {cfg.max_median_sog_kn:g} kn"
            + (
                ""
                if cfg.in_port
                else f", >= {cfg.min_port_distance_km:g} km from any port and "
                f">= {cfg.min_shore_distance_km:g} km from shore"
            )
        ),
        thresholds=config.section_json("encounter"),
        confidence=0.5 + 0.25 * np.minimum(hours / cfg.min_duration_h - 1, 1) + 0.25 * closeness,
    )
