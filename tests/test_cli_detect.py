"""`neonwatch simulate`, `detect` and `evaluate` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from neonwatch.cli import app
from neonwatch.detect import Kind

runner = CliRunner()


def test_simulate_detect_evaluate_round_trip(tmp_path: Path) -> None:
    sim, events = tmp_path / "sim", tmp_path / "events"
    result = runner.invoke(
        app,
        [
            "simulate",
            "--vessels",
            "200",
            "--hours",
            "30",
            "--seed",
            "5",
            "--out",
            str(sim),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    planted = json.loads(result.output)
    assert planted["positions"] > 100_000 and planted["planted"][Kind.ENCOUNTER] >= 1
    assert (sim / "truth.parquet").exists() and list((sim / "positions").glob("day=*"))

    result = runner.invoke(app, ["detect", str(sim), "--out", str(events), "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert set(counts) == set(Kind.ALL) and counts[Kind.ENCOUNTER] >= 1
    table = pl.read_parquet(events / "events.parquet")
    assert table.height == sum(counts.values())
    geojson = json.loads((events / "events.geojson").read_text())
    assert len(geojson["features"]) == table.height

    result = runner.invoke(app, ["evaluate", str(events), str(sim), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    for kind in Kind.ALL:
        assert scores[f"{kind}.precision"] >= 0.95 and scores[f"{kind}.recall"] >= 0.95

    result = runner.invoke(app, ["detect", str(sim), "--out", str(tmp_path / "byday"), "--by-day"])
    assert result.exit_code == 0, result.output
    assert "events by kind" in result.output
    by_day = pl.read_parquet(tmp_path / "byday" / "events.parquet")
    assert sorted(by_day["event_id"].to_list()) == sorted(table["event_id"].to_list())


def test_detect_explains_a_wrong_folder_and_a_bad_config(tmp_path: Path) -> None:
    result = runner.invoke(app, ["detect", str(tmp_path), "--out", str(tmp_path / "e")])
    assert result.exit_code == 2 and "neonwatch ingest" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[encounter]\nmax_distance = 3\n")
    result = runner.invoke(
        app, ["detect", str(tmp_path), "--out", str(tmp_path / "e"), "--config", str(bad)]
    )
    assert result.exit_code == 2 and "max_distance" in result.output
