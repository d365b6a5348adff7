"""Screening on the real lists: matching, identity checks, risk with reasons, the CLI.

The OFAC SDN files and the Japanese MOD sightings are read from ../shared/data, which CI has
beside the repository (SOURCE.txt there names their origin).
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from neonwatch.cli import app
from neonwatch.screen.identity import Check, flag_iso2, identity_checks
from neonwatch.screen.lists import EXAMPLE_1718_CSV, load_csv_list, load_ofac
from neonwatch.screen.match import match_vessels, normalise_name
from neonwatch.screen.risk import area_of, event_risk, load_risk_config, vessel_risk
from neonwatch.screen.run import screen
from neonwatch.screen.schema import ANOMALIES, HITS, RISK_FACTORS

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
OFAC = SHARED / "sanctions" / "un-ofac"
SIGHTINGS = SHARED / "cases" / "dprk-sts-sightings.csv"
RYE_SONG_GANG_1 = 7389704

runner = CliRunner()


@pytest.fixture(scope="module")
def ofac() -> pa.Table:
    return load_ofac(OFAC / "ofac_sdn_2021-07.csv", OFAC / "ofac_alt_2021-07.csv")


@pytest.fixture(scope="module")
def lists(ofac: pa.Table) -> pa.Table:
    return pa.concat_tables([ofac, load_csv_list(EXAMPLE_1718_CSV)])


def _dprk_vessels(ofac: pa.Table) -> pl.DataFrame:
    w = pl.from_arrow(ofac)
    assert isinstance(w, pl.DataFrame)
    return w.filter(
        (pl.col("entity_type") == "vessel")
        & pl.col("program").str.contains("DPRK")
        & pl.col("imo").is_not_null()
    )


# --- names ------------------------------------------------------------------------------------


def test_normalise_name_spellings_meet() -> None:
    forms = ["RYE SONG GANG 1", "RYE SONG GANG NO.1", "Rye Song Gang No 1", "RYESONGGANG 1"]
    forms += ["M/V RYE SONG KANG-1", "rye  song   gang  1"]
    assert {normalise_name(f, compact=True) for f in forms} == {"RYESONGGANG1"}
    assert normalise_name("JI SONG NO.6") == "JI SONG 6"
    assert normalise_name("PAEK MA") == normalise_name("BAEK MA")
    assert normalise_name(["", None, "  "]) == [None, None, None]


# --- matching on the real OFAC list -------------------------------------------------------------


def test_every_dprk_vessel_in_ofac_found_by_imo(ofac: pa.Table) -> None:
    dprk = _dprk_vessels(ofac)
    assert dprk.height >= 100  # SOURCE.txt: 105 DPRK-program vessels with an IMO
    vessels = pa.table({"mmsi": list(range(dprk.height)), "imo": dprk["imo"].to_list()})
    hits = match_vessels(vessels, ofac)
    assert hits.schema == HITS
    by_imo = pl.from_arrow(hits).filter(pl.col("matched_on") == "imo")
    from neonwatch.screen.identifiers import imo_check_digit_ok

    valid = dprk.filter(pl.Series(imo_check_digit_ok(dprk["imo"].to_numpy())))
    assert set(by_imo["imo"].to_list()) == set(valid["imo"].to_list())
    row = by_imo.filter(pl.col("imo") == RYE_SONG_GANG_1).row(0, named=True)
    assert row["score"] == 100
    assert "IMO 7389704" in row["why"] and "RYE SONG GANG 1" in row["why"]
    assert "ofac-sdn@2021-07" in row["why"]


@pytest.mark.parametrize(
    ("spelling", "listed"),
    [
        ("RYE SONG GANG NO 1", "RYE SONG GANG 1"),
        ("RYESONGGANG 1", "RYE SONG GANG 1"),
        ("RYE SONG KANG 1", "RYE SONG GANG 1"),
        ("JI SONG NO.6", "JI SONG 6"),
        ("CHON MA SANN", "CHON MA SAN"),
        ("BAE MA KANG", "BAEK MA KANG"),
    ],
)
def test_dprk_vessel_found_by_misspelt_name(ofac: pa.Table, spelling: str, listed: str) -> None:
    hits = match_vessels(pa.table({"name": [spelling]}), ofac)
    found = pl.from_arrow(hits).filter(pl.col("listed_name") == listed)
    assert found.height == 1, hits.to_pylist()
    row = found.row(0, named=True)
    assert row["matched_on"] == "name" and 88 <= row["score"] <= 100
    assert spelling in row["why"] and listed in row["why"] and "score" in row["why"]


def test_sister_ships_do_not_match(ofac: pa.Table) -> None:
    """Hull numbers must agree: JI SONG 6 is not JI SONG 8."""
    hits = match_vessels(pa.table({"name": ["JI SONG 6"]}), ofac)
    assert set(hits["listed_name"].to_pylist()) == {"JI SONG 6"}


def test_unrelated_names_do_not_match(ofac: pa.Table) -> None:
    names = ["MAERSK SEALAND", "EVER GIVEN", "PACIFIC GLORY 7", "OCEAN STAR"]
    hits = match_vessels(pa.table({"name": names}), ofac)
    assert all(s < 100 for s in hits["score"].to_pylist())
    assert "EVER GIVEN" not in hits["name"].to_pylist()


def test_mmsi_and_callsign_hits(ofac: pa.Table) -> None:
    w = pl.from_arrow(ofac)
    assert isinstance(w, pl.DataFrame)
    listed = w.filter(pl.col("mmsi").is_not_null() & pl.col("callsign").is_not_null()).row(
        0, named=True
    )
    vessels = pa.table(
        {"mmsi": [listed["mmsi"], 1], "callsign": ["zz", listed["callsign"].lower()]}
    )
    hits = pl.from_arrow(match_vessels(vessels, ofac))
    assert set(hits["matched_on"].to_list()) == {"mmsi", "callsign"}
    assert all(listed["name"] in why for why in hits["why"].to_list())


# --- the sightings of the Japanese Ministry of Defense -------------------------------------------


def sightings_vessels() -> pa.Table:
    """One row per vessel named in the sightings: the North Korean vessel (flag North Korea,
    as the reports say) and its partner (the flag shown)."""
    rows = []
    with SIGHTINGS.open(newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            imo = int(r["dprk_vessel_imo"]) if r["dprk_vessel_imo"] else None
            rows.append({"name": r["dprk_vessel"], "imo": imo, "flag": "North Korea"})
            if not r["other_vessel"].startswith("unknown"):
                rows.append(
                    {"name": r["other_vessel"], "imo": None, "flag": r["other_vessel_flag"] or None}
                )
    return pa.Table.from_pylist(
        rows, schema=pa.schema([("name", pa.string()), ("imo", pa.int32()), ("flag", pa.string())])
    )


def test_sightings_resolve_rye_song_gang_1_as_listed(lists: pa.Table) -> None:
    vessels = sightings_vessels()
    hits = pl.from_arrow(match_vessels(vessels, lists))
    rye = hits.filter(pl.col("imo") == RYE_SONG_GANG_1)
    assert {"ofac-sdn@2021-07", "un-1718-vessels-example@2018-10-16"} <= set(rye["list_id"])
    assert set(rye["matched_on"]) >= {"imo", "name"}
    assert set(rye["listed_name"]) == {"RYE SONG GANG 1"}
    # Sighted by name only, still found: JI SONG 6 (2018-05-19, 350 km SE of Shanghai).
    assert "JI SONG 6" in hits.filter(pl.col("imo").is_null())["listed_name"].to_list()
    scores, factors = vessel_risk(vessels, match_vessels(vessels, lists), None)
    top = scores.to_pylist()[0]
    assert top["subject_id"] in {"IMO 7389704", "IMO 8122347", "IMO 7303803"}
    rye_factors = pl.from_arrow(factors).filter(pl.col("subject_id") == "IMO 7389704")
    assert set(rye_factors["factor"]) >= {"listed", "dprk_flag"}


# --- identity checks on a hand-built history ------------------------------------------------------


def _t(day: int, hour: int = 0) -> datetime:
    return datetime(2018, 1, day, hour, tzinfo=UTC)


@pytest.fixture(scope="module")
def history() -> pa.Table:
    rows = [
        # a North Korean tanker broadcasting RYE SONG GANG 1's IMO with the check digit changed
        (445111111, 7389705, "RYE SONG 1", "HMYR", 80, None, _t(1), _t(2)),
        # renamed, new call sign, tanker then cargo
        (351000001, 9176864, "OCEAN A", "3EAA1", 80, None, _t(1), _t(4)),
        (351000001, 9176864, "OCEAN B", "3EAA2", 70, None, _t(5), _t(6)),
        # one IMO re-flagged from Panama to Sierra Leone: a new MMSI
        (352000002, 9300003, "HOPPER", None, 80, None, _t(1), _t(3)),
        (667000003, 9300003, "HOPPER", None, 80, None, _t(10), _t(12)),
        # two transmitters on one IMO at once
        (412000004, 9166778, "TWIN", None, 70, None, _t(1), _t(5)),
        (412000005, 9166778, "TWIN", None, 70, None, _t(2), _t(6)),
        # a Panama MMSI on a ship the sighting says flies Dominica's flag
        (351999999, None, "YUK TUNG", None, 80, "Dominica", _t(1), _t(1)),
        # made-up MID
        (200000001, None, "NOBODY", None, 70, None, _t(1), _t(1)),
        # a typo in an IMO, nowhere near a listed ship
        (477000007, 9000001, "TYPO", None, 70, None, _t(1), _t(1)),
    ]
    names = ["mmsi", "imo", "name", "callsign", "ship_type", "flag", "first_seen", "last_seen"]
    schema = pa.schema(
        [
            ("mmsi", pa.int32()),
            ("imo", pa.int32()),
            ("name", pa.string()),
            ("callsign", pa.string()),
            ("ship_type", pa.int16()),
            ("flag", pa.string()),
            ("first_seen", pa.timestamp("ms", tz="UTC")),
            ("last_seen", pa.timestamp("ms", tz="UTC")),
        ]
    )
    return pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in rows], schema=schema)


def _checks(anomalies: pa.Table) -> dict[tuple[int | None, str], str]:
    return {(a["mmsi"], a["check"]): a["evidence"] for a in anomalies.to_pylist()}


def test_identity_checks(history: pa.Table, ofac: pa.Table) -> None:
    anomalies = identity_checks(history, ofac)
    assert anomalies.schema == ANOMALIES
    found = _checks(anomalies)
    off = found[(445111111, Check.IMO_ONE_DIGIT_OFF_LISTED)]
    assert "7389704" in off and "RYE SONG GANG 1" in off and "check digit" in off
    assert "call for 4" in found[(445111111, Check.INVALID_IMO)]
    assert "MID 445" in found[(445111111, Check.MID_445)]
    assert "'OCEAN A'" in found[(351000001, Check.NAME_CHANGED)]
    assert "'OCEAN B' from 2018-01-05" in found[(351000001, Check.NAME_CHANGED)]
    assert (351000001, Check.CALLSIGN_CHANGED) in found
    assert "80" in found[(351000001, Check.SHIP_TYPE_CHANGED)]
    hop = found[(667000003, Check.FLAG_CHANGED)]
    assert "Panama" in hop and "Sierra Leone" in hop and "IMO 9300003" in hop
    assert (352000002, Check.FLAG_CHANGED) in found
    assert "overlapping" in found[(412000004, Check.IMO_SHARED)]
    assert (412000005, Check.IMO_SHARED) in found
    mismatch = found[(351999999, Check.MID_FLAG_MISMATCH)]
    assert "Panama" in mismatch and "Dominica" in mismatch
    assert (200000001, Check.MID_UNALLOCATED) in found
    assert (477000007, Check.INVALID_IMO) in found
    assert (477000007, Check.IMO_ONE_DIGIT_OFF_LISTED) not in found
    # Valid, unchanging identities raise nothing.
    assert not [k for k in found if k[0] in (412000004,) and k[1] != Check.IMO_SHARED]


def test_listed_flag_disagrees_with_mid(ofac: pa.Table) -> None:
    """The claimed flag can come from the list: RYE SONG GANG 1 is listed as North Korean."""
    found = _checks(identity_checks(pa.table({"mmsi": [351000009], "imo": [7389704]}), ofac))
    evidence = found[(351000009, Check.MID_FLAG_MISMATCH)]
    assert "ofac-sdn@2021-07" in evidence and "(KP)" in evidence


def test_shared_imo_not_reported_when_apart_in_time(history: pa.Table) -> None:
    found = _checks(identity_checks(history))
    assert (352000002, Check.IMO_SHARED) not in found  # re-flagged: one after the other


def test_flag_names() -> None:
    assert flag_iso2("Democratic People's Republic of Korea") == "KP"
    assert flag_iso2("St. Kitts & Nevis") == flag_iso2("Saint Kitts and Nevis") == "KN"
    assert flag_iso2("China (flag shown)") == "CN"
    assert flag_iso2("PA") == "PA"
    assert flag_iso2("Atlantis") is None


# --- risk ----------------------------------------------------------------------------------------


def _events() -> pa.Table:
    def ev(eid: str, kind: str, a: int, b: int | None, start: datetime, hours: float,
           lat: float, lon: float) -> dict[str, object]:  # fmt: skip
        return {
            "event_id": eid,
            "kind": kind,
            "mmsi": a,
            "mmsi_2": b,
            "start": start,
            "end": start + timedelta(hours=hours),
            "duration_h": hours,
            "lat": lat,
            "lon": lon,
            "min_distance_m": 80.0 if b else None,
        }

    rows = [
        # STS 300 km ESE of Shanghai, in the East China Sea transfer area
        ev("sts", "encounter", 351999999, 445111111, _t(20, 12), 6.0, 30.5, 124.3),
        # the North Korean tanker went dark 14 h, ending 3 h before the encounter
        ev("dark", "ais_disabling", 445111111, None, _t(19, 19), 14.0, 30.6, 124.2),
        # an unrelated encounter off Europe
        ev("far", "encounter", 227000001, 227000002, _t(20, 12), 3.0, 47.0, -5.0),
    ]
    return pa.Table.from_pylist(rows)


def test_transfer_areas() -> None:
    # ~300 km E of Shanghai (Japan MOD sightings), the Yellow Sea, Shanghai itself, the Atlantic
    assert area_of([31.0, 36.0, 31.23, 47.0], [124.3, 123.5, 121.47, -5.0]) == [
        "east-china-sea",
        "yellow-sea",
        None,
        None,
    ]


def test_vessel_risk_lists_every_factor(history: pa.Table, ofac: pa.Table) -> None:
    hits = match_vessels(history, ofac)
    anomalies = identity_checks(history, ofac)
    scores, factors = vessel_risk(history, hits, anomalies, _events())
    assert factors.schema == RISK_FACTORS
    f = pl.from_arrow(factors)
    assert isinstance(f, pl.DataFrame)
    mine = f.filter(pl.col("subject_id") == "445111111")
    expected = {
        "dprk_flag",
        "tanker",
        "invalid_imo",
        "imo_one_digit_off_listed",
        "sts_at_sea",
        "ais_disabling",
        "loitering_in_transfer_area",
    }
    assert set(mine["factor"]) == expected
    assert mine.filter(pl.col("evidence").str.len_chars() < 10).height == 0
    cfg = load_risk_config()
    weights = {**cfg.vessel, **cfg.identity}
    for row in mine.iter_rows(named=True):
        assert row["weight"] == weights[row["factor"]]
    s = pl.from_arrow(scores)
    assert isinstance(s, pl.DataFrame)
    top = s.row(0, named=True)
    assert top["subject_id"] == "445111111"
    assert top["score"] == pytest.approx(mine["weight"].sum())
    assert top["top_factors"].startswith("dprk_flag 40.0")
    # Vessels with nothing against them are still listed, at zero.
    assert s.filter(pl.col("subject_id") == "477000007")["score"][0] == 15.0  # invalid IMO only


def test_event_risk(history: pa.Table, ofac: pa.Table) -> None:
    hits = match_vessels(history, ofac)
    anomalies = identity_checks(history, ofac)
    scores, factors = event_risk(_events(), history, hits, anomalies)
    f = pl.from_arrow(factors)
    assert isinstance(f, pl.DataFrame)
    sts = f.filter(pl.col("subject_id") == "sts")
    assert set(sts["factor"]) >= {
        "party_dprk_flag",
        "party_tanker",
        "sts_at_sea",
        "party_dark_gap",
        "in_transfer_area",
        "imo_one_digit_off_listed",
        "mid_flag_mismatch",
    }
    gap = sts.filter(pl.col("factor") == "party_dark_gap")["evidence"][0]
    assert "445111111" in gap and "ending 3.0 h before the event" in gap
    area = sts.filter(pl.col("factor") == "in_transfer_area")["evidence"][0]
    assert "East China Sea" in area
    ranked = scores["event_id"].to_pylist()
    assert ranked[0] == "sts" and ranked[-1] == "far"
    far = f.filter(pl.col("subject_id") == "far")
    assert set(far["factor"]) == {"sts_at_sea"}


def test_weights_overridable_from_toml(tmp_path: Path, history: pa.Table, ofac: pa.Table) -> None:
    path = tmp_path / "weights.toml"
    path.write_text("[vessel]\ndprk_flag = 99.0\n\n[identity]\ninvalid_imo = 0.0\n")
    cfg = load_risk_config(path)
    assert cfg.vessel["dprk_flag"] == 99.0 and cfg.vessel["tanker"] == 10.0
    hits = match_vessels(history, ofac)
    anomalies = identity_checks(history, ofac)
    _, factors = vessel_risk(history, hits, anomalies, config=cfg)
    f = pl.from_arrow(factors)
    assert isinstance(f, pl.DataFrame)
    assert f.filter(pl.col("factor") == "dprk_flag")["weight"].to_list() == [99.0]
    assert f.filter(pl.col("factor") == "invalid_imo").height == 0  # weight 0: not a factor
    bad = tmp_path / "bad.toml"
    bad.write_text("[vessel]\ndprk_flagg = 1.0\n")
    with pytest.raises(ValueError, match="dprk_flagg"):
        load_risk_config(bad)


# --- end to end -----------------------------------------------------------------------------------


def test_screen_writes_tables(tmp_path: Path, history: pa.Table, lists: pa.Table) -> None:
    result = screen(history, _events(), watchlist=lists, out=tmp_path)
    for name in (
        "hits.parquet",
        "anomalies.parquet",
        "vessel_risk.parquet",
        "event_risk.parquet",
        "risk_factors.parquet",
        "top_risks.csv",
    ):
        assert (tmp_path / name).is_file(), name
    assert result.top_vessels(1)[0]["subject_id"] == "445111111"
    assert "vessel,445111111" in (tmp_path / "top_risks.csv").read_text()


def test_cli_screen_json(tmp_path: Path) -> None:
    sightings = tmp_path / "sightings.csv"
    pacsv.write_csv(sightings_vessels(), sightings)
    store = tmp_path / "lists"
    added = runner.invoke(
        app,
        [
            "lists",
            "add",
            str(OFAC / "ofac_sdn_2021-07.csv"),
            str(OFAC / "ofac_alt_2021-07.csv"),
            "--dir",
            str(store),
        ],
    )
    assert added.exit_code == 0, added.output
    out = tmp_path / "screened"
    result = runner.invoke(
        app, ["screen", str(sightings), "--out", str(out), "--lists", str(store), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["lists"] == ["ofac-sdn@2021-07"]
    assert data["hits"] >= 3 and data["top_vessels"]
    top_ids = [v["subject_id"] for v in data["top_vessels"]]
    assert "IMO 7389704" in top_ids
    assert (out / "risk_factors.parquet").is_file()
    # a user's mistake is one red line and exit code 2
    missing = runner.invoke(app, ["screen", str(tmp_path / "nope"), "--out", str(out)])
    assert missing.exit_code == 2
    assert "not found" in missing.output


def test_nothing_to_match_is_no_hits(lists: pa.Table) -> None:
    for vessels in (pa.table({"name": ["X", None]}), pa.table({"mmsi": [1]})):
        assert match_vessels(vessels, lists).num_rows == 0


def test_evidence_counts_only_what_is_left_out() -> None:
    """One or two pieces of evidence are listed as they are; past three, how many more."""
    import polars as pl

    from neonwatch.screen.risk import _join_evidence

    df = pl.DataFrame({"g": [1, 2, 2, 2, 2, 2], "t": ["a", "b", "c", "d", "e", "b"]})
    got = df.group_by("g", maintain_order=True).agg(_join_evidence(pl.col("t")).alias("e"))
    assert got["e"].to_list() == ["a", "b; c; d (and 1 more)"]
