"""Position CSVs (DMA, Marine Cadastre, mapped) through ``ingest`` and back out of Parquet.

The expectations come from the input files themselves (read here with the standard library's
csv module), not from the reader under test, so a test fails when the reader changes a value.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from neonwatch.ingest import csv as csv_reader
from neonwatch.ingest import detect_format, ingest, schema

DATA = Path(__file__).parent / "data"
DMA_FILE = DATA / "dma_sample.csv"
MC_FILE = DATA / "marine_cadastre_nyharbor_300.csv"
MC2024_FILE = DATA / "marine_cadastre_2024_layout.csv"
GULF_FILE = DATA / "atd2025_gulf_300.csv.gz"
GULF_COLUMNS = {"mmsi": "track_id", "ts": "time", "sog": "speed", "cog": "course"}
FULL_GULF = Path("/work/shared/data/tracks/atd2025-gulf/dataset1_truth.csv.gz")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def read_dataset(folder: Path) -> list[dict[str, Any]]:
    if not folder.exists():
        return []
    return ds.dataset(folder, format="parquet", partitioning="hive").to_table().to_pylist()


def source_text(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8")


def source_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(source_text(path), newline="")))


def file_lines(path: Path) -> list[str]:
    """The file's lines, 1-based like the rejected table's line_no (index 0 unused)."""
    return ["", *path.read_text(encoding="utf-8").splitlines()]


def by(rows: list[dict[str, Any]], **match: Any) -> list[dict[str, Any]]:
    return [r for r in rows if all(r[k] == v for k, v in match.items())]


def one(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = by(rows, **match)
    assert len(found) == 1, (match, found)
    return found[0]


def assert_accounted(summary: Any) -> None:
    """Every row read is a position, a refusal or a duplicate: nothing vanishes."""
    assert summary.lines == summary.positions + sum(summary.rejected.values()) + summary.duplicates


# --------------------------------------------------------------------------------------------
# Layout detection
# --------------------------------------------------------------------------------------------


def first_line(path: Path) -> str:
    return source_text(path).split("\n", 1)[0]


def test_detect_layout_of_each_publisher() -> None:
    assert csv_reader.detect_layout(first_line(DMA_FILE)) == "dma"
    assert csv_reader.detect_layout(first_line(MC_FILE)) == "marine_cadastre"
    assert csv_reader.detect_layout(first_line(MC2024_FILE)) == "marine_cadastre"
    assert csv_reader.detect_layout(first_line(GULF_FILE)) is None
    # DMA's header with a byte-order mark and without the '# ' DMA puts before Timestamp.
    dma = first_line(DMA_FILE).replace("# Timestamp", "Timestamp")
    assert csv_reader.detect_layout("\ufeff" + dma) == "dma"
    assert csv_reader.detect_layout("!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24") is None
    assert csv_reader.detect_layout("") is None


def test_ingest_detects_format_per_file() -> None:
    assert detect_format(DMA_FILE) == "dma"
    assert detect_format(MC_FILE) == "marine_cadastre"
    assert detect_format(MC2024_FILE) == "marine_cadastre"
    assert detect_format(GULF_FILE, GULF_COLUMNS) == csv_reader.CUSTOM


# --------------------------------------------------------------------------------------------
# DMA (hand-written sample in DMA's published layout, with bad rows)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dma_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    out = tmp_path_factory.mktemp("dma")
    return ingest([DMA_FILE], out), out


def test_dma_counts_and_rejections(dma_out: tuple[Any, Path]) -> None:
    summary, out = dma_out
    assert summary.files[0]["format"] == "dma"
    assert summary.lines == 16  # 17 lines after the header, one of them blank
    assert summary.positions == 8
    assert summary.duplicates == 1
    assert summary.rejected == {
        "not a vessel": 2,
        "unparseable time": 1,
        "invalid MMSI": 1,
        "impossible coordinates": 1,
        "non-numeric value": 1,
        "malformed row": 1,
    }
    assert_accounted(summary)

    rejected = read_dataset(out / "rejected")
    lines = file_lines(DMA_FILE)
    got = {(r["line_no"], r["reason"]) for r in rejected}
    assert got == {
        (5, "not a vessel"),
        (9, "unparseable time"),
        (10, "invalid MMSI"),
        (11, "impossible coordinates"),
        (12, "non-numeric value"),
        (13, "malformed row"),
        (17, "not a vessel"),
    }
    for r in rejected:
        assert r["source"] == str(DMA_FILE)
        assert r["line"] == lines[r["line_no"]]  # the exact text, not a reconstruction
    assert "Base Station" in one(rejected, line_no=5)["line"]


def test_dma_positions_values_and_not_available(dma_out: tuple[Any, Path]) -> None:
    _, out = dma_out
    positions = read_dataset(out / "positions")
    assert {p["day"] for p in positions} == {"2024-02-27", "2024-02-28"}
    first = one(positions, mmsi=219000873, ts=utc(2024, 2, 27, 0, 0, 0))
    assert first["lat"] == 56.990902 and first["lon"] == 10.304263
    assert first["sog"] == pytest.approx(10.2) and first["cog"] == pytest.approx(30.5)
    assert first["heading"] == 31 and first["nav_status"] == 0
    assert first["msg_type"] is None and first["station"] is None
    # COG 205.1 stays 205.1: the Marine Cadastre signed-COG repair is not applied to DMA.
    tanker = one(positions, mmsi=257123450)
    assert tanker["cog"] == pytest.approx(205.1) and tanker["heading"] == 204
    # lat 91 / lon 181, SOG 102.3, COG 360 and heading 511 are "not available": nulls.
    tug = one(positions, mmsi=219000874)
    assert tug["ts"] == utc(2024, 2, 27, 0, 0, 3)
    assert tug["lat"] is None and tug["lon"] is None
    assert tug["sog"] is None and tug["cog"] is None and tug["heading"] is None
    assert tug["nav_status"] == 5  # Moored
    class_b = one(positions, mmsi=219012345)
    assert class_b["sog"] == 0.0 and class_b["cog"] is None and class_b["heading"] is None
    assert class_b["nav_status"] is None  # "Unknown value" is ITU 15, not defined
    assert one(positions, mmsi=219000879)["nav_status"] == 11  # "Reserved for future use [11]"
    assert one(positions, mmsi=219000880)["nav_status"] == 3  # "Restricted maneuverability"
    next_day = one(positions, mmsi=219000873, ts=utc(2024, 2, 28))
    assert next_day["day"] == "2024-02-28" and next_day["lat"] == 56.999
    # Line 8 repeats line 7 exactly: one position kept.
    assert len(by(positions, mmsi=219000873, ts=utc(2024, 2, 27, 0, 0, 10))) == 1
    assert not by(positions, mmsi=2190064) and not by(positions, mmsi=992191234)


def test_dma_vessel_identity(dma_out: tuple[Any, Path]) -> None:
    summary, out = dma_out
    vessels = read_dataset(out / "vessels")
    assert summary.vessels == len(vessels) == 6  # Class B without identity gives no row
    tanker = one(vessels, mmsi=257123450)
    assert tanker["imo"] == 9321483 and tanker["name"] == "NORTHERN STAR"
    assert tanker["callsign"] == "LAOX5" and tanker["destination"] == "SKAGEN"
    assert tanker["ship_type"] == 82  # "Tanker" + "Category Y"
    assert tanker["draught"] == pytest.approx(10.2)
    dims = ("to_bow", "to_stern", "to_port", "to_starboard")
    assert [tanker[d] for d in dims] == [150, 33, 16, 16]
    cargo = one(vessels, mmsi=219000873, day="2024-02-27")
    assert cargo["imo"] is None and cargo["callsign"] == "OXAB2"  # IMO "Unknown"
    assert cargo["ship_type"] == 70  # "Cargo" with no cargo type: ITU "all ships of this type"
    assert cargo["first_seen"] == utc(2024, 2, 27)
    assert cargo["last_seen"] == utc(2024, 2, 27, 0, 0, 10)
    assert one(vessels, mmsi=219000874)["ship_type"] == 52  # Tug
    assert one(vessels, mmsi=219000879)["ship_type"] == 32  # Towing long/wide
    hopper = one(vessels, mmsi=219000880)
    assert hopper["ship_type"] == 33 and hopper["destination"] is None  # "Unknown"


def test_dma_header_with_columns_keeps_dma_conventions(tmp_path: Path) -> None:
    """A --columns run treats every file as custom; a DMA header still reads as DMA."""
    summary = ingest([DMA_FILE], tmp_path, columns={"name": "Name"})
    assert summary.files[0]["format"] == csv_reader.CUSTOM
    assert summary.positions == 8 and summary.rejected["not a vessel"] == 2
    positions = read_dataset(tmp_path / "positions")
    assert one(positions, mmsi=219000880)["ts"] == utc(2024, 2, 27, 0, 0, 9)


# --------------------------------------------------------------------------------------------
# Marine Cadastre (real NY harbour rows, 2020 CamelCase layout, and the 2024 snake_case one)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mc_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    out = tmp_path_factory.mktemp("mc")
    return ingest([MC_FILE], out), out


def test_marine_cadastre_positions(mc_out: tuple[Any, Path]) -> None:
    summary, out = mc_out
    src = source_rows(MC_FILE)
    assert summary.files[0]["format"] == "marine_cadastre"
    assert summary.lines == len(src) == 300
    assert summary.positions == 300 and summary.rejected == {} and summary.duplicates == 0
    assert_accounted(summary)
    positions = read_dataset(out / "positions")
    assert {p["day"] for p in positions} == {"2020-06-30"}
    ferry = one(positions, mmsi=367000140, ts=utc(2020, 6, 30))
    assert ferry["lat"] == 40.64409 and ferry["lon"] == -74.07157  # LON comes before LAT
    assert ferry["sog"] == 0.0 and ferry["heading"] == 246 and ferry["nav_status"] == 0
    # COG is written as a signed 12-bit number of tenths: -60.6 is 349.0, -61.8 is 347.8.
    assert ferry["cog"] == pytest.approx(349.0)
    shrike = one(positions, mmsi=366999618, ts=utc(2020, 6, 30))
    assert shrike["sog"] == pytest.approx(19.0) and shrike["heading"] == 349
    assert shrike["cog"] == pytest.approx(347.8, abs=1e-4)
    # Every -49.6 (360.0, not available) becomes null, and no other COG does.
    assert sum(p["cog"] is None for p in positions) == sum(r["COG"] == "-49.6" for r in src) > 0
    assert all(0 <= p["cog"] < 360 for p in positions if p["cog"] is not None)
    assert sum(p["heading"] is None for p in positions) == sum(r["Heading"] == "511.0" for r in src)
    # Status 15 (not defined) and empty Status are null.
    assert sum(p["nav_status"] is None for p in positions) == sum(
        r["Status"] in ("", "15.0") for r in src
    )
    # Every row's time, MMSI and position as in the file.
    expected = Counter(
        (int(r["MMSI"]), r["BaseDateTime"], float(r["LAT"]), float(r["LON"])) for r in src
    )
    got = Counter(
        (p["mmsi"], p["ts"].strftime("%Y-%m-%dT%H:%M:%S"), p["lat"], p["lon"]) for p in positions
    )
    assert got == expected


def test_marine_cadastre_vessels(mc_out: tuple[Any, Path]) -> None:
    _, out = mc_out
    vessels = read_dataset(out / "vessels")
    ferry = one(vessels, mmsi=367000140)
    assert ferry["imo"] == 7702774  # written IMO7702774
    assert ferry["name"] == "SAMUEL I NEWHOUSE" and ferry["callsign"] == "WYR3371"
    assert ferry["ship_type"] == 60
    # Length/Width do not say where the antenna is: the four offsets stay null.
    assert all(v[d] is None for v in vessels for d in ("to_bow", "to_stern", "to_port"))
    tug = one(vessels, mmsi=338531000)
    assert tug["imo"] == 8973928 and tug["ship_type"] == 31 and tug["draught"] == 5.0
    assert one(vessels, mmsi=338128304)["imo"] is None  # IMO0000000
    assert tug["first_seen"] == utc(2020, 6, 30) and tug["last_seen"] == utc(2020, 6, 30, 0, 1, 10)


def test_marine_cadastre_2024_layout(tmp_path: Path) -> None:
    summary = ingest([MC2024_FILE], tmp_path)
    src = source_rows(MC2024_FILE)
    assert summary.files[0]["format"] == "marine_cadastre"
    assert summary.positions == len(src) == 25 and summary.rejected == {}
    positions = read_dataset(tmp_path / "positions")
    tug = one(positions, mmsi=338531000, ts=utc(2020, 6, 30))  # "2020-06-30 00:00:00"
    assert tug["lat"] == 40.64413 and tug["lon"] == -74.05089  # longitude first in this layout
    assert tug["sog"] == pytest.approx(10.4) and tug["cog"] == pytest.approx(100.7)
    assert tug["heading"] == 96
    assert sum(p["heading"] is None for p in positions) == sum(r["heading"] == "" for r in src)
    vessels = read_dataset(tmp_path / "vessels")
    v = one(vessels, mmsi=338531000)
    assert (v["name"], v["imo"], v["callsign"], v["ship_type"]) == (
        "GENESIS VIGILANT",
        8973928,
        "WDG9352",
        31,
    )


# --------------------------------------------------------------------------------------------
# Any CSV through --columns (real Gulf of Mexico tracks)
# --------------------------------------------------------------------------------------------


def test_gulf_tracks_through_a_column_mapping(tmp_path: Path) -> None:
    summary = ingest([GULF_FILE], tmp_path, columns=GULF_COLUMNS)
    src = source_rows(GULF_FILE)
    assert summary.files[0]["format"] == csv_reader.CUSTOM
    assert summary.lines == summary.positions == len(src) == 300
    assert summary.rejected == {} and summary.vessels == 0
    assert_accounted(summary)
    positions = read_dataset(tmp_path / "positions")
    first = one(positions, mmsi=338214987)
    assert first["ts"] == utc(2024, 1, 1)
    assert first["lat"] == 28.0338696648333 and first["lon"] == -96.9745434597321
    assert first["sog"] == pytest.approx(6.5) and first["cog"] == pytest.approx(56.1)
    assert first["heading"] is None and first["nav_status"] is None
    last = one(positions, mmsi=257894000)
    assert last["ts"] == utc(2024, 1, 1, 0, 0, 2) and last["lat"] == 29.607829935552424
    expected = Counter((int(r["track_id"]), float(r["lat"]), float(r["lon"])) for r in src)
    assert Counter((p["mmsi"], p["lat"], p["lon"]) for p in positions) == expected


@pytest.mark.skipif(not FULL_GULF.exists(), reason="shared reference data not present")
def test_full_gulf_day_streams_in_batches() -> None:
    progress: list[int] = []
    rows = positions = rejected = 0
    batches = 0
    reader = csv_reader.read_csv(
        FULL_GULF, "csv", columns=GULF_COLUMNS, on_progress=progress.append, chunk_bytes=1 << 20
    )
    for batch in reader:
        batches += 1
        rows += batch.rows
        positions += batch.positions.num_rows
        rejected += batch.rejected.num_rows
        assert batch.rows == batch.positions.num_rows + batch.rejected.num_rows + batch.duplicates
    assert rows == positions == 102_861 and rejected == 0  # figure from the data's SOURCE.txt
    assert batches > 1  # streamed, never the whole file at once
    assert sum(progress) == FULL_GULF.stat().st_size  # progress in compressed bytes


# --------------------------------------------------------------------------------------------
# Column mapping errors
# --------------------------------------------------------------------------------------------


def test_missing_required_column_says_how_to_map_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no column for 'ts'.*--columns ts=") as err:
        ingest([GULF_FILE], tmp_path, columns={"mmsi": "track_id"})
    assert "track_id" in str(err.value) and "time" in str(err.value)  # lists the file's columns
    with pytest.raises(ValueError, match=r"no column for 'mmsi'"):
        ingest([GULF_FILE], tmp_path, columns={"ts": "time"})


def test_mapping_to_an_absent_or_unknown_column(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no column 'when'"):
        ingest([GULF_FILE], tmp_path, columns={**GULF_COLUMNS, "ts": "when"})
    with pytest.raises(ValueError, match=r"'speed_kn' is not a canonical column"):
        ingest([GULF_FILE], tmp_path, columns={**GULF_COLUMNS, "speed_kn": "speed"})
    assert not (tmp_path / "positions").exists()  # a failed run leaves nothing behind


# --------------------------------------------------------------------------------------------
# Bad rows, odd values and streaming, on a small custom CSV
# --------------------------------------------------------------------------------------------

CUSTOM_LINES = [
    b"vessel,when,lat,lon,speed,note",
    b"123456789,2024-01-01T00:00:00Z,10,20,5,ok",  # 2
    b"123456789,2024-01-01 01:00:01+01:00,10,20.001,5,offset",  # 3: 00:00:01 UTC
    b"123456789,1704067260,10,20.002,5,epoch s",  # 4: 00:01:00
    b"123456789,1704067320000,10,20.003,5,epoch ms",  # 5: 00:02:00
    b"123456789,2024-01-01T00:03:00.500,10,20.004,5,fraction",  # 6
    b"123456789,01/02/2024 00:00:00,10,20,5,day-first only for DMA",  # 7: unparseable time
    b"1234567890,2024-01-01T00:04:00,10,20,5,ten digits",  # 8: invalid MMSI
    b"0,2024-01-01T00:04:00,10,20,5,zero",  # 9: invalid MMSI
    b",2024-01-01T00:04:00,10,20,5,empty",  # 10: invalid MMSI
    b"123456789,2024-01-01T00:04:00,-91,20,5,not the sentinel",  # 11: impossible
    b"123456789,2024-01-01T00:05:00,91,20,5,sentinel",  # 12: kept, position null
    b"123456789,2024-01-01T00:06:00,10,181.5,5,east of 180",  # 13: impossible
    b'"123456789","2024-01-01T00:07:00","10","20.5","7,5",quoted',  # 14: non-numeric
    b"123456789,2024-01-01T00:08:00,10,20.6,5,CRLF\r",  # 15
    b"123456789,2024-01-01T00:09:00,10,20.7,abc,words",  # 16: non-numeric
    b"123456789,2024-01-01T00:10:00,10,20.8,5,K\xf8benhavn",  # 17: Latin-1 byte, kept
    b"123456789,2024-01-01T00:11:00,10,20.9,5,extra,field",  # 18: malformed
    b"123456789,2024-01-01T00:12:00,10,20,5,ok",  # 19
    b'123456789,"2024-01-01T00:13:00,10,21,5,unterminated quote',  # 20: malformed alone,
    b"123456789,2024-01-01T00:14:00,10,21.1,5,after it",  # 21: not swallowed by line 20
]
CUSTOM_COLUMNS = {"mmsi": "vessel", "ts": "when", "sog": "speed"}
CUSTOM_REJECTED = {
    7: "unparseable time",
    8: "invalid MMSI",
    9: "invalid MMSI",
    10: "invalid MMSI",
    11: "impossible coordinates",
    13: "impossible coordinates",
    14: "non-numeric value",
    16: "non-numeric value",
    18: "malformed row",
    20: "malformed row",
}


@pytest.fixture
def custom_csv(tmp_path: Path) -> Path:
    path = tmp_path / "custom.csv"
    path.write_bytes(b"\n".join(CUSTOM_LINES) + b"\n")
    return path


def read_all(path: Path, **kwargs: Any) -> tuple[pa.Table, pa.Table, int, int]:
    batches = list(csv_reader.read_csv(path, csv_reader.CUSTOM, **kwargs))
    for b in batches:
        assert b.positions.schema == schema.POSITIONS
        assert b.static.schema == schema.STATIC_REPORTS
        assert b.rejected.schema == schema.REJECTED
        assert b.rows == b.positions.num_rows + b.rejected.num_rows + b.duplicates
    return (
        pa.concat_tables([b.positions for b in batches]),
        pa.concat_tables([b.rejected for b in batches]),
        sum(b.rows for b in batches),
        len(batches),
    )


def test_custom_times_bad_rows_and_raw_text(custom_csv: Path) -> None:
    positions, rejected, rows, _ = read_all(custom_csv, columns=CUSTOM_COLUMNS)
    assert rows == len(CUSTOM_LINES) - 1
    assert {r["line_no"]: r["reason"] for r in rejected.to_pylist()} == CUSTOM_REJECTED
    for r in rejected.to_pylist():
        raw = CUSTOM_LINES[r["line_no"] - 1].rstrip(b"\r").decode("utf-8", "replace")
        assert r["line"] == raw
    kept = {p["ts"]: p for p in positions.to_pylist()}
    assert sorted(kept) == [
        utc(2024, 1, 1, 0, 0, 0),
        utc(2024, 1, 1, 0, 0, 1),
        utc(2024, 1, 1, 0, 1, 0),
        utc(2024, 1, 1, 0, 2, 0),
        datetime(2024, 1, 1, 0, 3, 0, 500_000, tzinfo=UTC),
        utc(2024, 1, 1, 0, 5, 0),
        utc(2024, 1, 1, 0, 8, 0),
        utc(2024, 1, 1, 0, 10, 0),
        utc(2024, 1, 1, 0, 12, 0),
        utc(2024, 1, 1, 0, 14, 0),
    ]
    sentinel = kept[utc(2024, 1, 1, 0, 5)]
    assert sentinel["lat"] is None and sentinel["lon"] is None and sentinel["sog"] == 5.0
    assert kept[utc(2024, 1, 1, 0, 8)]["lon"] == 20.6  # CRLF line
    assert kept[utc(2024, 1, 1, 0, 10)]["lon"] == 20.8  # undecodable byte in another column


def test_block_boundaries_change_nothing(custom_csv: Path) -> None:
    whole = read_all(custom_csv, columns=CUSTOM_COLUMNS)
    for chunk_bytes in (1, 37, 100):
        small = read_all(custom_csv, columns=CUSTOM_COLUMNS, chunk_bytes=chunk_bytes)
        assert small[3] > 1
        assert small[2] == whole[2]
        assert small[0].to_pylist() == whole[0].to_pylist()
        assert small[1].to_pylist() == whole[1].to_pylist()
    dma_whole = list(csv_reader.read_csv(DMA_FILE, "dma"))
    dma_small = list(csv_reader.read_csv(DMA_FILE, "dma", chunk_bytes=150))
    assert len(dma_small) > len(dma_whole) == 1
    assert sum(b.rows for b in dma_small) == sum(b.rows for b in dma_whole) == 16
    rejected = pa.concat_tables(b.rejected for b in dma_small)
    assert rejected.to_pylist() == dma_whole[0].rejected.to_pylist()
    # Duplicates are dropped within a block: lines 7 and 8 now fall in different blocks.
    small = pa.concat_tables(b.positions for b in dma_small).to_pylist()
    assert sum(b.duplicates for b in dma_small) == 0 and len(small) == 9
    assert {tuple(p.values()) for p in small} == {
        tuple(p.values()) for p in dma_whole[0].positions.to_pylist()
    }


def test_progress_counts_every_input_byte(custom_csv: Path, tmp_path: Path) -> None:
    for path, columns in ((custom_csv, CUSTOM_COLUMNS), (GULF_FILE, GULF_COLUMNS)):
        progress: list[int] = []
        for _ in csv_reader.read_csv(
            path, "csv", columns=columns, on_progress=progress.append, chunk_bytes=512
        ):
            pass
        assert sum(progress) == path.stat().st_size and len(progress) > 2


def test_zstd_input_reads_like_plain(tmp_path: Path) -> None:
    """Marine Cadastre's 2024+ days come as .csv.zst."""
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, "zstd") as stream:
        stream.write(MC2024_FILE.read_bytes())
    packed = tmp_path / "ais-2020-06-30.csv.zst"
    packed.write_bytes(sink.getvalue().to_pybytes())
    plain = list(csv_reader.read_csv(MC2024_FILE, "marine_cadastre"))
    zstd = list(csv_reader.read_csv(packed, "marine_cadastre"))
    assert pa.concat_tables(b.positions for b in zstd).equals(
        pa.concat_tables(b.positions for b in plain)
    )


