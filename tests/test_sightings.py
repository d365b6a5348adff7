"""Patrol sightings: positions from distance and bearing, validation, photos, AIS correlation on
simulated traffic, the published cases, the store (SQLite and PostgreSQL, never skipped) and the
CLI."""

from __future__ import annotations

import json
import struct
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from neonwatch.cli import app
from neonwatch.geo import haversine_m, land_mask, shore_distance_km
from neonwatch.screen.lists import EXAMPLE_1718_CSV, load_csv_list
from neonwatch.sightings import (
    PhotoError,
    PhotoStore,
    Sighting,
    add_sighting,
    correlate,
    list_hits,
    load_cases,
    parse_bearing,
    parse_distance_km,
    reference_point,
)
from neonwatch.sightings.model import error_text
from neonwatch.simulate import Simulation, simulate, write
from neonwatch.store import Store, open_store
from neonwatch.store.models import MARKING_COLUMNS, SightingPhoto, SightingRecord, SightingVessel

CASES = Path(__file__).resolve().parents[2] / "shared" / "data" / "cases" / "dprk-sts-sightings.csv"
PNG = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + bytes(13) + b"\0" * 4
JPEG = b"\xff\xd8\xff\xe0" + b"\0\x10JFIF\0" + bytes(32) + b"\xff\xd9"


# --- fixtures (PostgreSQL database: pg_url in conftest.py) ----------------------------------


@pytest.fixture(scope="module")
def sim() -> Simulation:
    """Simulated traffic long enough to hold the STS pair and the dark-partner rendezvous."""
    return simulate(vessels=60, hours=36, seed=1)


