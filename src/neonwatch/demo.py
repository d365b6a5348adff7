"""The main job end to end on real AIS logs bundled with the package (``neonwatch demo``).

The demo lives in the library, not in the CLI, so that the CLI stays a thin shell and so that
each later stage (tracks, detection, screening) adds its step here once and is then exercised by
``make demo``, by the tests and by anyone calling :func:`run_demo` from a notebook alike.

The logs are read through :mod:`importlib.resources`, so the demo works from a source checkout,
an editable install or an installed wheel, with no network access and nothing else to download.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa

from neonwatch.detect import detect, scan_positions
from neonwatch.detect.evaluate import evaluate
from neonwatch.detect.output import write_events
from neonwatch.ingest import IngestSummary, ingest
from neonwatch.ingest.pipeline import ProgressCallback
from neonwatch.screen.run import ScreenResult, screen
from neonwatch.simulate import simulate, write

DEFAULT_OUT = Path("neonwatch-demo")


@dataclass(frozen=True)
class DemoInput:
    """One bundled log and the words a user needs to know what it is."""

    name: str
    description: str


# Real public logs under src/neonwatch/data/demo/ (origin, commit and licence in SOURCE.txt there).
DEMO_INPUTS: tuple[DemoInput, ...] = (
    DemoInput("uscg-2016-07-28.nmea.gz", "US Coast Guard NAIS, all US coasts (tag blocks, gzip)"),
    DemoInput("dma-2010-06-11.nmea", "DMA feed, North Sea and Baltic ($PGHP receive times)"),
    DemoInput("amsa-satellite.nmea", "AMSA / exactEarth satellite AIS (tag-block groups)"),
    DemoInput("amsa-terrestrial.nmea", "AMSA terrestrial AIS, Australia (tag-block times)"),
)


@dataclass
class DemoResult:
    """What the demo did; later stages add their own results beside ``ingest``."""

    out: Path
    inputs: tuple[DemoInput, ...]
    ingest: IngestSummary
    events: pa.Table | None = None  # detection on the real logs
    sim_events: pa.Table | None = None  # detection on simulated traffic with planted events
    sim_scores: dict[str, float] = field(default_factory=dict)  # against the planted truth
    screen: ScreenResult | None = None  # the simulated vessels and events against the lists


# Simulated traffic for the detection part of the demo: the real logs above span minutes, too
# short for a ship-to-ship transfer, so the demo also plants every kind of event in a day of
# simulated traffic (real ports and sea lanes) and shows what detection finds.
DEMO_SIM = {"vessels": 300, "hours": 30.0, "seed": 2018}


def demo_input_sizes() -> int:
    """Total bytes of the bundled logs, so a caller can size a progress bar before running."""
    folder = resources.files("neonwatch") / "data" / "demo"
    total = 0
    for item in DEMO_INPUTS:
        with resources.as_file(folder / item.name) as path:
            total += path.stat().st_size
    return total


def run_demo(
    out: Path | str = DEFAULT_OUT,
    *,
    on_progress: ProgressCallback | None = None,
    detection: bool = True,
) -> DemoResult:
    """Ingest the bundled logs into ``out`` (positions, vessels, base stations, rejected lines
    and summary.json), detect events in them (``out/events``), then simulate a day of traffic
    with planted events (``out/simulated``), detect and score them; return what happened, for
    the CLI or a notebook to show."""
    out_dir = Path(out)
    folder = resources.files("neonwatch") / "data" / "demo"
    with ExitStack() as stack:
        # as_file gives a real path even when the package is imported from a zip archive.
        paths = [stack.enter_context(resources.as_file(folder / i.name)) for i in DEMO_INPUTS]
        summary = ingest(paths, out_dir, on_progress=on_progress)
    result = DemoResult(out=out_dir, inputs=DEMO_INPUTS, ingest=summary)
    return detect_demo(result) if detection else result


def detect_demo(result: DemoResult) -> DemoResult:
    """The detection part of the demo, on the ingested logs and on simulated traffic, then
    screening of the simulated vessels and events (lists, identity checks, risk)."""
    out_dir = result.out
    result.events = detect(scan_positions(out_dir))
    write_events(result.events, out_dir / "events")
    sim = simulate(
        vessels=int(DEMO_SIM["vessels"]), hours=DEMO_SIM["hours"], seed=int(DEMO_SIM["seed"])
    )
    write(sim, out_dir / "simulated")
    result.sim_events = detect(sim.positions)  # already in memory: no need to read it back
    write_events(result.sim_events, out_dir / "simulated" / "events")
    result.sim_scores = evaluate(result.sim_events, sim.truth)
    # Screening: the stored lists if the user has added some, else the bundled example list.
    result.screen = screen(
        out_dir / "simulated", result.sim_events, out=out_dir / "simulated" / "screen"
    )
    return result


# --- the web picture on the demo's data --------------------------------------------------------


@dataclass(frozen=True)
class PictureDemo:
    """How to open the web picture on the demo's data: the store, the user, the command."""

    db: Path
    username: str
    password: str  # generated for this demo store only; never a default credential
    vessels: int
    events: int
    sightings: int
    command: str
    url: str
    ledger: Any = None  # the ACSA ledger demo in the same store (neonwatch.acsa.demo.LedgerDemo)


def picture_demo(result: DemoResult, port: int = 8000) -> PictureDemo:
    """Publish the simulated vessels, events and risk into a fresh SQLite store under the demo
    folder, load the real cases as sightings, create the user ``demo-analyst`` (CAN, SECRET,
    group maritime-picture, and acsa: it reads the ledger as a CAF officer) with a password
    generated now, load the ACSA ledger demo into the same store, and say how to serve it."""
    import secrets

    from neonwatch.web.setup import picture_store

    sim = result.out / "simulated"
    db = (result.out / "picture.db").resolve()
    db.unlink(missing_ok=True)  # a fresh store, so the printed password is the one that works
    password = secrets.token_urlsafe(12)
    made = picture_store(
        f"sqlite:///{db}",
        sim,
        events=sim / "events",
        screen=sim / "screen" if (sim / "screen").is_dir() else None,
        password=password,
    )
    from neonwatch.acsa.demo import load_demo

    ledger = load_demo(f"sqlite:///{db}")
    command = (
        f"neonwatch serve --db {db} --dataset {sim.resolve()} --port {port} --insecure-cookies"
    )
    return PictureDemo(
        db,
        made.username,
        password,
        made.vessels,
        made.events,
        made.sightings,
        command,
        f"http://127.0.0.1:{port}/",
        ledger,
    )
