"""Ordering, splitting and resampling positions (see the package docstring)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from neonwatch.tracks.segment import segment

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_TIME_BITS = 41  # ms since the earliest position: 2^41 ms is about 70 years


@dataclass
class Positions:
    """Positions as NumPy columns, sorted by track then time (``track`` -1 until assigned)."""

    mmsi: I64
    ts: I64  # epoch ms UTC
    lat: F64
    lon: F64
    sog: npt.NDArray[np.float32]  # knots, NaN when unknown
    track: I64

    @property
    def size(self) -> int:
        return int(self.mmsi.size)

    def take(self, index: I64 | npt.NDArray[np.bool_]) -> Positions:
        return Positions(
            self.mmsi[index],
            self.ts[index],
            self.lat[index],
            self.lon[index],
            self.sog[index],
            self.track[index],
        )


@dataclass
class Grid:
    """Tracks on a regular time grid: one row per track and grid time it covers."""

    track: I64
    mmsi: I64
    ts: I64  # epoch ms UTC, a multiple of the grid step
    lat: F64
    lon: F64
    sog: F64  # knots (interpolated), NaN when unknown

    @property
    def size(self) -> int:
        return int(self.track.size)


BATCH_POSITIONS = 8_000_000  # per-vessel work runs on batches of whole vessels this large


def prepare(positions: pl.DataFrame | pl.LazyFrame | pa.Table) -> Positions:
    """Drop positions without time or place, order by vessel and time, drop exact repeats."""
    return next(iter(prepare_batches(positions, batch_positions=None)))


def prepare_batches(
    positions: pl.DataFrame | pl.LazyFrame | pa.Table,
    batch_positions: int | None = BATCH_POSITIONS,
) -> Iterator[Positions]:
    """:func:`prepare`, handed out in batches of whole vessels so that the per-vessel stages
    (tracks, gaps, grid, loitering) hold one batch at a time, whatever the input size.

    The order is one sort of a single 64-bit key (MMSI in the high bits, time in the low),
    which Polars does multi-threaded, far faster than a sort on two columns.
    """
    frame = positions if isinstance(positions, pl.LazyFrame) else pl.LazyFrame(positions)
    df = (
        frame.select(
            pl.col("mmsi").cast(pl.Int64),
            pl.col("ts").dt.epoch("ms").alias("ts"),
            pl.col("lat").cast(pl.Float64),
            pl.col("lon").cast(pl.Float64),
            pl.col("sog").cast(pl.Float32),
        )
        .drop_nulls(["mmsi", "ts", "lat", "lon"])
        .filter(pl.col("lat").abs() <= 90, pl.col("lon").abs() <= 180, pl.col("mmsi") >= 0)
        .collect()
    )
    if df.height == 0:
        e = np.zeros(0, np.int64)
        yield Positions(e, e, np.zeros(0), np.zeros(0), np.zeros(0, np.float32), e)
        return
    lo, hi = df.select(pl.col("ts").min().alias("lo"), pl.col("ts").max().alias("hi")).row(0)
    base, span = int(lo), int(hi) - int(lo)
    if span >= 1 << _TIME_BITS:
        raise ValueError("positions span more than 70 years; split the input")
    key = df.select(
        (pl.col("mmsi") * (1 << _TIME_BITS) + (pl.col("ts") - base)).alias("key")
    ).to_series()
    # Input already in vessel-then-time order (as simulated data is) needs no sort at all.
    presorted = key.is_sorted()
    order = np.arange(df.height) if presorted else key.arg_sort().to_numpy()
    columns = {name: df[name].to_numpy() for name in ("mmsi", "ts", "lat", "lon", "sog")}
    size = batch_positions or order.size
    lo = 0
    while lo < order.size:
        hi = min(lo + size, order.size)
        if hi < order.size:  # end the batch where a vessel ends
            mmsi_sorted = columns["mmsi"][order[hi - 1 : hi + 1_000_000]]
            hi += int(np.argmax(mmsi_sorted != mmsi_sorted[0]) or mmsi_sorted.size) - 1
        yield _batch(columns, slice(lo, hi) if presorted else order[lo:hi])
        lo = hi


def _batch(columns: dict[str, npt.NDArray], rows: I64 | slice) -> Positions:
    """The positions at ``rows`` (a slice when the input was already sorted: no copies)."""
    mmsi, ts = columns["mmsi"][rows], columns["ts"][rows]
    lat, lon, sog = columns["lat"][rows], columns["lon"][rows], columns["sog"][rows]
    repeat = np.zeros(mmsi.size, dtype=bool)
    repeat[1:] = (mmsi[1:] == mmsi[:-1]) & (ts[1:] == ts[:-1])
    if repeat.any():
        keep = ~repeat
        mmsi, ts, lat, lon, sog = mmsi[keep], ts[keep], lat[keep], lon[keep], sog[keep]
    return Positions(
        mmsi=mmsi,
        ts=ts,
        lat=lat,
        lon=lon,
        sog=sog,
        track=np.empty(mmsi.size, dtype=np.int64),  # set by assign_tracks
    )


def assign_tracks(
    pos: Positions, max_speed_kn: float, min_jump_km: float, stale_h: float
) -> Positions:
    """Give each position its track and re-sort by track then time (tracks of one MMSI
    interleave when two transmitters share it)."""
    track = segment(pos.mmsi, pos.ts / 1000.0, pos.lat, pos.lon, max_speed_kn, min_jump_km, stale_h)
    if track.size < 2 or bool(np.all(track[1:] >= track[:-1])):  # no MMSI was split
        pos.track = track
        return pos
    order = np.argsort(track, kind="stable")  # positions stay in time order within a track
    out = pos.take(order)
    out.track = track[order]
    return out


def track_bounds(track: I64) -> tuple[I64, I64]:
    """First index and end index (exclusive) of each track in a track-sorted array."""
    if track.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, track[1:] != track[:-1]])
    ends = np.r_[starts[1:], track.size]
    return starts, ends


def wrap_lon(lon: F64) -> F64:
    """Longitude in [-180, 180)."""
    return (lon + 180.0) % 360.0 - 180.0


def resample(pos: Positions, step_minutes: float, max_interpolation_h: float) -> Grid:
    """Each track at every multiple of the step between its first and last position,
    interpolated linearly between the positions around it, but only across gaps shorter than
    ``max_interpolation_h`` (a longer silence stays empty: a gap, not a straight line).

    Longitude is interpolated the short way round, so a track crossing the 180th meridian
    stays on the ocean instead of sweeping across the globe.
    """
    step = round(step_minutes * 60_000)
    max_gap = max_interpolation_h * 3_600_000
    # Grid times are made only within spans of a track without a long silence, so a vessel
    # heard twice a year apart costs two grid rows, not a year of candidates.
    if pos.size == 0:
        starts = ends = np.zeros(0, np.int64)
    else:
        breaks = (pos.track[1:] != pos.track[:-1]) | (pos.ts[1:] - pos.ts[:-1] >= max_gap)
        starts = np.flatnonzero(np.r_[True, breaks])
        ends = np.r_[starts[1:], pos.size]
    if starts.size == 0:
        empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0)
        return Grid(empty_i, empty_i, empty_i, empty_f, empty_f, empty_f)
    first = -(-pos.ts[starts] // step)  # ceil
    last = pos.ts[ends - 1] // step
    count = np.maximum(last - first + 1, 0)
    owner = np.repeat(np.arange(starts.size), count)
    grid_ts = (
        np.repeat(first, count)
        + np.arange(count.sum())
        - np.repeat(np.cumsum(count) - count, count)
    ) * step

    base = int(pos.ts.min())
    key = (pos.track << _TIME_BITS) | (pos.ts - base)  # tracks ascend, so keys are sorted
    owner_track = pos.track[starts][owner]
    grid_key = (owner_track << _TIME_BITS) | (grid_ts - base)
    before = np.searchsorted(key, grid_key, side="right") - 1  # last position at or before
    after = np.minimum(before + 1, pos.size - 1)
    exact = pos.ts[before] == grid_ts
    span = (pos.ts[after] - pos.ts[before]).astype(np.float64)
    usable = exact | ((pos.track[after] == owner_track) & (span < max_gap) & (span > 0))

    b, a = before[usable], after[usable]
    f = np.where(exact[usable], 0.0, (grid_ts[usable] - pos.ts[b]) / np.maximum(span[usable], 1))
    lat = pos.lat[b] + f * (pos.lat[a] - pos.lat[b])
    dlon = wrap_lon(pos.lon[a] - pos.lon[b])
    lon = wrap_lon(pos.lon[b] + f * dlon)
    sog_b, sog_a = pos.sog[b].astype(np.float64), pos.sog[a].astype(np.float64)
    sog_b = np.where(np.isnan(sog_b), sog_a, sog_b)
    sog_a = np.where(np.isnan(sog_a), sog_b, sog_a)
    sog = sog_b + f * (sog_a - sog_b)
    return Grid(
        track=pos.track[b],
        mmsi=pos.mmsi[b],
        ts=grid_ts[usable],
        lat=lat,
        lon=lon,
        sog=sog,
    )


def concat_grids(grids: list[Grid]) -> Grid:
    """Grids of separate batches as one (track numbers must already be distinct)."""
    if not grids:
        e = np.zeros(0, np.int64)
        return Grid(e, e, e, np.zeros(0), np.zeros(0), np.zeros(0))
    return Grid(
        *(
            np.concatenate([getattr(g, f) for g in grids])
            for f in ("track", "mmsi", "ts", "lat", "lon", "sog")
        )
    )