def test_stray_quotes_never_shift_line_numbers(tmp_path: Path) -> None:
    """A quote inside a field that still balances its line makes the parser run lines together;
    then every line with a quote is refused and the others still read, at the right lines."""
    path = tmp_path / "stray.csv"
    path.write_text(
        "mmsi,ts,lat,lon,note\n"
        '111111111,2024-01-01T00:00:00,1,2,a"b,"c\n'
        '222222222,2024-01-01T00:00:00,1,2,d"\n'
        "333333333,2024-01-01T00:00:00,1,2,fine\n"
        "444444444,2024-01-01T00:00:00,1,2\n"
    )
    positions, rejected, rows, _ = read_all(path, columns={})
    assert rows == 4 and positions["mmsi"].to_pylist() == [333333333]
    assert [(r["line_no"], r["reason"]) for r in rejected.to_pylist()] == [
        (2, "malformed row"),
        (3, "malformed row"),
        (5, "malformed row"),
    ]


def test_gzip_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    renamed = tmp_path / "gulf.csv"
    renamed.write_bytes(GULF_FILE.read_bytes())
    positions, rejected, rows, _ = read_all(renamed, columns=GULF_COLUMNS)
    assert rows == positions.num_rows == 300 and rejected.num_rows == 0


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert list(csv_reader.read_csv(empty, "csv", columns=CUSTOM_COLUMNS)) == []
    header_only = tmp_path / "header.csv"
    header_only.write_bytes(CUSTOM_LINES[0] + b"\n\n")
    assert list(csv_reader.read_csv(header_only, "csv", columns=CUSTOM_COLUMNS)) == []


