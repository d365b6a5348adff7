"""``simulate`` and ``write``: seeded traffic with planted events, as ingest would write it.

Order of work: plant the scenarios first (they claim offshore sites clear of the lanes), then
the anchorage crowds, then normal traffic (whose fishing grounds keep away from the sites);
pick naive gaps, teleports and shared-MMSI victims among normal ships; add dropouts; render
every plan to reports at once; finally read the gap, teleport and shared-MMSI truth off the
rendered reports, so the truth is what a detector will see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from neonwatch.detect.schema import TRUTH, Kind
from neonwatch.ingest import schema as ingest_schema
from neonwatch.ingest.output import DayPartitionedWriter, Staging
from neonwatch.simulate import fleet, scenarios
from neonwatch.simulate.motion import Rendered, offset, render
from neonwatch.simulate.scenarios import (
    DISABLING_MIN_H,
    DISABLING_MIN_SHORE_KM,
    HOUR,
    TELEPORT_KM,
    World,
)
from neonwatch.simulate.seas import load_seas, on_land, shore_km

# Every thinning-th report is kept: ITU-R M.1371 rates for 2,000 ships over 48 h come to
# about 28 million reports; keeping every third gives about 10 million, still at least one
# report every 90 s under way (class B) and every 9 min at anchor, far inside the 10-minute
# grid and 1 h interpolation limit the detectors use.
DEFAULT_THINNING = 3
DEFAULT_START = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)  # 06:00 so a 24-48 h run spans midnight
MIN_VESSELS = 50
MIN_HOURS = 6.0
STATION = "sim"
CLASS_A_MSG, CLASS_B_MSG = 1, 18


@dataclass
class Simulation:
    """Simulated traffic: positions and vessels as ingest writes them, and the planted truth.

    ``positions`` are ordered by MMSI then time (the order the track stage reads without a
    sort); ``vessels`` has one row per MMSI, two for an MMSI that two ships share; ``truth``
    has one row per planted event, times and places as the detection rules see them.
    """

    positions: pa.Table  # ingest.schema.POSITIONS
    vessels: pa.Table  # ingest.schema.VESSELS
    truth: pa.Table  # detect.schema.TRUTH
    start: datetime
    hours: float
    seed: int
    thinning: int
    anchorages: list[list[int]]  # MMSIs of each crowded anchorage (planted true negatives)


def simulate(
    vessels: int,
    hours: float,
    seed: int,
    start: datetime | None = None,
    thinning: int = DEFAULT_THINNING,
) -> Simulation:
    """Simulate ``vessels`` ships for ``hours`` from ``start`` (UTC), deterministic by ``seed``.

    Normal traffic sails between real ports at its type's speed, reporting at ITU-R M.1371
    rates (every ``thinning``-th report kept); planted scenarios (STS transfers, loiterers,
    AIS gaps and disabling, dark rendezvous, teleports, shared MMSIs) come with their truth.
    Crowded anchorages are planted as true negatives. See :mod:`neonwatch.simulate`.
    """
    if vessels < MIN_VESSELS:
        raise ValueError(f"need at least {MIN_VESSELS} vessels to plant every scenario")
    if hours < MIN_HOURS:
        raise ValueError(f"need at least {MIN_HOURS:g} hours")
    if thinning < 1:
        raise ValueError("thinning must be 1 or more")
    start = DEFAULT_START if start is None else start
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    start_ms = round(start.timestamp() * 1000)

    rng = np.random.default_rng(seed)
    world = World(load_seas(), rng, float(hours))
    counts = scenarios.scenario_counts(vessels)
    _plant(world, counts, start)
    budget = vessels - len(world.vessels) - counts["shared"]
    if vessels >= scenarios.CROWD_MIN_VESSELS:
        crowd_total = max(scenarios.CROWD_SIZE[0], round(vessels * scenarios.CROWD_SHARE))
        while crowd_total >= scenarios.CROWD_SIZE[0] and budget > crowd_total:
            size = int(rng.integers(scenarios.CROWD_SIZE[0], scenarios.CROWD_SIZE[1] + 1))
            size = min(size, crowd_total)
            if not scenarios.plant_anchorage(world, size):
                break
            crowd_total -= size
            budget -= size
    while len(world.vessels) < vessels - counts["shared"]:
        sea = world.pick_sea()
        ship_type = fleet.pick_type(rng)
        dprk = sea.name == "east_asia" and ship_type is fleet.TANKER and rng.random() < 0.05
        v = world.new_vessel(ship_type, sea, "normal", dprk=dprk)
        scenarios.normal_voyages(world, v, sea)

    pool = scenarios.unused(world)
    gap_ships = scenarios.pick_naive_gaps(world, pool, counts["gap"])
    pool = [i for i in pool if i not in set(gap_ships)]
    tele_ships = scenarios.pick_teleports(world, pool, counts["teleport"])
    pool = [i for i in pool if i not in set(tele_ships)]
    for victim in pool[: counts["shared"]]:
        _plant_shared(world, victim)
    while len(world.vessels) < vessels:  # shared-MMSI victims ran short: fill with traffic
        sea = world.pick_sea()
        v = world.new_vessel(fleet.pick_type(rng), sea, "normal")
        scenarios.normal_voyages(world, v, sea)
    scenarios.dropouts(world)

    sil = world.silences
    silences = (
        np.array([s[0] for s in sil], np.int64),
        np.array([s[1] for s in sil], float),
        np.array([s[2] for s in sil], float),
    )
    class_a = np.array([v.class_a for v in world.vessels])
    rendered = render(world.plans, class_a, float(hours), thinning, rng, silences)

    _apply_teleports(world, rendered)
    _gap_truth(world, rendered)
    mmsi = np.array([v.mmsi for v in world.vessels], np.int64)
    for victim, impostor in world.shared:
        mmsi[impostor] = mmsi[victim]
        lo, hi = rendered.bounds(impostor)
        # Two transmitters, one MMSI: never the same millisecond (a receiver would drop one).
        v_lo, v_hi = rendered.bounds(victim)
        tie = np.isin(rendered.t_ms[lo:hi], rendered.t_ms[v_lo:v_hi])
        rendered.t_ms[lo:hi][tie] += 1
        t = rendered.t_ms[lo:hi] / 1000.0
        world.add_truth(
            Kind.SHARED_MMSI,
            int(mmsi[victim]),
            None,
            float(t[0]),
            float(t[-1]),
            float(np.mean(rendered.lat[lo:hi])),
            float(np.mean(rendered.lon[lo:hi])),
            f"MMSI also used by {world.vessels[impostor].name}, "
            f"{world.vessels[impostor].region} vs {world.vessels[victim].region}",
        )
    return Simulation(
        positions=_positions_table(world, rendered, mmsi, start_ms),
        vessels=_vessels_table(world, rendered, mmsi, start_ms),
        truth=_truth_table(world, start_ms),
        start=start,
        hours=float(hours),
        seed=seed,
        thinning=thinning,
        anchorages=[[int(mmsi[i]) for i in crowd] for crowd in world.crowds],
    )


def _plant(world: World, counts: dict[str, int], start: datetime) -> None:
    rng = world.rng
    lo, hi = scenarios.STS_HOURS
    # The STS across midnight: the first UTC midnight with room for it.
    first_midnight = (math.ceil(start.timestamp() / 86_400.0) * 86_400.0 - start.timestamp()) / HOUR
    for m in np.arange(first_midnight, world.hours, 24.0):
        d = float(rng.uniform(lo, hi))
        s = float(m - rng.uniform(0.35, 0.65) * d)
        if s >= scenarios.EDGE_MARGIN_H and s + d <= world.hours - scenarios.EDGE_MARGIN_H:
            scenarios.plant_sts(world, s * HOUR, d, "STS across midnight")
            break
    d = float(rng.uniform(lo, hi))
    s180 = world.window(d)
    if s180 is not None:
        scenarios.plant_antimeridian_sts(world, s180, d)
    for _ in range(counts["sts"]):
        d = float(rng.uniform(lo, hi))
        at = world.window(d)
        if at is not None:
            scenarios.plant_sts(world, at, d, "STS pair")
    for _ in range(counts["dark"]):
        scenarios.plant_dark_rendezvous(world)
    for _ in range(counts["loiter"]):
        scenarios.plant_loiterer(world)
    for _ in range(counts["disabling"]):
        scenarios.plant_disabling(world)


def _plant_shared(world: World, victim: int) -> None:
    """A ship in another sea broadcasts the victim's MMSI for 3-10 h."""
    rng = world.rng
    duration_h = min(float(rng.uniform(*scenarios.SHARED_HOURS)), world.hours - 3.0)
    s0 = world.window(duration_h)
    if s0 is None:
        return
    home = world.vessels[victim].region
    seas = [s for s in world.seas if s.name != home]
    sea = seas[int(rng.integers(len(seas)))]
    ship_type = fleet.CARGO if rng.random() < 0.6 else fleet.TANKER
    v = world.new_vessel(ship_type, sea, "shared_impostor")
    scenarios.normal_voyages(world, v, sea)
    world.vessels[victim].role = "shared_victim"
    world.silences.append((v.index, -world.span_s, s0))
    world.silences.append((v.index, s0 + duration_h * HOUR, 2 * world.span_s))
    world.shared.append((victim, v.index))


