"""Detection on real traffic, for review: no real AIS comes with labelled transfers, so this
runs every rule on the real tracks in ../shared/data and lists what it raises.

* the Gulf of Mexico day (NGA/Penn State ATD 2025 challenge: ~5,600 vessels, one position per
  vessel about every 30 min, with the challenge's noise),
* the New York harbour week (Tracktable: 140 vessels, 70 s reporting),
* every NMEA log in ../shared/data/nmea.

Encounters at sea are printed one by one, with both vessels' median speeds, closest approach
and distances from shore and port, so a reviewer can tell a lightering operation or a tow from
a transfer. Run: ``python benchmarks/real_traffic.py`` (``NEONWATCH_SHARED_DATA`` to point
elsewhere).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.table import Table

from neonwatch.detect import Kind, detect, scan_positions
from neonwatch.ingest import ingest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NEONWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
GULF_COLUMNS = {"mmsi": "track_id", "ts": "time", "sog": "speed", "cog": "course"}


def datasets() -> list[tuple[str, list[Path], dict[str, str] | None]]:
    nmea = sorted(
        p
        for p in (SHARED / "nmea").glob("*/*")
        if p.is_file() and p.name != "SOURCE.txt" and not p.name.endswith(".chk")
    )
    return [
        (
            "Gulf of Mexico day",
            sorted((SHARED / "tracks" / "atd2025-gulf").glob("*.csv.gz")),
            GULF_COLUMNS,
        ),
        (
            "New York harbour week",
            [SHARED / "tracks" / "tracktable-data" / "NYHarbor_2020_12_first_week.traj"],
            None,
        ),
        ("NMEA logs", nmea, None),
    ]


def main() -> int:
    if not SHARED.is_dir():
        print(f"no shared data at {SHARED}; set NEONWATCH_SHARED_DATA", file=sys.stderr)
        return 2
    console = Console(width=140)
    summary = Table(title="detection on real traffic", show_edge=False)
    for name in ("data", "positions", "seconds", *Kind.ALL):
        summary.add_column(name, justify="left" if name == "data" else "right")
    at_sea: list[tuple[str, pl.DataFrame]] = []
    for label, files, columns in datasets():
        # The four Gulf files are four separate days of the challenge: one at a time.
        groups = [[f] for f in files] if columns else [files]
        for group in groups:
            with tempfile.TemporaryDirectory() as tmp:
                ingested = ingest(group, tmp, columns=columns)
                started = time.perf_counter()
                events = pl.from_arrow(detect(scan_positions(tmp)))
                seconds = time.perf_counter() - started
            assert isinstance(events, pl.DataFrame)
            name = label if len(groups) == 1 else f"{label}: {group[0].name}"
            counts = [str((events["kind"] == k).sum()) for k in Kind.ALL]
            summary.add_row(name, f"{ingested.positions:,}", f"{seconds:.2f}", *counts)
            encounters = events.filter(pl.col("kind") == Kind.ENCOUNTER)
            if encounters.height:
                at_sea.append((name, encounters))
    console.print(summary)
    for name, encounters in at_sea:
        table = Table(title=f"encounters raised, {name} (for review)", show_edge=False)
        for column in (
            "vessels",
            "start UTC",
            "hours",
            "lat",
            "lon",
            "kn",
            "kn 2",
            "closest m",
            "shore km",
            "port km",
        ):
            table.add_column(column, justify="left" if column == "vessels" else "right")
        for row in encounters.sort("start").iter_rows(named=True):
            table.add_row(
                f"{row['mmsi']}+{row['mmsi_2']}",
                row["start"].strftime("%Y-%m-%d %H:%M"),
                f"{row['duration_h']:.1f}",
                f"{row['lat']:.3f}",
                f"{row['lon']:.3f}",
                f"{row['median_sog']:.1f}",
                f"{row['median_sog_2']:.1f}",
                f"{row['min_distance_m']:.0f}",
                f"{row['shore_distance_km']:.0f}",
                f"{row['port_distance_km']:.0f}",
            )
        console.print(table)
    total = sum(e.height for _, e in at_sea)
    in_port = sum(e.filter(pl.col("port_distance_km") < 10).height for _, e in at_sea)
    print(f"real_traffic: encounters={total} in_port={in_port}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
