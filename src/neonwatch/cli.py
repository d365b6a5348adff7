"""The ``neonwatch`` command: a thin shell over the library.

Every command parses its options, calls one library function and renders what comes back; no
analysis happens here, so whatever the CLI can do a notebook or the web can do through the same
call. Errors a user can cause (a missing file, an unknown format, a malformed option) end with
one red line that says what to do and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from neonwatch import __version__
from neonwatch.demo import DEFAULT_OUT, DEMO_INPUTS, demo_input_sizes, run_demo
from neonwatch.ingest import IngestSummary, detect_format
from neonwatch.ingest import ingest as run_ingest
from neonwatch.ingest.csv import CANONICAL_COLUMNS
from neonwatch.ingest.pipeline import CHUNK_BYTES

USAGE_ERROR = 2

app = typer.Typer(
    name="neonwatch",
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Piped output (CI logs, `| less`) gets 110 columns rather than Rich's 80, so tables of events
# stay readable; a terminal keeps its own width.
out_console = Console(highlight=False, width=None if sys.stdout.isatty() else 110)
err_console = Console(stderr=True, highlight=False)


class UserError(Exception):
    """Something the user can fix; shown as one red line, exit code 2."""


def _fail(message: str, code: int = USAGE_ERROR) -> typer.Exit:
    err_console.print(Text(f"error: {message}", style="bold red"), soft_wrap=True)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        out_console.print(f"neonwatch {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Detect sanctions evasion at sea from AIS: the working machinery of Canada-Japan maritime
    security cooperation.

    Start with [bold]neonwatch demo[/bold], then [bold]neonwatch ingest --help[/bold].
    """


def parse_columns(spec: str) -> dict[str, str]:
    """``mmsi=track_id,ts=time`` -> ``{"mmsi": "track_id", "ts": "time"}`` (canonical -> source).

    Checked here, before any input is read, so a typo costs the user one second, not one run.
    """
    mapping: dict[str, str] = {}
    for item in spec.split(","):
        canonical, sep, source = (part.strip() for part in item.partition("="))
        if not sep or not canonical or not source:
            raise UserError(
                f"--columns: {item.strip()!r} is not canonical=source; write it like "
                "--columns mmsi=track_id,ts=time,lat=latitude,lon=longitude"
            )
        if canonical not in CANONICAL_COLUMNS:  # the CSV reader's own list, so the two agree
            raise UserError(
                f"--columns: {canonical!r} is not a neonwatch column; use one of "
                + ", ".join(CANONICAL_COLUMNS)
            )
        if canonical in mapping:
            raise UserError(f"--columns: {canonical!r} is mapped twice")
        mapping[canonical] = source
    return mapping


def _check_inputs(files: list[Path], columns: dict[str, str] | None) -> None:
    """Find unreadable or unrecognised inputs before a long run starts, not halfway through."""
    for path in files:
        if not path.exists():
            raise UserError(f"{path}: no such file; check the path")
        if path.is_dir():
            raise UserError(f"{path}: is a folder; give the log files in it, e.g. {path}/*")
        if not os.access(path, os.R_OK):
            raise UserError(f"{path}: not readable; check its permissions")
        try:
            detect_format(path, columns)
        except ValueError as exc:
            raise UserError(str(exc)) from None


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """A Rich byte progress bar on stderr, only for a person watching a terminal."""
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task("reading", total=total)

        def advance(n_bytes: int) -> None:
            progress.advance(task, n_bytes)

        yield advance


def render_summary(summary: IngestSummary, console: Console, *, short_paths: bool = False) -> None:
    """What an ingest read, kept and refused, in the words an analyst uses, and where it went."""
    totals = Table.grid(padding=(0, 2))
    totals.add_column(style="bold")
    totals.add_column(justify="right")
    totals.add_column(style="dim")
    rows = [
        ("messages", summary.messages, "AIS messages decoded, all types"),
        ("duplicates", summary.duplicates, "same message from another station, dropped"),
        ("positions", summary.positions, "unique position reports written"),
        ("vessels", summary.vessels, "vessel identity rows (name, IMO, call sign, type)"),
        ("base stations", summary.base_stations, "base station reports"),
        ("untimed", summary.untimed, "positions without a receive time (day=unknown)"),
    ]
    for label, n, meaning in rows:
        totals.add_row(label, f"{n:,}", meaning)
    sections = [
        ("rejected", summary.rejected, "lines refused, kept in rejected/rejected.parquet"),
        ("skipped", summary.skipped, "lines that carry no AIS message"),
    ]
    for label, counts, meaning in sections:
        totals.add_row(label, f"{sum(counts.values()):,}", meaning)
    console.print(totals)

    # Reasons in a grid of their own, so that a long reason does not widen the totals above.
    reasons = Table.grid(padding=(0, 2))
    reasons.add_column(style="bold")
    reasons.add_column()
    reasons.add_column(justify="right")
    for label, counts, _ in sections:
        for i, (reason, n) in enumerate(counts.items()):
            reasons.add_row(label if i == 0 else "", reason, f"{n:,}")
    if reasons.row_count:
        console.print()
        console.print(reasons)

    files = Table(box=None, padding=(0, 2), pad_edge=False, header_style="bold")
    files.add_column("file", overflow="fold")
    files.add_column("format")
    files.add_column("lines", justify="right")
    files.add_column("messages", justify="right")
    for item in summary.files:
        name = Path(item["path"]).name if short_paths else item["path"]
        files.add_row(name, item["format"], f"{item['lines']:,}", f"{item['messages']:,}")
    console.print()
    console.print(files)

    rate = summary.messages / summary.seconds if summary.seconds else 0.0
    console.print()
    console.print(
        f"{summary.lines:,} lines in {summary.seconds:.2f} s ({rate:,.0f} messages/s)", style="dim"
    )
    out = escape(str(Path(summary.out).resolve()))
    console.print(f"[bold green]outputs in {out}/[/]")
    layout = Table.grid(padding=(0, 2))
    layout.add_column(style="cyan")
    layout.add_column(style="dim")
    layout.add_row("  positions/", "day=YYYY-MM-DD/part-0.parquet, one per UTC day")
    layout.add_row("  vessels/", "identity history, by the day first seen")
    layout.add_row("  base_stations/", "day=YYYY-MM-DD/part-0.parquet")
    layout.add_row("  rejected/rejected.parquet", "every refused line with its reason")
    layout.add_row("  summary.json", "these numbers, as JSON")
    console.print(layout)


