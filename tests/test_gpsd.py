"""Field-level agreement with gpsd's expected decodes of its AIVDM golden sample.

``gpsd-sample.aivdm`` is gpsd's regression sample (real sentences, hand-checked field dumps in
the comments); ``.ju.chk`` is gpsd's unscaled JSON decode of it, ``.js.chk`` the scaled one, one
object per decoded message in the order gpsd completed them. Every field gpsd gives for the
types neonwatch decodes (1, 2, 3, 4, 5, 18, 19, 24, 27) must equal neonwatch's raw field; the
few that cannot be compared are listed in ``NOT_COMPARED`` / ``EXCLUDED_MESSAGES`` with why.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from neonwatch.ingest import DecodedLog, decode_nmea

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "gpsd-sample.aivdm"
UNSCALED = DATA / "gpsd-sample.aivdm.ju.chk"
SCALED = DATA / "gpsd-sample.aivdm.js.chk"

OUR_TYPES = (1, 2, 3, 4, 5, 18, 19, 24, 27)
POSITION_TYPES = (1, 2, 3, 18, 19, 27)

# gpsd JSON keys that are not message fields, or are gpsd's own labels of a field we compare.
NOT_COMPARED = {
    "class": "gpsd report class ('AIS'), not a message field",
    "device": "gpsd input device ('stdin'), not a message field",
    "scaled": "gpsd output flag, not a message field",
    "status_text": "gpsd's English label of 'status' (the code itself is compared)",
    "epfd_text": "gpsd's English label of 'epfd' (the code itself is compared)",
    "shiptype_text": "gpsd's English label of 'shiptype' (the code itself is compared)",
}
# gpsd keys compared through other fields.
COMPOSITE = {
    "timestamp": "type 4: compared against year, month, day, hour, minute, second",
    "eta": "type 5: compared against month, day, hour, minute",
    "vendorid": "type 24: gpsd uses the old 7-character vendor id (ITU-R M.1371-3), which "
    "M.1371-4+ splits into a 3-character vendor id, model and serial; the first 3 characters "
    "are compared with 'vendorid', model and serial separately",
}
# gpsd messages neonwatch refuses on purpose (line of the message in gpsd-sample.aivdm).
# gpsd keys per message (timestamp counted as 6 fields, eta as 4): class A 14 x 5, type 4
# 14 x 4, type 5 19 x 3, type 18 18 x 3, type 19 21, type 24 12 x 2, type 27 10 x 2.
FIELDS_COMPARED = 70 + 56 + 57 + 54 + 21 + 24 + 20
EXCLUDED_MESSAGES = {
    1098: (
        "wrong bit length",
        "type 1 of 163 bits (fill 5): gpsd decodes it with a short radio field; ITU-R M.1371 "
        "type 1 is 168 bits and neonwatch refuses shorter messages",
    ),
}


@dataclass
class Message:
    line: int  # line of the first part
    payload: str
    type: int
    mmsi: int


def _bits(payload: str, start: int, length: int) -> int:
    """Independent 6-bit de-armouring (for alignment only): an unsigned field."""
    value = 0
    for ch in payload:
        c = ord(ch) - 48
        value = value << 6 | (c - 8 if c > 40 else c)
    total = 6 * len(payload)
    return (value >> (total - start - length)) & ((1 << length) - 1)


def reassemble(text: str) -> list[Message]:
    """Messages in gpsd-sample.aivdm in completion order (how gpsd emits them)."""
    out: list[Message] = []
    pending: dict[tuple[str, str, int], tuple[int, list[str]]] = {}
    for line_no, line in enumerate(text.split("\n"), 1):
        if not line.startswith("!"):
            continue
        f = line.split(",")
        count, num, seq, channel, payload = int(f[1]), int(f[2]), f[3], f[4], f[5]
        if count == 1:
            first, parts = line_no, [payload]
        else:
            key = (seq, channel, count)
            if num == 1:
                pending[key] = (line_no, [payload])
                continue
            if key not in pending:
                continue
            pending[key][1].append(payload)
            if num < count:
                continue
            first, parts = pending.pop(key)
        body = "".join(parts)
        out.append(Message(first, body, _bits(body, 0, 6), _bits(body, 8, 30)))
    return out


def align(objects: list[dict[str, Any]], msgs: list[Message]) -> list[Message]:
    """The message each gpsd object came from: gpsd emits a subset of the messages, in order.

    gpsd emits type 24 once per A+B pair, when part B arrives, so those align on part B.
    """
    out = []
    i = 0
    for obj in objects:
        while True:
            assert i < len(msgs), f"gpsd object {obj} has no message in the sample"
            m = msgs[i]
            i += 1
            if (m.type, m.mmsi) != (obj["type"], obj["mmsi"]):
                continue
            if m.type == 24 and _bits(m.payload, 38, 2) != 1:
                continue
            out.append(m)
            break
    return out


@pytest.fixture(scope="module")
def gpsd() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Message]]:
    unscaled = [json.loads(x) for x in UNSCALED.read_text().splitlines()]
    scaled = [json.loads(x) for x in SCALED.read_text().splitlines()]
    assert len(unscaled) == len(scaled) == 97
    msgs = align(unscaled, reassemble(SAMPLE.read_text()))
    return unscaled, scaled, msgs


@pytest.fixture(scope="module")
def ours() -> DecodedLog:
    return decode_nmea(SAMPLE.read_bytes())


def _row(ours: DecodedLog, msg_type: int, line: int) -> dict[str, Any]:
    where = (ours.line_no[msg_type] == line).nonzero()[0] if msg_type in ours.line_no else []
    assert len(where) == 1, f"line {line}: neonwatch has no type {msg_type} message starting here"
    k = int(where[0])
    return {name: values[k] for name, values in ours.fields[msg_type].items()}


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("ascii").rstrip()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bytes):
        return value.decode("ascii").rstrip()
    return value


def _expected_pairs(obj: dict[str, Any], row: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, gpsd value, neonwatch value) for every comparable key of a gpsd object."""
    pairs = []
    t = obj["type"]
    for key, value in obj.items():
        if key in NOT_COMPARED or key == "type":
            continue
        if key == "timestamp":
            parts = re.fullmatch(r"(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)Z", value)
            assert parts, value
            names = ("year", "month", "day", "hour", "minute", "second")
            pairs += [
                (n, int(v), _plain(row[n])) for n, v in zip(names, parts.groups(), strict=True)
            ]
        elif key == "eta":
            parts = re.fullmatch(r"(\d+)-(\d+)T(\d+):(\d+)Z", value)
            assert parts, value
            names = ("month", "day", "hour", "minute")
            pairs += [
                (n, int(v), _plain(row[n])) for n, v in zip(names, parts.groups(), strict=True)
            ]
        elif key == "vendorid":
            pairs.append((key, value[:3], _plain(row[key])))
        else:
            assert key in row, f"type {t}: gpsd field {key!r} is not decoded by neonwatch"
            expected = int(value) if isinstance(value, bool) else value
            pairs.append((key, expected, _plain(row[key])))
    return pairs