@pytest.fixture(scope="module")
def sim_dir(sim: Simulation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sightings-sim") / "sim"
    write(sim, out)
    return out


@pytest.fixture(autouse=True)
def _no_stored_lists(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The bundled UN 1718 example list, never a list store lying in the working folder."""
    monkeypatch.setenv("NEONWATCH_LISTS", str(tmp_path / "no-lists"))
    monkeypatch.setenv("NEONWATCH_PHOTOS", str(tmp_path / "photos"))


def _truth(sim: Simulation, kind: str, note: str | None = None) -> dict[str, Any]:
    rows = [
        r
        for r in sim.truth.to_pylist()
        if r["kind"] == kind and (note is None or r["note"] == note)
    ]
    assert rows, (kind, note)
    return rows[0]


def _identity(sim: Simulation, mmsi: int) -> dict[str, Any]:
    row = next(r for r in sim.vessels.to_pylist() if r["mmsi"] == mmsi)
    return {"name": row["name"], "imo": row["imo"]}


# --- positions -------------------------------------------------------------------------------


def test_250_km_east_of_shanghai_lands_250_km_east_at_sea() -> None:
    s = Sighting.model_validate(
        {
            "asset": "JMSDF P-3C",
            "date": "2018-02-24",
            "position": {"reference": "Shanghai", "distance": "250km", "bearing": "E"},
        }
    )
    pos = s.position
    assert pos is not None and pos.computed and pos.lat is not None and pos.lon is not None
    _, rlat, rlon = reference_point("shanghai")
    assert haversine_m(rlat, rlon, pos.lat, pos.lon) / 1000 == pytest.approx(250, abs=1.5)
    assert abs(pos.lat - rlat) < 0.1 and pos.lon - rlon == pytest.approx(2.62, abs=0.05)
    assert not land_mask([pos.lat], [pos.lon])[0]
    assert shore_distance_km([pos.lat], [pos.lon])[0] > 50  # the high seas of the East China Sea
    assert pos.describe().startswith("250 km E of Shanghai")


def test_units_and_compass_points() -> None:
    assert parse_distance_km("135nm") == pytest.approx(250.02)
    assert parse_distance_km("250 KM") == 250.0 and parse_distance_km(12) == 12.0
    assert parse_bearing("E") == 90.0 and parse_bearing("sse") == 157.5
    assert parse_bearing("SE") == 135.0 and parse_bearing("360") == 0.0
    assert parse_bearing("east") == 90.0
    s = Sighting.model_validate(
        {
            "asset": "CP-140",
            "when": "2019-01-18T15:20+09:00",
            "position": {"reference": "上海", "distance_km": 410, "bearing": "S"},
        }
    )
    assert s.position is not None and s.position.reference == "Shanghai"
    assert s.position.lon == pytest.approx(121.4737, abs=1e-6)  # due south keeps the meridian
    assert str(s.time) == "06:20:00" and s.at is not None  # JST converted to UTC


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"position": {"lat": 95, "lon": 120}}, "latitude 95.0 is impossible"),
        ({"position": {"lat": 30, "lon": 200}}, "longitude 200.0 is impossible"),
        ({"position": {"lat": 30}}, "lat and lon go together"),
        (
            {"position": {"reference": "Atlantis", "distance": "10km", "bearing": "E"}},
            "unknown reference point 'Atlantis'; known points: Shanghai",
        ),
        (
            {"position": {"reference": "Shanghai", "distance": "10km", "bearing": "EAST-ISH"}},
            "not degrees (0-360) nor a compass point",
        ),
        (
            {"position": {"reference": "Shanghai", "distance": "10km", "bearing": 400}},
            "degrees must be between 0 and 360",
        ),
        (
            {"position": {"reference": "Shanghai", "distance": "far", "bearing": "E"}},
            "expected a number with km or nm",
        ),
        (
            {"position": {"lat": 30, "lon": 125, "reference": "Shanghai", "bearing": "E"}},
            "not both",
        ),
        ({"hose_connected": True}, "hose_connected: unknown field"),
        ({"vessels": [{"name": "X", "callsign": "ABC"}]}, "vessels.0.callsign: unknown field"),
        ({"vessels": [{"name": "X", "imo": "12345"}]}, "IMO '12345': must be 7 digits"),
        ({"vessels": [{}]}, "give at least one of name, imo"),
        ({"vessels": [{"name": "X", "role": "pirate"}]}, "vessels.0.role"),
        ({"when": "24/02/2018"}, "expected an ISO date or date-time"),
        ({"asset": ""}, "asset"),
    ],
)
def test_validation_errors_say_what_is_wrong(data: dict[str, Any], message: str) -> None:
    report = {"asset": "HMCS Calgary", "date": "2018-02-24"} | data
    if "when" in data:
        report.pop("date")
    with pytest.raises(ValueError) as info:
        Sighting.model_validate(report)
    assert message in error_text(info.value)


# --- photos ----------------------------------------------------------------------------------


def test_photos_are_deduplicated_by_hash(tmp_path: Path) -> None:
    photos = PhotoStore(tmp_path / "p")
    a = photos.put(PNG, filename="a.png")
    b = photos.put(PNG, filename="copy.png")
    c = photos.put(JPEG)
    assert a.sha256 == b.sha256 and a.mime == "image/png" and c.mime == "image/jpeg"
    files = sorted(p for p in (tmp_path / "p").rglob("*") if p.is_file())
    assert len(files) == 2
    assert {f.name for f in files} == {f"{a.sha256}.png", f"{c.sha256}.jpg"}
    assert all(f.parent.name == f.name[:2] for f in files)
    assert photos.get(a) == PNG and a.size == len(PNG)


def test_photo_size_limit_and_type_check(tmp_path: Path) -> None:
    photos = PhotoStore(tmp_path / "p", max_bytes=100)
    with pytest.raises(PhotoError, match="photo too large: over the limit of 100 bytes"):
        photos.put(PNG + bytes(200))
    big = tmp_path / "big.jpg"
    big.write_bytes(JPEG + bytes(500))
    with pytest.raises(PhotoError, match=r"big.jpg: photo too large: 5\d\d bytes"):
        photos.put_file(big)
    with pytest.raises(PhotoError, match="not a JPEG or PNG photo"):
        photos.put(b"GIF89a" + bytes(20), filename="x.png")  # the name does not make it a PNG
    with pytest.raises(PhotoError, match="empty"):
        photos.put(b"")
    assert not list((tmp_path / "p").rglob("*.*"))  # nothing written by refused uploads
    assert PhotoStore(tmp_path).max_bytes == 10 * 2**20


# --- AIS correlation -------------------------------------------------------------------------


def _sighting_on(row: dict[str, Any], vessels: list[dict[str, Any]]) -> Sighting:
    mid = row["start"] + (row["end"] - row["start"]) / 2
    return Sighting.model_validate(
        {
            "asset": "CP-140",
            "when": mid.isoformat(),
            "position": {"lat": row["lat"], "lon": row["lon"]},
            "vessels": vessels,
            "observations": {"alongside": True, "hoses_connected": True},
        }
    )


def test_correlation_finds_both_vessels_of_a_planted_sts(sim: Simulation) -> None:
    row = _truth(sim, "encounter", "STS pair")
    a, b = _identity(sim, row["mmsi"]), _identity(sim, row["mmsi_2"])
    s = _sighting_on(row, [{"name": a["name"]}, {"imo": b["imo"]}])
    for positions in (sim.positions, pl.from_arrow(sim.positions).lazy()):  # type: ignore[union-attr]
        c = correlate(s, positions, radius_km=5, window_min=30, vessels=sim.vessels)
        found = {r["mmsi"]: r for r in c.in_range}
        assert {row["mmsi"], row["mmsi_2"]} <= set(found)
        assert all(found[m]["distance_km"] <= 5 for m in (row["mmsi"], row["mmsi_2"]))
        at = s.at
        assert at is not None
        for m in (row["mmsi"], row["mmsi_2"]):
            assert found[m]["last_before"] <= at <= found[m]["next_after"]
            assert found[m]["next_after"] - found[m]["last_before"] < timedelta(minutes=60)
        assert {(m["mmsi"], m["matched_on"]) for m in c.matched} == {
            (row["mmsi"], "name"),
            (row["mmsi_2"], "imo"),
        }
        assert c.dark == [] and c.status == "ok"


def test_correlation_reports_the_dark_partner(sim: Simulation) -> None:
    row = _truth(sim, "dark_rendezvous")
    dark, loiterer = row["mmsi"], row["mmsi_2"]  # the partner went dark beside the loiterer
    partner = _identity(sim, dark)
    s = _sighting_on(
        row,
        [
            {"name": _identity(sim, loiterer)["name"], "role": "dprk"},
            {"imo": partner["imo"], "name": partner["name"], "role": "other"},
        ],
    )
    c = correlate(s, sim.positions, radius_km=10, window_min=30, vessels=sim.vessels)
    assert loiterer in {r["mmsi"] for r in c.in_range}
    assert dark not in {r["mmsi"] for r in c.in_range}
    assert [m["mmsi"] for m in c.matched] == [loiterer]
    assert [d["index"] for d in c.dark] == [1] and partner["name"] in c.dark_labels[0]
    # without the vessels table only MMSIs are known: reported by name, both look dark
    bare = correlate(s, sim.positions, radius_km=10, window_min=30)
    assert len(bare.dark) == 2 and loiterer in {r["mmsi"] for r in bare.in_range}


def test_correlation_without_a_position_or_time(sim: Simulation) -> None:
    cases = load_cases(CASES)
    unresolved = next(s for s in cases if s.position is not None and not s.position.resolved)
    c = correlate(unresolved, sim.positions)
    assert c.status.startswith("no position") and c.in_range == []
    row = _truth(sim, "encounter", "STS pair")
    day_only = Sighting.model_validate(
        {
            "asset": "JMSDF P-3C",
            "date": row["start"].date().isoformat(),
            "position": {"lat": row["lat"], "lon": row["lon"]},
        }
    )
    whole_day = correlate(day_only, sim.positions, radius_km=5, window_min=0)
    assert whole_day.window_end is not None and whole_day.window_start is not None
    assert whole_day.window_end - whole_day.window_start == timedelta(days=1)
    assert {row["mmsi"], row["mmsi_2"]} <= {r["mmsi"] for r in whole_day.in_range}


# --- the published cases ---------------------------------------------------------------------


def test_every_case_loads_and_rye_song_gang_1_is_listed() -> None:
    cases = load_cases(CASES)
    assert len(cases) == len(CASES.read_text().strip().splitlines()) - 1 == 8
    assert all(s.vessels[0].role == "dprk" for s in cases)
    chon_ma_san = next(s for s in cases if s.vessels[0].name == "CHON MA SAN")
    assert chon_ma_san.position is not None and chon_ma_san.position.resolved
    assert chon_ma_san.time_of_day == "late night" and chon_ma_san.time is None
    assert len({s.id for s in cases}) == 8 and [s.id for s in load_cases(CASES)] == [
        s.id for s in cases
    ]
    hits = list_hits(cases[0], load_csv_list(EXAMPLE_1718_CSV))
    rye = cases[0].vessels[0]
    assert (rye.name, rye.imo, rye.imo_valid) == ("RYE SONG GANG 1", 7389704, True)
    assert hits[0] and hits[0][0]["listed_imo"] == 7389704 and hits[0][0]["score"] == 100
    assert hits[1] == []  # YUK TUNG is not on the example list


def test_cases_refuse_a_bad_row(tmp_path: Path) -> None:
    bad = tmp_path / "cases.csv"
    lines = CASES.read_text().splitlines()
    bad.write_text("\n".join([lines[0], lines[3].replace(",E,", ",EASTWARDS,")]) + "\n")
    with pytest.raises(ValueError, match=r"cases.csv, line 2: position: bearing 'EASTWARDS'"):
        load_cases(bad)


# --- the store (both backends) ---------------------------------------------------------------


def _count(store: Store, model: Any) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_cases_stored_once_with_listed_vessels(store: Store) -> None:
    watchlist = load_csv_list(EXAMPLE_1718_CSV)
    cases = load_cases(CASES)
    first = [
        add_sighting(store, s, originator="JPN", node="n1", watchlist=watchlist) for s in cases
    ]
    assert all(r.added for r in first)
    again = [
        add_sighting(store, s, originator="JPN", node="n1", watchlist=watchlist) for s in cases
    ]
    assert not any(r.added for r in again)
    assert _count(store, SightingRecord) == 8
    assert _count(store, SightingVessel) == sum(len(s.vessels) for s in cases)
    with store.engine.connect() as conn:
        listed = conn.execute(
            select(SightingVessel.name, SightingVessel.imo).where(SightingVessel.listed)
        ).all()
        marks = conn.execute(
            select(*(getattr(SightingVessel, c) for c in MARKING_COLUMNS[:5]))
        ).all()
        row = conn.execute(
            select(
                SightingRecord.reference,
                SightingRecord.distance_km,
                SightingRecord.bearing,
                SightingRecord.position_computed,
                SightingRecord.report,
            ).where(SightingRecord.asset.like("%Fleet Air Wing%"))
        ).one()
    assert ("RYE SONG GANG 1", 7389704) in listed
    assert set(marks) == {("JPN", "n1", "秘", "REL TO CAN, JPN", "maritime-picture")}
    assert (row.reference, row.distance_km, row.bearing, row.position_computed) == (
        "Shanghai",
        250.0,
        "E",
        True,
    )
    assert row.report["vessels"][0]["name"] == "CHON MA SAN"


def test_sighting_stored_with_correlation_and_photos(store: Store, sim: Simulation) -> None:
    row = _truth(sim, "dark_rendezvous")
    partner = _identity(sim, row["mmsi"])
    s = _sighting_on(
        row,
        [
            {"name": _identity(sim, row["mmsi_2"])["name"], "role": "dprk"},
            {"imo": partner["imo"], "role": "other"},
        ],
    )
    photos = PhotoStore()
    refs = [photos.put(PNG, filename="a.png"), photos.put(PNG), photos.put(JPEG)]
    s = s.model_copy(update={"photos": refs})
    c = correlate(s, sim.positions, radius_km=10, window_min=30, vessels=sim.vessels)
    result = add_sighting(store, s, originator="CAN", node="hmcs", correlation=c)
    assert result.added
    assert _count(store, SightingPhoto) == 2  # the same photo twice is one row
    with store.engine.connect() as conn:
        vessels = conn.execute(
            select(SightingVessel.position, SightingVessel.ais_mmsi, SightingVessel.dark).order_by(
                SightingVessel.position
            )
        ).all()
        stored = conn.execute(select(SightingRecord.correlation)).scalar_one()
        classification = conn.execute(select(SightingPhoto.classification)).scalars().first()
    assert [tuple(v) for v in vessels] == [(0, row["mmsi_2"], False), (1, None, True)]
    assert stored["dark"][0]["index"] == 1 and stored["status"] == "ok"
    assert classification == "CONFIDENTIAL"
    with pytest.raises(ValueError, match="originator"):
        add_sighting(store, s.model_copy(update={"id": uuid.uuid4()}), originator="USA")


# --- CLI -------------------------------------------------------------------------------------


def test_cli_add_round_trip(tmp_path: Path, sim: Simulation, sim_dir: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "cli.db")
    photo = tmp_path / "hoses.png"
    photo.write_bytes(PNG)
    args = ["sightings", "add", "--asset", "JMSDF P-3C", "--time", "2018-02-24T15:20+09:00"]
    args += ["--from", "Shanghai", "--distance", "250km", "--bearing", "E", "--alongside"]
    args += ["--vessel", "name=RYE SONG GANG 1,imo=7389704,flag=KP,role=dprk"]
    args += ["--vessel", "name=YUK TUNG,flag=Dominica", "--photo", str(photo)]
    args += ["--photos-dir", str(tmp_path / "photos"), "--db", db]
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["added"] and out["position"].startswith("250 km E of Shanghai")
    assert out["vessels"][0]["listed"] and not out["vessels"][1]["listed"]
    assert out["sighting"]["time"] == "06:20:00" and out["sighting"]["photos"][0]["size"] == len(
        PNG
    )
    assert out["sighting"]["observations"]["alongside"] is True
    st = open_store(db)
    try:
        with st.engine.connect() as conn:
            ids = [str(i) for i in conn.execute(select(SightingRecord.id)).scalars()]
    finally:
        st.close()
    assert ids == [out["id"]]

    row = _truth(sim, "encounter", "STS pair")
    mid = row["start"] + (row["end"] - row["start"]) / 2
    mmsi = str(row["mmsi"])
    corr = ["sightings", "add", "--asset", "CP-140", "--time", mid.isoformat(), "--db", db]
    corr += ["--lat", str(row["lat"]), "--lon", str(row["lon"]), "--vessel", f"mmsi={mmsi}"]
    corr += ["--dataset", str(sim_dir), "--radius-km", "5", "--window-min", "30", "--json"]
    res = runner.invoke(app, corr)
    assert res.exit_code == 0, res.output
    c = json.loads(res.stdout)["correlation"]
    assert {row["mmsi"], row["mmsi_2"]} <= {r["mmsi"] for r in c["in_range"]}
    assert c["dark"] == [] and c["matched"][0]["mmsi"] == row["mmsi"]
    human = runner.invoke(app, [*corr[:-1]])
    assert human.exit_code == 0 and "AIS within 5.0 km" in human.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--from", "Atlantis", "--distance", "10km", "--bearing", "E"], "unknown reference"),
        (["--from", "Shanghai", "--distance", "10km", "--bearing", "UP"], "bearing 'UP'"),
        (["--from", "Shanghai", "--distance", "10km"], "needs --bearing"),
        (["--lat", "91", "--lon", "120"], "latitude 91.0 is impossible"),
        (["--lat", "30", "--lon", "120", "--vessel", "colour=red"], "key=value pairs"),
        (["--lat", "30", "--lon", "120", "--photo", "NOTAPHOTO"], "not a JPEG or PNG"),
        ([], "give the position"),
    ],
)
def test_cli_add_errors(tmp_path: Path, extra: list[str], message: str) -> None:
    fake = tmp_path / "NOTAPHOTO"
    fake.write_bytes(b"%PDF-1.4 not a photo")
    extra = [str(fake) if e == "NOTAPHOTO" else e for e in extra]
    db = tmp_path / "cli.db"
    args = ["sightings", "add", "--asset", "CP-140", "--time", "2018-02-24", "--db", str(db)]
    res = CliRunner().invoke(app, [*args, *extra])
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.output.split())
    assert not db.exists()  # a refused report changes nothing


def test_cli_load_cases(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "cases.db")
    res = runner.invoke(app, ["sightings", "load-cases", str(CASES), "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["read"] == out["added"] == 8 and out["lists"][0].startswith(
        "un-1718-vessels-example"
    )
    rye = next(s for s in out["sightings"] if s["vessels"][0]["vessel"].startswith("RYE SONG"))
    assert rye["vessels"][0]["listed"] and rye["vessels"][0]["hits"][0]["listed_imo"] == 7389704
    again = runner.invoke(app, ["sightings", "load-cases", str(CASES), "--db", db])
    assert again.exit_code == 0 and "8 sightings read, 0 new" in again.stdout
    missing = runner.invoke(app, ["sightings", "load-cases", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2