INGEST_HELP = (
    "Decode AIS logs and CSVs into day-partitioned Parquet: positions, vessels, base stations."
    "\n\n"
    "Input streams through in chunks, so memory stays bounded whatever its size. Messages heard "
    "by several stations are kept once. Every line refused is counted by reason in the summary "
    "and kept with its reason in [bold]rejected/rejected.parquet[/bold]."
)

INGEST_EXAMPLES = "\n\n".join(
    [
        "[bold]Examples[/bold]",
        "[dim]# NMEA logs, plain or compressed[/dim]\n"
        "neonwatch ingest ais_2016_07_28.nmea logs/*.nmea.gz --out work",
        "[dim]# a Marine Cadastre CSV, summary as JSON[/dim]\n"
        "neonwatch ingest AIS_2023_01_01.csv --out work --json",
        "[dim]# any other positions CSV: canonical=source column pairs[/dim]\n"
        "neonwatch ingest tracks.csv --out work --columns mmsi=track_id,ts=time,lat=y,lon=x",
    ]
)


@app.command(help=INGEST_HELP, epilog=INGEST_EXAMPLES)
def ingest(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="AIS inputs: NMEA logs, DMA or Marine Cadastre CSV, or any positions CSV "
            "with --columns; plain, gzip or zstd. The format is detected from the content.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Output folder; its positions/, vessels/, base_stations/ and rejected/ are "
            "replaced only once every input has been read.",
            show_default=False,
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the summary as JSON (keys include messages, positions, vessels and "
            "rejected: reason -> count) and no progress bar.",
        ),
    ] = False,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            help="For a CSV of another layout: canonical=source column pairs, e.g. "
            "mmsi=track_id,ts=time,lat=latitude,lon=longitude.",
            show_default=False,
        ),
    ] = None,
    chunk_mb: Annotated[
        int,
        typer.Option(
            "--chunk-mb",
            min=1,
            help="Bytes read per chunk, in MiB; memory use grows with it, not with the input.",
        ),
    ] = CHUNK_BYTES >> 20,
) -> None:
    """Thin shell over :func:`neonwatch.ingest.ingest` (help text in ``INGEST_HELP``)."""
    try:
        mapping = parse_columns(columns) if columns is not None else None
        _check_inputs(files, mapping)
        if out.exists() and not out.is_dir():
            raise UserError(f"--out {out}: is a file; give a folder (it is created if missing)")
    except UserError as exc:
        raise _fail(str(exc)) from None

    total = sum(path.stat().st_size for path in files)
    show_bar = err_console.is_terminal and not as_json
    try:
        with _progress(total, show_bar) as on_progress:
            summary = run_ingest(
                files, out, columns=mapping, on_progress=on_progress, chunk_bytes=chunk_mb << 20
            )
    except ValueError as exc:  # a CSV whose mapped columns are missing, and the like
        raise _fail(str(exc)) from None
    except PermissionError as exc:  # e.g. an --out the user may not write to
        raise _fail(f"{exc.filename}: permission denied; choose another --out") from None
    except OSError as exc:  # disk full and the like: not the user's typo, but no traceback
        raise _fail(f"{exc}; the outputs in {out} are as they were before", 1) from None
    except KeyboardInterrupt:
        raise _fail(f"interrupted; the outputs in {out} are as they were before", 130) from None

    if as_json:
        print(json.dumps(summary.to_json()))
    else:
        render_summary(summary, out_console)


DEMO_HELP = (
    "Run the main job end to end on real AIS logs bundled with neonwatch."
    "\n\n"
    "Decodes US Coast Guard, Danish Maritime Authority and AMSA logs (about 29,000 lines) and "
    "writes the datasets under [bold]--out[/bold]. Needs no network and nothing else installed."
)


@app.command(help=DEMO_HELP, epilog="[bold]Example[/bold]\n\nneonwatch demo --out /tmp/nw-demo")
def demo(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Output folder for the demo's datasets."),
    ] = DEFAULT_OUT,
) -> None:
    """Thin shell over :func:`neonwatch.demo.run_demo` (help text in ``DEMO_HELP``)."""
    if out.exists() and not out.is_dir():
        raise _fail(f"--out {out}: is a file; give a folder (it is created if missing)")
    show_bar = err_console.is_terminal
    out_console.print("[bold]neonwatch demo[/bold]: ingesting bundled real AIS logs")
    inputs = Table.grid(padding=(0, 2))
    inputs.add_column(style="cyan", no_wrap=True)
    inputs.add_column()
    for item in DEMO_INPUTS:
        inputs.add_row(f"  {item.name}", item.description)
    out_console.print(inputs)
    out_console.print()
    with _progress(demo_input_sizes(), show_bar) as on_progress:
        result = run_demo(out, on_progress=on_progress, detection=False)
    render_summary(result.ingest, out_console, short_paths=True)
    from neonwatch.demo import detect_demo
    from neonwatch.detect import Kind
    from neonwatch.detect.output import render_events, render_scores

    out_console.print()
    out_console.print("[bold]detection[/bold] on the real logs above (minutes of traffic):")
    result = detect_demo(result)
    assert result.events is not None and result.sim_events is not None
    render_events(result.events, out_console, limit=5)
    out_console.print()
    sim = result.sim_scores
    out_console.print(
        "[bold]detection[/bold] on simulated traffic with planted events "
        f"(real ports and sea lanes, {int(sum(sim.get(f'{k}.truth', 0) for k in Kind.ALL))} "
        f"planted; written to {escape(str(out))}/simulated/):"
    )
    render_events(result.sim_events, out_console, limit=12)
    render_scores(sim, out_console)
    if result.screen is not None:
        from neonwatch.screen.run import render_top_risks

        out_console.print()
        out_console.print(
            "[bold]screening[/bold] of the simulated vessels and events (planted MID 445 tankers "
            f"and their STS partners; written to {escape(str(out))}/simulated/screen/):"
        )
        render_top_risks(result.screen, out_console, limit=8)
    out_console.print(
        f"\nevents in {escape(str(out))}/events/ and {escape(str(out))}/simulated/events/ "
        "(events.parquet, events.geojson)"
    )
    _print_picture_demo(result)