def test_every_gpsd_field_matches(gpsd: Any, ours: DecodedLog) -> None:
    unscaled, _, msgs = gpsd
    compared: Counter[int] = Counter()
    fields_compared = 0
    mismatches = []
    excluded_seen = set()
    for obj, msg in zip(unscaled, msgs, strict=True):
        t = obj["type"]
        if t not in OUR_TYPES:
            continue
        if msg.line in EXCLUDED_MESSAGES:
            excluded_seen.add(msg.line)
            assert t not in ours.line_no or msg.line not in ours.line_no[t].tolist()
            continue
        row = _row(ours, t, msg.line)
        if t == 24:
            # gpsd joins part A (the name) to part B: the name comes from the last part A
            # of the same MMSI before this part B.
            a_lines = [
                m.line
                for m in reassemble(SAMPLE.read_text())
                if m.type == 24
                and m.mmsi == msg.mmsi
                and m.line < msg.line
                and _bits(m.payload, 38, 2) == 0
            ]
            part_a = _row(ours, 24, a_lines[-1])
            assert _plain(part_a["partno"]) == 0
            row = {**row, "shipname": part_a["shipname"]}
        for key, expected, got in _expected_pairs(obj, row):
            fields_compared += 1
            if expected != got:
                mismatches.append((msg.line, t, key, expected, got))
        compared[t] += 1
    assert mismatches == []
    assert excluded_seen == set(EXCLUDED_MESSAGES)
    # Every gpsd decode of our types but the excluded one: 5 class A, 4 type 4, 3 type 5,
    # 3 type 18, 1 type 19, 2 type 24 (A+B pairs), 2 type 27: 20 messages.
    assert compared == {1: 3, 2: 1, 3: 1, 4: 4, 5: 3, 18: 3, 19: 1, 24: 2, 27: 2}
    assert fields_compared == FIELDS_COMPARED


def test_excluded_messages_are_refused_for_the_stated_reason(ours: DecodedLog) -> None:
    for reason, _ in EXCLUDED_MESSAGES.values():
        assert ours.rejected[reason] >= 1
    assert ours.rejected["wrong bit length"] == 1


