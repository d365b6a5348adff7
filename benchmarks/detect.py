"""Detection speed and memory: neonwatch vs a plain DuckDB query vs MovingPandas.

Run ``python benchmarks/detect.py`` (``--quick`` for 1M and 10M only); see ``benchmarks/README.md``.

Simulated traffic (``neonwatch.simulate``) is generated once into ``benchmarks/.cache/`` as
day-partitioned Parquet in ingest's POSITIONS schema, then every tool is timed in its own
subprocess on the same files, so each run's peak RSS is its own (``os.wait4``):

* neonwatch, the whole pipeline from Parquet: ``detect(scan_positions(dir))`` (and
  ``detect_by_day`` where asked), with a per-stage breakdown;
* a plain DuckDB SQL script doing GFW-style gaps and encounters on the same files;
* MovingPandas ``TrajectoryStopDetector`` on a 1M-position subset, against neonwatch's
  ``detect`` on the same subset.

The last line is machine-readable::

    detect: positions=N seconds=S peak_gib=G duckdb_ratio=R
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "benchmarks" / ".cache"
GIB = 1024**3

# Bars from the issue (2-core machine).
BAR_SIZE = 100_000_000
BAR_SECONDS = 30.0
BAR_GIB = 8.0
BAR_DUCKDB = 0.75
BAR_MOVINGPANDAS = 100.0
BAR_SCALING = 11.0

# Simulated traffic: the simulator's own calibration (about 2,000 ships over 48 h, every
# third ITU-R report kept, gives about 10M positions) is one batch; bigger sets are several
# batches of ships over the same 48 h (different seeds, MMSIs kept unique across batches).
HOURS = 48.0
THINNING = 3
SEED = 20250301
BATCH_ROWS = 10_000_000
PILOT_VESSELS = 400
MIN_VESSELS = 50

# MovingPandas: stops within ~1 km for >= 4 h (loitering-like), on a subset of whole vessels.
MP_ROWS = 1_000_000
MP_SMALL_ROWS = 100_000
MP_MAX_DIAMETER_M = 1000.0
MP_MIN_DURATION_H = 4.0
MP_LIMIT_S = 600.0

# DuckDB: its default thread count (the core count) and a memory limit that fits the machine.
DUCKDB_MEMORY_LIMIT = "12GB"

POSITION_COLUMNS = ("mmsi", "ts", "lat", "lon", "sog")

DUCKDB_SQL = """
-- GFW-style AIS gaps and encounters as a data engineer would write them in plain DuckDB.
-- Gaps: >= 6 h between consecutive positions of one MMSI.
CREATE TEMP TABLE gaps AS
SELECT mmsi, to_timestamp(prev_ms / 1000) AS gap_start, to_timestamp(ts_ms / 1000) AS gap_end,
       prev_lat AS start_lat, prev_lon AS start_lon, lat AS end_lat, lon AS end_lon,
       (ts_ms - prev_ms) / 3.6e6 AS hours
FROM (
    SELECT mmsi, lat, lon, epoch_ms(ts) AS ts_ms,
           lag(epoch_ms(ts)) OVER w AS prev_ms,
           lag(lat) OVER w AS prev_lat,
           lag(lon) OVER w AS prev_lon
    FROM read_parquet({files})
    WINDOW w AS (PARTITION BY mmsi ORDER BY ts)
)
WHERE ts_ms - prev_ms >= 6 * 3600 * 1000;

-- Encounters: one position per vessel per 10-minute slot (the mean of its reports in it),
-- slow slots only (< 4 kn: no slow meeting has a fast member), paired within 500 m by a join
-- on the slot and a ~0.005-degree cell (0.01 degree of longitude, >= 500 m up to 60 N/S)
-- against the 3 x 3 neighbouring cells, then runs of consecutive slots per pair
-- (gaps and islands) lasting >= 2 h with median speeds < 2 kn.
CREATE TEMP TABLE encounters AS
WITH slots AS (
    SELECT mmsi, epoch_ms(ts) // 600000 AS slot,
           avg(lat) AS lat, avg(lon) AS lon, avg(sog) AS sog
    FROM read_parquet({files})
    GROUP BY mmsi, slot
    HAVING avg(sog) < 4
),
cells AS (
    SELECT *, floor(lat / 0.005)::INTEGER AS cy, floor(lon / 0.01)::INTEGER AS cx FROM slots
),
near AS (
    SELECT c.mmsi, c.slot, c.lat, c.lon, c.sog, c.cy + dy.d AS cy, c.cx + dx.d AS cx
    FROM cells c
    CROSS JOIN (SELECT unnest([-1, 0, 1]) AS d) dy
    CROSS JOIN (SELECT unnest([-1, 0, 1]) AS d) dx
),
pairs AS (
    SELECT a.mmsi AS mmsi_a, b.mmsi AS mmsi_b, a.slot, a.sog AS sog_a, b.sog AS sog_b,
           (a.lat + b.lat) / 2 AS lat, (a.lon + b.lon) / 2 AS lon,
           2 * 6371008.8 * asin(sqrt(
               pow(sin(radians(b.lat - a.lat) / 2), 2)
               + cos(radians(a.lat)) * cos(radians(b.lat))
                 * pow(sin(radians(b.lon - a.lon) / 2), 2)
           )) AS dist_m
    FROM near a
    JOIN cells b ON b.slot = a.slot AND b.cy = a.cy AND b.cx = a.cx AND a.mmsi < b.mmsi
),
islands AS (
    SELECT *, slot - row_number() OVER (PARTITION BY mmsi_a, mmsi_b ORDER BY slot) AS island
    FROM pairs
    WHERE dist_m <= 500
)
SELECT mmsi_a, mmsi_b, to_timestamp(min(slot) * 600) AS enc_start,
       to_timestamp(max(slot) * 600) AS enc_end, count(*) AS slots,
       avg(lat) AS lat, avg(lon) AS lon, min(dist_m) AS min_distance_m,
       median(sog_a) AS median_sog_a, median(sog_b) AS median_sog_b
