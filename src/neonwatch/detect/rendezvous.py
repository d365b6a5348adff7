"""Dark rendezvous: the covert STS signature no open tool flags.

A tanker meeting a ship that has switched its AIS off raises no encounter: one side of the
pair is missing. What remains is a loiterer sitting where the other vessel's track went dark
and later reappeared, during that silence; or two vessels dark over the same stretch of sea at
the same time. Both are read from events the other rules already found.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from neonwatch.detect.config import Config
from neonwatch.detect.events import make_events
from neonwatch.detect.near import pairs_within
from neonwatch.detect.schema import Kind
from neonwatch.geo import haversine_m, port_distance_km, shore_distance_km

_COLUMNS = ["mmsi", "start", "end", "start_lat", "start_lon", "end_lat", "end_lon", "lat", "lon"]


def _frame(events: pa.Table) -> pl.DataFrame:
    df = pl.from_arrow(events.select(_COLUMNS))
    assert isinstance(df, pl.DataFrame)
    return df.with_columns(pl.col("start", "end").dt.epoch("ms"))


def find_dark_rendezvous(loitering: pa.Table, gaps: pa.Table, config: Config) -> pa.Table:
    """``gaps`` holds both naive gaps and likely-disabling events."""
    cfg = config.dark_rendezvous
    slack = cfg.time_slack_h * 3_600_000
    loiter = _frame(loitering)
    dark = _frame(gaps).filter(pl.col("end") - pl.col("start") >= cfg.min_gap_h * 3_600_000)

    # A loiterer beside both ends of another vessel's gap, during it.
    li, gi = pairs_within(
        loiter["lat"].to_numpy(),
        loiter["lon"].to_numpy(),
        dark["start_lat"].to_numpy(),
        dark["start_lon"].to_numpy(),
        cfg.max_distance_km * 1000,
    )
    pairs = pl.concat([loiter[li], dark[gi].rename(lambda c: f"{c}_g")], how="horizontal").filter(
        (pl.col("mmsi") != pl.col("mmsi_g"))
        & (pl.col("start") <= pl.col("end_g") + slack)
        & (pl.col("end") >= pl.col("start_g") - slack)
    )
    near_start = haversine_m(
        pairs["lat"].to_numpy(),
        pairs["lon"].to_numpy(),
        pairs["start_lat_g"].to_numpy(),
        pairs["start_lon_g"].to_numpy(),
    )
    near_end = haversine_m(
        pairs["lat"].to_numpy(),
        pairs["lon"].to_numpy(),
        pairs["end_lat_g"].to_numpy(),
        pairs["end_lon_g"].to_numpy(),
    )
    limit = cfg.max_distance_km * 1000
    pairs = pairs.with_columns(near=pl.Series(np.maximum(near_start, near_end))).filter(
        pl.col("near") <= limit
    )

    # Two vessels dark over the same stretch of sea at once.
    ai, bi = pairs_within(
        dark["start_lat"].to_numpy(),
        dark["start_lon"].to_numpy(),
        dark["start_lat"].to_numpy(),
        dark["start_lon"].to_numpy(),
        cfg.both_dark_max_distance_km * 1000,
    )
    both = pl.concat([dark[ai], dark[bi].rename(lambda c: f"{c}_g")], how="horizontal").filter(
        (pl.col("mmsi") < pl.col("mmsi_g"))
        & (
            pl.min_horizontal("end", "end_g") - pl.max_horizontal("start", "start_g")
            >= cfg.both_dark_min_overlap_h * 3_600_000
        )
    )
    d_start = haversine_m(
        both["start_lat"].to_numpy(),
        both["start_lon"].to_numpy(),
        both["start_lat_g"].to_numpy(),
        both["start_lon_g"].to_numpy(),
    )
    d_end = haversine_m(
        both["end_lat"].to_numpy(),
        both["end_lon"].to_numpy(),
        both["end_lat_g"].to_numpy(),
        both["end_lon_g"].to_numpy(),
    )
    both = both.with_columns(near=pl.Series(np.maximum(d_start, d_end))).filter(
        pl.col("near") <= cfg.both_dark_max_distance_km * 1000
    )

    found = pl.concat(
        [
            pairs.select(_pair_columns()).with_columns(how=pl.lit("loiterer beside a gap")),
            both.select(_pair_columns()).with_columns(how=pl.lit("both dark together")),
        ]
    )
    found = (
        found.with_columns(
            a=pl.min_horizontal("mmsi", "mmsi_g"),
            b=pl.max_horizontal("mmsi", "mmsi_g"),
            start=pl.max_horizontal("start", "start_g"),
            end=pl.min_horizontal("end", "end_g"),
        )
        .with_columns(end=pl.max_horizontal("start", "end"))
        .sort(["a", "b", "start"])
        .unique(["a", "b"], keep="first", maintain_order=True)
    )
    if not config.encounter.in_port and found.height:  # a covert transfer happens at sea
        lat, lon = found["lat"].to_numpy(), found["lon"].to_numpy()
        at_sea = (port_distance_km(lat, lon) >= cfg.min_port_distance_km) & (
            shore_distance_km(lat, lon) >= cfg.min_shore_distance_km
        )
        found = found.filter(pl.Series(at_sea))
    near = found["near"].to_numpy()
    return make_events(
        Kind.DARK_RENDEZVOUS,
        mmsi=found["a"].to_numpy(),
        mmsi_2=found["b"].to_numpy(),
        start=found["start"].to_numpy(),
        end=found["end"].to_numpy(),
        start_lat=found["start_lat_g"].to_numpy(),
        start_lon=found["start_lon_g"].to_numpy(),
        end_lat=found["end_lat_g"].to_numpy(),
        end_lon=found["end_lon_g"].to_numpy(),
        lat=found["lat"].to_numpy(),
        lon=found["lon"].to_numpy(),
        min_distance_m=near,
        rule=(
            f"dark rendezvous: a loiterer within {cfg.max_distance_km:g} km of where another "
            f"vessel went dark and reappeared (gap >= {cfg.min_gap_h:g} h), or two vessels dark "
            f"together >= {cfg.both_dark_min_overlap_h:g} h"
        ),
        thresholds=config.section_json("dark_rendezvous"),
        confidence=0.6 + 0.4 * (1 - near / (cfg.max_distance_km * 1000)),
    )


def _pair_columns() -> list[str]:
    return [
        "mmsi",
        "mmsi_g",
        "start",
        "end",
        "start_g",
        "end_g",
        "lat",
        "lon",
        "start_lat_g",
        "start_lon_g",
        "end_lat_g",
        "end_lon_g",
        "near",
    ]
