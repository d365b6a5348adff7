"""Ordering, splitting and resampling positions (see the package docstring)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from neonwatch.tracks.partition import partition
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


# Per-vessel work runs on batches of whole vessels about this large: small enough that a
# batch's sort and gathers stay in the processor's cache, large enough to amortise the
# per-batch overhead of a few dozen NumPy calls.
BATCH_POSITIONS = 1_000_000


def prepare(positions: pl.DataFrame | pl.LazyFrame | pa.Table) -> Positions:
    """Drop positions without time or place, order by vessel and time, drop exact repeats."""
    return next(iter(prepare_batches(positions, batch_positions=None)))


def prepare_batches(
    positions: pl.DataFrame | pl.LazyFrame | pa.Table,
    batch_positions: int | None = BATCH_POSITIONS,
) -> Iterator[Positions]:
    """:func:`prepare`, handed out in batches of whole vessels so that the per-vessel stages
    (tracks, gaps, grid, loitering) hold one batch at a time, whatever the input size.

    Vessels go to batches by a hash of their MMSI, so no global sort is needed: each batch's
    rows are picked in file order (a streaming read), then sorted on their own (small enough
    to stay in cache). On 100M positions this is several times faster than one sort of
    everything followed by random gathers, and needs a fraction of the memory.
    """
    frame = positions if isinstance(positions, pl.LazyFrame) else pl.LazyFrame(positions)
    df = (
        frame.select(
            pl.col("mmsi").cast(pl.Int32),
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
    # Column by column, dropping each from the frame once it is an array: a frame read from
    # several files is in chunks, so each array is a copy, and holding both would double
    # the memory of the whole input.
    n_rows = df.height
    columns = {}
    for name in ("mmsi", "ts", "lat", "lon", "sog"):
        columns[name] = df[name].to_numpy()
        df = df.drop(name)
    del df
    n_batches = 1 if batch_positions is None else -(-n_rows // batch_positions)
    if n_batches <= 1:
        yield _sorted_batch(columns, None)
        return
    # The MMSI modulo the batch count spreads vessels evenly (their last digits are close to
    # uniform); a radix partition then makes each batch's rows contiguous, in file order.
    n_batches = min(n_batches, 1 << 14)
    bucket = (columns["mmsi"] % n_batches).astype(np.int16)
    columns, bounds = partition(columns, bucket, n_batches)
    del bucket
    for b in range(n_batches):
        yield _sorted_batch(columns, slice(int(bounds[b]), int(bounds[b + 1])))


def _sorted_batch(columns: dict[str, npt.NDArray], rows: slice | None) -> Positions:
    """The positions at ``rows`` (all when None), ordered by vessel then time; of two reports
    of one vessel at the same millisecond, the first in the file is kept."""
    picked = {k: (v if rows is None else v[rows]) for k, v in columns.items()}
    mmsi, ts = picked["mmsi"].astype(np.int64), picked["ts"]
    in_order = (mmsi[1:] > mmsi[:-1]) | ((mmsi[1:] == mmsi[:-1]) & (ts[1:] >= ts[:-1]))
    if not bool(np.all(in_order)):
        # One quicksort of a 64-bit key (MMSI, whole seconds), three times faster than a
        # two-key stable sort; milliseconds and file order then settle the few ties.
        seconds = ts // 1000
        key = (mmsi << 32) | (seconds - seconds.min())
        order = np.argsort(key)
        ranked = key[order]
        tie = np.flatnonzero(ranked[1:] == ranked[:-1])
        if tie.size:  # order each run of ties by milliseconds, then by place in the file
            at = np.unique(np.r_[tie, tie + 1])
            rows_at = order[at]
            order[at] = rows_at[np.lexsort((rows_at, ts[rows_at], ranked[at]))]
        picked = {k: v[order] for k, v in picked.items()}
        mmsi, ts = picked["mmsi"].astype(np.int64), picked["ts"]
    repeat = np.zeros(mmsi.size, dtype=bool)
    repeat[1:] = (mmsi[1:] == mmsi[:-1]) & (ts[1:] == ts[:-1])
    lat, lon, sog = picked["lat"], picked["lon"], picked["sog"]
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
    pos.track = track
    # Only the MMSIs split between several tracks are out of track order: re-sort just those
    # (a handful of vessels) in place, positions staying in time order within each track.
    falls = np.flatnonzero(track[1:] < track[:-1]) + 1
    if falls.size:
        vessel_starts = np.flatnonzero(np.r_[True, pos.mmsi[1:] != pos.mmsi[:-1]])
        vessel_ends = np.r_[vessel_starts[1:], pos.size]
        which = np.unique(np.searchsorted(vessel_starts, falls, side="right") - 1)
        for name in ("mmsi", "ts", "lat", "lon", "sog"):
            if not getattr(pos, name).flags.writeable:  # e.g. views of a Polars frame
                setattr(pos, name, getattr(pos, name).copy())
        for lo, hi in zip(vessel_starts[which].tolist(), vessel_ends[which].tolist(), strict=True):
            order = lo + np.argsort(track[lo:hi], kind="stable")
            for name in ("mmsi", "ts", "lat", "lon", "sog", "track"):
                column = getattr(pos, name)
                column[lo:hi] = column[order]
    return pos


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