FROM islands
GROUP BY mmsi_a, mmsi_b, island
HAVING (max(slot) - min(slot)) * 10 >= 120 AND median(sog_a) < 2 AND median(sog_b) < 2;
"""


def say(text: str) -> None:
    """Progress on stderr, so stdout holds only the results."""
    print(text, file=sys.stderr, flush=True)


def parse_size(text: str) -> int:
    t = text.strip().upper().replace("_", "")
    scale = {"K": 1_000, "M": 1_000_000, "G": 1_000_000_000}.get(t[-1:], 1)
    number = t[:-1] if t[-1:] in "KMG" else t
    return round(float(number) * scale)


def size_label(n: int) -> str:
    for unit, scale in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return f"{n:,}"


# --------------------------------------------------------------------------- subprocesses


@dataclass
class Run:
    """One worker subprocess: its result, wall time as seen from outside, and peak RSS."""

    name: str
    result: dict[str, Any] = field(default_factory=dict)
    outer_s: float = 0.0
    peak_gib: float = float("nan")
    error: str | None = None
    others: float = float("nan")  # cores busy with other processes meanwhile, on average

    @property
    def ok(self) -> bool:
        return self.error is None

    def get(self, key: str, default: Any = None) -> Any:
        return self.result.get(key, default)


def mem_available_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024 / GIB
    except OSError:
        pass
    return float("nan")


def cpu_busy_s() -> float:
    """CPU seconds the whole machine has spent busy (all cores, all processes)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def rss_gib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / GIB
    except OSError:
        pass
    return 0.0


def run_worker(
    name: str, worker: str, params: dict[str, Any], max_gib: float, limit_s: float | None = None
) -> Run:
    """Run ``worker`` in a fresh interpreter; kill it past ``max_gib`` RSS or ``limit_s``."""
    run = Run(name)
    with tempfile.TemporaryDirectory(prefix="neonwatch-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            worker,
            "--params",
            json.dumps(params),
            "--result",
            str(out),
        ]
        busy = cpu_busy_s()
        started = time.perf_counter()
        proc = subprocess.Popen(cmd)
        reaped = threading.Event()
        killed: list[str] = []

        def watch() -> None:
            while not reaped.wait(0.2):
                over_time = limit_s is not None and time.perf_counter() - started > limit_s
                rss = rss_gib(proc.pid)
                if (rss > max_gib or over_time) and not reaped.is_set():
                    killed.append(
                        f"killed after {time.perf_counter() - started:.0f} s"
                        if over_time
                        else f"killed at {rss:.1f} GiB RSS (cap --max-gib {max_gib:g})"
                    )
                    os.kill(proc.pid, signal.SIGKILL)
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        reaped.set()
        proc.returncode = os.waitstatus_to_exitcode(status)
        run.outer_s = time.perf_counter() - started
        run.peak_gib = usage.ru_maxrss * 1024 / GIB  # Linux: KiB
        others = cpu_busy_s() - busy - (usage.ru_utime + usage.ru_stime)
        run.others = max(0.0, others) / max(run.outer_s, 1e-9)
        if killed:
            run.error = killed[0]
        elif proc.returncode != 0:
            run.error = f"exit code {proc.returncode}"
        elif not out.is_file():
            run.error = "no result"
        else:
            run.result = json.loads(out.read_text())
    if run.error:
        say(f"  {name}: {run.error}")
    return run


def best_run(repeat: int, name: str, worker: str, params: dict[str, Any], max_gib: float) -> Run:
    """The fastest of ``repeat`` runs; its peak RSS is the highest of them all."""
    runs = [run_worker(name, worker, params, max_gib) for _ in range(repeat)]
    ok = [r for r in runs if r.ok]
    if not ok:
        return runs[0]
    best = min(ok, key=lambda r: r.get("seconds"))
    best.peak_gib = max(r.peak_gib for r in runs)
    best.result["runs"] = [round(r.get("seconds"), 3) for r in ok]
    return best


# --------------------------------------------------------------------------- data