def _apply_teleports(world: World, r: Rendered) -> None:
    """Move one report of each chosen ship 120-300 km (to sea), leaving the rest in place."""
    rng = world.rng
    for vessel, t in world.teleports:
        lo, hi = r.bounds(vessel)
        if hi - lo < 3:
            continue
        i = lo + int(np.searchsorted(r.t_ms[lo:hi], t * 1000.0))
        i = min(max(i, lo + 1), hi - 2)
        dist = rng.uniform(*TELEPORT_KM) * 1000.0
        lat, lon = float(r.lat[i]), float(r.lon[i])
        for _ in range(12):
            bearing = rng.uniform(0, 2 * math.pi)
            lat, lon = offset(
                r.lat[i], r.lon[i], dist * math.cos(bearing), dist * math.sin(bearing)
            )
            lon = (lon + 180.0) % 360.0 - 180.0
            if not on_land(np.array([lat]), np.array([lon]))[0]:
                break
        r.lat[i], r.lon[i] = lat, lon
        world.add_truth(
            Kind.TELEPORT,
            world.vessels[vessel].mmsi,
            None,
            r.t_ms[i] / 1000.0,  # one position: the event starts and ends there
            r.t_ms[i] / 1000.0,
            lat,
            lon,
            f"one position moved {dist / 1000:.0f} km",
        )


