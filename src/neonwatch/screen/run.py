"""Screening end to end: a dataset's vessels (and its events) against the watchlists.

``screen`` is what ``neonwatch screen`` and the demo call: match the vessels against the lists,
run the identity checks over the vessels history, score vessels and events with reasons, and
write every table to ``--out`` so that an analyst (or the next stage) can read them without
re-running anything.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from neonwatch.screen.identity import identity_checks
from neonwatch.screen.lists import EXAMPLE_1718_CSV, ListStore, load_csv_list
from neonwatch.screen.match import match_vessels
from neonwatch.screen.risk import RiskConfig, event_risk, load_risk_config, vessel_risk
from neonwatch.screen.schema import RISK_FACTORS

OUTPUTS = (
    "hits.parquet",
    "anomalies.parquet",
    "vessel_risk.parquet",
    "event_risk.parquet",
    "risk_factors.parquet",
    "top_risks.csv",
)
TOP_CSV_ROWS = 100  # per subject kind in top_risks.csv


@dataclass
class ScreenResult:
    """The tables of one screening and where they were written."""

    vessels: int  # distinct vessel identities screened
    lists: list[str]  # list ids screened against
    entries: int  # watchlist entries
    hits: pa.Table
    anomalies: pa.Table
    vessel_scores: pa.Table
    event_scores: pa.Table
    factors: pa.Table
    out: Path | None = None
    notes: list[str] = field(default_factory=list)

    def top_vessels(self, n: int = 10) -> list[dict[str, Any]]:
        rows = self.vessel_scores.slice(0, n).to_pylist()
        return [r for r in rows if r["score"] > 0]

    def top_events(self, n: int = 10) -> list[dict[str, Any]]:
        rows = self.event_scores.slice(0, n).to_pylist()
        return [r for r in rows if r["score"] > 0]

    def to_json(self, top: int = 10) -> dict[str, Any]:
        """Counts and the top risks, as ``neonwatch screen --json`` prints them."""
        checks = self.anomalies["check"].to_pylist()
        return {
            "vessels": self.vessels,
            "lists": self.lists,
            "entries": self.entries,
            "hits": self.hits.num_rows,
            "listed_vessels": len(set(_listed_subjects(self.hits))),
            "anomalies": {c: checks.count(c) for c in sorted(set(checks))},
            "events": self.event_scores.num_rows,
            "top_vessels": [
                {
                    "subject_id": r["subject_id"],
                    "mmsi": r["mmsi"],
                    "imo": r["imo"],
                    "name": r["name"],
                    "score": r["score"],
                    "top_factors": r["top_factors"],
                }
                for r in self.top_vessels(top)
            ],
            "top_events": [
                {
                    "event_id": r["event_id"],
                    "kind": r["kind"],
                    "mmsi": r["mmsi"],
                    "mmsi_2": r["mmsi_2"],
                    "start": r["start"].isoformat() if r["start"] is not None else None,
                    "score": r["score"],
                    "top_factors": r["top_factors"],
                }
                for r in self.top_events(top)
            ],
            "out": str(self.out) if self.out is not None else None,
        }


def _listed_subjects(hits: pa.Table) -> list[tuple[Any, Any, Any]]:
    return list(
        zip(
            hits["mmsi"].to_pylist(), hits["imo"].to_pylist(), hits["name"].to_pylist(), strict=True
        )
    )


def read_vessels(dataset: Path | str) -> pa.Table:
    """The vessels of a dataset folder (``vessels/day=*/*.parquet`` as ingest and the
    simulator write them), or a vessels or sightings table given as one Parquet or CSV file
    (columns among mmsi, imo, name, callsign, ship_type, flag, owner)."""
    path = Path(dataset)
    if path.is_file():
        if path.suffix.lower() == ".csv":
            return pacsv.read_csv(path)
        return pq.read_table(path)
    root = path / "vessels" if (path / "vessels").is_dir() else path
    files = sorted(root.glob("day=*/*.parquet")) if root.is_dir() else []
    if not files:
        raise ValueError(
            f"{dataset}: no vessels here (vessels/day=YYYY-MM-DD/*.parquet); give the --out "
            "folder of `neonwatch ingest` or `neonwatch simulate`, or a vessels CSV/Parquet file"
        )
    frame = pl.scan_parquet(files, hive_partitioning=False).collect()
    return frame.to_arrow()


def read_events(path: Path | str) -> pa.Table:
    """events.parquet, or the --out folder of ``neonwatch detect`` holding it."""
    p = Path(path)
    file = p / "events.parquet" if p.is_dir() else p
    if not file.is_file():
        raise ValueError(f"{path}: no events.parquet here; give the --out folder of `detect`")
    return pq.read_table(file)


def default_watchlist(lists_dir: Path | str | None = None) -> tuple[pa.Table, list[str]]:
    """The stored lists (``lists_dir``, else $NEONWATCH_LISTS, else ./neonwatch-lists), or the
    bundled example UN 1718 vessels list when nothing is stored yet."""
    store = ListStore(lists_dir)
    stored = [e["list_id"] for e in store.lists()]
    if stored:
        return store.entries(), stored
    if lists_dir is not None:
        raise ValueError(f"{lists_dir}: no lists stored; add some with `neonwatch lists add`")
    table = load_csv_list(EXAMPLE_1718_CSV)
    return table, sorted(set(table["list_id"].to_pylist()))


def _positions(dataset: Path) -> pl.LazyFrame | None:
    if dataset.is_file():
        return None
    try:
        from neonwatch.detect import scan_positions

        return scan_positions(dataset)
    except ValueError:
        return None


def screen(
    dataset: Path | str | pa.Table,
    events: Path | str | pa.Table | None = None,
    *,
    watchlist: pa.Table | None = None,
    lists_dir: Path | str | None = None,
    out: Path | str | None = None,
    config: RiskConfig | Path | str | None = None,
    min_name_score: float = 88.0,
    use_positions: bool = True,
) -> ScreenResult:
    """Screen a dataset's vessels against the watchlists and score vessels and events.

    ``dataset`` is a dataset folder, a vessels/sightings file or a vessels table; ``events`` an
    events table or the folder of ``neonwatch detect`` (default: ``DATASET/events`` when it
    exists). ``watchlist`` defaults to :func:`default_watchlist` (``lists_dir``). ``config`` is
    a :class:`RiskConfig` or a TOML file overriding ``risk.toml``. With ``out``, writes
    hits, anomalies, vessel_risk, event_risk, risk_factors (Parquet) and top_risks.csv.
    """
    cfg = config if isinstance(config, RiskConfig) else load_risk_config(config)
    notes: list[str] = []
    positions: pl.LazyFrame | None = None
    if isinstance(dataset, pa.Table):
        vessels = dataset
    else:
        vessels = read_vessels(dataset)
        if use_positions:
            positions = _positions(Path(dataset))
        if events is None and (Path(dataset) / "events" / "events.parquet").is_file():
            events = Path(dataset) / "events"
            notes.append(f"events from {events}")
    event_table = events if isinstance(events, pa.Table) or events is None else read_events(events)
    if watchlist is None:
        watchlist, list_ids = default_watchlist(lists_dir)
    else:
        list_ids = sorted(set(watchlist["list_id"].to_pylist()))
    hits = match_vessels(vessels, watchlist, min_name_score=min_name_score)
    anomalies = identity_checks(vessels, watchlist)
    v_scores, v_factors = vessel_risk(vessels, hits, anomalies, event_table, positions, config=cfg)
    if event_table is not None:
        e_scores, e_factors = event_risk(event_table, vessels, hits, anomalies, config=cfg)
    else:
        e_scores, e_factors = event_risk(
            pa.table({"event_id": pa.array([], pa.string())}), vessels, hits, anomalies, config=cfg
        )
    factors = pa.concat_tables([v_factors, e_factors]).cast(RISK_FACTORS)
    result = ScreenResult(
        vessels=v_scores.num_rows,
        lists=list_ids,
        entries=watchlist.num_rows,
        hits=hits,
        anomalies=anomalies,
        vessel_scores=v_scores,
        event_scores=e_scores,
        factors=factors,
        notes=notes,
    )
    if out is not None:
        write_screen(result, out)
    return result


def write_screen(result: ScreenResult, out: Path | str) -> Path:
    """Write the tables of ``result`` to ``out``, each file whole or not at all."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "hits.parquet": result.hits,
        "anomalies.parquet": result.anomalies,
        "vessel_risk.parquet": result.vessel_scores,
        "event_risk.parquet": result.event_scores,
        "risk_factors.parquet": result.factors,
    }
    for name, table in tables.items():
        tmp = folder / f".{name}.tmp"
        pq.write_table(table, tmp)
        tmp.replace(folder / name)
    tmp = folder / ".top_risks.csv.tmp"
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["subject", "subject_id", "score", "factors", "top_factors", "detail"])
        for r in result.top_vessels(TOP_CSV_ROWS):
            detail = " ".join(x for x in (r["name"], f"IMO {r['imo']}" if r["imo"] else None) if x)
            writer.writerow(
                ["vessel", r["subject_id"], r["score"], r["factors"], r["top_factors"], detail]
            )
        for r in result.top_events(TOP_CSV_ROWS):
            pair = f"{r['mmsi']}" + (f"+{r['mmsi_2']}" if r["mmsi_2"] is not None else "")
            start = r["start"].isoformat() if r["start"] is not None else ""
            writer.writerow(
                [
                    "event",
                    r["event_id"],
                    r["score"],
                    r["factors"],
                    r["top_factors"],
                    f"{r['kind']} {pair} {start}",
                ]
            )
    tmp.replace(folder / "top_risks.csv")
    (folder / ".screen.json.tmp").write_text(json.dumps(result.to_json(), indent=2))
    (folder / ".screen.json.tmp").replace(folder / "screen.json")
    result.out = folder
    return folder


def render_top_risks(result: ScreenResult, console: Console, limit: int = 10) -> None:
    """The highest-scoring vessels and events with their top factors, for people."""
    checks = result.anomalies["check"].to_pylist()
    console.print(
        f"screened {result.vessels:,} vessels against {result.entries:,} entries of "
        f"{', '.join(result.lists) or 'no lists'}: {result.hits.num_rows:,} hits, "
        f"{len(checks):,} identity anomalies, {result.event_scores.num_rows:,} events scored"
    )
    for title, rows, first in (
        ("riskiest vessels", result.top_vessels(limit), "vessel"),
        ("riskiest events", result.top_events(limit), "event"),
    ):
        if not rows:
            continue
        table = Table(title=f"{title} (score = sum of factor weights, risk.toml)", show_edge=False)
        table.add_column(first, no_wrap=True)
        table.add_column("score", justify="right")
        table.add_column("top factors")
        for r in rows:
            if first == "vessel":
                label = " ".join(
                    x
                    for x in (r["subject_id"], r["name"], f"IMO {r['imo']}" if r["imo"] else None)
                    if x
                )
            else:
                pair = f"{r['mmsi']}" + (f"+{r['mmsi_2']}" if r["mmsi_2"] is not None else "")
                label = f"{r['kind']} {pair}"
            table.add_row(escape(label), f"{r['score']:.0f}", escape(r["top_factors"]))
        console.print(table)