def cache_root(cache: Path) -> Path:
    return cache / f"sim-h{HOURS:g}-t{THINNING}-s{SEED}-b{BATCH_ROWS}"


def dataset_dir(root: Path, rows: int) -> Path:
    return root / f"n{rows}"


def ready(path: Path) -> bool:
    return (path / "meta.json").is_file()


def work_generate(p: dict[str, Any]) -> dict[str, Any]:
    """Simulate the batches the requested sizes need, and write each size's dataset."""
    import numpy as np
    import polars as pl

    from neonwatch.simulate import simulate

    root = Path(p["root"])
    root.mkdir(parents=True, exist_ok=True)
    sizes = sorted(p["sizes"])
    calibration = root / "calibration.json"
    if calibration.is_file():
        per_vessel = json.loads(calibration.read_text())["rows_per_vessel"]
    else:
        say(f"generate: pilot simulate({PILOT_VESSELS}, {HOURS:g} h) to size the batches ...")
        sim = simulate(PILOT_VESSELS, HOURS, SEED - 1, thinning=THINNING)
        per_vessel = sim.positions.num_rows / PILOT_VESSELS
        calibration.write_text(json.dumps({"rows_per_vessel": per_vessel}))
        del sim
    # A little more than a batch needs, trimmed back to BATCH_ROWS by dropping whole vessels.
    vessels = max(MIN_VESSELS, math.ceil(BATCH_ROWS * 1.06 / per_vessel))
    batches = max(1, max(round(n / BATCH_ROWS) for n in sizes))
    timings: dict[str, float] = {}
    for k in range(batches):
        path = root / "batches" / f"b{k:03d}.parquet"
        if path.is_file():
            continue
        say(f"generate: batch {k + 1}/{batches}: simulate({vessels}, {HOURS:g} h, seed {SEED + k})")
        started = time.perf_counter()
        sim = simulate(vessels, HOURS, SEED + k, thinning=THINNING)
        frame = pl.from_arrow(sim.positions)
        assert isinstance(frame, pl.DataFrame)
        del sim
        frame = trim_vessels(frame, BATCH_ROWS, SEED + k)
        used = set()
        for j in range(k):
            prev = pl.scan_parquet(root / "batches" / f"b{j:03d}.parquet")
            used.update(prev.select(pl.col("mmsi").unique()).collect()["mmsi"].to_list())
        frame = unique_mmsis(frame, used, np.random.default_rng(SEED + 1000 + k))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        frame.write_parquet(tmp, compression="zstd")
        tmp.rename(path)
        timings[path.name] = time.perf_counter() - started
        say(f"generate: batch {k + 1}: {frame.height:,} positions in {timings[path.name]:.0f} s")
        del frame

    for n in sizes:
        out = dataset_dir(root, n)
        if ready(out):
            continue
        started = time.perf_counter()
        if n <= BATCH_ROWS:
            frame = pl.read_parquet(root / "batches" / "b000.parquet")
            frame = trim_vessels(frame, n, SEED)
            parts = [frame.lazy()]
            how = f"whole vessels of batch 0 up to {n:,} positions"
        else:
            count = round(n / BATCH_ROWS)
            parts = [pl.scan_parquet(root / "batches" / f"b{k:03d}.parquet") for k in range(count)]
            how = f"batches 0-{count - 1} together"
        rows = write_days(pl.concat(parts), out / "positions")
        meta = {
            "rows": rows,
            "how": how,
            "vessels_per_batch": vessels,
            "hours": HOURS,
            "thinning": THINNING,
            "seed": SEED,
            "seconds": time.perf_counter() - started,
        }
        (out / "meta.json").write_text(json.dumps(meta, indent=1))
        say(f"generate: {out.name}: {rows:,} positions ({how})")
    return {"vessels_per_batch": vessels, "batches": batches, "timings": timings}


def trim_vessels(frame: Any, rows: int, seed: int) -> Any:
    """The rows of whole vessels, in a seeded random vessel order, up to ``rows`` rows."""
    import numpy as np
    import polars as pl

    counts = frame.group_by("mmsi").len().sort("mmsi")
    order = np.random.default_rng(seed).permutation(counts.height)
    counts = counts[order]
    keep = counts.filter(pl.col("len").cum_sum() <= rows)["mmsi"]
    return frame.filter(pl.col("mmsi").is_in(keep.implode()))


def unique_mmsis(frame: Any, used: set[int], rng: Any) -> Any:
    """Give a batch's MMSIs that an earlier batch used a fresh number with the same MID."""
    import polars as pl

    mine = set(frame["mmsi"].unique().to_list())
    clash = sorted(mine & used)
    if not clash:
        return frame
    taken = used | mine
    mapping = {}
    for m in clash:
        mid = m // 1_000_000
        while True:
            new = mid * 1_000_000 + int(rng.integers(0, 1_000_000))
            if new not in taken:
                break
        taken.add(new)
        mapping[m] = new
    old, new = pl.Series(list(mapping), dtype=pl.Int32), pl.Series(list(mapping.values()))
    return frame.with_columns(pl.col("mmsi").replace(old, new.cast(pl.Int32)))


