"""Running every rule over a table of positions, whole or one day at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from neonwatch.detect.config import Config, load_config
from neonwatch.detect.encounters import find_encounters
from neonwatch.detect.gaps import find_gaps
from neonwatch.detect.loitering import find_loitering, grid_speed
from neonwatch.detect.rendezvous import find_dark_rendezvous
from neonwatch.detect.schema import EVENTS
from neonwatch.detect.spoofing import find_spoofing
from neonwatch.geo import port_distance_km, shore_distance_km
from neonwatch.tracks import assign_tracks, concat_grids, prepare_batches, resample

DAY_MS = 86_400_000


def detect(
    positions: pl.DataFrame | pl.LazyFrame | pa.Table, config: Config | None = None
) -> pa.Table:
    """Every event in a table of positions (canonical POSITIONS columns).

    A pure function of its input: it reads no files and keeps no state, so it runs the same in
    a notebook, a cluster task or a live feed's batch. Per-vessel work (tracks, teleports and
    shared MMSIs, gaps, the time grid, loitering) runs on batches of whole vessels, so memory
    holds the input plus one batch; only the compact 10-minute grid is kept for the pair rules.
    """
    cfg = config or load_config()
    t = cfg.tracks
    found: dict[str, list[pa.Table]] = {"spoof": [], "gaps": [], "loitering": []}
    grids, speeds = [], []
    next_track = 0
    for batch in prepare_batches(positions):
        pos = assign_tracks(batch, t.max_speed_kn, t.min_jump_km, t.stale_h)
        pos.track += next_track
        next_track = int(pos.track.max(initial=next_track - 1)) + 1
        teleports, shared, teleport_tracks = find_spoofing(pos, cfg)
        found["spoof"] += [teleports, shared]
        if teleport_tracks.size:
            spoofed = np.zeros(next_track, dtype=bool)
            spoofed[teleport_tracks] = True
            pos = pos.take(~spoofed[pos.track])
        found["gaps"].append(find_gaps(pos, cfg))
        grid = resample(pos, t.grid_minutes, t.max_interpolation_h)
        speed = grid_speed(grid)
        found["loitering"].append(find_loitering(grid, cfg, speed))
        grids.append(grid)
        speeds.append(speed)
    grid = concat_grids(grids)
    encounters = find_encounters(grid, np.concatenate(speeds) if speeds else np.zeros(0), cfg)
    gaps = pa.concat_tables(found["gaps"]) if found["gaps"] else EVENTS.empty_table()
    loitering = pa.concat_tables(found["loitering"]) if found["loitering"] else EVENTS.empty_table()
    dark = find_dark_rendezvous(loitering, gaps, cfg)
    events = pa.concat_tables([encounters, loitering, gaps, dark, *found["spoof"]])
    return _with_distances(events).sort_by([("start", "ascending"), ("kind", "ascending")])


def _with_distances(events: pa.Table) -> pa.Table:
    lat = events["lat"].to_numpy(zero_copy_only=False)
    lon = events["lon"].to_numpy(zero_copy_only=False)
    shore = shore_distance_km(lat, lon) if events.num_rows else np.zeros(0)
    port = port_distance_km(lat, lon) if events.num_rows else np.zeros(0)
    events = events.set_column(
        events.schema.get_field_index("shore_distance_km"), "shore_distance_km", pa.array(shore)
    )
    return events.set_column(
        events.schema.get_field_index("port_distance_km"), "port_distance_km", pa.array(port)
    )


def scan_positions(dataset: Path | str) -> pl.LazyFrame:
    """The positions of an ingested (or simulated) dataset: ``DIR`` or ``DIR/positions``."""
    root = Path(dataset)
    if (root / "positions").is_dir():
        root = root / "positions"
    files = sorted(root.glob("day=*/*.parquet")) if root.is_dir() else []
    if not files:
        raise ValueError(
            f"{dataset}: no positions here (day=YYYY-MM-DD/*.parquet); give the --out folder "
            "of `neonwatch ingest` or `neonwatch simulate`"
        )
    return pl.scan_parquet(files, hive_partitioning=False)


def days_of(frame: pl.LazyFrame) -> list[date]:
    bounds = frame.select(pl.col("ts").min().alias("lo"), pl.col("ts").max().alias("hi")).collect()
    lo, hi = bounds["lo"][0], bounds["hi"][0]
    if lo is None:
        return []
    first, last = lo.date(), hi.date()
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def detect_by_day(
    positions: pl.LazyFrame,
    config: Config | None = None,
    on_day: Callable[[date], None] | None = None,
) -> pa.Table:
    """Events found one UTC day at a time, each day with ``run.overlap_h`` of data on either
    side and keeping the events that start on it: how a cluster splits the work. Events
    shorter than the overlap come out exactly as in one run over everything."""
    cfg = config or load_config()
    overlap = timedelta(hours=cfg.run.overlap_h)
    tables = []
    for day in days_of(positions):
        lo = datetime(day.year, day.month, day.day, tzinfo=UTC)
        hi = lo + timedelta(days=1)
        window = positions.filter((pl.col("ts") >= lo - overlap) & (pl.col("ts") < hi + overlap))
        events = detect(window, cfg)
        start_ms = pc.cast(events["start"], pa.int64()).to_numpy(zero_copy_only=False)
        lo_ms, hi_ms = int(lo.timestamp() * 1000), int(hi.timestamp() * 1000)
        tables.append(events.filter(pa.array((start_ms >= lo_ms) & (start_ms < hi_ms))))
        if on_day is not None:
            on_day(day)
    if not tables:
        return EVENTS.empty_table()
    return pa.concat_tables(tables)
