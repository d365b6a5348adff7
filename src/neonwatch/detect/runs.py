"""Runs: consecutive grid rows of one key that satisfy a condition, merged across short breaks.

Both loitering (one vessel slow) and encounters (two vessels close) are runs on the time grid;
this is the one place that turns flagged rows into runs and runs into summary columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from neonwatch.detect.events import F64, I64, centroid


@dataclass
class Runs:
    """One row per run; ``member`` maps each input row to its run (-1 when not in one)."""

    key: I64
    start: I64
    end: I64
    first: I64  # input row of the first and last member
    last: I64
    lat: F64  # centroid
    lon: F64
    member: I64

    @property
    def size(self) -> int:
        return int(self.key.size)


def find_runs(key: I64, ts: I64, lat: F64, lon: F64, max_break_ms: float) -> Runs:
    """Group rows (sorted by key, then time) into runs of one key whose successive rows are
    at most ``max_break_ms`` apart."""
    n = key.size
    if n == 0:
        e = np.zeros(0, np.int64)
        return Runs(e, e, e, e, e, np.zeros(0), np.zeros(0), e)
    new = np.empty(n, dtype=bool)
    new[0] = True
    new[1:] = (key[1:] != key[:-1]) | (ts[1:] - ts[:-1] > max_break_ms)
    run = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    last = np.r_[first[1:] - 1, n - 1]
    c_lat, c_lon = centroid(lat, lon, run, first.size)
    return Runs(key[first], ts[first], ts[last], first, last, c_lat, c_lon, run)


def medians(values: dict[str, F64], member: I64, n_runs: int) -> dict[str, F64]:
    """Median of each column over each run's members (NaN ignored)."""
    df = pl.DataFrame({"run": member, **values}).filter(pl.col("run") >= 0)
    agg = (
        df.lazy()
        .with_columns([pl.col(c).fill_nan(None) for c in values])
        .group_by("run")
        .agg([pl.col(c).median() for c in values])
        .collect()
    )
    out = {}
    for name in values:
        column = np.full(n_runs, np.nan)
        column[agg["run"].to_numpy()] = agg[name].fill_null(np.nan).to_numpy()
        out[name] = column
    return out