def test_static_fields_can_be_mapped(tmp_path: Path) -> None:
    path = tmp_path / "with_names.csv"
    path.write_text(
        "mmsi,t,latitude,longitude,shipname,kind,imo_no\n"
        "445123456,2024-03-01T10:00:00,31.5,124.2,CHON MA SAN,Tanker,8660313\n"
        "445123456,2024-03-01T10:10:00,31.5,124.2,CHON MA SAN,80,8660313\n"
    )
    out = tmp_path / "out"
    columns = {"ts": "t", "name": "shipname", "ship_type": "kind", "imo": "imo_no"}
    summary = ingest([path], out, columns=columns)
    assert summary.positions == 2  # mmsi and latitude/longitude found by name
    vessels = read_dataset(out / "vessels")
    assert [(v["name"], v["imo"], v["ship_type"]) for v in vessels] == [
        ("CHON MA SAN", 8660313, 80)
    ]


def test_reader_tables_are_arrow_schema_exact() -> None:
    for path, layout, columns in (
        (DMA_FILE, "dma", None),
        (MC_FILE, "marine_cadastre", None),
        (GULF_FILE, "csv", GULF_COLUMNS),
    ):
        for batch in csv_reader.read_csv(path, layout, columns=columns):
            assert batch.positions.schema == schema.POSITIONS
            assert batch.static.schema == schema.STATIC_REPORTS
            assert batch.rejected.schema == schema.REJECTED


def test_unknown_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown CSV layout"):
        list(csv_reader.read_csv(DMA_FILE, "ais-hub"))
