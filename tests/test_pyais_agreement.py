"""neonwatch agrees with pyais, message for message, on small real logs.

Each committed sample (see the SOURCE-*.txt notes in tests/data) is decoded twice: by pyais
(its own multipart assembly over the lines, tag blocks and $PGHP wrappers included) and by
``neonwatch.ingest.decode_nmea``. Messages are matched on (line of the first part, type); every
field pyais gives for types 1, 2, 3, 4, 5, 18, 19, 24 and 27 must equal neonwatch's raw field,
and the positions / static tables must hold exactly pyais's values with ITU-R M.1371 "not
available" codes turned into nulls. No de-duplication happens on either side.
"""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from enum import Enum
from pathlib import Path
from typing import Any

import attr
import pytest
from pyais.messages import NMEAMessage
from pyais.stream import IterMessages

from neonwatch.ingest import DecodedLog, decode_nmea

DATA = Path(__file__).parent / "data"

OUR_TYPES = (1, 2, 3, 4, 5, 18, 19, 24, 27)
POSITION_TYPES = (1, 2, 3, 18, 19, 27)
STATIC_TYPES = (5, 19, 24)

# file -> (minimum messages of OUR_TYPES compared field by field, minimum position rows)
SAMPLES = {
    # tag blocks, g: groups, many stations
    "uscg-nais-2016-07-28-head3000.nmea.gz": (1200, 900),
    # $PGHP time lines, !BSVDM/!ABVDM, empty channel fields
    "dma-aislib-stream-head2000.nmea.gz": (800, 650),
    # exactEarth: g:1-2 groups whose second part has no s:/c:
    "amsa-exact-earth-with-tag-block.txt": (190, 170),
    # c: tag blocks with *00 tag-block checksums
    "amsa-nmea-timestamped.txt": (95, 95),
    # USCG old style: ",b003669794,1272412827" or ",d-093,...,r09STOL1,1272844797" after the
    # checksum (receiving station, then receive time); type 27s of odd lengths
    "libais-test.aivdm": (40, 20),
    # multipart (mostly types 12/14: only type 5 of ours, no positions)
    "gfw-multi-part.nmea": (10, 0),
    "gfw-mixed-types.nmea": (45, 25),
}

# Samples whose receiving station (if any) is not in a tag block: the USCG old-style trailing
# fields name it (",r09STOL1,1272844797"); which column it lands in is not specified here.
STATION_UNSPECIFIED = {"libais-test.aivdm"}

# pyais attribute -> neonwatch (gpsd) field name, where they differ
RENAME = {"ship_type": "shiptype", "reserved_1": "reserved", "reserved_2": "regional"}
# pyais attributes not compared, and why
NOT_COMPARED = {
    "msg_type": "the message type, matched on rather than compared",
    "spare_1": "spare bits, not decoded by neonwatch",
    "spare_2": "spare bits, not decoded by neonwatch",
    "turn": "pyais returns the rate of turn in deg/min (sign * round((raw / 4.733)^2)), not "
    "invertible to the raw value; the raw value is checked against gpsd in test_gpsd.py",
}


def read(name: str) -> bytes:
    raw = (DATA / name).read_bytes()
    return gzip.decompress(raw) if name.endswith(".gz") else raw


@dataclass
class Reference:
    line: int  # 1-based line of the first part
    type: int
    message: NMEAMessage
    fields: dict[str, Any]  # pyais's decode, attribute -> value
    raw: dict[str, Any]  # the same as raw integers / trimmed text (see raw_value)
    ts_ms: int | None = None  # receive time: tag block c:, $PGHP wrapper or trailing epoch
    station: str | None = None  # tag block s:


def pyais_messages(data: bytes) -> list[Reference]:
    """pyais's messages with the line of their first part.

    pyais pulls lines lazily and yields a message as soon as its last part is read, so the
    current line is the last part; the first part is the nearest earlier line ending in the
    first fragment's sentence (pyais keeps each part's sentence, without tag block, in .raw).
    """
    lines = data.split(b"\n")
    current = 0

    def feed() -> Iterator[bytes]:
        nonlocal current
        for i, line in enumerate(lines, 1):
            current = i
            if line.strip():
                yield line

    out = []
    for msg in IterMessages(feed()):
        first_raw = msg.raw.split(b"\n")[0]
        first = next(
            j
            for j in range(current, max(current - 60, 0), -1)
            if lines[j - 1].rstrip(b"\r\n ").endswith(first_raw)
        )
        decoded = msg.decode()
        values = {a.name: getattr(decoded, a.name) for a in attr.fields(type(decoded))}
        ref = Reference(first, int(decoded.msg_type), msg, values, {})
        ref.raw = {name: raw_value(ref, name, value) for name, value in values.items()}
        ref.ts_ms, ref.station = receive_time_and_station(msg, lines[first - 1])
        out.append(ref)
    return out


def _epoch_ms(value: int) -> int:
    return value if value > 100_000_000_000 else value * 1000


def receive_time_and_station(msg: NMEAMessage, first_line: bytes) -> tuple[int | None, str | None]:
    """What the positions table's ts and station must say, from pyais's parse of the first
    part's tag block or $PGHP wrapper; else the epoch after the checksum (USCG, exactEarth)."""
    ts = station = None
    if msg.tag_block is not None:
        msg.tag_block.init()
        if msg.tag_block.receiver_timestamp:
            ts = _epoch_ms(int(msg.tag_block.receiver_timestamp))
        station = msg.tag_block.source_station
    if ts is None and msg.wrapper_msg is not None:
        stamp = msg.wrapper_msg.timestamp.replace(tzinfo=UTC)
        ts = round(stamp.timestamp() * 1000)
    if ts is None:
        last = first_line.rstrip(b"\r\n ").rsplit(b",", 1)[-1]
        if b"*" not in last and last.isdigit():
            ts = _epoch_ms(int(last))
    return ts, station


def raw_value(ref: Reference, name: str, value: Any) -> Any:
    """pyais's value back to the raw integer (or trimmed text) neonwatch keeps.

    Scaled fields are unscaled (exact: pyais rounds to 6 decimals, finer than the raw step).
    pyais maps enumerated fields (ship type, EPFD, status, maneuver) through lossy enums (a
    reserved ship type 39 becomes 0), so for those the raw bits are read with pyais's own bit
    reader at pyais's own offset for the field.
    """
    if value is None or isinstance(value, (str, bytes)):  # text; bytes: spare bits
        return value
    cls = type(ref.message.decode())
    offset = 0
    for a in attr.fields(cls):
        if a.name == name:
            break
        offset += a.metadata["width"]
    meta = attr.fields_dict(cls)[name].metadata
    conv_name = getattr(meta.get("to_converter"), "__name__", None)
    if conv_name in ("to_speed", "to_10th"):
        return round(value * 10)
    if conv_name == "to_lat_lon":
        return round(value * 600_000)
    if conv_name == "to_lat_lon_600":
        return round(value * 600)
    if isinstance(value, Enum) or conv_name in ("from_value", "NavigationStatus"):
        return ref.message.bv.get_num(offset, meta["width"], bool(meta.get("signed")))
    return int(value)  # ints and bools


SINGLE_SLOT_TYPES = (1, 2, 3, 4, 18, 24, 27)


def wrong_length(ref: Reference) -> bool:
    """Messages neonwatch must refuse as 'wrong bit length' that pyais decodes anyway.

    Too short: pyais leaves a field it defines empty (None) when the message ends before it
    (spare bits do not count: a 160-bit type 24 part A lacks only its 8 spare bits).
    Too long: ITU-R M.1371 sends these types in one slot, at most 168 data bits; pyais reads
    its fields from the start of any longer payload (libais's sample has type 27 'messages'
    of 186 to 372 bits)."""
    if any(v is None for k, v in ref.fields.items() if not k.startswith("spare")):
        return True
    return ref.type in SINGLE_SLOT_TYPES and len(ref.message.bv) > 168


def our_text(value: bytes) -> str:
    # pyais trims both ends of AIS text; neonwatch's fixed-width bytes are cut at '@'.
    return value.decode("ascii").strip()


