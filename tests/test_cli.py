"""The ``neonwatch`` command as a user meets it: help, ingest, errors, the demo.

The CLI is a thin shell, so these tests check the shell's own job (arguments in, summary out,
exit codes, one clear line per user mistake) on a small real log, not the decoding itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neonwatch import __version__
from neonwatch.cli import app, parse_columns

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "cli-sample.nmea"  # real USCG NAIS, 2,000 lines
GULF_CSV = DATA / "atd2025_gulf_300.csv.gz"  # track_id,time,lat,lon,speed,course
GULF_COLUMNS = "mmsi=track_id,ts=time,sog=speed,cog=course"

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "ingest" in result.stdout
    assert "demo" in result.stdout


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_ingest_json_summary_and_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["ingest", str(SAMPLE), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    for key in ("messages", "positions", "vessels"):
        assert summary[key] > 0, key
    assert isinstance(summary["rejected"], dict)
    assert summary["positions"] <= summary["messages"]
    assert list(out.glob("positions/day=*/part-0.parquet"))
    assert list(out.glob("vessels/day=*/part-0.parquet"))
    assert (out / "rejected" / "rejected.parquet").is_file()
    assert json.loads((out / "summary.json").read_text())["positions"] == summary["positions"]


def test_ingest_rich_summary_says_where_outputs_are(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["ingest", str(SAMPLE), "--out", str(out), "--chunk-mb", "1"])
    assert result.exit_code == 0, result.output
    for word in ("messages", "duplicates", "positions", "vessels", "rejected", "skipped"):
        assert word in result.stdout
    assert str(out.resolve()) in result.stdout.replace("\n", "")


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.nmea"
    result = runner.invoke(app, ["ingest", str(missing), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "no such file" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_garbage_file_is_a_usage_error(tmp_path: Path) -> None:
    garbage = tmp_path / "notes.txt"
    garbage.write_text("shopping list: rice, miso, maple syrup\n")
    result = runner.invoke(app, ["ingest", str(garbage), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "not a recognised AIS log" in result.stderr
    assert "--columns" in result.stderr  # tells the user what to do
    assert "Traceback" not in result.output


@pytest.mark.parametrize("spec", ["mmsi", "mmsi=", "=track_id", "mmsi=a,mmsi=b", "speed=sog"])
def test_bad_columns_syntax_is_a_usage_error(tmp_path: Path, spec: str) -> None:
    result = runner.invoke(
        app, ["ingest", str(SAMPLE), "--out", str(tmp_path / "out"), "--columns", spec]
    )
    assert result.exit_code == 2
    assert "--columns" in result.stderr
    assert "Traceback" not in result.output


def test_ingest_mapped_csv(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["ingest", str(GULF_CSV), "--out", str(out), "--columns", GULF_COLUMNS, "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["positions"] > 0
    assert summary["files"][0]["format"] == "csv"
    assert list(out.glob("positions/day=*/part-0.parquet"))


def test_mapping_to_a_missing_column_is_a_usage_error(tmp_path: Path) -> None:
    args = ["ingest", str(GULF_CSV), "--out", str(tmp_path / "out"), "--columns", "mmsi=nope"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "nope" in result.stderr
    assert "Traceback" not in result.output


def test_parse_columns() -> None:
    spec = "mmsi=track_id, ts=time,sog=speed,cog=course"
    assert parse_columns(spec) == {
        "mmsi": "track_id",
        "ts": "time",
        "sog": "speed",
        "cog": "course",
    }


def test_demo_writes_positions(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert list(out.glob("positions/day=*/part-0.parquet"))
    assert (out / "summary.json").is_file()
    assert "outputs in" in result.stdout
    # then the ACSA ledger's open balances, in the picture's store
    tail = result.stdout[result.stdout.index("ACSA ledger: 8 orders") :]
    assert "open balances on" in tail and "JPY 96,375,000" in tail and "CAD 27,100.50" in tail
    # and it ends by saying how to open the picture, as which user
    last = " ".join(result.stdout[result.stdout.index("web picture:") :].split())
    assert "user demo-analyst" in last and "password" in last
    assert "serve it: neonwatch serve --db" in last and last.endswith("/acsa)")


def test_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "neonwatch", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ingest" in result.stdout
    assert "Usage: neonwatch" in result.stdout