def write_days(frame: Any, out: Path) -> int:
    """Write ``out/day=YYYY-MM-DD/part-0.parquet`` in time order, as ingest writes them."""
    import polars as pl
    import pyarrow.parquet as pq

    from neonwatch.ingest.output import ROW_GROUP_ROWS
    from neonwatch.ingest.schema import POSITIONS

    days = frame.select(pl.col("ts").dt.date().unique().sort()).collect()["ts"].to_list()
    stage = out.with_name(out.name + ".tmp")
    shutil.rmtree(stage, ignore_errors=True)
    total = 0
    for day in days:
        part = frame.filter(pl.col("ts").dt.date() == day).sort(["ts", "mmsi"]).collect().to_arrow()
        folder = stage / f"day={day.isoformat()}"
        folder.mkdir(parents=True)
        pq.write_table(
            part.select(POSITIONS.names).cast(POSITIONS),
            folder / "part-0.parquet",
            compression="zstd",
            row_group_size=ROW_GROUP_ROWS,
        )
        total += part.num_rows
        del part
    shutil.rmtree(out, ignore_errors=True)
    stage.rename(out)
    return total


def parquet_files(dataset: Path) -> list[str]:
    return [str(f) for f in sorted((dataset / "positions").glob("day=*/*.parquet"))]


# --------------------------------------------------------------------------- workers


def peak_self_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB


def instrument(timings: dict[str, list[float]]) -> None:
    """Time every neonwatch function that ``neonwatch.detect.run`` calls, and the ones those
    call in turn (two levels), by wrapping the names in the modules' globals: whatever the
    pipeline's current shape, each stage it calls by name is timed."""
    import neonwatch.detect.run as run_module

    stack: list[str] = []

    def timed_call(name: str, call: Any) -> Any:
        stack.append(name)
        path = "/".join(stack)
        started = time.perf_counter()
        try:
            return call()
        finally:
            entry = timings.setdefault(path, [0.0, 0])
            entry[0] += time.perf_counter() - started
            entry[1] += 1
            stack.pop()

    def wrap(fn: Any, name: str) -> Any:
        if inspect.isgeneratorfunction(fn):  # time each step of the iteration, not the call

            @functools.wraps(fn)
            def timed_steps(*args: Any, **kwargs: Any) -> Any:
                steps = fn(*args, **kwargs)
                done = object()
                while True:
                    item = timed_call(name, lambda: next(steps, done))
                    if item is done:
                        return
                    yield item

            timed = timed_steps
        else:

            @functools.wraps(fn)
            def timed(*args: Any, **kwargs: Any) -> Any:
                return timed_call(name, lambda: fn(*args, **kwargs))

        timed.__wrapped_stage__ = True  # type: ignore[attr-defined]
        return timed

    done: set[str] = set()

    def patch(module: Any, depth: int) -> None:
        if module.__name__ in done:
            return
        done.add(module.__name__)
        for name, obj in list(vars(module).items()):
            if not inspect.isfunction(obj) or getattr(obj, "__wrapped_stage__", False):
                continue
            if not obj.__module__.startswith("neonwatch.") or name.startswith("__"):
                continue
            if name in ("scan_positions", "days_of", "load_config"):
                continue
            setattr(module, name, wrap(obj, name))
            if depth < 2 and obj.__module__ in sys.modules:
                patch(sys.modules[obj.__module__], depth + 1)

    patch(run_module, 1)


def event_counts(events: Any) -> dict[str, int]:
    import pyarrow.compute as pc

    if events.num_rows == 0:
        return {}
    counts = pc.value_counts(events["kind"]).to_pylist()
    return {c["values"]: c["counts"] for c in counts}


def warm_up(dataset: Path) -> float:
    """Run detect once on a small slice (numba loads or compiles its cache) before timing."""
    import numpy as np
    import polars as pl

    from neonwatch.detect import detect

    started = time.perf_counter()
    files = parquet_files(dataset)
    sample = pl.scan_parquet(files[0]).head(50_000).collect()
    detect(sample)
    try:  # the coast and port reference loads on first use: load it here, not in the timing
        from neonwatch import geo

        geo.shore_distance_km(np.array([35.0]), np.array([125.0]))
        geo.port_distance_km(np.array([35.0]), np.array([125.0]))
    except (ImportError, AttributeError):
        pass
    return time.perf_counter() - started


def work_neonwatch(p: dict[str, Any]) -> dict[str, Any]:
    import polars as pl

    import neonwatch.detect.run as run_module
    from neonwatch.detect import scan_positions

    dataset = Path(p["dataset"])
    warm = warm_up(dataset)
    timings: dict[str, list[float]] = {}
    instrument(timings)
    cpu = time.process_time()
    started = time.perf_counter()
    frame = scan_positions(dataset)
    run = run_module.detect_by_day if p["mode"] == "by-day" else run_module.detect
    events = run(frame)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu": time.process_time() - cpu,
        "warm_up": warm,
        "events": event_counts(events),
        "stages": timings,
        "threads": pl.thread_pool_size(),
        "peak_gib": peak_self_gib(),
    }


