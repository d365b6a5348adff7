"""Scoring detected events against planted ground truth: precision and recall per kind.

The simulator (:mod:`neonwatch.simulate`) writes ``truth.parquet`` in the TRUTH schema; the
detectors write events in the EVENTS schema. An event matches a truth row when

* the kinds are equal,
* the vessels are equal: single-vessel kinds compare ``mmsi`` only; pair kinds compare the
  unordered pair (``mmsi``, ``mmsi_2``), so a detector that spells the pair the other way
  round still matches, and
* the time intervals overlap once each is widened by :data:`TIME_TOLERANCE` at both ends
  (detectors align to a 10-minute grid and the truth describes the planted behaviour, so
  their edges differ by minutes; an hour absorbs that without letting unrelated events of
  the same vessel match).

Precision counts events (an encounter split in two by a detector is two matched events, so
it costs no precision) and recall counts truth rows (each is found or not). A kind with
neither events nor truth scores 1.0 on both: nothing was missed and nothing was invented.
A kind with truth but no events scores 0.0 precision as well as 0.0 recall, so that a detector
that is missing or silent never looks perfect in a table of precisions; a kind with events but
no truth scores recall 1.0 (nothing to miss) and precision 0.0.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from neonwatch.detect.schema import Kind

TIME_TOLERANCE = timedelta(hours=1)  # widening of each interval at each end before overlap

# Kinds whose rows name two vessels; the others name one (``mmsi_2`` is ignored for them,
# e.g. shared_mmsi names one MMSI that two transmitters use).
PAIR_KINDS = frozenset({Kind.ENCOUNTER, Kind.DARK_RENDEZVOUS})

_COLUMNS = ("kind", "mmsi", "mmsi_2", "start", "end")


def load_table(path: str | Path) -> pa.Table:
    """Read an events or truth table from one Parquet file or a (partitioned) dataset folder.

    A folder written by ``DayPartitionedWriter`` (``day=YYYY-MM-DD/part-0.parquet``) reads as
    one table; hive partition columns are dropped so the table keeps the writer's schema.
    """
    path = Path(path)
    if path.is_dir():
        dataset = ds.dataset(path, format="parquet", partitioning="hive")
        names = [n for n in dataset.schema.names if n != "day"]
        return dataset.to_table(columns=names)
    return pq.read_table(path)


def _frame(table: pa.Table | pl.DataFrame) -> pl.DataFrame:
    df = table if isinstance(table, pl.DataFrame) else pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    missing = [c for c in _COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"table lacks column(s) {', '.join(missing)}")
    pair = pl.col("kind").is_in(list(PAIR_KINDS))
    a = pl.col("mmsi").cast(pl.Int64)
    b = pl.col("mmsi_2").cast(pl.Int64)
    return (
        df.select(
            pl.col("kind").cast(pl.String),
            pl.when(pair).then(pl.min_horizontal(a, b)).otherwise(a).alias("v1"),
            pl.when(pair).then(pl.max_horizontal(a, b)).otherwise(pl.lit(-1)).alias("v2"),
            pl.col("start").dt.epoch("ms").alias("start"),
            pl.col("end").dt.epoch("ms").alias("end"),
        )
        .with_columns(pl.col("v2").fill_null(-1))
        .with_row_index("row")
    )


def _matched(events: pl.DataFrame, truth: pl.DataFrame) -> tuple[set[int], set[int]]:
    """Row numbers of events and of truth rows that have at least one match."""
    tol = int(TIME_TOLERANCE.total_seconds() * 1000)
    pairs = events.join(truth, on=["kind", "v1", "v2"], how="inner", suffix="_t").filter(
        (pl.col("start") - tol <= pl.col("end_t") + tol)
        & (pl.col("start_t") - tol <= pl.col("end") + tol)
    )
    return set(pairs["row"].to_list()), set(pairs["row_t"].to_list())


def evaluate(events: pa.Table | pl.DataFrame, truth: pa.Table | pl.DataFrame) -> dict[str, float]:
    """Precision and recall of ``events`` against ``truth`` for every kind in ``Kind.ALL``.

    Keys: ``<kind>.precision``, ``<kind>.recall``, ``<kind>.events`` (number of events),
    ``<kind>.truth`` (number of truth rows). Kinds outside ``Kind.ALL`` are scored too.
    """
    ev, tr = _frame(events), _frame(truth)
    hit_events, hit_truth = _matched(ev, tr)
    kinds = list(Kind.ALL) + sorted(
        (set(ev["kind"].to_list()) | set(tr["kind"].to_list())) - set(Kind.ALL)
    )
    ev_kind = ev["kind"].to_numpy()
    tr_kind = tr["kind"].to_numpy()
    ev_hit = np.isin(ev["row"].to_numpy(), np.fromiter(hit_events, np.int64, len(hit_events)))
    tr_hit = np.isin(tr["row"].to_numpy(), np.fromiter(hit_truth, np.int64, len(hit_truth)))
    out: dict[str, float] = {}
    for kind in kinds:
        in_ev, in_tr = ev_kind == kind, tr_kind == kind
        n_ev, n_tr = int(in_ev.sum()), int(in_tr.sum())
        nothing_claimed = 1.0 if n_tr == 0 else 0.0  # perfect only if nothing was to find
        out[f"{kind}.precision"] = float(ev_hit[in_ev].sum() / n_ev) if n_ev else nothing_claimed
        out[f"{kind}.recall"] = float(tr_hit[in_tr].sum() / n_tr) if n_tr else 1.0
        out[f"{kind}.events"] = float(n_ev)
        out[f"{kind}.truth"] = float(n_tr)
    return out