def _print_picture_demo(result: Any) -> None:
    """The demo's last step: the ACSA ledger's balances, then the web picture on the demo's
    data and how to open it (the last lines a new user reads)."""
    from neonwatch.demo import picture_demo

    pic = picture_demo(result)
    if pic.ledger is not None:  # the ACSA ledger, in the same store
        from neonwatch.cli_acsa import render_demo

        out_console.print()
        render_demo(pic.ledger)
    out_console.print()
    out_console.print(
        f"[bold]web picture[/bold]: {pic.vessels:,} vessel rows, {pic.events:,} events and "
        f"{pic.sightings} real sightings (Japan MOD cases) in {escape(str(pic.db))}"
    )
    out_console.print(
        f"  user [bold]{pic.username}[/bold] (CAN, SECRET, groups maritime-picture and acsa), "
        f"password [bold]{escape(pic.password)}[/bold] (generated for this demo store only)"
    )
    out_console.print(f"  serve it:  {escape(pic.command)}")
    out_console.print(f"  then open: {pic.url}  (the ledger: {pic.url.rstrip('/')}/acsa)")


DETECT_HELP = (
    "Find ship-to-ship encounters, loitering, AIS gaps and likely disabling, dark "
    "rendezvous, teleports and shared MMSIs in an ingested (or simulated) dataset."
    "\n\n"
    "Writes [bold]events.parquet[/bold] (one row per event, with the rule and thresholds that "
    "fired) and [bold]events.geojson[/bold] for maps under [bold]--out[/bold]. Thresholds are "
    "the defaults named in DESIGN.md unless [bold]--config[/bold] gives a TOML file overriding "
    "any of them."
)
DETECT_EXAMPLES = (
    "[bold]Examples[/bold]\n\n"
    "neonwatch detect neonwatch-demo --out events\n\n"
    "neonwatch detect sim --out sim-events --json\n\n"
    "neonwatch detect sim --out sim-events --config my-thresholds.toml --by-day"
)


@app.command(help=DETECT_HELP, epilog=DETECT_EXAMPLES)
def detect(
    dataset: Annotated[
        Path,
        typer.Argument(help="A folder written by `neonwatch ingest` or `neonwatch simulate`."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the events.")],
    config: Annotated[
        Path | None,
        typer.Option("--config", help="TOML file overriding detection thresholds."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the number of events per kind as JSON.")
    ] = False,
    by_day: Annotated[
        bool,
        typer.Option(
            "--by-day",
            help="Work one UTC day at a time with overlap (as a cluster would): bounded memory.",
        ),
    ] = False,
) -> None:
    """Thin shell over :func:`neonwatch.detect.detect` and ``write_events``."""
    from neonwatch.detect import load_config, scan_positions
    from neonwatch.detect.output import count_by_kind, render_events, write_events
    from neonwatch.detect.run import detect as run_detect
    from neonwatch.detect.run import detect_by_day

    try:
        cfg = load_config(config)
        positions = scan_positions(dataset)
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    if out.exists() and not out.is_dir():
        raise _fail(f"--out {out}: is a file; give a folder (it is created if missing)")
    events = detect_by_day(positions, cfg) if by_day else run_detect(positions, cfg)
    write_events(events, out)
    if as_json:
        print(json.dumps(count_by_kind(events)))
    else:
        render_events(events, out_console)
        out_console.print(f"events in {escape(str(out))}/events.parquet and events.geojson")


SIMULATE_HELP = (
    "Simulate realistic AIS traffic with planted sanctions-evasion events and their ground "
    "truth (truth.parquet), written the way `neonwatch ingest` writes real data."
    "\n\n"
    "Ships sail between real World Port Index ports at their type's speed and report at ITU-R "
    "M.1371 intervals, with GPS noise, reception dropouts and crowded anchorages; planted: "
    "ship-to-ship transfers (one across midnight, one across the 180th meridian, one with a "
    "dark partner), loiterers, AIS disabling, gaps, teleports and a shared MMSI."
)


@app.command(
    help=SIMULATE_HELP,
    epilog="[bold]Example[/bold]\n\nneonwatch simulate --vessels 2000 --hours 48 --out sim",
)
def simulate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the simulated dataset.")],
    vessels: Annotated[int, typer.Option("--vessels", min=1, help="Number of ships.")] = 2000,
    hours: Annotated[float, typer.Option("--hours", min=1, help="Hours of traffic.")] = 48.0,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same traffic.")] = 1,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print positions and planted events as JSON.")
    ] = False,
) -> None:
    """Thin shell over :func:`neonwatch.simulate.simulate` and ``write``."""
    from neonwatch.simulate import simulate as run_simulate
    from neonwatch.simulate import write

    if out.exists() and not out.is_dir():
        raise _fail(f"--out {out}: is a file; give a folder (it is created if missing)")
    try:
        sim = run_simulate(vessels, hours, seed)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    write(sim, out)
    truth_kinds = sim.truth["kind"].to_pylist()
    planted = {kind: truth_kinds.count(kind) for kind in sorted(set(truth_kinds))}
    if as_json:
        print(json.dumps({"positions": sim.positions.num_rows, "planted": planted}))
        return
    out_console.print(
        f"{sim.positions.num_rows:,} positions of {vessels:,} vessels over {hours:g} h "
        f"written to {escape(str(out))}/ (positions/, vessels/, truth.parquet)"
    )
    table = Table(title="planted events (ground truth)", show_edge=False)
    table.add_column("kind")
    table.add_column("planted", justify="right")
    for kind, n in planted.items():
        table.add_row(kind, f"{n:,}")
    out_console.print(table)