def work_read(p: dict[str, Any]) -> dict[str, Any]:
    """Only the Parquet read detect starts with: the columns it uses, collected."""
    import polars as pl

    from neonwatch.detect import scan_positions

    started = time.perf_counter()
    frame = scan_positions(Path(p["dataset"])).select(POSITION_COLUMNS).collect()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": frame.height, "threads": pl.thread_pool_size()}


def work_duckdb(p: dict[str, Any]) -> dict[str, Any]:
    import duckdb

    dataset = Path(p["dataset"])
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{p['memory_limit']}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET temp_directory = '{p['temp']}'")
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]  # type: ignore[index]
    files = "[" + ", ".join(f"'{f}'" for f in parquet_files(dataset)) + "]"
    sql = DUCKDB_SQL.format(files=files)
    cpu = time.process_time()
    started = time.perf_counter()
    con.execute(sql)
    gaps = con.execute("SELECT count(*) FROM gaps").fetchone()[0]  # type: ignore[index]
    encounters = con.execute("SELECT count(*) FROM encounters").fetchone()[0]  # type: ignore[index]
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu": time.process_time() - cpu,
        "events": {"gap (>= 6 h)": gaps, "encounter": encounters},
        "threads": threads,
        "duckdb": duckdb.__version__,
    }


def read_subset(dataset: Path, rows: int | None) -> Any:
    """The dataset as one Arrow table, or only its first vessels (in the seeded order the
    dataset was cut with) up to ``rows`` positions."""
    import polars as pl

    frame = pl.scan_parquet(parquet_files(dataset)).collect()
    if rows is not None and rows < frame.height:
        frame = trim_vessels(frame, rows, SEED + 7)
    return frame.sort(["mmsi", "ts"]).to_arrow()


def work_subset_neonwatch(p: dict[str, Any]) -> dict[str, Any]:
    from neonwatch.detect import detect

    table = read_subset(Path(p["dataset"]), None)
    warm = warm_up(Path(p["dataset"]))
    best = float("inf")
    events = None
    for _ in range(3):
        started = time.perf_counter()
        events = detect(table)
        best = min(best, time.perf_counter() - started)
    assert events is not None
    return {
        "seconds": best,
        "rows": table.num_rows,
        "warm_up": warm,
        "events": event_counts(events),
        "vessels": len(set(table["mmsi"].to_pylist())),
    }


def work_movingpandas(p: dict[str, Any]) -> dict[str, Any]:
    import warnings
    from datetime import timedelta

    warnings.filterwarnings("ignore")
    import geopandas as gpd
    import movingpandas as mpd

    table = read_subset(Path(p["dataset"]), p.get("rows"))
    df = table.select(["mmsi", "ts", "lat", "lon"]).to_pandas()
    started = time.perf_counter()
    df["ts"] = df["ts"].dt.tz_convert(None)
    gdf = gpd.GeoDataFrame(
        df[["mmsi", "ts"]], geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326"
    )
    collection = mpd.TrajectoryCollection(gdf, traj_id_col="mmsi", t="ts")
    built = time.perf_counter()
    detector = mpd.TrajectoryStopDetector(collection, n_processes=p["processes"])
    stops = detector.get_stop_time_ranges(
        max_diameter=MP_MAX_DIAMETER_M, min_duration=timedelta(hours=MP_MIN_DURATION_H)
    )
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "build": built - started,
        "detect": done - built,
        "rows": table.num_rows,
        "vessels": len(collection),
        "stops": len(stops),
        "movingpandas": mpd.__version__,
    }


WORKERS = {
    "generate": work_generate,
    "neonwatch": work_neonwatch,
    "read": work_read,
    "duckdb": work_duckdb,
    "subset-neonwatch": work_subset_neonwatch,
    "movingpandas": work_movingpandas,
}


# --------------------------------------------------------------------------- report


def fmt_s(run: Run | None) -> str:
    if run is None:
        return "-"
    return f"{run.get('seconds'):.2f}" if run.ok else run.error or "failed"


def fmt_events(events: dict[str, int] | None) -> str:
    if not events:
        return "-"
    return ", ".join(f"{k} {v:,}" for k, v in sorted(events.items()))


def ratio(a: float | None, b: float | None) -> float:
    if a is None or b is None or not b or math.isnan(a) or math.isnan(b):
        return float("nan")
    return a / b


