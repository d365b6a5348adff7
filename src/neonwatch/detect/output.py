"""Writing and showing events: Parquet for analysis, GeoJSON for maps, a table for people."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from neonwatch.detect.events import to_geojson
from neonwatch.detect.schema import Kind


def write_events(events: pa.Table, out: Path | str) -> None:
    """``events.parquet`` and ``events.geojson`` in ``out``, each written whole or not at all."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / ".events.parquet.tmp"
    pq.write_table(events, tmp)
    tmp.replace(folder / "events.parquet")
    tmp = folder / ".events.geojson.tmp"
    tmp.write_text(json.dumps(to_geojson(events)))
    tmp.replace(folder / "events.geojson")


def count_by_kind(events: pa.Table) -> dict[str, int]:
    kinds = events["kind"].to_pylist()
    return {kind: kinds.count(kind) for kind in Kind.ALL}


def render_events(events: pa.Table, console: Console, limit: int = 20) -> None:
    """Counts per kind, then the longest events first."""
    counts = Table(title="events by kind", show_edge=False)
    counts.add_column("kind")
    counts.add_column("events", justify="right")
    for kind, n in count_by_kind(events).items():
        counts.add_row(kind, f"{n:,}")
    console.print(counts)
    df = pl.from_arrow(events)
    assert isinstance(df, pl.DataFrame)
    if df.height == 0:
        return
    top = df.sort("duration_h", descending=True).head(limit)
    table = Table(title=f"longest {top.height} events", show_edge=False)
    for name, right in (
        ("kind", False),
        ("vessels", False),
        ("start UTC", False),
        ("hours", True),
        ("lat", True),
        ("lon", True),
        ("shore km", True),
    ):
        table.add_column(name, justify="right" if right else "left", no_wrap=True)
    for row in top.iter_rows(named=True):
        vessels = str(row["mmsi"]) + (f"+{row['mmsi_2']}" if row["mmsi_2"] else "")
        shore = row["shore_distance_km"]
        table.add_row(
            row["kind"],
            vessels,
            row["start"].strftime("%Y-%m-%d %H:%M"),
            f"{row['duration_h']:.1f}",
            f"{row['lat']:.2f}",
            f"{row['lon']:.2f}",
            f"{shore:.0f}" if shore is not None else "",
        )
    console.print(table)


def render_scores(scores: dict[str, float], console: Console) -> None:
    """Precision and recall per kind, as ``neonwatch evaluate`` prints them."""
    table = Table(title="detection accuracy against the planted truth", show_edge=False)
    for name in ("kind", "events", "truth", "precision", "recall"):
        table.add_column(name, justify="left" if name == "kind" else "right")
    for kind in Kind.ALL:
        table.add_row(
            kind,
            str(int(scores.get(f"{kind}.events", 0))),
            str(int(scores.get(f"{kind}.truth", 0))),
            f"{scores[f'{kind}.precision']:.3f}",
            f"{scores[f'{kind}.recall']:.3f}",
        )
    console.print(table)
