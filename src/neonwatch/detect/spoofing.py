"""Identity and position spoofing seen in the tracks: teleports and shared MMSIs.

The segmenter (``neonwatch.tracks``) already split each MMSI wherever consecutive positions
imply an impossible speed. Here its tracks are read: a track of a few points lying inside
another track's time span is a teleport (a spoofed or corrupt position, then back); two long
tracks of one MMSI overlapping in time are two transmitters sharing that MMSI.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from neonwatch.detect.config import Config
from neonwatch.detect.events import I64, make_events
from neonwatch.detect.schema import Kind
from neonwatch.geo import haversine_m
from neonwatch.tracks import Positions
from neonwatch.tracks.core import track_bounds


def track_summary(pos: Positions) -> pl.DataFrame:
    """One row per track: its MMSI, size, span, and first and last positions."""
    starts, ends = track_bounds(pos.track)
    last = ends - 1
    return pl.DataFrame(
        {
            "track": pos.track[starts],
            "mmsi": pos.mmsi[starts],
            "n": ends - starts,
            "first_ts": pos.ts[starts],
            "last_ts": pos.ts[last],
            "first_lat": pos.lat[starts],
            "first_lon": pos.lon[starts],
            "last_lat": pos.lat[last],
            "last_lon": pos.lon[last],
            "start_index": starts,
        }
    )


def find_spoofing(pos: Positions, config: Config) -> tuple[pa.Table, pa.Table, I64]:
    """(teleport events, shared-MMSI events, track ids of the teleports to drop)."""
    cfg = config.tracks
    tracks = track_summary(pos)
    short = tracks.filter(pl.col("n") <= cfg.teleport_max_points)
    long = tracks.filter(pl.col("n") >= cfg.shared_min_points)

    inside = short.join(long, on="mmsi", suffix="_host").filter(
        (pl.col("first_ts") >= pl.col("first_ts_host"))
        & (pl.col("last_ts") <= pl.col("last_ts_host"))
    )
    inside = inside.unique("track", keep="first", maintain_order=True)
    host_lat, host_lon = _host_position(pos, inside)
    jump_m = haversine_m(
        inside["first_lat"].to_numpy(), inside["first_lon"].to_numpy(), host_lat, host_lon
    )
    teleports = inside.with_columns(jump_m=pl.Series(jump_m)).filter(
        pl.col("jump_m") >= config.teleport.min_distance_km * 1000
    )
    teleport_events = make_events(
        Kind.TELEPORT,
        mmsi=teleports["mmsi"].to_numpy(),
        start=teleports["first_ts"].to_numpy(),
        end=teleports["last_ts"].to_numpy(),
        start_lat=teleports["first_lat"].to_numpy(),
        start_lon=teleports["first_lon"].to_numpy(),
        end_lat=teleports["last_lat"].to_numpy(),
        end_lon=teleports["last_lon"].to_numpy(),
        lat=teleports["first_lat"].to_numpy(),
        lon=teleports["first_lon"].to_numpy(),
        min_distance_m=teleports["jump_m"].to_numpy(),
        rule=(
            f"teleport: a position implying > {config.teleport.max_speed_kn:g} kn and "
            f"> {config.teleport.min_distance_km:g} km from the vessel's track"
        ),
        thresholds=config.section_json("teleport"),
        confidence=np.clip(teleports["jump_m"].to_numpy() / 100_000.0, 0.6, 1.0),
    )

    pairs = long.join(long, on="mmsi", suffix="_b").filter(pl.col("track") < pl.col("track_b"))
    overlap_start = pl.max_horizontal("first_ts", "first_ts_b")
    overlap_end = pl.min_horizontal("last_ts", "last_ts_b")
    pairs = pairs.with_columns(o_start=overlap_start, o_end=overlap_end).filter(
        pl.col("o_end") - pl.col("o_start") >= cfg.shared_min_overlap_h * 3_600_000
    )
    # Both transmitters must really be heard during the overlap, not merely have spans that
    # overlap (a track resuming after a silence would otherwise look like a second ship).
    heard = np.minimum(_points_within(pos, pairs, ""), _points_within(pos, pairs, "_b"))
    pairs = pairs.filter(pl.Series(heard >= cfg.shared_min_points))
    pairs = pairs.sort(["mmsi", "o_start"]).unique("mmsi", keep="first", maintain_order=True)
    a_lat, a_lon = pairs["first_lat"].to_numpy(), pairs["first_lon"].to_numpy()
    b_lat, b_lon = pairs["first_lat_b"].to_numpy(), pairs["first_lon_b"].to_numpy()
    shared_events = make_events(
        Kind.SHARED_MMSI,
        mmsi=pairs["mmsi"].to_numpy(),
        start=pairs["o_start"].to_numpy(),
        end=pairs["o_end"].to_numpy(),
        start_lat=a_lat,
        start_lon=a_lon,
        end_lat=b_lat,
        end_lon=b_lon,
        lat=a_lat,
        lon=a_lon,
        min_distance_m=haversine_m(a_lat, a_lon, b_lat, b_lon),
        rule=(
            f"shared MMSI: two tracks of >= {cfg.shared_min_points} positions, apart at "
            f"> {cfg.max_speed_kn:g} kn, overlapping >= {cfg.shared_min_overlap_h:g} h"
        ),
        thresholds=config.section_json("tracks"),
        confidence=np.full(pairs.height, 0.9),
    )
    return teleport_events, shared_events, teleports["track"].to_numpy()


def _points_within(pos: Positions, pairs: pl.DataFrame, suffix: str) -> np.ndarray:
    """How many positions of each pair's track (``suffix`` "" or "_b") fall in its overlap."""
    starts = pairs[f"start_index{suffix}"].to_numpy()
    counts = pairs[f"n{suffix}"].to_numpy()
    lo, hi = pairs["o_start"].to_numpy(), pairs["o_end"].to_numpy()
    out = np.zeros(pairs.height, dtype=np.int64)
    for k in range(pairs.height):  # one binary search per candidate pair (a handful)
        seg = pos.ts[starts[k] : starts[k] + counts[k]]
        out[k] = np.searchsorted(seg, hi[k], "right") - np.searchsorted(seg, lo[k], "left")
    return out


def _host_position(pos: Positions, inside: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Where the host track was just before each teleport (its last position before it)."""
    if inside.height == 0:
        return np.zeros(0), np.zeros(0)
    host_start = inside["start_index_host"].to_numpy()
    host_n = inside["n_host"].to_numpy()
    t = inside["first_ts"].to_numpy()
    out = np.empty(inside.height, dtype=np.int64)
    for k in range(inside.height):  # one binary search per teleport (a handful)
        seg = pos.ts[host_start[k] : host_start[k] + host_n[k]]
        out[k] = host_start[k] + max(int(np.searchsorted(seg, t[k])) - 1, 0)
    return pos.lat[out], pos.lon[out]
