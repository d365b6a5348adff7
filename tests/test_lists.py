"""Watchlists: IMO check digits, the OFAC, UN and CSV loaders on the real published files, the
list store and `neonwatch lists`."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from neonwatch.cli import app
from neonwatch.screen.identifiers import imo_check_digit_ok, parse_imo
from neonwatch.screen.lists import (
    EXAMPLE_1718_CSV,
    ListStore,
    default_lists_dir,
    detect_list_format,
    load_csv_list,
    load_ofac,
    load_un_consolidated,
)
from neonwatch.screen.schema import WATCHLIST

SANCTIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "sanctions" / "un-ofac"
SDN = SANCTIONS / "ofac_sdn_2021-07.csv"
ALT = SANCTIONS / "ofac_alt_2021-07.csv"
ADD = SANCTIONS / "ofac_add_2021-07.csv"
UN = SANCTIONS / "UN_consolidated_2026-02-27.xml"

needs_shared = pytest.mark.skipif(not SDN.exists(), reason="../shared/data not beside the repo")
runner = CliRunner()


# --- IMO numbers ---------------------------------------------------------------------------


def test_imo_check_digit_on_real_designated_ships() -> None:
    # RYE SONG GANG 1, SHANG YUAN BAO, NEW REGENT, BILLIONS NO. 18 (UN 1718 designations).
    real = np.array([7389704, 8126070, 8312497, 9191773])
    assert imo_check_digit_ok(real).tolist() == [True] * 4
    # One digit off (the borrowed-identity trick) breaks the check.
    assert not imo_check_digit_ok(np.array([7389705]))[0]
    assert imo_check_digit_ok(
        np.array([7389704, 7389705, 0, 123, 99999999, -7389704])
    ).tolist() == [
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    assert imo_check_digit_ok(np.array([], dtype=np.int64)).shape == (0,)


def test_parse_imo_forms() -> None:
    assert parse_imo("Vessel Registration Identification IMO 7389704; MMSI 445") == 7389704
    assert parse_imo("IMO: 8126070") == 8126070
    assert parse_imo("imo8312497") == 8312497
    assert parse_imo(" 9191773 ") == 9191773
    assert parse_imo(9191773) == 9191773
    assert parse_imo("MMSI 445123456") is None
    assert parse_imo("IMO 15411") is None
    assert parse_imo(None) is None
    assert parse_imo("IMO 7389705") == 7389705
    assert parse_imo("IMO 7389705", check=True) is None


# --- OFAC --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ofac() -> pl.DataFrame:
    table = load_ofac(SDN, ALT, ADD)
    assert table.schema == WATCHLIST
    return pl.from_arrow(table)  # type: ignore[return-value]


@needs_shared
def test_ofac_counts_and_version(ofac: pl.DataFrame) -> None:
    assert ofac.height == 8976  # 8,977 lines, the last being OFAC's end-of-file ^Z
    assert ofac["list_id"].unique().to_list() == ["ofac-sdn@2021-07"]
    assert ofac["list_version"][0] == "2021-07"
    assert "ofac_alt_2021-07.csv sha256:82403d34" in ofac["source"][0]
    counts = dict(ofac["entity_type"].value_counts().iter_rows())
    assert counts == {"vessel": 406, "individual": 4620, "organization": 3673, "aircraft": 277}
    assert ofac["entry_id"].n_unique() == ofac.height


@needs_shared
def test_ofac_dprk_vessels_have_imo(ofac: pl.DataFrame) -> None:
    vessels = ofac.filter(pl.col("entity_type") == "vessel")
    dprk = vessels.filter(pl.col("program").str.contains("DPRK"))
    assert dprk.height == 106
    # 105 remarks say "Vessel Registration Identification IMO nnnnnnn"; RYONG GUN BONG's says
    # "Vessel Registration Identification 8606173" (no "IMO"), which is still its IMO number.
    literal = dprk["remarks"].str.contains("Vessel Registration Identification IMO ").sum()
    assert literal == 105
    assert dprk["imo"].null_count() == 0
    assert dprk.filter(pl.col("name") == "RYONG GUN BONG")["imo"].item() == 8606173
    assert imo_check_digit_ok(dprk["imo"].to_numpy()).all()
    assert vessels["imo"].is_not_null().sum() == 400
    assert vessels["mmsi"].is_not_null().sum() == 51
    # Company IMO numbers of organisations stay out of the imo column.
    assert ofac.filter(pl.col("entity_type") != "vessel")["imo"].null_count() == ofac.height - 406


@needs_shared
def test_ofac_known_vessels(ofac: pl.DataFrame) -> None:
    def one(name: str) -> dict[str, Any]:
        rows = ofac.filter((pl.col("name") == name) & (pl.col("entity_type") == "vessel"))
        assert rows.height == 1, name
        return rows.row(0, named=True)

    rye = one("RYE SONG GANG 1")
    assert (rye["imo"], rye["program"], rye["flag"]) == (
        7389704,
        "DPRK4",
        "Democratic People's Republic of Korea",
    )
    assert rye["owner"] == "KOREA KUMBYOL TRADING COMPANY"
    shang = one("SHANG YUAN BAO")
    assert (shang["imo"], shang["flag"]) == (8126070, "Panama")
    assert str(shang["owner"]).split("; ")[-1] == "JUI ZONG SHIP MANAGEMENT CO LTD"
    # Former names in the remarks (not repeated in ALT) become aliases.
    assert one("STAR 18")["aliases"] == ["SAM 5", "THINH CUONG"]
    # ALT aliases, joined by ent_num, in alt_num order; call sign, MMSI and owner column.
    artavil = one("ARTAVIL")
    assert artavil["aliases"][:2] == ["ABADAN", "SHONA"] and "ALPHA" in artavil["aliases"]
    assert (artavil["callsign"], artavil["mmsi"], artavil["flag"]) == ("T2EU4", 572469210, "Iran")
    assert artavil["owner"] == "NATIONAL IRANIAN TANKER COMPANY"  # "Linked To", no owner column
    assert one("STARLA")["owner"] == "NITC"  # the owner column, when OFAC fills it
    assert artavil["program"] == "IRAN"
    assert one("DORITA")["program"] == "IRAN; NPWMD; IFSR"  # OFAC's "IRAN] [NPWMD] [IFSR"
    assert "Vessel type Crude/Oil Products Tanker" in str(artavil["remarks"])
    # "None Identified" is no flag.
    assert ofac.filter(pl.col("flag") == "None Identified").height == 0


@needs_shared
def test_ofac_version_from_argument_or_refused(tmp_path: Path) -> None:
    renamed = tmp_path / "sdn.csv"
    shutil.copy(SDN, renamed)
    with pytest.raises(ValueError, match="carry no date"):
        load_ofac(renamed)
    table = load_ofac(renamed, version="2021-07-15")
    assert table["list_id"][0].as_py() == "ofac-sdn@2021-07-15"
    assert table["aliases"].to_pylist()[2] == []  # no ALT given: no ALT aliases
    with pytest.raises(ValueError, match="not a date"):
        load_ofac(renamed, version="July 2021")


# --- UN consolidated list ------------------------------------------------------------------


@needs_shared
def test_un_consolidated() -> None:
    table = load_un_consolidated(UN)
    assert table.schema == WATCHLIST
    un = pl.from_arrow(table)
    assert isinstance(un, pl.DataFrame)
    assert un.height == 1003
    assert dict(un["entity_type"].value_counts().iter_rows()) == {
        "individual": 730,
        "organization": 273,
    }
    assert un["list_id"].unique().to_list() == ["un-consolidated@2026-02-27"]
    assert un.filter(pl.col("entry_id").str.starts_with("KPe.")).height == 75
    omm = un.filter(pl.col("entry_id") == "KPe.020").row(0, named=True)
    assert omm["name"] == "OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM)"
    assert omm["aliases"] == [
        "East Sea Shipping Company",
        "Korea Mirae Shipping Co. Ltd",
        "Haeyang Crew Management Company",
    ]
    assert omm["program"] == "DPRK" and omm["entity_type"] == "organization"
    assert str(omm["remarks"]).startswith("Listed on 2014-07-28; Ocean Maritime Management")
    assert omm["imo"] is None  # its IMO company number 1790183 is not a ship's
    first = un.filter(pl.col("entry_id") == "CDi.001").row(0, named=True)
    assert first["name"] == "ERIC BADEGE" and first["aliases"] == []


def test_un_refuses_other_xml(tmp_path: Path) -> None:
    other = tmp_path / "other.xml"
    other.write_text("<?xml version='1.0'?><sdnList/>")
    with pytest.raises(ValueError, match="not the UN consolidated list"):
        detect_list_format(other)
    with pytest.raises(ValueError, match="not CONSOLIDATED_LIST"):
        load_un_consolidated(other)


# --- format detection ------------------------------------------------------------------------


@needs_shared
def test_detect_list_format_by_content(tmp_path: Path) -> None:
    assert detect_list_format(SDN) == "ofac-sdn"
    assert detect_list_format(ALT) == "ofac-alt"
    assert detect_list_format(ADD) == "ofac-add"
    assert detect_list_format(UN) == "un-consolidated"
    assert detect_list_format(EXAMPLE_1718_CSV) == "csv"
    misnamed = tmp_path / "list.txt"
    shutil.copy(ALT, misnamed)
    assert detect_list_format(misnamed) == "ofac-alt"
    junk = tmp_path / "junk.csv"
    junk.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ValueError, match="not a known watchlist format"):
        detect_list_format(junk)


# --- the documented CSV format ---------------------------------------------------------------

HEADER = "list_name,list_version,entry_id,entity_type,name,aliases,imo,mmsi,callsign,flag,owner"


def test_csv_example_list() -> None:
    table = load_csv_list(EXAMPLE_1718_CSV)
    assert table.schema == WATCHLIST
    rows = {r["name"]: r for r in table.to_pylist()}
    assert {n: r["imo"] for n, r in rows.items()} == {
        "BILLIONS NO. 18": 9191773,
        "UL JI BONG 6": 9114555,
        "RUNG RA 2": 9020534,
        "RYE SONG GANG 1": 7389704,
        "SHANG YUAN BAO": 8126070,
        "NEW REGENT": 8312497,
    }
    assert {r["list_id"] for r in rows.values()} == {"un-1718-vessels-example@2018-10-16"}
    assert all(r["entity_type"] == "vessel" and r["program"] == "1718" for r in rows.values())


def test_csv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "eu.csv"
    path.write_text(
        HEADER + ",program\n"
        'eu-dprk,2024-05-01,EU-1,vessel,SAM MA 2," SAM MA2 ; SAMMA 2 ;",IMO 8106496,445123456,'
        "HMYD,DPRK,KOREA SAMMA SHIPPING,DPRK\n"
        "eu-dprk,2024-05-01,EU-2,organization,KOREA SAMMA SHIPPING,,,,,,,DPRK\n"
    )
    table = load_csv_list(path)
    rows = table.to_pylist()
    assert rows[0]["aliases"] == ["SAM MA2", "SAMMA 2"]
    assert (rows[0]["imo"], rows[0]["mmsi"], rows[0]["callsign"]) == (8106496, 445123456, "HMYD")
    assert rows[0]["owner"] == "KOREA SAMMA SHIPPING" and rows[0]["remarks"] is None
    assert rows[1]["imo"] is None and rows[1]["aliases"] == []
    assert rows[0]["source"].startswith("eu.csv sha256:")
    # Through the store and back: same entries.
    store = ListStore(tmp_path / "store")
    assert store.add([path]) == ["eu-dprk@2024-05-01"]
    assert store.entries().equals(table)


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ("eu,2024-05-01,E1,vessel,X,,7389705,,,,", "line 3, column imo: 7389705 fails the IMO"),
        ("eu,2024-05-01,E1,vessel,X,,12345,,,,", "line 3, column imo: '12345' is not a 7-digit"),
        ("eu,2024-05-01,E1,vessel,X,,,44512,,,", "line 3, column mmsi"),
        ("eu,2024-05-01,E1,ship,X,,,,,,", "line 3, column entity_type: 'ship'"),
        ("eu,1 May 2024,E1,vessel,X,,,,,,", "line 3, column list_version"),
        ("eu,2024-05-01,E1,vessel,,,,,,,", "line 3, column name: empty"),
        ("eu,2024-05-01,E0,vessel,X,,,,,,", "line 3, column entry_id: 'E0' already used on line 2"),
        ("eu,2024-06-01,E1,vessel,X,,,,,,", "line 3, column list_version: eu@2024-06-01 differs"),
        ("eu lists,2024-05-01,E1,vessel,X,,,,,,", "line 3, column list_name"),
        ("eu,2024-05-01,E1,vessel,X", "line 3, column \\*: 5 fields where the header has 11"),
    ],
)
def test_csv_bad_rows_refused(tmp_path: Path, row: str, where: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"{HEADER}\neu,2024-05-01,E0,vessel,GOOD,,7389704,,,,\n{row}\n")
    with pytest.raises(ValueError, match=where):
        load_csv_list(path)


def test_csv_bad_headers_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("list_name,list_version,entry_id,entity_type,name,vessel_name\n")
    with pytest.raises(ValueError, match="line 1: unknown column\\(s\\) vessel_name"):
        load_csv_list(path)
    path.write_text("list_name,list_version,entry_id,name\nx,2024-01,1,A\n")
    with pytest.raises(ValueError, match="missing required column\\(s\\) entity_type"):
        load_csv_list(path)
    path.write_text(HEADER + "\n")
    with pytest.raises(ValueError, match="no entries"):
        load_csv_list(path)


# --- the list store ------------------------------------------------------------------------


@needs_shared
def test_store_add_replace_idempotent(tmp_path: Path) -> None:
    store = ListStore(tmp_path / "lists")
    ids = store.add([UN, SDN, ALT, ADD, EXAMPLE_1718_CSV])
    assert sorted(ids) == [
        "ofac-sdn@2021-07",
        "un-1718-vessels-example@2018-10-16",
        "un-consolidated@2026-02-27",
    ]
    index = json.loads((tmp_path / "lists" / "index.json").read_text())["lists"]
    by_id = {e["list_id"]: e for e in index}
    ofac = by_id["ofac-sdn@2021-07"]
    assert (ofac["list_name"], ofac["list_version"]) == ("ofac-sdn", "2021-07")
    assert [s["file"] for s in ofac["sources"]] == [SDN.name, ALT.name, ADD.name]
    assert ofac["sources"][0]["sha256"] == (
        "2a08fac873a3be0b92208f8874b2e7c138b7938190eeeb7ef991c15ba60e855b"
    )
    assert (ofac["entries"], ofac["vessels"], ofac["vessels_with_imo"]) == (8976, 406, 400)
    assert ofac["added_at"].endswith("Z")
    un = by_id["un-consolidated@2026-02-27"]
    assert (un["entries"], un["vessels"]) == (1003, 0)
    assert by_id["un-1718-vessels-example@2018-10-16"]["vessels"] == 6
    for list_id in ids:
        assert (tmp_path / "lists" / f"{list_id}.parquet").exists()

    everything = store.entries()
    assert everything.schema == WATCHLIST and everything.num_rows == 8976 + 1003 + 6
    only_un = store.entries(["un-consolidated@2026-02-27"])
    assert only_un.num_rows == 1003

    # The same files again: nothing changes, not even added_at.
    before = (tmp_path / "lists" / "index.json").read_text()
    mtime = (tmp_path / "lists" / "ofac-sdn@2021-07.parquet").stat().st_mtime_ns
    assert store.add([SDN, ALT, ADD]) == ["ofac-sdn@2021-07"]
    assert (tmp_path / "lists" / "index.json").read_text() == before
    assert (tmp_path / "lists" / "ofac-sdn@2021-07.parquet").stat().st_mtime_ns == mtime

    # The same version from other files (SDN alone now) replaces it.
    assert store.add([SDN]) == ["ofac-sdn@2021-07"]
    replaced = {e["list_id"]: e for e in store.lists()}["ofac-sdn@2021-07"]
    assert [s["file"] for s in replaced["sources"]] == [SDN.name]
    assert len(store.lists()) == 3
    stored = pq.read_table(tmp_path / "lists" / "ofac-sdn@2021-07.parquet")
    assert "ofac_alt" not in stored["source"][0].as_py()

    store.remove("un-consolidated@2026-02-27")
    assert [e["list_id"] for e in store.lists()] == [
        "ofac-sdn@2021-07",
        "un-1718-vessels-example@2018-10-16",
    ]
    assert not (tmp_path / "lists" / "un-consolidated@2026-02-27.parquet").exists()
    with pytest.raises(ValueError, match="no list nope@1 in"):
        store.remove("nope@1")
    with pytest.raises(ValueError, match="no list nope@1"):
        store.entries(["nope@1"])


@needs_shared
def test_store_refuses_before_changing_anything(tmp_path: Path) -> None:
    store = ListStore(tmp_path / "lists")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\neu,2024-05-01,E1,vessel,X,,7389705,,,,\n")
    with pytest.raises(ValueError, match="check digit"):
        store.add([EXAMPLE_1718_CSV, bad])
    assert store.lists() == [] and not (tmp_path / "lists").exists()
    with pytest.raises(ValueError, match="need their SDN file"):
        store.add([ALT])
    with pytest.raises(ValueError, match="not found"):
        store.add([tmp_path / "missing.csv"])
    assert store.entries().num_rows == 0


def test_default_lists_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEONWATCH_LISTS", str(tmp_path / "team-lists"))
    assert default_lists_dir() == tmp_path / "team-lists"
    assert ListStore().directory == tmp_path / "team-lists"
    monkeypatch.delenv("NEONWATCH_LISTS")
    assert default_lists_dir() == Path("neonwatch-lists")


# --- neonwatch lists -----------------------------------------------------------------------


@needs_shared
def test_cli_lists_add_show(tmp_path: Path) -> None:
    where = str(tmp_path / "lists")
    result = runner.invoke(
        app, ["lists", "add", str(SDN), str(ALT), str(EXAMPLE_1718_CSV), "--dir", where, "--json"]
    )
    assert result.exit_code == 0, result.output
    added = json.loads(result.output)
    assert {e["list_id"]: e["vessels"] for e in added} == {
        "ofac-sdn@2021-07": 406,
        "un-1718-vessels-example@2018-10-16": 6,
    }

    result = runner.invoke(app, ["lists", "show", "--dir", where, "--json"])
    assert result.exit_code == 0, result.output
    assert [e["list_id"] for e in json.loads(result.output)] == [
        "ofac-sdn@2021-07",
        "un-1718-vessels-example@2018-10-16",
    ]

    result = runner.invoke(app, ["lists", "show", "--dir", where])
    assert result.exit_code == 0, result.output
    assert "ofac-sdn@2021-07" in result.output and "8976" in result.output

    result = runner.invoke(app, ["lists", "remove", "ofac-sdn@2021-07", "--dir", where])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["lists", "show", "--dir", where, "--json"])
    assert len(json.loads(result.output)) == 1


def test_cli_lists_errors(tmp_path: Path) -> None:
    where = str(tmp_path / "lists")
    result = runner.invoke(app, ["lists", "add", str(tmp_path / "missing.csv"), "--dir", where])
    assert result.exit_code == 2 and "not found" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\neu,2024-05-01,E1,vessel,X,,7389705,,,,\n")
    result = runner.invoke(app, ["lists", "add", str(bad), "--dir", where])
    assert result.exit_code == 2 and "line 2, column imo" in result.output
    result = runner.invoke(app, ["lists", "show", "--dir", where])
    assert result.exit_code == 0 and "no lists" in result.output
    env = {**os.environ, "NEONWATCH_LISTS": where}
    result = runner.invoke(app, ["lists", "remove", "x@2024-01"], env=env)
    assert result.exit_code == 2 and "no list x@2024-01" in result.output