@app.command(
    help="Precision and recall per event kind of detected EVENTS against planted TRUTH.",
    epilog="[bold]Example[/bold]\n\nneonwatch evaluate sim-events sim/truth.parquet --json",
)
def evaluate(
    events: Annotated[
        Path, typer.Argument(help="events.parquet, or the --out folder of `neonwatch detect`.")
    ],
    truth: Annotated[
        Path, typer.Argument(help="truth.parquet, or the --out folder of `neonwatch simulate`.")
    ],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print {<kind>.precision, <kind>.recall, ...} as JSON."),
    ] = False,
) -> None:
    """Thin shell over :func:`neonwatch.detect.evaluate.evaluate`."""
    from neonwatch.detect.evaluate import evaluate as run_evaluate
    from neonwatch.detect.evaluate import load_table
    from neonwatch.detect.output import render_scores

    events_path = events / "events.parquet" if events.is_dir() else events
    truth_path = truth / "truth.parquet" if truth.is_dir() else truth
    for path in (events_path, truth_path):
        if not path.exists():
            raise _fail(f"{path}: not found")
    scores = run_evaluate(load_table(events_path), load_table(truth_path))
    if as_json:
        print(json.dumps(scores))
        return
    render_scores(scores, out_console)


# --- neonwatch lists: watchlists (thin shells over neonwatch.screen.lists.ListStore) ---------

