"""``neonwatch acsa ...`` as an officer meets it (typer's CliRunner, a real SQLite store): the
demo, the lifecycle with ``--as``, JSON output, statements to a file, rates and
consolidation, and one red line with exit code 2 for each refusal."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from neonwatch.cli import app

runner = CliRunner()
FUEL = "fuel|Marine diesel F-76|120000|L|1.35"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A store with the ledger demo loaded (officers caf-logistics and jsdf-logistics)."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.delenv("NEONWATCH_USER", raising=False)
    result = runner.invoke(app, ["acsa", "demo", "--db", url])
    assert result.exit_code == 0, result.output
    return url


def _json(args: list[str]) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _fails(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output, result.output
    assert "Traceback" not in result.output


def test_help_names_every_command() -> None:
    result = runner.invoke(app, ["acsa", "--help"])
    assert result.exit_code == 0
    for command in (
        "agreement", "request", "accept", "reject", "provide", "receive", "invoice", "settle",
        "cancel", "amend", "show", "list", "balances", "overdue", "totals", "statement", "rate",
        "consolidated", "demo",
    ):  # fmt: skip
        assert command in result.stdout
    assert "acsa" in runner.invoke(app, ["--help"]).stdout


def test_agreement() -> None:
    data = _json(["acsa", "agreement"])
    assert data["payment_terms_days"] == 60 and data["acsa_group"] == "acsa"
    text = runner.invoke(app, ["acsa", "agreement"]).stdout
    assert "Japan Self-Defense Forces" in text and "weapons are never provided" in text


def test_demo_shows_balances_and_is_loaded_once(db: str) -> None:
    result = runner.invoke(app, ["acsa", "demo", "--db", db])
    assert result.exit_code == 0 and "8 orders already in" in result.stdout
    assert "open balances" in result.stdout and "JPY 96,375,000" in result.stdout
    assert "CAD 27,100.50" in result.stdout and "payment terms" in result.stdout
    bal = _json(["acsa", "balances", "--db", db, "--as", "jsdf-logistics"])["balances"]
    assert {(b["creditor"], b["currency"], b["open_minor"]) for b in bal} == {
        ("CAF", "CAD", 2_710_050),
        ("JSDF", "JPY", 96_375_000),
    }
    late = _json(["acsa", "overdue", "--db", db, "--as", "caf-logistics"])["items"]
    assert [(i["number"], i["reason"]) for i in late] == [("ACSA-2026-0003", "payment")]


def test_lifecycle_with_as(db: str) -> None:
    caf = ["--db", db, "--as", "caf-logistics"]
    jsdf = ["--db", db, "--as", "jsdf-logistics"]
    order = _json(["acsa", "request", *jsdf, "--activity", "port_visit", "--line", FUEL,
                   "--reference", "JS destroyer, Esquimalt"])  # fmt: skip
    assert order["requesting"] == "JSDF" and order["supplying"] == "CAF"
    assert order["currency"] == "CAD" and order["total"] == "162000.00"
    number = order["number"]
    _fails(["acsa", "accept", number, *jsdf], "only CAF officers (the supplying party)")
    _fails(["acsa", "provide", number, *caf], "accept it first")
    _fails(["acsa", "accept", number, *caf, "--version", "7"], "changed since you read it")
    amended = _json(["acsa", "amend", number, *jsdf, "--line", FUEL.replace("120000", "90000")])
    assert amended["total"] == "121500.00" and amended["revision"] == 2
    for action, who in (("accept", caf), ("provide", caf), ("receive", jsdf), ("invoice", caf)):
        order = _json(["acsa", action, number, *who, "--note", f"{action} by the CLI"])
    order = _json(["acsa", "settle", number, *caf, "--amount", "21500.00"])
    assert order["status"] == "invoiced" and order["open"] == "100000.00"
    order = _json(["acsa", "settle", number, *caf])
    assert order["status"] == "settled"
    shown = runner.invoke(app, ["acsa", "show", number, *jsdf])
    assert shown.exit_code == 0
    assert "settled" in shown.stdout and "invoice by the CLI" in shown.stdout
    listed = _json(["acsa", "list", *jsdf, "--status", "settled"])
    assert number in [i["number"] for i in listed["items"]]
    table = runner.invoke(app, ["acsa", "list", *jsdf])
    assert number in table.stdout


def test_refusals_are_one_red_line(db: str, tmp_path: Path) -> None:
    jsdf = ["--db", db, "--as", "jsdf-logistics"]
    _fails(["acsa", "request", *jsdf, "--activity", "port_visit", "--line",
            "weapons|Rifles|10|each|900.00"], "weapons are never provided")  # fmt: skip
    _fails(["acsa", "request", *jsdf, "--activity", "port_visit", "--currency", "JPY",
            "--line", "fuel|F-76|10|L|150.5"], "more decimals than JPY")  # fmt: skip
    _fails(["acsa", "request", *jsdf, "--activity", "tourism", "--line", FUEL],
           "not an activity eligible")  # fmt: skip
    _fails(["acsa", "request", *jsdf, "--activity", "port_visit", "--line", "fuel|F-76"],
           "5 fields separated by |")  # fmt: skip
    _fails(["acsa", "balances", "--db", db], "name the acting officer with --as")
    _fails(["acsa", "balances", "--db", db, "--as", "nobody"], "no user 'nobody'")
    _fails(["acsa", "show", "ACSA-1999-0001", *jsdf], "not found")
    _fails(["acsa", "balances", *jsdf, "--as-of", "yesterday"], "expected a date")


def test_statement_rates_and_consolidated(db: str, tmp_path: Path) -> None:
    caf = ["--db", db, "--as", "caf-logistics"]
    period = ["--party", "CAF", "--start", "2026-01-01", "--end", "2099-12-31"]
    out = tmp_path / "caf.csv"
    result = runner.invoke(app, ["acsa", "statement", *caf, *period, "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    closing = {r["currency"]: r["balance"] for r in rows if r["kind"] == "closing"}
    assert closing == {"CAD": "27100.50", "JPY": "-96375000"}
    html = runner.invoke(app, ["acsa", "statement", *caf, *period, "--format", "html"])
    assert "Statement of account" in html.stdout and "27100.50" in html.stdout
    totals = _json(["acsa", "totals", *caf, "--by", "activity"])["items"]
    assert {t["key"] for t in totals} == {"port_visit", "coordinated_operation"}
    _fails(["acsa", "consolidated", *caf, "--currency", "CAD", "--rate-date", "2020-01-01"],
           "no JPY/CAD rate recorded on or before 2020-01-01")  # fmt: skip
    rate = _json(["acsa", "rate", *caf, "--base", "JPY", "--quote", "CAD", "--rate", "0.0090",
                  "--as-of", "2020-01-01", "--source", "test"])  # fmt: skip
    assert rate["rate"] == "0.009"
    data = _json(["acsa", "consolidated", *caf, "--currency", "CAD", "--rate-date", "2020-06-30"])
    # 96,375,000 JPY x 0.009 = 867,375.00 CAD owed to JSDF, less 27,100.50 owed to CAF
    assert data["net"] == {
        "creditor": "JSDF", "debtor": "CAF", "open_minor": 84_027_450, "open": "840274.50"
    }  # fmt: skip
