"""Tracktable trajectory files (real New York harbour AIS) through `ingest`."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from neonwatch.ingest import detect_format, ingest

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "nyharbor-2020-12-08-head3.traj"


def test_tracktable_file_is_recognised_and_read(tmp_path: Path) -> None:
    assert detect_format(SAMPLE) == "tracktable"
    summary = ingest([SAMPLE], tmp_path)
    assert summary.lines == 3
    assert summary.positions == 163 + 115 + 332
    assert summary.rejected == {}
    df = pl.read_parquet(tmp_path / "positions" / "**" / "*.parquet").sort(["mmsi", "ts"])
    first = df.filter(pl.col("mmsi") == 367448070).row(0, named=True)
    assert first["ts"].isoformat() == "2020-12-08T02:21:44+00:00"
    assert (first["lat"], first["lon"]) == (40.61758, -74.0649)
    assert df["sog"].null_count() == df.height  # the format carries positions only


def test_a_broken_trajectory_is_refused_and_the_others_kept(tmp_path: Path) -> None:
    lines = SAMPLE.read_text().splitlines()
    broken = tmp_path / "broken.traj"
    broken.write_text("\n".join([lines[0], "*T*,x,terrestrial,oops", lines[1]]) + "\n")
    summary = ingest([broken], tmp_path / "out")
    assert summary.rejected == {"malformed trajectory": 1}
    assert summary.positions == 163 + 115
    rejected = pl.read_parquet(tmp_path / "out" / "rejected" / "rejected.parquet")
    assert rejected["line_no"].to_list() == [2]
