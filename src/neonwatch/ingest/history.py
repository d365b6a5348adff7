"""Vessel identity history from static and voyage reports (types 5, 19 and 24 A/B).

A vessel repeats its static report every few minutes, so millions of reports collapse into a
few identity *runs*: a new vessels row whenever an identity field (IMO, name, call sign, type,
dimensions) changes, or the UTC day changes (so each day's partition stands alone, as a
day-per-task cluster job needs). Class B part A (name) and part B (call sign, type,
dimensions) arrive separately; each report is completed with the vessel's last known values.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from neonwatch.ingest import schema

_REPORT_FIELDS = [f.name for f in schema.STATIC_REPORTS if f.name not in ("ts", "msg_type", "part")]
_FIELDS_NO_MMSI = [f for f in _REPORT_FIELDS if f != "mmsi"]
_VOYAGE_FIELDS = ["draught", "destination"]


def collapse_reports(reports: pa.Table) -> pl.DataFrame:
    """Collapse consecutive identical reports of one vessel and source into runs.

    Returns the report fields plus ``first_seen``, ``last_seen`` and ``day``; runs from
    successive chunks can be concatenated and collapsed again with :func:`merge_runs`.
    """
    df = pl.from_arrow(reports)
    assert isinstance(df, pl.DataFrame)
    df = df.filter(pl.col("ts").is_not_null()).with_columns(
        first_seen=pl.col("ts"), last_seen=pl.col("ts"), day=pl.col("ts").dt.date()
    )
    return merge_runs(df.drop("ts"))


def merge_runs(runs: pl.DataFrame) -> pl.DataFrame:
    """Merge consecutive runs (per vessel, message type and part) whose fields are equal."""
    if runs.height == 0:
        return runs
    key = ["mmsi", "msg_type", "part", "day"]
    runs = runs.sort([*key, "first_seen"])
    same = pl.all_horizontal(
        [pl.col(c).eq_missing(pl.col(c).shift(1)) for c in [*key, *_FIELDS_NO_MMSI]]
    )
    run_id = (~same).cum_sum()
    return (
        runs.with_columns(_run=run_id)
        .group_by("_run", maintain_order=True)
        .agg(
            [pl.col(c).first() for c in [*key, *_FIELDS_NO_MMSI]]
            + [pl.col("first_seen").min(), pl.col("last_seen").max()]
        )
        .drop("_run")
    )


def vessel_history(runs: pl.DataFrame) -> pa.Table:
    """Turn report runs into VESSELS rows: one per vessel, UTC day and identity."""
    if runs.height == 0:
        return schema.VESSELS.empty_table()
    identity = list(schema.IDENTITY_FIELDS)
    filled = runs.sort(["mmsi", "first_seen"]).with_columns(
        [pl.col(c).forward_fill().over("mmsi") for c in identity]
    )
    # A field learnt for the first time (class B part B adding the call sign to part A's
    # name) completes the identity; only a known value replaced by another changes it.
    differs = [
        pl.col(c).is_not_null()
        & pl.col(c).shift(1).is_not_null()
        & (pl.col(c) != pl.col(c).shift(1))
        for c in identity
    ]
    changed = (
        (pl.col("mmsi") != pl.col("mmsi").shift(1)).fill_null(True)
        | (pl.col("day") != pl.col("day").shift(1)).fill_null(True)
        | pl.any_horizontal(differs).fill_null(False)
    )
    rows = (
        filled.with_columns(_row=changed.cum_sum())
        .group_by("_row", maintain_order=True)
        .agg(
            [pl.col("mmsi").first()]
            + [pl.col(c).drop_nulls().first() for c in identity]
            + [pl.col(c).drop_nulls().last() for c in _VOYAGE_FIELDS]
            + [pl.col("first_seen").min(), pl.col("last_seen").max()]
        )
        .drop("_row")
    )
    return rows.to_arrow().select(schema.VESSELS.names).cast(schema.VESSELS)