@dataclass
class Comparison:
    compared: Counter[int]
    missing: list[tuple[int, int, str]]  # (line, type, text): pyais decodes, neonwatch doesn't
    refused: list[tuple[int, int, str]]  # of a wrong length: neonwatch must refuse them
    extra: list[tuple[int, int, str]]  # neonwatch decodes, pyais doesn't
    mismatches: list[tuple[int, int, str, Any, Any]]  # (line, type, field, pyais, neonwatch)
    fields: int


def compare(data: bytes, refs: list[Reference], ours: DecodedLog) -> Comparison:
    lines = data.split(b"\n")
    text = {i: lines[i - 1].decode("utf-8", "replace") for i in range(1, len(lines) + 1)}
    index = {
        (int(line), t): k
        for t, line_no in ours.line_no.items()
        for k, line in enumerate(line_no.tolist())
    }
    seen = set()
    result = Comparison(Counter(), [], [], [], [], 0)
    for ref in refs:
        if ref.type not in OUR_TYPES:
            continue
        key = (ref.line, ref.type)
        if wrong_length(ref):
            result.refused.append((ref.line, ref.type, text[ref.line]))
            if key in index:
                result.extra.append((ref.line, ref.type, "wrong length: " + text[ref.line]))
                seen.add(key)
            continue
        if key not in index:
            result.missing.append((ref.line, ref.type, text[ref.line]))
            continue
        seen.add(key)
        k = index[key]
        row = ours.fields[ref.type]
        for name in ref.fields:
            if name in NOT_COMPARED:
                continue
            ours_name = RENAME.get(name, name)
            assert ours_name in row, f"type {ref.type}: pyais field {name} not decoded"
            got = row[ours_name][k]
            got = our_text(got) if isinstance(got, bytes) else int(got)
            expected = ref.raw[name]
            result.fields += 1
            if got != expected:
                result.mismatches.append((ref.line, ref.type, ours_name, expected, got))
        result.compared[ref.type] += 1
    result.extra += [(line, t, text[line]) for (line, t) in index if (line, t) not in seen]
    return result


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def sample(request: pytest.FixtureRequest) -> tuple[str, bytes, list[Reference], DecodedLog]:
    name = request.param
    data = read(name)
    return name, data, pyais_messages(data), decode_nmea(data)


def test_messages_match_pyais_field_for_field(sample: Any) -> None:
    name, data, refs, ours = sample
    result = compare(data, refs, ours)
    assert result.missing == [], f"{name}: messages pyais decodes and neonwatch does not"
    assert result.extra == [], f"{name}: messages neonwatch decodes and pyais does not"
    assert result.mismatches == [], f"{name}: (line, type, field, pyais, neonwatch)"
    assert sum(result.compared.values()) >= SAMPLES[name][0], result.compared
    assert len(result.refused) <= ours.rejected["wrong bit length"]
    assert result.fields >= 10 * sum(result.compared.values())


def _na(value: Any, sentinel: Any) -> Any:
    return None if value is None or value >= sentinel else value


def expected_positions(refs: list[Reference]) -> Counter[tuple[Any, ...]]:
    """pyais's positions as the canonical table must hold them: 'not available' codes (lat 91,
    lon 181, speed 102.3 kn / 63 kn, course 360, heading 511, status 15) as nulls; messages
    with an impossible position or an invalid MMSI refused."""
    rows: Counter[tuple[Any, ...]] = Counter()
    for ref in refs:
        if ref.type not in POSITION_TYPES or wrong_length(ref):
            continue
        f = ref.fields
        lat, lon = f["lat"], f["lon"]
        if not 0 < f["mmsi"] <= 999_999_999:
            continue
        if (abs(lat) > 90 and lat != 91) or (abs(lon) > 180 and lon != 181):
            continue
        if lat == 91 or lon == 181:
            lat = lon = None
        if ref.type == 27:
            sog, cog, heading = _na(f["speed"], 63), _na(f["course"], 360), None
        else:
            sog, cog, heading = _na(f["speed"], 102.3), _na(f["course"], 360), f["heading"]
            heading = _na(heading, 360)
        status = _na(ref.raw["status"], 15) if "status" in f else None
        key = (f["mmsi"], ref.type, lat, lon, sog, cog, heading, status, ref.ts_ms, ref.station)
        rows[key] += 1
    return rows