def test_impossible_base_station_position_is_decoded_but_not_tabled(
    gpsd: Any, ours: DecodedLog
) -> None:
    """gpsd decodes a type 4 at 205.1E; neonwatch decodes its fields (compared above) but keeps
    it out of the base-station table, counted as impossible coordinates."""
    unscaled, _, msgs = gpsd
    lons = {
        m.line: obj["lon"] / 600_000
        for obj, m in zip(unscaled, msgs, strict=True)
        if obj["type"] == 4
    }
    assert sorted(lons) == [101, 1021, 1023, 1026]
    assert lons[1026] == pytest.approx(205.116887, abs=1e-6)
    assert ours.rejected["impossible coordinates"] == 1
    table = ours.base_stations.to_pylist()
    assert sorted(r["mmsi"] for r in table) == [2242115, 2470052, 3669702]


def test_scaled_positions_table_matches_gpsd(gpsd: Any, ours: DecodedLog) -> None:
    """The canonical positions table against gpsd's scaled decode (.js.chk)."""
    _, scaled, msgs = gpsd
    rows = ours.positions.to_pylist()
    by_key: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for r in rows:
        by_key.setdefault((r["mmsi"], r["msg_type"]), []).append(r)
    checked = 0
    for obj, msg in zip(scaled, msgs, strict=True):
        t = obj["type"]
        if t not in POSITION_TYPES or msg.line in EXCLUDED_MESSAGES:
            continue
        (row,) = by_key[(obj["mmsi"], t)]
        assert row["ts"] is None  # the sample has no receive times
        assert row["station"] is None
        if t == 27:
            # gpsd prints type 27 positions to 0.1 degree (they are 1/10 minute on the air)
            assert row["lat"] == pytest.approx(obj["lat"], abs=0.05)
            assert row["lon"] == pytest.approx(obj["lon"], abs=0.05)
            assert row["sog"] == obj["speed"]
            assert row["cog"] == obj["course"]
            assert row["heading"] is None  # type 27 has no heading
        else:
            assert row["lat"] == pytest.approx(obj["lat"], abs=1.01e-6)
            assert row["lon"] == pytest.approx(obj["lon"], abs=1.01e-6)
            sog = None if obj["speed"] == 102.3 else obj["speed"]
            cog = None if obj["course"] == 360.0 else obj["course"]
            assert row["sog"] == (None if sog is None else pytest.approx(sog, abs=1e-4))
            assert row["cog"] == (None if cog is None else pytest.approx(cog, abs=1e-4))
            assert row["heading"] == (None if obj["heading"] == 511 else obj["heading"])
        if t in (1, 2, 3):
            assert row["nav_status"] == (None if obj["status"] == 15 else obj["status"])
        elif t in (18, 19):
            assert row["nav_status"] is None
        checked += 1
    assert checked == 11
    assert ours.positions.num_rows == 11
    # line 32: heading 511 (not available) is null, the others are real headings
    headings = {(r["mmsi"], r["msg_type"]): r["heading"] for r in rows}
    assert headings[(440348000, 1)] is None
    assert headings[(371798000, 1)] == 215


def test_scaled_static_table_matches_gpsd(gpsd: Any, ours: DecodedLog) -> None:
    _, scaled, msgs = gpsd
    static = ours.static.to_pylist()
    checked = 0
    for obj, _msg in zip(scaled, msgs, strict=True):
        t = obj["type"]
        if t not in (5, 19, 24):
            continue
        rows = [r for r in static if r["mmsi"] == obj["mmsi"] and r["msg_type"] == t]
        assert rows, obj
        dims = {d: obj[d] for d in ("to_bow", "to_stern", "to_port", "to_starboard")}
        ship_type = obj["shiptype"] or None
        if t == 24:
            by_part = {r["part"]: r for r in rows}
            assert by_part[0]["name"] == obj["shipname"]
            b = by_part[1]
            assert (b["callsign"], b["ship_type"]) == (obj["callsign"], ship_type)
            assert {d: b[d] for d in dims} == dims
        else:
            for r in rows:
                assert r["name"] == (obj["shipname"] or None)
                assert r["ship_type"] == ship_type
                assert {d: r[d] for d in dims} == dims
                if t == 5:
                    assert r["imo"] == (obj["imo"] or None)
                    assert r["callsign"] == (obj["callsign"] or None)
                    assert r["destination"] == (obj["destination"] or None)
                    assert r["draught"] == pytest.approx(obj["draught"], abs=1e-4)
        checked += 1
    assert checked == 6
