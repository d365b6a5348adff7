"""The traffic simulator: schemas, determinism, realism, and truth that holds on the positions.

The truth checks below re-derive each planted event from the positions with the detection
rules of DESIGN.md (not with the detectors, which are tested against this truth), and look
for events nobody planted: a slow offshore run, a silence, a jump or a close pair that is
not in the truth would cost a correct detector precision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from neonwatch import geo
from neonwatch.detect.evaluate import load_table
from neonwatch.detect.schema import TRUTH, Kind
from neonwatch.ingest import schema as ingest_schema
from neonwatch.simulate import Simulation, simulate, write
from neonwatch.simulate.fleet import imo_check_digit, valid_imo

HOUR_MS = 3_600_000
NM_KM = 1.852
THINNING = 3


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return simulate(200, 24, seed=7, thinning=THINNING)


@pytest.fixture(scope="module")
def pos(sim: Simulation) -> pl.DataFrame:
    df = pl.from_arrow(sim.positions)
    assert isinstance(df, pl.DataFrame)
    return df.with_columns(pl.col("ts").dt.epoch("ms").alias("t")).sort(["mmsi", "t"])


@pytest.fixture(scope="module")
def truth(sim: Simulation) -> pl.DataFrame:
    df = pl.from_arrow(sim.truth)
    assert isinstance(df, pl.DataFrame)
    return df.with_columns(
        pl.col("start").dt.epoch("ms").alias("t0"), pl.col("end").dt.epoch("ms").alias("t1")
    )


def _track(pos: pl.DataFrame, mmsi: int, t0: int | None = None, t1: int | None = None):
    df = pos.filter(pl.col("mmsi") == mmsi)
    if t0 is not None:
        df = df.filter(pl.col("t").is_between(t0, t1))
    return (
        df["t"].to_numpy(),
        df["lat"].to_numpy(),
        df["lon"].to_numpy(),
        df["sog"].to_numpy().astype(float),
    )


def _on_grid(t, lat, lon, sog, grid):
    """Interpolated (lat, lon, sog) at grid times, longitude the short way round."""
    ulon = np.degrees(np.unwrap(np.radians(lon)))
    return np.interp(grid, t, lat), np.interp(grid, t, ulon), np.interp(grid, t, sog)


def _shore(lat, lon) -> np.ndarray:
    return np.asarray(geo.shore_distance_km(np.atleast_1d(lat), np.atleast_1d(lon)), float)


def _port(lat, lon) -> np.ndarray:
    return np.asarray(geo.port_distance_km(np.atleast_1d(lat), np.atleast_1d(lon)), float)


def _hop_m(lat, lon):
    return np.asarray(geo.haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]), dtype=float)


def _shared_mmsis(truth: pl.DataFrame) -> set[int]:
    return set(truth.filter(pl.col("kind") == Kind.SHARED_MMSI)["mmsi"].to_list())


# -- tables ---------------------------------------------------------------------------------


def test_schemas(sim: Simulation) -> None:
    assert sim.positions.schema.equals(ingest_schema.POSITIONS)
    assert sim.vessels.schema.equals(ingest_schema.VESSELS)
    assert sim.truth.schema.equals(TRUTH)
    pos = pl.from_arrow(sim.positions)
    assert isinstance(pos, pl.DataFrame)
    assert pos["station"].cast(pl.String).unique().to_list() == ["sim"]
    assert set(pos["msg_type"].unique().to_list()) == {1, 18}
    class_b = pos.filter(pl.col("msg_type") == 18)
    assert class_b["nav_status"].null_count() == class_b.height
    assert pos["lat"].is_between(-90, 90).all() and pos["lon"].is_between(-180, 180).all()
    ts = pos["ts"].dt.epoch("ms")
    order = pos.select("mmsi", "ts")
    assert order.equals(order.sort("mmsi", "ts"))  # by MMSI then time
    assert order.is_unique().all()
    assert ts.min() >= int(sim.start.timestamp() * 1000)
    assert ts.max() < int(sim.start.timestamp() * 1000) + 24 * HOUR_MS


def test_deterministic_by_seed() -> None:
    a = simulate(60, 8, seed=3)
    b = simulate(60, 8, seed=3)
    assert a.positions.equals(b.positions)
    assert a.vessels.equals(b.vessels)
    assert a.truth.equals(b.truth)
    c = simulate(60, 8, seed=4)
    assert not a.positions.equals(c.positions)


def test_start_and_volume(sim: Simulation) -> None:
    start = datetime(2024, 12, 31, 22, 0, tzinfo=UTC)
    small = simulate(60, 8, seed=1, start=start)
    first = pl.from_arrow(small.positions)["ts"].min()
    assert first >= start and (first - start).total_seconds() < 60
    # About 10 million positions for 2,000 ships over 48 h: ~100 per ship-hour at thinning 3.
    per_ship_hour = sim.positions.num_rows / (200 * 24)
    assert 50 < per_ship_hour < 160


def test_identities(sim: Simulation) -> None:
    v = pl.from_arrow(sim.vessels)
    assert isinstance(v, pl.DataFrame)
    class_a = v.filter(pl.col("imo").is_not_null())
    assert class_a.height > 0.6 * v.height
    assert all(valid_imo(i) for i in class_a["imo"].to_list())
    assert imo_check_digit(907472) == 9  # IMO 9074729, the worked example of SOLAS XI-1/3
    mids = (v["mmsi"] // 1_000_000).to_list()
    assert all(201 <= m <= 775 for m in mids)
    dprk_tankers = v.filter(
        (pl.col("mmsi") // 1_000_000 == 445) & pl.col("ship_type").is_between(80, 89)
    )
    loiterers = pl.from_arrow(sim.truth).filter(
        (pl.col("kind") == Kind.LOITERING) & pl.col("note").str.contains("dark partner")
    )
    assert set(loiterers["mmsi"].to_list()) <= set(dprk_tankers["mmsi"].to_list())
    assert dprk_tankers.height >= 1
    assert v.filter(pl.col("imo").is_null())["ship_type"].is_in([36, 37]).all()  # class B
    # One row per MMSI, except the shared ones: two identities on one number.
    counts = v.group_by("mmsi").len()
    shared = set(pl.from_arrow(sim.truth).filter(pl.col("kind") == Kind.SHARED_MMSI)["mmsi"])
    assert set(counts.filter(pl.col("len") > 1)["mmsi"].to_list()) == shared


def test_every_kind_is_planted(truth: pl.DataFrame) -> None:
    assert set(truth["kind"].to_list()) == set(Kind.ALL)
    notes = truth["note"].to_list()
    assert "STS across midnight" in notes
    assert "STS across the 180th meridian" in notes
    pairs = truth.filter(pl.col("kind").is_in([Kind.ENCOUNTER, Kind.DARK_RENDEZVOUS]))
    assert (pairs["mmsi"] < pairs["mmsi_2"]).all()
    single = truth.filter(~pl.col("kind").is_in([Kind.ENCOUNTER, Kind.DARK_RENDEZVOUS]))
    assert single["mmsi_2"].null_count() == single.height
    assert (truth["t1"] >= truth["t0"]).all()


def test_write_reads_like_ingest(tmp_path: Path) -> None:
    small = simulate(60, 30, seed=2)
    out = write(small, tmp_path / "sim")
    days = sorted(p.name for p in (out / "positions").iterdir())
    assert days == ["day=2025-03-01", "day=2025-03-02"]
    assert (out / "positions" / days[0] / "part-0.parquet").is_file()
    assert (out / "vessels").is_dir() and (out / "truth.parquet").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # staging cleaned up
    assert load_table(out / "positions").num_rows == small.positions.num_rows
    assert load_table(out / "truth.parquet").equals(small.truth)


# -- realism --------------------------------------------------------------------------------


def test_moving_positions_are_at_sea(pos: pl.DataFrame) -> None:
    moving = pos.filter(pl.col("sog") > 3).sample(20_000, seed=1)
    on_land = np.asarray(geo.land_mask(moving["lat"].to_numpy(), moving["lon"].to_numpy()))
    assert on_land.mean() < 0.01


def test_reporting_intervals_follow_itu(pos: pl.DataFrame) -> None:
    df = pos.with_columns(
        dt=pl.col("t").diff().over("mmsi") / 1000.0,
        prev_sog=pl.col("sog").shift(1).over("mmsi"),
        prev_nav=pl.col("nav_status").shift(1).over("mmsi"),
    ).drop_nulls("dt")

    def median(expr: pl.Expr) -> float:
        return float(df.filter(expr)["dt"].median())

    a_moving = (pl.col("msg_type") == 1) & (pl.col("nav_status") == 0)
    slow = a_moving & pl.col("sog").is_between(4, 13.5) & pl.col("prev_sog").is_between(4, 13.5)
    fast = (
        a_moving & pl.col("sog").is_between(14.5, 22.5) & pl.col("prev_sog").is_between(14.5, 22.5)
    )
    anchored = pl.col("nav_status").is_in([1, 5]) & pl.col("prev_nav").is_in([1, 5])
    b_moving = (pl.col("msg_type") == 18) & (pl.col("sog") > 3) & (pl.col("prev_sog") > 3)
    assert median(slow) == pytest.approx(10 * THINNING, rel=0.1)
    assert median(fast) == pytest.approx(6 * THINNING, rel=0.1)
    assert median(anchored) == pytest.approx(180 * THINNING, rel=0.1)
    assert median(b_moving) == pytest.approx(30 * THINNING, rel=0.1)
    # Reception dropouts are minutes long, never hours.
    unplanned = df.filter(pl.col("dt") > 3600)
    assert unplanned.height == df.filter(pl.col("dt") > 6 * 3600).height


def test_speeds_by_type(sim: Simulation, pos: pl.DataFrame) -> None:
    v = pl.from_arrow(sim.vessels).select("mmsi", "ship_type").unique("mmsi")
    moving = pos.filter(pl.col("nav_status").is_null() | (pl.col("nav_status") == 0))
    med = (
        moving.filter(pl.col("sog") > 2.5)
        .join(v, on="mmsi")
        .group_by("ship_type")
        .agg(pl.col("sog").median())
    )
    by_type = dict(zip(med["ship_type"].to_list(), med["sog"].to_list(), strict=True))
    if 70 in by_type:
        assert 11.5 <= by_type[70] <= 16.5
    if 37 in by_type:
        assert 4.5 <= by_type[37] <= 15.5


def test_anchorage_crowds_are_tight_and_beside_a_port(sim: Simulation, pos: pl.DataFrame) -> None:
    assert sim.anchorages
    ports = geo.ports().filter(pl.col("source") == "wpi")
    for crowd in sim.anchorages:
        assert 20 <= len(crowd) <= 50
        df = pos.filter(pl.col("mmsi").is_in(crowd))
        assert (df["sog"] < 1).all()
        lat, lon = df["lat"].to_numpy(), df["lon"].to_numpy()
        sample = np.random.default_rng(0).choice(lat.size, min(lat.size, 3000), replace=False)
        d = geo.haversine_m(
            lat[sample][:, None], lon[sample][:, None], lat[sample][None, :], lon[sample][None, :]
        )
        assert np.max(d) <= 500.0
        assert df["t"].min() - pos["t"].min() < HOUR_MS  # there the whole run
        assert pos["t"].max() - df["t"].max() < HOUR_MS
        to_port = geo.haversine_m(
            float(lat.mean()), float(lon.mean()), ports["lat"].to_numpy(), ports["lon"].to_numpy()
        )
        assert np.min(to_port) <= 3000.0


# -- truth holds on the positions -----------------------------------------------------------


def test_encounters_meet_the_rule(pos: pl.DataFrame, truth: pl.DataFrame) -> None:
    rows = truth.filter(pl.col("kind") == Kind.ENCOUNTER)
    assert rows.height >= 3
    for r in rows.iter_rows(named=True):
        t0, t1 = r["t0"], r["t1"]
        assert 2 * HOUR_MS <= t1 - t0 < 4 * HOUR_MS  # an encounter, not a loiter
        grid = np.arange(-(-t0 // 600_000) * 600_000, t1 + 1, 600_000)
        a = _on_grid(*_track(pos, r["mmsi"], t0 - 60_000, t1 + 60_000), grid)
        b = _on_grid(*_track(pos, r["mmsi_2"], t0 - 60_000, t1 + 60_000), grid)
        d = np.asarray(geo.haversine_m(a[0], a[1], b[0], b[1]))
        assert d.max() <= 500.0, r["note"]
        assert np.median(a[2]) < 2 and np.median(b[2]) < 2
        assert max(a[2][1:-1].max(), b[2][1:-1].max()) < 2  # the edges blend in the approach
        assert float(_port(r["lat"], r["lon"])[0]) >= 10.0
        assert float(_shore(r["lat"], r["lon"])[0]) >= 50 * NM_KM


def test_antimeridian_encounter_has_both_signs(pos: pl.DataFrame, truth: pl.DataFrame) -> None:
    r = truth.filter(pl.col("note") == "STS across the 180th meridian").row(0, named=True)
    east, west = (_track(pos, m, r["t0"], r["t1"])[2] for m in (r["mmsi"], r["mmsi_2"]))
    if east.mean() < 0:
        east, west = west, east
    assert (east > 179.9).all() and (west < -179.9).all()  # one each side, the whole time


def test_midnight_encounter_spans_midnight(truth: pl.DataFrame) -> None:
    r = truth.filter(pl.col("note") == "STS across midnight").row(0, named=True)
    assert r["start"].date() != r["end"].date()


def test_loiterers_meet_the_rule(pos: pl.DataFrame, truth: pl.DataFrame) -> None:
    rows = truth.filter(pl.col("kind") == Kind.LOITERING)
    assert rows.height >= 2
    for r in rows.iter_rows(named=True):
        t, lat, lon, sog = _track(pos, r["mmsi"], r["t0"], r["t1"])
        assert r["t1"] - r["t0"] >= 4 * HOUR_MS
        assert sog.max() < 2.0
        assert t[0] - r["t0"] < 30 * 60_000 and r["t1"] - t[-1] < 30 * 60_000  # dropouts
        assert float(np.min(_shore(lat, lon))) >= 20 * NM_KM
        if r["note"] == "lone loiterer":
            others = pos.filter(
                (pl.col("mmsi") != r["mmsi"])
                & pl.col("t").is_between(r["t0"], r["t1"])
                & pl.col("lat").is_between(r["lat"] - 1, r["lat"] + 1)
            )
            if others.height:
                d = geo.haversine_m(
                    others["lat"].to_numpy(), others["lon"].to_numpy(), r["lat"], r["lon"]
                )
                assert np.min(d) >= 5000.0


def test_gaps_meet_the_rule(pos: pl.DataFrame, truth: pl.DataFrame) -> None:
    rows = truth.filter(pl.col("kind").is_in([Kind.GAP, Kind.AIS_DISABLING]))
    assert set(rows["kind"].to_list()) == {Kind.GAP, Kind.AIS_DISABLING}
    for r in rows.iter_rows(named=True):
        t, lat, lon, _ = _track(pos, r["mmsi"])
        i = int(np.searchsorted(t, r["t0"]))
        assert t[i] == r["t0"] and t[i + 1] == r["t1"], "the gap runs report to report"
        hours = (r["t1"] - r["t0"]) / HOUR_MS
        shore = float(_shore(lat[i], lon[i])[0])
        assert hours >= 6.0
        disabling = hours >= 12.0 and shore >= 50 * NM_KM
        assert (r["kind"] == Kind.AIS_DISABLING) == disabling
        assert (lat[i], lon[i]) == pytest.approx((r["lat"], r["lon"]))


def test_dark_rendezvous_meets_the_rule(pos: pl.DataFrame, truth: pl.DataFrame) -> None:
    rows = truth.filter(pl.col("kind") == Kind.DARK_RENDEZVOUS)
    loiter = truth.filter(pl.col("kind") == Kind.LOITERING)
    gaps = truth.filter(pl.col("kind") == Kind.AIS_DISABLING)
    for r in rows.iter_rows(named=True):
        pair = {r["mmsi"], r["mmsi_2"]}
        lo = loiter.filter(pl.col("mmsi").is_in(list(pair))).row(0, named=True)
        ga = gaps.filter(pl.col("mmsi").is_in(list(pair - {lo["mmsi"]}))).row(0, named=True)
        assert lo["t0"] <= ga["t1"] and ga["t0"] <= lo["t1"]
        t, lat, lon, _ = _track(pos, ga["mmsi"])
        i = int(np.searchsorted(t, ga["t0"]))
        ends = geo.haversine_m(lat[i : i + 2], lon[i : i + 2], lo["lat"], lo["lon"])
        assert np.max(ends) <= 5_000.0


def test_teleports_are_single_far_positions(pos: pl.DataFrame, truth: pl.DataFrame) -> None:
    for r in truth.filter(pl.col("kind") == Kind.TELEPORT).iter_rows(named=True):
        t, lat, lon, _ = _track(pos, r["mmsi"])
        i = int(np.searchsorted(t, r["t0"]))
        assert t[i] == r["t0"]
        hops = _hop_m(lat[i - 1 : i + 2], lon[i - 1 : i + 2])
        assert hops.min() > 100_000.0
        around = geo.haversine_m(lat[i - 1], lon[i - 1], lat[i + 1], lon[i + 1])
        assert around / ((t[i + 1] - t[i - 1]) / 1000.0) < 30 * 1852 / 3600  # before and after


def test_shared_mmsi_is_two_ships_far_apart(pos: pl.DataFrame, truth: pl.DataFrame) -> None:
    for r in truth.filter(pl.col("kind") == Kind.SHARED_MMSI).iter_rows(named=True):
        t, lat, lon, _ = _track(pos, r["mmsi"])
        jumps = np.flatnonzero(_hop_m(lat, lon) > 100_000.0)
        assert jumps.size >= 10
        assert t[jumps].min() >= r["t0"] - 3_600_000 and t[jumps + 1].max() <= r["t1"] + 3_600_000
        assert r["t1"] - r["t0"] >= 2 * HOUR_MS


# -- nothing unplanned ----------------------------------------------------------------------


def test_no_unplanned_silences(pos: pl.DataFrame, truth: pl.DataFrame) -> None:
    gaps = pos.with_columns(
        dt=pl.col("t").diff().over("mmsi"), t_prev=pl.col("t").shift(1).over("mmsi")
    ).filter(pl.col("dt") >= 6 * HOUR_MS)
    planted = truth.filter(pl.col("kind").is_in([Kind.GAP, Kind.AIS_DISABLING]))
    assert sorted(zip(gaps["mmsi"], gaps["t_prev"], strict=True)) == sorted(
        zip(planted["mmsi"], planted["t0"], strict=True)
    )


def test_no_unplanned_jumps(pos: pl.DataFrame, truth: pl.DataFrame) -> None:
    df = pos.filter(~pl.col("mmsi").is_in(list(_shared_mmsis(truth))))
    lat, lon, t = df["lat"].to_numpy(), df["lon"].to_numpy(), df["t"].to_numpy()
    same = df["mmsi"].to_numpy()[1:] == df["mmsi"].to_numpy()[:-1]
    hop = _hop_m(lat, lon)
    speed_kn = hop / np.maximum((t[1:] - t[:-1]) / 1000.0, 1.0) / (1852 / 3600)
    jump = same & (hop > 5_000.0) & (speed_kn > 50.0)
    mmsi = df["mmsi"].to_numpy()[1:][jump]
    teleports = truth.filter(pl.col("kind") == Kind.TELEPORT)
    assert set(mmsi.tolist()) == set(teleports["mmsi"].to_list())
    assert jump.sum() == 2 * teleports.height  # out and back


def test_no_unplanned_loitering(pos: pl.DataFrame, truth: pl.DataFrame) -> None:
    two_ships = list(_shared_mmsis(truth))  # their slow spells interleave: see the shared test
    slow = pos.filter((pl.col("sog") < 2) & ~pl.col("mmsi").is_in(two_ships)).with_columns(
        run=((pl.col("t").diff().over("mmsi") > 70 * 60_000).fill_null(True)).cum_sum()
    )
    runs = (
        slow.group_by("mmsi", "run")
        .agg(
            pl.col("t").min().alias("t0"),
            pl.col("t").max().alias("t1"),
            pl.col("lat").mean(),
            pl.col("lon").mean(),
        )
        .filter(pl.col("t1") - pl.col("t0") >= 4 * HOUR_MS - 20 * 60_000)
    )
    shore = _shore(runs["lat"].to_numpy(), runs["lon"].to_numpy())
    offshore = runs.filter(pl.Series(shore >= 20 * NM_KM))
    loiter = truth.filter(pl.col("kind") == Kind.LOITERING)
    assert sorted(offshore["mmsi"].to_list()) == sorted(loiter["mmsi"].to_list())


def test_no_unplanned_encounters(pos: pl.DataFrame, truth: pl.DataFrame) -> None:
    slow = (
        pos.filter(pl.col("sog") < 2)
        .with_columns(bin=pl.col("t") // 600_000)
        .group_by("mmsi", "bin")
        .agg(pl.col("lat").mean(), pl.col("lon").first())
    )
    port = _port(slow["lat"].to_numpy(), slow["lon"].to_numpy())
    slow = slow.filter(pl.Series(port >= 10.0))
    pairs = slow.join(slow, on="bin", suffix="_b").filter(pl.col("mmsi") < pl.col("mmsi_b"))
    d = np.asarray(
        geo.haversine_m(
            pairs["lat"].to_numpy(),
            pairs["lon"].to_numpy(),
            pairs["lat_b"].to_numpy(),
            pairs["lon_b"].to_numpy(),
        )
    )
    close = pairs.filter(pl.Series(d <= 500.0)).group_by("mmsi", "mmsi_b").len()
    found = {
        (a, b)
        for a, b, n in zip(close["mmsi"], close["mmsi_b"], close["len"], strict=True)
        if n >= 12
    }
    planted = truth.filter(pl.col("kind") == Kind.ENCOUNTER)
    assert found == set(zip(planted["mmsi"], planted["mmsi_2"], strict=True))