def table_positions(ours: DecodedLog) -> Counter[tuple[Any, ...]]:
    rows: Counter[tuple[Any, ...]] = Counter()
    for r in ours.positions.to_pylist():
        lat = None if r["lat"] is None else round(r["lat"], 6)
        lon = None if r["lon"] is None else round(r["lon"], 6)
        sog = None if r["sog"] is None else round(r["sog"], 1)
        cog = None if r["cog"] is None else round(r["cog"], 1)
        ts = None if r["ts"] is None else round(r["ts"].timestamp() * 1000)
        key = (r["mmsi"], r["msg_type"], lat, lon, sog, cog, r["heading"], r["nav_status"])
        key += (ts, r["station"])
        rows[key] += 1
    return rows


def test_positions_table_matches_pyais(sample: Any) -> None:
    name, _, refs, ours = sample
    expected = expected_positions(refs)
    got = table_positions(ours)
    if name in STATION_UNSPECIFIED:
        expected = Counter({k[:-1]: n for k, n in expected.items()})
        got = Counter({k[:-1]: n for k, n in got.items()})
    assert sum(expected.values()) >= SAMPLES[name][1]
    assert got - expected == Counter(), f"{name}: rows neonwatch has and pyais does not"
    assert expected - got == Counter(), f"{name}: rows pyais has and neonwatch does not"
    per_type = Counter(k[1] for k in got.elements())
    assert per_type == Counter(k[1] for k in expected.elements())


def _text(value: str) -> str | None:
    return value or None


def expected_static(refs: list[Reference]) -> Counter[tuple[Any, ...]]:
    """pyais's static reports as table rows: empty text, IMO 0 and ship type 0 ('not
    available') as nulls; type 24 part A carries the name, part B the rest."""
    rows: Counter[tuple[Any, ...]] = Counter()
    for ref in refs:
        if ref.type not in STATIC_TYPES or wrong_length(ref):
            continue
        f = ref.fields
        if not 0 < f["mmsi"] <= 999_999_999:
            continue
        dims = tuple(f.get(d) for d in ("to_bow", "to_stern", "to_port", "to_starboard"))
        if dims == (0, 0, 0, 0) or "mothership_mmsi" in f:
            dims = (None,) * 4  # ITU-R M.1371: all zero = not available
        ship_type = ref.raw["ship_type"] or None if "ship_type" in f else None
        if ref.type == 24:
            part = f["partno"]
            if part == 0:
                row = (None, _text(f["shipname"]), None, None, (None,) * 4, None, None)
            else:
                row = (None, None, _text(f["callsign"]), ship_type, dims, None, None)
        elif ref.type == 19:
            part = 0
            row = (None, _text(f["shipname"]), None, ship_type, dims, None, None)
        else:
            part = 0
            draught = round(f["draught"], 1) or None
            row = (
                f["imo"] or None,
                _text(f["shipname"]),
                _text(f["callsign"]),
                ship_type,
                dims,
                draught,
                _text(f["destination"]),
            )
        rows[(f["mmsi"], ref.type, part, *row)] += 1
    return rows


def table_static(ours: DecodedLog) -> Counter[tuple[Any, ...]]:
    rows: Counter[tuple[Any, ...]] = Counter()
    for r in ours.static.to_pylist():
        dims = tuple(r[d] for d in ("to_bow", "to_stern", "to_port", "to_starboard"))
        draught = None if r["draught"] is None else round(r["draught"], 1)
        row = (r["imo"], r["name"], r["callsign"], r["ship_type"], dims, draught)
        rows[(r["mmsi"], r["msg_type"], r["part"], *row, r["destination"])] += 1
    return rows


def test_static_table_matches_pyais(sample: Any) -> None:
    name, _, refs, ours = sample
    expected = expected_static(refs)
    got = table_static(ours)
    assert got - expected == Counter(), f"{name}: rows neonwatch has and pyais does not"
    assert expected - got == Counter(), f"{name}: rows pyais has and neonwatch does not"


def test_enough_static_reports_compared() -> None:
    counts = Counter()
    for name in SAMPLES:
        counts.update(r.type for r in pyais_messages(read(name)) if r.type in STATIC_TYPES)
    assert counts[5] >= 50
    assert counts[24] >= 20