def _gap_truth(world: World, r: Rendered) -> None:
    """Gap truth from the reports as rendered: the last report at or before the silence and
    the first after it; AIS disabling when the rule for it holds on them, else gap."""
    found: list[tuple[float, float, float, float, str] | None] = []
    starts_lat, starts_lon = [], []
    for g in world.gaps:
        lo, hi = r.bounds(g.vessel)
        ts = r.t_ms[lo:hi] / 1000.0
        i = int(np.searchsorted(ts, g.start_s, side="right")) - 1
        if i < 0 or i + 1 >= ts.size:
            found.append(None)
            continue
        found.append((ts[i], ts[i + 1], r.lat[lo + i], r.lon[lo + i], g.note))
        starts_lat.append(r.lat[lo + i])
        starts_lon.append(r.lon[lo + i])
    shore = shore_km(np.array(starts_lat), np.array(starts_lon)) if starts_lat else np.zeros(0)
    k = 0
    gap_rows: list[tuple[float, float] | None] = []
    for g, f in zip(world.gaps, found, strict=True):
        if f is None:
            gap_rows.append(None)
            continue
        t0, t1, lat, lon, note = f
        disabling = (t1 - t0) >= DISABLING_MIN_H * HOUR and shore[k] >= DISABLING_MIN_SHORE_KM
        k += 1
        kind = Kind.AIS_DISABLING if disabling else Kind.GAP
        world.add_truth(kind, world.vessels[g.vessel].mmsi, None, t0, t1, lat, lon, note)
        gap_rows.append((t0, t1))
    for d in world.darks:
        span = gap_rows[d.gap]
        if span is None:
            continue
        world.add_truth(
            Kind.DARK_RENDEZVOUS,
            world.vessels[d.loiterer].mmsi,
            world.vessels[d.partner].mmsi,
            max(d.loiter_start_s, span[0]),
            min(d.loiter_end_s, span[1]),
            d.lat,
            d.lon,
            d.note,
        )


def _by_mmsi(r: Rendered, mmsi: np.ndarray) -> np.ndarray:
    """Order of the reports by MMSI then time, the order the track stage reads fastest.

    Rendered reports are already grouped by vessel in time order, so this is a
    concatenation of whole vessels in MMSI order; only an MMSI two ships share needs a
    (small) sort by time.
    """
    n = mmsi.size
    counts = np.bincount(r.vessel, minlength=n)
    starts = np.cumsum(counts) - counts
    order = np.argsort(mmsi, kind="stable")
    c = counts[order]
    idx = np.repeat(starts[order] - (np.cumsum(c) - c), c) + np.arange(int(c.sum()))
    m_sorted = mmsi[order]
    shared = np.flatnonzero(np.r_[False, m_sorted[1:] == m_sorted[:-1]])
    if shared.size:
        bounds = np.r_[0, np.cumsum(c)]
        for k in np.unique(np.searchsorted(m_sorted, m_sorted[shared])).tolist():
            last = int(np.searchsorted(m_sorted, m_sorted[k], side="right"))
            lo, hi = int(bounds[k]), int(bounds[last])
            idx[lo:hi] = idx[lo:hi][np.argsort(r.t_ms[idx[lo:hi]], kind="stable")]
    return idx