def stage_rows(runs: list[tuple[str, Run]]) -> list[tuple[str, list[str]]]:
    """Stage paths (up to two levels below ``detect``) with each run's seconds."""
    paths: list[str] = []
    for _, run in runs:
        for path in run.get("stages", {}):
            if path not in paths:
                paths.append(path)

    def key(path: str) -> tuple[int, ...]:
        """Callers before callees, each level in first-call order."""
        parts = path.split("/")
        return tuple(
            paths.index("/".join(parts[: i + 1])) if "/".join(parts[: i + 1]) in paths else -1
            for i in range(len(parts))
        )

    rows = []
    for path in sorted(paths, key=key):
        depth = path.count("/")
        if depth > 2:
            continue
        entries = [run.get("stages", {}).get(path) for _, run in runs]
        if all(e is None or e[0] < 0.005 for e in entries):
            continue
        cells = ["" if e is None else f"{e[0]:.2f}" for e in entries]
        rows.append(("  " * depth + path.rsplit("/", 1)[-1], cells))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10M,100M", help="position counts (default 10M,100M)")
    parser.add_argument("--quick", action="store_true", help="1M and 10M only, for development")
    parser.add_argument("--skip-movingpandas", action="store_true")
    parser.add_argument("--skip-duckdb", action="store_true")
    parser.add_argument(
        "--by-day",
        default="10M",
        help="sizes at which detect_by_day is timed too: a list, 'all' or 'none' (default 10M)",
    )
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"data cache ({CACHE})")
    parser.add_argument(
        "--max-gib",
        type=float,
        default=None,
        help="kill a run whose RSS passes this (default: 85%% of MemAvailable, at most 20)",
    )
    parser.add_argument("--mp-processes", type=int, default=1, help="MovingPandas n_processes")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of neonwatch and DuckDB per size (best kept)"
    )
    parser.add_argument(
        "--generate-only", action="store_true", help="write the cached data sets and stop"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--params", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        result = WORKERS[args.worker](json.loads(args.params))
        Path(args.result).write_text(json.dumps(result))
        return

    wanted = "1M,10M" if args.quick else args.sizes
    sizes = sorted({parse_size(s) for s in wanted.split(",")})
    by_day = (
        set(sizes)
        if args.by_day == "all"
        else set()
        if args.by_day == "none"
        else {parse_size(s) for s in args.by_day.split(",")}
    )
    missing = []
    for module, needed in (
        ("duckdb", not args.skip_duckdb),
        ("movingpandas", not args.skip_movingpandas),
    ):
        if needed:
            try:
                __import__(module)
            except ImportError:
                missing.append(module)
    if missing:
        sys.exit(f"benchmarks/detect.py needs {', '.join(missing)}: pip install -e '.[bench]'")
    available = mem_available_gib()
    max_gib = args.max_gib or min(20.0, 0.85 * available)
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores

    # ---- data
    root = cache_root(args.cache)
    data_sizes = set(sizes)
    if not args.skip_movingpandas:
        data_sizes.add(MP_ROWS)
    needed = [n for n in sorted(data_sizes) if not ready(dataset_dir(root, n))]
    if needed:
        say(f"data: generating {', '.join(size_label(n) for n in needed)} into {root} ...")
        gen = run_worker("generate", "generate", {"root": str(root), "sizes": needed}, max_gib)
        if not gen.ok:
            sys.exit(f"benchmarks/detect.py: data generation failed ({gen.error})")
        say(f"data: generated in {gen.outer_s:.0f} s, peak {gen.peak_gib:.1f} GiB")
    if args.generate_only:
        return
    meta = {n: json.loads((dataset_dir(root, n) / "meta.json").read_text()) for n in data_sizes}

    # ---- MovingPandas vs neonwatch on the subset
    mp: Run | None = None
    mp_small: Run | None = None
    nw_subset: Run | None = None
    mp_note = ""
    if not args.skip_movingpandas:
        subset = str(dataset_dir(root, MP_ROWS))
        say(f"neonwatch on the {size_label(MP_ROWS)} subset (best of 3) ...")
        nw_subset = run_worker("neonwatch subset", "subset-neonwatch", {"dataset": subset}, max_gib)
        say(f"movingpandas on {size_label(MP_SMALL_ROWS)} positions ...")
        params = {"dataset": subset, "processes": args.mp_processes}
        mp_small = run_worker(
            "movingpandas small", "movingpandas", {**params, "rows": MP_SMALL_ROWS}, max_gib
        )
        if mp_small.ok:
            rows_full = meta[MP_ROWS]["rows"]
            projected = mp_small.get("seconds") * rows_full / mp_small.get("rows")
            if projected <= MP_LIMIT_S:
                say(f"movingpandas on {size_label(MP_ROWS)} (projected {projected:.0f} s) ...")
                mp = run_worker(
                    "movingpandas", "movingpandas", params, max_gib, limit_s=2 * MP_LIMIT_S
                )
                mp_note = "measured"
            if mp is None or not mp.ok:
                mp_note = (
                    f"extrapolated linearly from {mp_small.get('rows'):,} positions "
                    f"({mp_small.get('seconds'):.1f} s) to {rows_full:,}: projected "
                    f"{projected:.0f} s > {MP_LIMIT_S:.0f} s"
                    if mp is None
                    else f"1M run failed ({mp.error}); extrapolated from the 100k run"
                )
                mp = Run(
                    "movingpandas (extrapolated)",
                    {**mp_small.result, "seconds": projected, "rows": rows_full},
                )

    # ---- neonwatch and DuckDB per size
    nw: dict[tuple[int, str], Run] = {}
    reads: dict[int, Run] = {}
    duck: dict[int, Run] = {}
    for n in sizes:
        dataset = str(dataset_dir(root, n))
        label = size_label(n)
        say(f"{label}: Parquet read only (also warms the page cache) ...")
        reads[n] = run_worker(f"read {label}", "read", {"dataset": dataset}, max_gib)
        for mode in ("whole", "by-day") if n in by_day else ("whole",):
            say(f"{label}: neonwatch {mode} ...")
            params = {"dataset": dataset, "mode": mode}
            nw[n, mode] = best_run(
                args.repeat, f"neonwatch {mode} {label}", "neonwatch", params, max_gib
            )
            r = nw[n, mode]
            if r.ok:
                say(f"  {r.get('seconds'):.2f} s, peak {r.peak_gib:.2f} GiB")
        if not args.skip_duckdb:
            say(f"{label}: DuckDB ...")
            with tempfile.TemporaryDirectory(prefix="duckdb-", dir=args.cache) as spill:
                duck[n] = best_run(
                    args.repeat,
                    f"duckdb {label}",
                    "duckdb",
                    {
                        "dataset": dataset,
                        "memory_limit": DUCKDB_MEMORY_LIMIT,
                        "temp": spill,
                    },
                    max_gib,
                )
            if duck[n].ok:
                say(f"  {duck[n].get('seconds'):.2f} s, peak {duck[n].peak_gib:.2f} GiB")

    # ---- report
    from rich.console import Console
    from rich.table import Table

    def headline(n: int) -> Run | None:
        """The fastest neonwatch run at size n within the memory bar, else the fastest."""
        runs = [r for (m, _), r in nw.items() if m == n and r.ok]
        within = [r for r in runs if r.peak_gib <= BAR_GIB]
        pool = within or runs
        return min(pool, key=lambda r: r.get("seconds")) if pool else None

    table = Table(title="Detection on simulated AIS traffic (wall s inside the worker)")
    for col, justify in (
        ("run", "left"),
        ("positions", "right"),
        ("seconds", "right"),
        ("cpu s", "right"),
        ("peak GiB", "right"),
        ("M pos/s", "right"),
        ("events", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for n in sizes:
        rows = meta[n]["rows"]
        entries: list[tuple[str, Run | None]] = [(f"Parquet read only {size_label(n)}", reads[n])]
        entries += [
            (f"neonwatch {mode} {size_label(n)}", r) for (m, mode), r in nw.items() if m == n
        ]
        entries.append((f"DuckDB SQL {size_label(n)}", duck.get(n)))
        for name, r in entries:
            if r is None:
                continue
            sec = r.get("seconds") if r.ok else None
            table.add_row(
                name,
                f"{rows:,}",
                fmt_s(r),
                f"{r.get('cpu'):.1f}" if r.get("cpu") is not None else "",
                f"{r.peak_gib:.2f}",
                f"{rows / sec / 1e6:.2f}" if sec else "",
                fmt_events(r.get("events")) if r.ok else "",
            )
    if nw_subset is not None:
        for name, r in (
            (f"neonwatch detect, {size_label(MP_ROWS)} subset, in memory", nw_subset),
            (f"MovingPandas stops, {size_label(MP_SMALL_ROWS)} subset", mp_small),
            (f"MovingPandas stops, {size_label(MP_ROWS)} subset", mp),
        ):
            if r is None:
                continue
            events = (
                r.get("events")
                if "events" in r.result
                else {"stops": r.get("stops")}
                if r.ok
                else None
            )
            table.add_row(
                name,
                f"{r.get('rows', 0):,}",
                fmt_s(r),
                "",
                f"{r.peak_gib:.2f}" if not math.isnan(r.peak_gib) else "-",
                f"{r.get('rows') / r.get('seconds') / 1e6:.3f}" if r.ok else "",
                fmt_events(events),
            )
    console = Console(width=max(shutil.get_terminal_size().columns, 140))
    console.print(table)

    stage_runs = [(f"{mode} {size_label(n)}", r) for (n, mode), r in nw.items() if r.ok]
    if stage_runs:
        stages = Table(title="neonwatch seconds per stage (functions detect calls, timed by name)")
        stages.add_column("stage")
        for name, _ in stage_runs:
            stages.add_column(name, justify="right")
        for name, cells in stage_rows(stage_runs):
            stages.add_row(name, *cells)
        stages.add_row(
            "(total, scan to events)", *[f"{r.get('seconds'):.2f}" for _, r in stage_runs]
        )
        console.print(stages)

    largest = sizes[-1]
    best = headline(largest)
    m0 = meta[sizes[0]]
    print(
        f"data: neonwatch.simulate, {m0['vessels_per_batch']} ships x {HOURS:g} h per batch "
        f"(every {THINNING}rd ITU-R report), {BATCH_ROWS:,} positions per batch by whole "
        f"vessels, batches with seeds {SEED}+k and MMSIs unique across batches; "
        + "; ".join(f"{size_label(n)} = {meta[n]['how']}" for n in sorted(meta))
    )
    print(
        f"cores: os.cpu_count()={cores}, usable={usable}; polars threads "
        f"{next((r.get('threads') for r in nw.values() if r.ok), '?')}, duckdb threads "
        f"{next((r.get('threads') for r in duck.values() if r.ok), '-')} (memory_limit "
        f"{DUCKDB_MEMORY_LIMIT}); MemAvailable at start {available:.1f} GiB, runs killed past "
        f"{max_gib:.1f} GiB"
    )
    print(
        "timing: each run is a fresh subprocess; seconds are wall time of the work only "
        "(imports, and neonwatch's warm-up, a detect on 50k rows plus a shore and port "
        "distance that load numba's cache and the geo reference, excluded); peak GiB is the "
        f"subprocess's max RSS (os.wait4), imports included; best of {args.repeat} per size"
    )
    timed = [(f"neonwatch {m} {size_label(n)}", r) for (n, m), r in nw.items()]
    timed += [(f"duckdb {size_label(n)}", r) for n, r in duck.items()]
    print(
        "contention: cores kept busy by other processes during each run, on average "
        "(machine busy time from /proc/stat minus the run's own CPU time; the machine is "
        f"shared and has {cores} cores): "
        + ", ".join(f"{name} {r.others:.2f}" for name, r in timed)
    )
    if mp is not None and nw_subset is not None:
        print(
            f"movingpandas {mp.get('movingpandas')}: TrajectoryStopDetector(n_processes="
            f"{args.mp_processes}).get_stop_time_ranges(max_diameter={MP_MAX_DIAMETER_M:g} m, "
            f"min_duration={MP_MIN_DURATION_H:g} h) incl. building the TrajectoryCollection, "
            f"{mp_note}; neonwatch: full detect() on the same Arrow table, best of 3"
        )

    nw_s = best.get("seconds") if best else None
    duck_s = duck[largest].get("seconds") if largest in duck and duck[largest].ok else None
    duckdb_ratio = ratio(nw_s, duck_s)
    mp_ratio = ratio(
        mp.get("seconds") if mp and mp.ok else None,
        nw_subset.get("seconds") if nw_subset and nw_subset.ok else None,
    )
    scaling = float("nan")
    if len(sizes) >= 2 and best is not None:
        mode = next(k[1] for k, r in nw.items() if r is best)
        small = nw.get((sizes[-2], mode))
        if small is not None and small.ok:
            scaling = ratio(nw_s, small.get("seconds"))
    if best is not None:
        mode = next(k[1] for k, r in nw.items() if r is best)
        print(
            f"headline: neonwatch {mode} at {size_label(largest)} (the fastest run within "
            f"{BAR_GIB:g} GiB, else the fastest)"
        )

    def bar(ok: bool | None, text: str) -> None:
        word = "SKIP" if ok is None else "PASS" if ok else "FAIL"
        print(f"{word}  {text}")

    at_bar = largest >= BAR_SIZE
    peak = best.peak_gib if best else float("nan")
    bar(
        (nw_s is not None and nw_s <= BAR_SECONDS) if at_bar else None,
        f"{size_label(BAR_SIZE)} positions in <= {BAR_SECONDS:g} s ({nw_s or float('nan'):.2f} s "
        f"at {size_label(largest)})",
    )
    bar(
        (peak <= BAR_GIB) if at_bar else None,
        f"{size_label(BAR_SIZE)} positions in <= {BAR_GIB:g} GiB peak ({peak:.2f} GiB at "
        f"{size_label(largest)})",
    )
    bar(
        None if math.isnan(duckdb_ratio) else duckdb_ratio <= BAR_DUCKDB,
        f"<= {BAR_DUCKDB:g}x the plain DuckDB query's time ({duckdb_ratio:.2f}x at "
        f"{size_label(largest)})",
    )
    bar(
        None if math.isnan(mp_ratio) else mp_ratio >= BAR_MOVINGPANDAS,
        f">= {BAR_MOVINGPANDAS:g}x MovingPandas stop detection on {size_label(MP_ROWS)} "
        f"({mp_ratio:.0f}x)",
    )
    bar(
        None if math.isnan(scaling) else scaling <= BAR_SCALING,
        f"10x the positions costs <= {BAR_SCALING:g}x the time ({scaling:.2f}x, "
        + (
            f"{size_label(sizes[-2])} -> {size_label(largest)}: "
            f"{meta[largest]['rows'] / meta[sizes[-2]]['rows']:.1f}x the positions)"
            if len(sizes) > 1
            else "one size only)"
        ),
    )
    print(
        f"detect: positions={meta[largest]['rows']} seconds={nw_s or float('nan'):.2f} "
        f"peak_gib={peak:.2f} duckdb_ratio={duckdb_ratio:.2f}"
    )


if __name__ == "__main__":
    main()