lists_app = typer.Typer(
    name="lists",
    help=(
        "Keep watchlists (OFAC SDN, UN consolidated, documented CSV lists) with their dates and "
        "sources, so every hit names the list version that matched. The store is --dir, else "
        "$NEONWATCH_LISTS, else ./neonwatch-lists."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
)

ListsDir = Annotated[
    Path | None,
    typer.Option("--dir", help="List store folder (default: $NEONWATCH_LISTS, ./neonwatch-lists)."),
]


def _render_lists(entries: list[dict[str, object]], console: Console) -> None:
    table = Table(title="watchlists")
    for column in ("list", "entries", "vessels", "with IMO", "added (UTC)", "sources"):
        numeric = column in ("entries", "vessels", "with IMO")
        table.add_column(
            column,
            justify="right" if numeric else "left",
            no_wrap=column != "sources",
            overflow="fold",
        )
    for entry in entries:
        sources = entry.get("sources")
        files = ", ".join(str(s["file"]) for s in sources) if isinstance(sources, list) else ""
        table.add_row(
            escape(str(entry["list_id"])),
            f"{entry['entries']}",
            f"{entry['vessels']}",
            f"{entry.get('vessels_with_imo', '')}",
            str(entry["added_at"]),
            escape(files),
        )
    console.print(table)


@lists_app.command(
    "add",
    epilog=(
        "[bold]Examples[/bold]\n\n"
        "neonwatch lists add sdn_2021-07.csv alt_2021-07.csv add_2021-07.csv\n\n"
        "neonwatch lists add UN_consolidated.xml un-1718-vessels.csv --dir lists --json"
    ),
)
def lists_add(
    files: Annotated[
        list[Path],
        typer.Argument(help="List files; OFAC's SDN, ALT and ADD files given together are one."),
    ],
    directory: ListsDir = None,
    list_version: Annotated[
        str | None,
        typer.Option("--list-version", help="OFAC version when the file names carry no date."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the lists added as JSON.")] = False,
) -> None:
    """Add watchlist files to the store (the same version again replaces it)."""
    from neonwatch.screen.lists import ListStore

    store = ListStore(directory)
    try:
        ids = store.add(files, version=list_version)
        added = [e for e in store.lists() if e["list_id"] in ids]
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        print(json.dumps(added))
        return
    _render_lists(added, out_console)
    out_console.print(f"stored in {escape(str(store.directory))}/")


@lists_app.command("show")
def lists_show(
    directory: ListsDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list index as JSON.")] = False,
) -> None:
    """Show the stored lists: version, entries, vessels, sources."""
    from neonwatch.screen.lists import ListStore

    store = ListStore(directory)
    try:
        entries = store.lists()
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        print(json.dumps(entries))
        return
    if not entries:
        where = escape(str(store.directory))
        out_console.print(f"no lists in {where}; add some with `neonwatch lists add`")
        return
    _render_lists(entries, out_console)


@lists_app.command("remove")
def lists_remove(
    list_id: Annotated[str, typer.Argument(help="A list id from `neonwatch lists show`.")],
    directory: ListsDir = None,
) -> None:
    """Remove one list version from the store."""
    from neonwatch.screen.lists import ListStore

    try:
        ListStore(directory).remove(list_id)
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    out_console.print(f"removed {escape(list_id)}")


app.add_typer(lists_app, name="lists")


SCREEN_HELP = (
    "Screen a dataset's vessels (and its events) against the watchlists: matches by IMO, MMSI, "
    "call sign and fuzzy name, identity checks (check digits, borrowed IMOs, MID vs flag, MID "
    "445, flag hopping, shared IMOs) and a risk score per vessel and per event, every factor "
    "with its evidence and weight."
    "\n\n"
    "Writes hits, anomalies, vessel_risk, event_risk and risk_factors (Parquet) and "
    "top_risks.csv under [bold]--out[/bold]. Lists come from [bold]--lists[/bold] (a store "
    "filled by `neonwatch lists add`), else $NEONWATCH_LISTS or ./neonwatch-lists, else the "
    "bundled example UN 1718 vessels list. Weights are risk.toml's unless [bold]--weights[/bold] "
    "gives a TOML file overriding any of them."
)
SCREEN_EXAMPLES = (
    "[bold]Examples[/bold]\n\n"
    "neonwatch screen sim sim-events --out screened\n\n"
    "neonwatch screen neonwatch-demo --out screened --lists neonwatch-lists --json\n\n"
    "neonwatch screen sightings.csv --out screened --weights my-weights.toml"
)


@app.command(help=SCREEN_HELP, epilog=SCREEN_EXAMPLES)
def screen(
    dataset: Annotated[
        Path,
        typer.Argument(
            help="A folder of `neonwatch ingest`/`simulate`, or a vessels or sightings CSV/Parquet."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the results.")],
    events: Annotated[
        Path | None,
        typer.Argument(help="events.parquet or the --out folder of `neonwatch detect`."),
    ] = None,
    lists_dir: Annotated[
        Path | None, typer.Option("--lists", help="List store folder (`neonwatch lists add`).")
    ] = None,
    weights: Annotated[
        Path | None, typer.Option("--weights", help="TOML file overriding risk weights.")
    ] = None,
    min_name_score: Annotated[
        float,
        typer.Option("--min-name-score", min=0, max=100, help="Lowest fuzzy name score kept."),
    ] = 88.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print counts and the top 10 risks as JSON.")
    ] = False,
) -> None:
    """Thin shell over :func:`neonwatch.screen.run.screen`."""
    from neonwatch.screen.run import render_top_risks
    from neonwatch.screen.run import screen as run_screen

    if not dataset.exists():
        raise _fail(f"{dataset}: not found")
    if events is not None and not events.exists():
        raise _fail(f"{events}: not found")
    if lists_dir is not None and not lists_dir.is_dir():
        raise _fail(f"--lists {lists_dir}: not a folder; fill one with `neonwatch lists add`")
    if out.exists() and not out.is_dir():
        raise _fail(f"--out {out}: is a file; give a folder (it is created if missing)")
    try:
        result = run_screen(
            dataset,
            events,
            lists_dir=lists_dir,
            out=out,
            config=weights,
            min_name_score=min_name_score,
        )
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        print(json.dumps(result.to_json(10)))
        return
    render_top_risks(result, out_console)
    out_console.print(
        f"results in {escape(str(out))}/ (hits, anomalies, vessel_risk, event_risk, "
        "risk_factors .parquet; top_risks.csv)"
    )


PUBLISH_HELP = (
    "Publish a dataset's vessels, its events and its risk into the store, the shared picture: "
    "a SQLite file (./neonwatch.db, or [bold]--db[/bold]) or PostgreSQL when "
    "$NEONWATCH_DATABASE_URL (or [bold]--db[/bold]) names one. The schema is brought to the "
    "latest migration first."
    "\n\n"
    "Idempotent: publishing the same outputs again duplicates nothing. All or nothing: on any "
    "error the store is left as it was. Every row is stamped with its originator, node, "
    "classification (in the originator's scheme), releasability and need-to-know group."
)
PUBLISH_EXAMPLES = (
    "[bold]Examples[/bold]\n\n"
    "neonwatch publish sim --events sim-events --screen screened\n\n"
    "NEONWATCH_DATABASE_URL=postgresql+psycopg://analyst@127.0.0.1:5432/neonwatch "
    "neonwatch publish sim --json\n\n"
    "neonwatch publish work --originator JPN --classification 秘 --group op-sea-watch"
)


@app.command(help=PUBLISH_HELP, epilog=PUBLISH_EXAMPLES)
def publish(
    dataset: Annotated[
        Path, typer.Argument(help="The --out folder of `neonwatch ingest` or `simulate`.")
    ],
    events: Annotated[
        Path | None,
        typer.Option("--events", help="Folder of `neonwatch detect` (default DATASET/events)."),
    ] = None,
    screen_dir: Annotated[
        Path | None, typer.Option("--screen", help="Folder of `neonwatch screen` (risk).")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL or SQLite file (default $NEONWATCH_DATABASE_URL)."),
    ] = None,
    originator: Annotated[
        str, typer.Option("--originator", help="Originating nation: CAN or JPN.")
    ] = "CAN",
    node: Annotated[
        str | None, typer.Option("--node", help="Originating node (default: this host).")
    ] = None,
    classification: Annotated[
        str | None,
        typer.Option(
            "--classification",
            help="In the originator's scheme (default CONFIDENTIAL for CAN, 秘 for JPN).",
        ),
    ] = None,
    releasability: Annotated[
        str, typer.Option("--releasability", help="Releasability marking.")
    ] = "REL TO CAN, JPN",
    group: Annotated[
        str, typer.Option("--group", help="Need-to-know group or operation.")
    ] = "maritime-picture",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Thin shell over :func:`neonwatch.store.publish`."""
    from sqlalchemy.exc import SQLAlchemyError

    from neonwatch.store import publish as run_publish

    for label, path in (("", dataset), ("--events ", events), ("--screen ", screen_dir)):
        if path is not None and not path.exists():
            raise _fail(f"{label}{path}: not found")
    try:
        result = run_publish(
            dataset,
            events,
            screen_dir,
            db,
            originator=originator.upper(),
            node=node,
            classification=classification,
            releasability=releasability,
            group=group,
        )
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    except SQLAlchemyError as exc:
        raise _fail(f"store: {str(exc).splitlines()[0]}") from None
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return
    m = result.markings
    table = Table(title=f"published to {escape(result.store)}", show_edge=False)
    for col in ("table", "read", "new", "in store"):
        table.add_column(col, justify="left" if col == "table" else "right")
    for name in ("vessels", "events", "risk"):
        table.add_row(
            name,
            f"{result.read.get(name, 0):,}",
            f"{result.added.get(name, 0):,}",
            f"{result.totals.get(name, 0):,}",
        )
    out_console.print(table)
    out_console.print(
        escape(
            f"marked {m.classification} {m.releasability}, originator {m.originator_nation} "
            f"({m.originating_node}), group {m.group}"
        )
    )


# --- neonwatch sightings: patrol sighting reports (thin shells over neonwatch.sightings) -------

sightings_app = typer.Typer(
    name="sightings",
    help=(
        "Sighting reports from patrol ships and aircraft: position as lat/lon or as distance and "
        "bearing from a named reference point, the vessels seen, what was seen, photos; each "
        "correlated with AIS (who was in range, who was dark) and stored in the shared picture."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
)

SightingsDb = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite file (default $NEONWATCH_DATABASE_URL)."),
]
SightingsLists = Annotated[
    Path | None,
    typer.Option(
        "--lists", help="List store folder (default: stored lists, else UN 1718 example)."
    ),
]
SightingsClassification = Annotated[
    str | None,
    typer.Option(
        "--classification",
        help="In the originator's scheme (default CONFIDENTIAL for CAN, 秘 for JPN).",
    ),
]
SightingsReleasability = Annotated[
    str, typer.Option("--releasability", help="Releasability marking.")
]
SightingsGroup = Annotated[str, typer.Option("--group", help="Need-to-know group or operation.")]
SightingsNode = Annotated[
    str | None, typer.Option("--node", help="Originating node (default: this host).")
]

_VESSEL_KEYS = {"name", "imo", "mmsi", "flag", "painted_name", "painted", "role"}


def parse_vessel(spec: str) -> dict[str, str]:
    """``"name=RYE SONG GANG 1,imo=7389704,flag=KP"`` -> a dict of the vessel's fields."""
    out: dict[str, str] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not sep or key not in _VESSEL_KEYS:
            raise UserError(
                f"--vessel {spec!r}: expected key=value pairs with keys "
                f"{', '.join(sorted(_VESSEL_KEYS - {'painted'}))}"
            )
        out["painted_name" if key == "painted" else key] = value.strip()
    return out


def _render_sighting(result: dict[str, object], console: Console) -> None:
    s = result["sighting"]
    assert isinstance(s, dict)
    console.print(
        escape(
            f"sighting {result['id']} by {s['asset']} on {s['date']}"
            f"{' ' + str(s['time']) + 'Z' if s.get('time') else ''}: {result['position']}"
            f"{'' if result['added'] else ' (already stored)'}"
        )
    )
    vessels = result.get("vessels") or []
    assert isinstance(vessels, list)
    for v in vessels:
        hits = v["hits"]
        listed = f"LISTED: {hits[0]['why']}" if hits else "not listed"
        console.print(escape(f"  {v['vessel']}: {listed}"))
    corr = result.get("correlation")
    if isinstance(corr, dict):
        if corr["status"] != "ok":
            console.print(escape(f"  AIS: {corr['status']}"))
        else:
            console.print(
                escape(
                    f"  AIS within {corr['radius_km']} km: {len(corr['in_range'])} vessel(s); "
                    f"dark: {', '.join(d['vessel'] for d in corr['dark']) or 'none'}"
                )
            )


@sightings_app.command("add")
def sightings_add(
    asset: Annotated[
        str, typer.Option("--asset", help='Who saw it: "JMSDF P-3C", "HMCS Calgary", "CP-140".')
    ],
    when: Annotated[
        str,
        typer.Option(
            "--time", help="UTC date or date-time: 2018-02-24, 2018-02-24T15:20Z, ...+09:00."
        ),
    ],
    lat: Annotated[float | None, typer.Option("--lat", help="Latitude (WGS84).")] = None,
    lon: Annotated[float | None, typer.Option("--lon", help="Longitude (WGS84).")] = None,
    reference: Annotated[
        str | None, typer.Option("--from", help="Reference point, e.g. Shanghai.")
    ] = None,
    distance: Annotated[
        str | None, typer.Option("--distance", help="From the reference: 250km, 135nm.")
    ] = None,
    bearing: Annotated[
        str | None, typer.Option("--bearing", help="From the reference: degrees or E, SSE, ...")
    ] = None,
    vessel: Annotated[
        list[str] | None,
        typer.Option(
            "--vessel",
            help='Repeatable: "name=RYE SONG GANG 1,imo=7389704,flag=KP,role=dprk" '
            "(keys name, imo, mmsi, flag, painted_name, role).",
        ),
    ] = None,
    time_of_day: Annotated[
        str | None, typer.Option("--time-of-day", help='Words for the time, e.g. "late night".')
    ] = None,
    alongside: Annotated[
        bool | None, typer.Option("--alongside/--not-alongside", help="Vessels alongside.")
    ] = None,
    hoses: Annotated[
        bool | None, typer.Option("--hoses/--no-hoses", help="Hoses connected.")
    ] = None,
    lights: Annotated[
        bool | None, typer.Option("--lights/--no-lights", help="Lights at night.")
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="What else was seen.")] = None,
    photo: Annotated[
        list[Path] | None, typer.Option("--photo", help="Repeatable: a JPEG or PNG photo.")
    ] = None,
    photos_dir: Annotated[
        Path | None,
        typer.Option(
            "--photos-dir", help="Photo folder (default $NEONWATCH_PHOTOS, ./neonwatch-photos)."
        ),
    ] = None,
    max_photo_mib: Annotated[
        float, typer.Option("--max-photo-mib", min=0.001, help="Largest photo accepted, MiB.")
    ] = 10.0,
    dataset: Annotated[
        Path | None,
        typer.Option("--dataset", help="An ingested/simulated dataset to correlate with."),
    ] = None,
    radius_km: Annotated[
        float, typer.Option("--radius-km", min=0.001, help="AIS correlation radius.")
    ] = 10.0,
    window_min: Annotated[
        float, typer.Option("--window-min", min=0, help="Minutes either side of the time.")
    ] = 60.0,
    lists_dir: SightingsLists = None,
    db: SightingsDb = None,
    originator: Annotated[
        str, typer.Option("--originator", help="Originating nation: CAN or JPN.")
    ] = "CAN",
    node: SightingsNode = None,
    classification: SightingsClassification = None,
    releasability: SightingsReleasability = "REL TO CAN, JPN",
    group: SightingsGroup = "maritime-picture",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the stored sighting as JSON.")
    ] = False,
) -> None:
    """Record one sighting: validate it, store its photos, correlate it with AIS when a dataset
    is given, match its vessels against the watchlists, and store it."""
    from sqlalchemy.exc import SQLAlchemyError

    from neonwatch.screen.run import default_watchlist
    from neonwatch.sightings import PhotoStore, Sighting, add_sighting, correlate
    from neonwatch.sightings.model import error_text
    from neonwatch.store import open_store

    position: dict[str, object] | None = None
    if lat is not None or lon is not None:
        position = {"lat": lat, "lon": lon}
    if reference is not None or distance is not None or bearing is not None:
        if position is not None:
            raise _fail("give --lat/--lon or --from/--distance/--bearing, not both")
        missing = [
            n
            for n, v in (("--from", reference), ("--distance", distance), ("--bearing", bearing))
            if v is None
        ]
        if missing:
            raise _fail(f"a position from a reference point needs {', '.join(missing)} too")
        position = {"reference": reference, "distance": distance, "bearing": bearing}
    if position is None:
        raise _fail("give the position: --lat/--lon or --from/--distance/--bearing")
    try:
        vessels = [parse_vessel(v) for v in vessel or []]
        sighting = Sighting.model_validate(
            {
                "asset": asset,
                "when": when,
                "time_of_day": time_of_day,
                "position": position,
                "vessels": vessels,
                "observations": {
                    "alongside": alongside,
                    "hoses_connected": hoses,
                    "lights_at_night": lights,
                    "notes": notes,
                },
            }
        )
        if photo:
            photos = PhotoStore(photos_dir, max_bytes=int(max_photo_mib * 2**20))
            refs = [photos.put_file(p) for p in photo]
            sighting = sighting.model_copy(update={"photos": refs})
        correlation = None
        ais_vessels = None
        if dataset is not None:
            from neonwatch.detect import scan_positions
            from neonwatch.screen.run import read_vessels

            positions = scan_positions(dataset)
            try:
                ais_vessels = read_vessels(dataset)
            except ValueError:
                ais_vessels = None
            correlation = correlate(
                sighting,
                positions,
                radius_km=radius_km,
                window_min=window_min,
                vessels=ais_vessels,
            )
        watchlist, _ = default_watchlist(lists_dir)
        store = open_store(db)
        try:
            result = add_sighting(
                store,
                sighting,
                originator=originator.upper(),
                node=node,
                classification=classification,
                releasability=releasability,
                group=group,
                correlation=correlation,
                watchlist=watchlist,
            )
        finally:
            store.close()
    except UserError as exc:
        raise _fail(str(exc)) from None
    except (ValueError, OSError) as exc:
        raise _fail(error_text(exc)) from None
    except SQLAlchemyError as exc:
        raise _fail(f"store: {str(exc).splitlines()[0]}") from None
    out = result.to_json()
    if as_json:
        print(json.dumps(out, ensure_ascii=False))
        return
    _render_sighting(out, out_console)


@sightings_app.command("load-cases")
def sightings_load_cases(
    path: Annotated[
        Path, typer.Argument(help="A cases CSV, e.g. ../shared/data/cases/dprk-sts-sightings.csv.")
    ],
    lists_dir: SightingsLists = None,
    db: SightingsDb = None,
    originator: Annotated[
        str, typer.Option("--originator", help="Originating nation: CAN or JPN.")
    ] = "JPN",
    node: SightingsNode = None,
    classification: SightingsClassification = None,
    releasability: SightingsReleasability = "REL TO CAN, JPN",
    group: SightingsGroup = "maritime-picture",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the loaded sightings as JSON.")
    ] = False,
) -> None:
    """Load the published sighting cases (Japan MOD, distance and bearing from Shanghai) as
    sightings; their vessels are matched against the watchlists. Loading twice adds nothing."""
    from sqlalchemy.exc import SQLAlchemyError

    from neonwatch.screen.run import default_watchlist
    from neonwatch.sightings import add_sighting, load_cases
    from neonwatch.store import open_store

    if not path.exists():
        raise _fail(f"{path}: not found")
    try:
        cases = load_cases(path)
        watchlist, list_ids = default_watchlist(lists_dir)
        store = open_store(db)
        try:
            results = [
                add_sighting(
                    store,
                    s,
                    originator=originator.upper(),
                    node=node,
                    classification=classification,
                    releasability=releasability,
                    group=group,
                    watchlist=watchlist,
                ).to_json()
                for s in cases
            ]
        finally:
            store.close()
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    except SQLAlchemyError as exc:
        raise _fail(f"store: {str(exc).splitlines()[0]}") from None
    added = sum(1 for r in results if r["added"])
    if as_json:
        print(
            json.dumps(
                {"read": len(results), "added": added, "lists": list_ids, "sightings": results},
                ensure_ascii=False,
            )
        )
        return
    for r in results:
        _render_sighting(r, out_console)
    out_console.print(f"{len(results)} sightings read, {added} new, lists: {', '.join(list_ids)}")


app.add_typer(sightings_app, name="sightings")


# --- neonwatch users / audit: the share layer (thin shells over neonwatch.share) ------------

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite file (default $NEONWATCH_DATABASE_URL)."),
]

users_app = typer.Typer(
    name="users",
    help=(
        "Manage the people who read the shared picture: nation, clearance in their nation's "
        "scheme, need-to-know groups. There are no default credentials; `users create` "
        "bootstraps the first user."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
)


@users_app.command(
    "create",
    epilog=(
        "[bold]Examples[/bold]\n\n"
        "printf '%s' \"$PW\" | neonwatch users create alice --nation CAN --clearance SECRET "
        "--groups neon --password-stdin\n\n"
        "neonwatch users create kenji --nation JPN --clearance 極秘 --groups neon,op-sea-watch"
    ),
)
def users_create(
    username: Annotated[str, typer.Argument(help="Login name (letters, digits, . _ @ -).")],
    nation: Annotated[str, typer.Option("--nation", help="CAN or JPN.")],
    clearance: Annotated[
        str,
        typer.Option("--clearance", help="In the nation's scheme: SECRET, 極秘 (or Gokuhi), ..."),
    ],
    groups: Annotated[
        str, typer.Option("--groups", help="Need-to-know groups, comma-separated.")
    ] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the user as JSON.")] = False,
) -> None:
    """Create a user; the password (argon2-hashed) from stdin or an interactive prompt."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from neonwatch.share.users import create_user
    from neonwatch.store import open_store

    if password_stdin:
        password = sys.stdin.read().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        store = open_store(db)
        try:
            with Session(store.engine) as session, session.begin():
                user = create_user(
                    session,
                    username,
                    nation=nation,
                    clearance=clearance,
                    groups=groups.split(","),
                    password=password,
                )
                shown = {
                    "id": str(user.id),
                    "username": user.username,
                    "nation": user.nation,
                    "clearance": user.clearance,
                    "groups": list(user.groups),
                }
        finally:
            store.close()
    except ValueError as exc:
        raise _fail(str(exc)) from None
    except SQLAlchemyError as exc:
        raise _fail(f"store: {str(exc).splitlines()[0]}") from None
    if as_json:
        print(json.dumps(shown, ensure_ascii=False))
        return
    out_console.print(
        escape(
            f"created {shown['username']} ({shown['nation']}, {shown['clearance']}, "
            f"groups {', '.join(shown['groups']) or 'none'})"
        )
    )


app.add_typer(users_app, name="users")

audit_app = typer.Typer(
    name="audit",
    help="The append-only, hash-chained audit log of every read and write.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


@audit_app.command("verify")
def audit_verify(
    db: DbOption = None,
    anchor: Annotated[
        Path | None,
        typer.Option(
            "--anchor",
            help="A file of anchors kept outside the store: the chain must still hold the last "
            "anchored entry (finds entries cut off the end); with --record, append the head.",
        ),
    ] = None,
    record: Annotated[
        bool, typer.Option("--record", help="After a good check, append the head to --anchor.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Check the chain; exit 1 naming the first altered, removed or reordered entry."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from neonwatch.share.audit import read_anchor, record_anchor, verify
    from neonwatch.store import open_store

    if record and anchor is None:
        raise _fail("--record needs --anchor FILE (where to keep the head)")
    try:
        expected = read_anchor(anchor) if anchor is not None else None
        store = open_store(db)
        try:
            with Session(store.engine) as session:
                result = verify(session, expected)
        finally:
            store.close()
        if record and anchor is not None and result.ok:
            record_anchor(anchor, result)
    except SQLAlchemyError as exc:
        raise _fail(f"store: {str(exc).splitlines()[0]}") from None
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        print(json.dumps(result.to_json()))
    elif result.ok:
        out_console.print(f"audit chain intact: {result.entries} entries, last {result.last_hash}")
    else:
        err_console.print(f"[red]audit chain broken at entry {result.first_bad_seq}[/red]")
        err_console.print(escape(result.reason))
    if not result.ok:
        raise typer.Exit(1)


app.add_typer(audit_app, name="audit")


# --- neonwatch serve: the HTTP API (a thin shell over neonwatch.api) -------------------------

SERVE_EXAMPLES = (
    "[bold]Examples[/bold]\n\n"
    "neonwatch serve\n\n"
    "neonwatch serve --host 0.0.0.0 --port 8080 --db postgresql://neon@127.0.0.1:5432/neonwatch "
    "--dataset sim --data-root /srv/neonwatch/data"
)


@app.command(
    help=(
        "Serve the shared picture over HTTP: routes under /api/v1/ (OpenAPI at /openapi.json), "
        "every one but login behind a bearer token or session cookie, every answer filtered by "
        "policy inside the query and written to the audit log. Create users first with "
        "`neonwatch users create` (there are no default credentials)."
    ),
    epilog=SERVE_EXAMPLES,
)
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    db: DbOption = None,
    dataset: Annotated[
        Path | None,
        typer.Option("--dataset", help="An ingested/simulated dataset to correlate sightings."),
    ] = None,
    data_root: Annotated[
        Path | None,
        typer.Option("--data-root", help="Folder POST /api/v1/publish may load from (else off)."),
    ] = None,
    publish_group: Annotated[
        str, typer.Option("--publish-group", help="Group whose members may publish.")
    ] = "publishers",
    photos_dir: Annotated[
        Path | None,
        typer.Option(
            "--photos-dir", help="Photo folder (default $NEONWATCH_PHOTOS, ./neonwatch-photos)."
        ),
    ] = None,
    max_photo_mib: Annotated[
        float, typer.Option("--max-photo-mib", min=0.001, help="Largest photo accepted, MiB.")
    ] = 10.0,
    node: SightingsNode = None,
    insecure_cookies: Annotated[
        bool,
        typer.Option(
            "--insecure-cookies", help="Cookies without the Secure flag (plain HTTP, not local)."
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, help="Server processes (one uses one core; use the core count)."
        ),
    ] = 1,
    workers_pool: Annotated[
        int, typer.Option("--pool", min=1, help="Database connections per process (PostgreSQL).")
    ] = 20,
    upkeep_seconds: Annotated[
        float,
        typer.Option(
            "--upkeep-seconds",
            min=0,
            help="When PostgreSQL's autovacuum is off, analyze and vacuum the tables that are "
            "due this often (0: never; with autovacuum on, PostgreSQL does it).",
        ),
    ] = 15.0,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
) -> None:
    """Thin shell over :func:`neonwatch.api.serve.run` (``create_app`` and uvicorn)."""
    import socket

    from sqlalchemy.exc import SQLAlchemyError

    from neonwatch.api import Settings
    from neonwatch.api.serve import run
    from neonwatch.store.engine import make_engine, resolve_url, upgrade

    for label, path in (("--dataset", dataset), ("--data-root", data_root)):
        if path is not None and not path.is_dir():
            raise _fail(f"{label} {path}: not a folder")
    try:
        url = resolve_url(db)
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
    except SQLAlchemyError as exc:
        raise _fail(f"store: {str(exc).splitlines()[0]}") from None
    settings = Settings(
        node=node or socket.gethostname(),
        photos_dir=photos_dir,
        max_photo_bytes=int(max_photo_mib * 2**20),
        dataset=dataset,
        data_root=data_root,
        publish_group=publish_group,
        cookie_secure=not insecure_cookies,
        upkeep_seconds=upkeep_seconds,
    )
    err_console.print(
        escape(
            f"neonwatch serving {engine.url.render_as_string(hide_password=True)} "
            f"on http://{host}:{port}/api/v1/ ({workers} process{'es' if workers > 1 else ''})"
        )
    )
    run(
        url,
        settings,
        host=host,
        port=port,
        workers=workers,
        pool=workers_pool,
        log_level=log_level,
    )


# --- neonwatch acsa: the ACSA ledger (cli_acsa.py, a thin shell over neonwatch.acsa) ---------
from neonwatch.cli_acsa import acsa_app  # noqa: E402  (it reuses this module's helpers)

app.add_typer(acsa_app, name="acsa")