def _positions_table(world: World, r: Rendered, mmsi: np.ndarray, start_ms: int) -> pa.Table:
    idx = _by_mmsi(r, mmsi)
    vessel = r.vessel[idx]
    class_a = np.array([v.class_a for v in world.vessels])[vessel]
    heading, nav = r.heading[idx], r.nav_status[idx]
    columns = {
        "mmsi": pa.array(mmsi[vessel].astype(np.int32)),
        "ts": pa.array(r.t_ms[idx] + start_ms, pa.int64()).cast(ingest_schema.UTC_MS),
        "lat": pa.array(r.lat[idx]),
        "lon": pa.array(r.lon[idx]),
        "sog": pa.array(r.sog[idx]),
        "cog": pa.array(r.cog[idx]),
        "heading": pa.array(heading, mask=heading < 0),
        "nav_status": pa.array(nav, mask=nav < 0),
        "msg_type": pa.array(np.where(class_a, CLASS_A_MSG, CLASS_B_MSG).astype(np.int8)),
        "station": pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(idx.size, np.int32)), pa.array([STATION])
        ),
    }
    return pa.table(columns, schema=ingest_schema.POSITIONS)


def _vessels_table(world: World, r: Rendered, mmsi: np.ndarray, start_ms: int) -> pa.Table:
    rows = []
    for v in world.vessels:
        lo, hi = r.bounds(v.index)
        if hi <= lo:
            continue
        rows.append(
            {
                "mmsi": int(mmsi[v.index]),
                "imo": v.imo,
                "name": v.name,
                "callsign": v.callsign,
                "ship_type": v.ais_type,
                # GNSS antenna about two thirds aft, on the centre line.
                "to_bow": round(v.length_m * 0.65),
                "to_stern": v.length_m - round(v.length_m * 0.65),
                "to_port": v.beam_m // 2,
                "to_starboard": v.beam_m - v.beam_m // 2,
                "draught": v.draught_m,
                "destination": v.destination or None,
                "first_seen": int(r.t_ms[lo]) + start_ms,
                "last_seen": int(r.t_ms[hi - 1]) + start_ms,
            }
        )
    frame = pl.DataFrame(rows).sort(["mmsi", "first_seen"])
    table = frame.to_arrow()
    arrays = []
    for f in ingest_schema.VESSELS:
        col = table[f.name]
        if f.type == ingest_schema.UTC_MS:
            col = col.cast(pa.int64()).cast(f.type)
        arrays.append(col.cast(f.type))
    return pa.Table.from_arrays(arrays, schema=ingest_schema.VESSELS)


def _truth_table(world: World, start_ms: int) -> pa.Table:
    if not world.truth:
        return TRUTH.empty_table()
    frame = pl.DataFrame(world.truth, infer_schema_length=None).with_columns(
        (pl.col("start_s") * 1000).round().cast(pl.Int64) + start_ms,
        (pl.col("end_s") * 1000).round().cast(pl.Int64) + start_ms,
    )
    frame = frame.sort(["kind", "start_s", "mmsi"])
    return pa.table(
        {
            "kind": pa.array(frame["kind"].to_list(), pa.string()),
            "mmsi": pa.array(frame["mmsi"].to_numpy().astype(np.int32)),
            "mmsi_2": pa.array(frame["mmsi_2"].to_list(), pa.int32()),
            "start": pa.array(frame["start_s"].to_numpy(), pa.int64()).cast(
                TRUTH.field("start").type
            ),
            "end": pa.array(frame["end_s"].to_numpy(), pa.int64()).cast(TRUTH.field("end").type),
            "lat": pa.array(frame["lat"].to_numpy().astype(float)),
            "lon": pa.array(frame["lon"].to_numpy().astype(float)),
            "note": pa.array(frame["note"].to_list(), pa.string()),
        },
        schema=TRUTH,
    )


def write(sim: Simulation, out_dir: str | Path) -> Path:
    """Write ``positions/`` and ``vessels/`` (day-partitioned, exactly as ingest writes them)
    and ``truth.parquet`` into ``out_dir``, all or nothing. Returns ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with Staging(out) as stage:
        positions = DayPartitionedWriter(stage.path / "positions", ingest_schema.POSITIONS)
        positions.write(sim.positions)
        positions.close()
        vessels = DayPartitionedWriter(stage.path / "vessels", ingest_schema.VESSELS, "first_seen")
        vessels.write(sim.vessels)
        vessels.close()
        pq.write_table(sim.truth, stage.path / "truth.parquet", compression="zstd")
        stage.commit()
    return out
