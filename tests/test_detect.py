"""Each detection rule on hand-built traffic, at real places (so the real coastline and port
reference decide what is 'at sea'), with the thresholds of defaults.toml."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from neonwatch.detect import Kind, detect, detect_by_day, load_config, to_geojson
from neonwatch.geo import port_distance_km, shore_distance_km
from scenarios import HOUR_MS, T0_MS, Traffic, metres_north

# Far out in the East China Sea, where documented transfers cluster (and > 50 nm offshore).
SEA = (31.0, 124.8)
OPEN_PACIFIC = (35.0, 160.0)


def events_of(traffic: Traffic, **kwargs: object) -> pl.DataFrame:
    df = pl.from_arrow(detect(traffic.frame(), **kwargs))  # type: ignore[arg-type]
    assert isinstance(df, pl.DataFrame)
    return df


def kinds(df: pl.DataFrame) -> list[str]:
    return sorted(df["kind"].to_list())


def test_places_are_what_the_tests_assume() -> None:
    assert shore_distance_km([SEA[0]], [SEA[1]])[0] > 100
    assert port_distance_km([SEA[0]], [SEA[1]])[0] > 50
    assert shore_distance_km([OPEN_PACIFIC[0]], [OPEN_PACIFIC[1]])[0] > 500


def sts(
    traffic: Traffic,
    a: int,
    b: int,
    start_h: float,
    hours: float,
    lat: float,
    lon: float,
    apart_m: float = 170.0,
    knots: float = 0.5,
) -> None:
    traffic.leg(a, start_h, start_h + hours, lat, lon, knots, 90)
    traffic.leg(b, start_h, start_h + hours, metres_north(lat, apart_m), lon, knots, 90)


def test_ship_to_ship_encounter_is_found_with_its_measurements() -> None:
    t = Traffic()
    sts(t, 445001000, 351000000, 1, 3, *SEA)
    ev = events_of(t)
    enc = ev.filter(pl.col("kind") == Kind.ENCOUNTER)
    assert enc.height == 1
    row = enc.row(0, named=True)
    assert (row["mmsi"], row["mmsi_2"]) == (351000000, 445001000)  # lower MMSI first
    assert row["duration_h"] == pytest.approx(2.83, abs=0.2)
    assert row["min_distance_m"] == pytest.approx(170, abs=5)
    assert row["median_sog"] == pytest.approx(0.5, abs=0.01)
    assert row["port_distance_km"] > 10 and row["shore_distance_km"] > 90
    assert "500 m" in row["rule"] and json.loads(row["thresholds"])["min_duration_h"] == 2.0
    assert 0 < row["confidence"] <= 1


@pytest.mark.parametrize(
    ("hours", "apart_m", "knots", "found"),
    [
        (1.5, 170, 0.5, False),  # too short
        (3, 700, 0.5, False),  # too far apart
        (3, 170, 6.0, False),  # too fast: two ships sailing in company
        (3, 450, 1.5, True),  # just inside every threshold
    ],
)
def test_encounter_thresholds(hours: float, apart_m: float, knots: float, found: bool) -> None:
    t = Traffic()
    sts(t, 1001, 1002, 1, hours, *SEA, apart_m=apart_m, knots=knots)
    assert (Kind.ENCOUNTER in kinds(events_of(t))) is found


def test_encounter_in_port_is_excluded_unless_asked(tmp_path: Path) -> None:
    from neonwatch.geo import ports

    busan = (
        ports().filter(pl.col("name").str.to_uppercase().str.contains("BUSAN")).row(0, named=True)
    )
    t = Traffic()
    sts(t, 1001, 1002, 1, 3, busan["lat"], busan["lon"])
    assert Kind.ENCOUNTER not in kinds(events_of(t))
    cfg = tmp_path / "in-port.toml"
    cfg.write_text("[encounter]\nin_port = true\n")
    assert Kind.ENCOUNTER in kinds(events_of(t, config=load_config(cfg)))


def test_same_pair_merged_across_short_breaks_only() -> None:
    t = Traffic()
    sts(t, 1001, 1002, 0, 2.5, *SEA)
    sts(t, 1001, 1002, 5.5, 2.5, *SEA)  # 3 h apart: one encounter
    sts(t, 2001, 2002, 0, 2.5, *OPEN_PACIFIC)
    sts(t, 2001, 2002, 7.5, 2.5, *OPEN_PACIFIC)  # 5 h apart: two encounters
    enc = events_of(t).filter(pl.col("kind") == Kind.ENCOUNTER)
    assert enc.filter(pl.col("mmsi") == 1001).height == 1
    assert enc.filter(pl.col("mmsi") == 1001)["duration_h"][0] == pytest.approx(7.8, abs=0.3)
    assert enc.filter(pl.col("mmsi") == 2001).height == 2


def test_encounter_across_the_180th_meridian() -> None:
    t = Traffic()
    sts(t, 1001, 1002, 1, 3, 40.0, 179.995, knots=0.3)  # drifts east across the meridian
    enc = events_of(t).filter(pl.col("kind") == Kind.ENCOUNTER)
    assert enc.height == 1
    lon = enc["lon"][0]
    assert abs(lon) > 179.9  # the centroid is at the meridian, not at longitude 0


def test_loitering_far_offshore_only() -> None:
    t = Traffic()
    t.leg(1001, 0, 9, *OPEN_PACIFIC, knots=1.0, course_deg=45)
    t.leg(1002, 0, 3, 35.5, 160.5, knots=1.0)  # too short
    busan_coast = (35.05, 129.2)  # slow, long, but within 20 nm of shore
    t.leg(1003, 0, 9, *busan_coast, knots=0.5)
    loit = events_of(t).filter(pl.col("kind") == Kind.LOITERING)
    assert loit["mmsi"].to_list() == [1001]
    assert loit["duration_h"][0] == pytest.approx(8.83, abs=0.2)


def test_gaps_and_likely_disabling() -> None:
    t = Traffic()
    t.leg(1001, 0, 2, *OPEN_PACIFIC, knots=12)
    t.leg(1001, 10, 12, 35.0, 161.0, knots=12)  # 8 h silent: a naive gap
    t.leg(1002, 0, 2, 34.0, 160.0, knots=12)
    t.leg(1002, 16, 18, 34.0, 161.5, knots=12)  # 14 h silent, far offshore: disabling
    t.leg(1003, 0, 2, 35.2, 129.3, knots=12)  # near Busan
    t.leg(1003, 16, 18, 35.25, 129.4, knots=12)  # 14 h silent near shore: just a gap
    ev = events_of(t)
    by_mmsi = {r["mmsi"]: r["kind"] for r in ev.iter_rows(named=True)}
    assert by_mmsi == {1001: Kind.GAP, 1002: Kind.AIS_DISABLING, 1003: Kind.GAP}
    gap = ev.filter(pl.col("mmsi") == 1002).row(0, named=True)
    assert gap["duration_h"] == pytest.approx(14, abs=0.05)


def test_teleport_and_shared_mmsi() -> None:
    t = Traffic()
    t.leg(1001, 0, 5, *OPEN_PACIFIC, knots=12)
    t.point(1001, 2.51, 40.0, 160.0)  # 550 km away for one report
    t.leg(1002, 0, 5, 10.0, 150.0, knots=12, every_s=60)
    t.leg(1002, 0, 5, 12.0, 152.0, knots=12, every_s=67)  # a second transmitter, same MMSI
    ev = events_of(t)
    assert kinds(ev) == [Kind.SHARED_MMSI, Kind.TELEPORT]
    tele = ev.filter(pl.col("kind") == Kind.TELEPORT).row(0, named=True)
    assert tele["mmsi"] == 1001 and tele["min_distance_m"] > 500_000
    shared = ev.filter(pl.col("kind") == Kind.SHARED_MMSI).row(0, named=True)
    assert shared["mmsi"] == 1002 and shared["duration_h"] > 4.5


def test_gps_noise_over_seconds_is_not_a_teleport() -> None:
    t = Traffic()
    t.leg(1001, 0, 2, *OPEN_PACIFIC, knots=10, every_s=2)
    there = OPEN_PACIFIC[0] + 10 * 1852 * 1.0003 / 111_195  # where the ship is at 1.0003 h
    t.point(1001, 1.0003, there + 0.0005, OPEN_PACIFIC[1])  # 55 m off, 1 s after a report
    assert kinds(events_of(t)) == []


def test_dark_rendezvous_loiterer_beside_a_gap() -> None:
    t = Traffic()
    lat, lon = SEA
    t.leg(445002000, 0, 12, lat, lon, knots=0.3)  # the tanker waits
    t.leg(351000001, 0, 2, lat - 0.3, lon, knots=9, course_deg=0)  # arrives ...
    t.leg(351000001, 10, 12, lat + 0.01, lon, knots=9, course_deg=0)  # ... dark 8 h, leaves
    ev = events_of(t)
    dark = ev.filter(pl.col("kind") == Kind.DARK_RENDEZVOUS)
    assert dark.height == 1
    assert (dark["mmsi"][0], dark["mmsi_2"][0]) == (351000001, 445002000)
    assert set(kinds(ev)) == {Kind.DARK_RENDEZVOUS, Kind.LOITERING, Kind.GAP}


def test_no_dark_rendezvous_when_the_gap_is_elsewhere() -> None:
    t = Traffic()
    t.leg(1001, 0, 12, *SEA, knots=0.3)
    t.leg(1002, 0, 2, 33.0, 126.5, knots=9)
    t.leg(1002, 10, 12, 33.1, 126.6, knots=9)
    assert Kind.DARK_RENDEZVOUS not in kinds(events_of(t))


def test_work_split_by_day_finds_the_same_events() -> None:
    t = Traffic()
    sts(t, 1001, 1002, 22.5, 3, *SEA)  # across midnight (T0 + 24 h)
    t.leg(1003, 20, 30, *OPEN_PACIFIC, knots=0.5)  # loiter across midnight
    t.leg(1004, 0, 23, 34.0, 160.0, knots=12)
    t.leg(1004, 37, 40, 34.0, 163.0, knots=12)  # disabling starting the first day
    t.leg(1005, 0, 47, 20.0, 140.0, knots=12)  # plain traffic for two days
    frame = t.frame()
    whole = pl.from_arrow(detect(frame))
    split = pl.from_arrow(detect_by_day(frame.lazy()))
    assert isinstance(whole, pl.DataFrame) and isinstance(split, pl.DataFrame)
    assert kinds(whole) == [Kind.AIS_DISABLING, Kind.ENCOUNTER, Kind.LOITERING]
    columns = ["event_id", "kind", "mmsi", "mmsi_2", "start", "end"]
    assert split.select(columns).sort("event_id").equals(whole.select(columns).sort("event_id"))


def test_config_file_overrides_and_rejects_unknown_keys(tmp_path: Path) -> None:
    t = Traffic()
    sts(t, 1001, 1002, 1, 3, *SEA)
    stricter = tmp_path / "strict.toml"
    stricter.write_text("[encounter]\nmin_duration_h = 4.0\n")
    assert Kind.ENCOUNTER not in kinds(events_of(t, config=load_config(stricter)))
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[encounter]\nmin_duraton_h = 4.0\n")
    with pytest.raises(ValueError, match="min_duraton_h"):
        load_config(wrong)


def test_geojson_has_every_event_with_its_properties() -> None:
    t = Traffic()
    sts(t, 1001, 1002, 1, 3, *SEA)
    t.leg(1003, 0, 9, *OPEN_PACIFIC, knots=1.0)
    ev = detect(t.frame())
    fc = to_geojson(ev)
    assert fc["type"] == "FeatureCollection"
    features = fc["features"]
    assert isinstance(features, list) and len(features) == ev.num_rows == 2
    kinds_seen = {f["properties"]["kind"] for f in features}
    assert kinds_seen == {Kind.ENCOUNTER, Kind.LOITERING}
    assert all(f["geometry"]["type"] in ("Point", "LineString") for f in features)


def test_event_ids_are_stable_between_runs() -> None:
    t = Traffic()
    sts(t, 1001, 1002, 1, 3, *SEA)
    first = detect(t.frame())["event_id"].to_pylist()
    assert first == detect(t.frame())["event_id"].to_pylist()
    assert len(set(first)) == len(first)


def test_no_positions_no_events() -> None:
    empty = Traffic().frame()
    assert detect(empty).num_rows == 0
    assert T0_MS % HOUR_MS == 0
