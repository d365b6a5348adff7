"""What an event page draws: both vessels' AIS positions around the event, the gaps in them,
the distance between the two over time and each one's speed.

A pure function of a positions table (a lazy scan of the server's dataset), vectorised: polars
reads only the two MMSIs in the time window (predicate pushdown into Parquet), NumPy computes
speeds from successive positions, aligns the two tracks on a common time grid (interpolating
only across short gaps, as the encounter rule does) and measures the great-circle distance.
The route that serves this checks first that the caller may read the event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from neonwatch.geo import haversine_m

KNOT_MS = 1852.0 / 3600.0
GRID_MIN = 10.0  # distance-over-time grid: detection's 10-min grid (DESIGN.md)
MAX_INTERP_H = 1.0  # interpolate only across gaps shorter than this (DESIGN.md)
MAX_POINTS = 5000  # per vessel: a page draws no more, longer tracks are thinned evenly


def _ms(ts: datetime) -> int:
    ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts
    return int(ts.timestamp() * 1000)


def _iso(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def speeds_kn(
    t_ms: npt.NDArray[np.int64], lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Speed over ground (knots) implied by each position and the one before it (NaN for the
    first, and where two positions share a time)."""
    out = np.full(len(t_ms), np.nan)
    if len(t_ms) > 1:
        dt = np.diff(t_ms) / 1000.0
        d = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
        with np.errstate(divide="ignore", invalid="ignore"):
            out[1:] = np.where(dt > 0, d / dt / KNOT_MS, np.nan)
    return out


def gaps(t_ms: npt.NDArray[np.int64], min_h: float) -> list[dict[str, Any]]:
    """Silences of at least ``min_h`` hours between successive positions."""
    if len(t_ms) < 2:
        return []
    dt = np.diff(t_ms)
    idx = np.flatnonzero(dt >= min_h * 3_600_000)
    return [
        {"start": _iso(t_ms[i]), "end": _iso(t_ms[i + 1]), "hours": round(dt[i] / 3_600_000, 2)}
        for i in idx
    ]


def _on_grid(
    grid: npt.NDArray[np.int64], t: npt.NDArray[np.int64], v: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """``v`` at the grid times, linear between positions less than MAX_INTERP_H apart, NaN
    elsewhere (outside the track or across a longer gap)."""
    out = np.full(len(grid), np.nan)
    if len(t) == 0:
        return out
    out[:] = np.interp(grid, t, v)
    j = np.searchsorted(t, grid, side="right")
    inside = (j > 0) & (j < len(t))
    exact = np.isin(grid, t)
    span = np.zeros(len(grid), dtype=np.int64)
    span[inside] = t[j[inside]] - t[j[inside] - 1]
    ok = exact | (inside & (span <= MAX_INTERP_H * 3_600_000))
    out[~ok] = np.nan
    return out


def event_track(
    positions: pl.LazyFrame,
    mmsis: list[int],
    start: datetime,
    end: datetime,
    *,
    pad_h: float = 6.0,
    gap_h: float = 1.0,
) -> dict[str, Any]:
    """The positions of ``mmsis`` (one or two vessels) from ``pad_h`` hours before ``start`` to
    ``pad_h`` after ``end``; per vessel the points ``[time, lat, lon, sog, implied speed]``,
    its gaps of ``gap_h`` hours or more; and, for two vessels, the distance between them on a
    10-minute grid (metres, null where either is unknown)."""
    lo = start - timedelta(hours=pad_h)
    hi = end + timedelta(hours=pad_h)
    frame = (
        positions.filter(
            pl.col("mmsi").is_in(mmsis),
            pl.col("ts") >= pl.lit(lo).cast(pl.Datetime("ms", "UTC")),
            pl.col("ts") <= pl.lit(hi).cast(pl.Datetime("ms", "UTC")),
            pl.col("lat").is_between(-90, 90),
            pl.col("lon").is_between(-180, 180),
        )
        .select("mmsi", pl.col("ts").dt.epoch("ms").alias("t"), "lat", "lon", "sog")
        .unique(["mmsi", "t"], keep="first")
        .sort("mmsi", "t")
        .collect()
    )
    vessels: list[dict[str, Any]] = []
    tracks: list[
        tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]
    ] = []
    for mmsi in mmsis:
        one = frame.filter(pl.col("mmsi") == mmsi)
        t = one["t"].to_numpy().astype(np.int64)
        lat = one["lat"].to_numpy().astype(np.float64)
        lon = one["lon"].to_numpy().astype(np.float64)
        sog = one["sog"].cast(pl.Float64).to_numpy()
        implied = speeds_kn(t, lat, lon)
        tracks.append((t, lat, lon))
        keep = np.arange(len(t))
        if len(t) > MAX_POINTS:
            keep = np.unique(np.linspace(0, len(t) - 1, MAX_POINTS).round().astype(np.int64))
        points = [
            [
                _iso(t[i]),
                round(float(lat[i]), 6),
                round(float(lon[i]), 6),
                None if not np.isfinite(sog[i]) or sog[i] >= 102.2 else round(float(sog[i]), 2),
                None if not np.isfinite(implied[i]) else round(float(implied[i]), 2),
            ]
            for i in keep
        ]
        vessels.append(
            {
                "mmsi": mmsi,
                "positions": len(t),
                "points": points,
                "gaps": gaps(t, gap_h),
                "first": _iso(t[0]) if len(t) else None,
                "last": _iso(t[-1]) if len(t) else None,
            }
        )
    distance: list[list[Any]] = []
    if len(tracks) == 2 and all(len(x[0]) for x in tracks):
        step = int(GRID_MIN * 60_000)
        g0 = max(tracks[0][0][0], tracks[1][0][0]) // step * step
        g1 = min(tracks[0][0][-1], tracks[1][0][-1])
        if g1 >= g0:
            grid = np.arange(g0, g1 + 1, step, dtype=np.int64)
            a = [_on_grid(grid, tracks[0][0], v) for v in tracks[0][1:]]
            b = [_on_grid(grid, tracks[1][0], v) for v in tracks[1][1:]]
            with np.errstate(invalid="ignore"):
                d = haversine_m(a[0], a[1], b[0], b[1])
            distance = [
                [_iso(t), None if not np.isfinite(m) else round(float(m), 1)]
                for t, m in zip(grid, d, strict=True)
            ]
    return {
        "window": {"start": _iso(_ms(lo)), "end": _iso(_ms(hi)), "pad_h": pad_h},
        "event": {"start": _iso(_ms(start)), "end": _iso(_ms(end))},
        "gap_h": gap_h,
        "vessels": vessels,
        "distance_m": distance,
        "columns": ["time", "lat", "lon", "sog_kn", "implied_kn"],
    }
