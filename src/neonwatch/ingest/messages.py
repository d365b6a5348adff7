"""Decode reassembled AIS payloads, whole message types at a time, into Arrow tables.

Field layouts are ITU-R M.1371-5 (Annex 8); the bit offsets below are the standard's, the same
as in gpsd's AIVDM/AIVDO protocol decoding notes. Each type group becomes one 6-bit matrix (one
message per row) and each field one vectorised bit extraction over it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from neonwatch.ingest import schema
from neonwatch.ingest.bits import INVALID, BoolArray, ByteArray, IntArray, bit_field, text_field
from neonwatch.ingest.nmea import NO_TIME, Messages, Reason

# Accepted payload sizes in bits, per type: (minimum, maximum). Transmitters in the wild pad
# some messages by a few bits; anything shorter than the fields we read is refused.
BIT_LENGTHS: dict[int, tuple[int, int]] = {
    1: (168, 176),
    2: (168, 176),
    3: (168, 176),
    4: (168, 176),
    5: (420, 432),
    18: (168, 176),
    19: (312, 320),
    24: (160, 176),
    27: (96, 168),
}
STATIC_TYPES = (5, 19, 24)


@dataclass
class Decoded:
    """Tables decoded from one chunk, plus the messages refused (by index into ``Messages``)."""

    positions: pa.Table
    static: pa.Table
    base_stations: pa.Table
    full: dict[int, dict[str, npt.NDArray]]  # every decoded field, by message type
    rejected_msgs: IntArray
    rejected_reasons: list[str]
    type_counts: dict[int, int] = field(default_factory=dict)


def _matrix(msgs: Messages, rows: IntArray, width_chars: int) -> ByteArray:
    """The 6-bit values of the given messages as an (n, width) matrix, zero-padded."""
    starts = msgs.offsets[rows]
    lengths = msgs.offsets[rows + 1] - starts
    cols = np.arange(width_chars)
    idx = np.minimum(starts[:, None] + cols, msgs.sixbit.size - 1) if msgs.sixbit.size else None
    if idx is None:
        return np.zeros((rows.size, width_chars), dtype=np.uint8)
    out = msgs.sixbit[idx]
    out[cols >= lengths[:, None]] = 0
    return out


def _ts_array(ts_ms: IntArray) -> pa.Array:
    return pa.array(ts_ms, type=pa.int64(), mask=ts_ms == NO_TIME).cast(schema.UTC_MS)


def _station_array(msgs: Messages, rows: IntArray) -> pa.Array:
    codes = msgs.station_code[rows]
    dictionary = pa.array(msgs.stations, type=pa.string())
    indices = pa.array(codes.astype(np.int32), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, dictionary)


def _masked(values: npt.NDArray, null: BoolArray, typ: pa.DataType) -> pa.Array:
    return pa.array(values, mask=null).cast(typ)


def _text(values: npt.NDArray[np.bytes_], null: BoolArray | None = None) -> pa.Array:
    """Fixed-width AIS text to trimmed strings; empty (or ``null``) becomes null."""
    arr = pc.utf8_trim_whitespace(pa.array(values, type=pa.binary()).cast(pa.string()))
    empty = pc.equal(arr, "")
    if null is not None:
        empty = pc.or_(empty, pa.array(null))
    return pc.if_else(empty, pa.scalar(None, pa.string()), arr)


def _speed_course_heading(
    sog_raw: IntArray, cog_raw: IntArray, heading_raw: IntArray
) -> tuple[pa.Array, pa.Array, pa.Array]:
    sog = _masked(sog_raw / 10.0, sog_raw >= 1023, pa.float32())
    cog = _masked(cog_raw / 10.0, cog_raw >= 3600, pa.float32())
    heading = _masked(heading_raw, heading_raw >= 360, pa.int16())
    return sog, cog, heading


def _lat_lon(
    lat_raw: IntArray, lon_raw: IntArray, scale: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], BoolArray, BoolArray]:
    """Degrees, a 'not available' mask (91/181) and an 'impossible' mask."""
    lat, lon = lat_raw / scale, lon_raw / scale
    na = (lat_raw == 91 * scale) | (lon_raw == 181 * scale)
    impossible = ~na & ((np.abs(lat) > 90) | (np.abs(lon) > 180))
    return lat, lon, na, impossible


def _length_table(bound: int) -> IntArray:
    table = np.full(64, -1 if bound == 0 else 1 << 20, dtype=np.int64)
    for t, (lo, hi) in BIT_LENGTHS.items():
        table[t] = lo if bound == 0 else hi
    return table


_MIN_BITS, _MAX_BITS = _length_table(0), _length_table(1)
# Types 1, 2 and 3 share one layout and are decoded as one group.
_GROUPS: dict[int, tuple[int, ...]] = {
    1: (1, 2, 3),
    4: (4,),
    5: (5,),
    18: (18,),
    19: (19,),
    24: (24,),
    27: (27,),
}
_LABELS = [
    "",
    Reason.BAD_PAYLOAD_CHAR,
    Reason.BAD_BIT_LENGTH,
    Reason.BAD_COORDINATES,
    Reason.BAD_MMSI,
]


def decode(msgs: Messages, *, skip: BoolArray | None = None, full: bool = False) -> Decoded:
    """Decode the messages of a chunk; refuse those with bad characters, lengths or values.

    ``skip`` marks messages not to decode (duplicates already heard); ``full`` decodes every
    field of each type rather than only those the canonical tables need.
    """
    n = msgs.size
    lengths = np.diff(msgs.offsets)
    nonempty = lengths > 0
    starts = msgs.offsets[:-1][nonempty]
    bad_char = np.zeros(n, dtype=bool)
    invalid = msgs.sixbit == INVALID
    if invalid.any():
        bad_char[nonempty] = np.logical_or.reduceat(invalid, starts)
    msg_type = np.zeros(n, dtype=np.int64)
    msg_type[nonempty] = msgs.sixbit[starts] & 63
    nbits = lengths * 6 - msgs.fill

    reasons = np.zeros(n, dtype=np.int8)
    reasons[(nbits < _MIN_BITS[msg_type]) | (nbits > _MAX_BITS[msg_type])] = 2
    reasons[bad_char | ~nonempty] = 1
    ok = reasons == 0
    if skip is not None:
        ok &= ~skip

    groups: dict[int, dict[str, npt.NDArray]] = {}
    for key, members in _GROUPS.items():
        member = msg_type == key if len(members) == 1 else np.isin(msg_type, members)
        rows = np.flatnonzero(ok & member)
        if rows.size == 0:
            continue
        width = (BIT_LENGTHS[key][1] + 5) // 6
        fields = _decode_fields(_matrix(msgs, rows, width), key, full)
        fields["row"] = rows
        fields["type"] = msg_type[rows]
        groups[key] = fields

    positions = _positions(msgs, groups, reasons)
    base = _base_stations(msgs, groups, reasons)
    static = _static(msgs, groups)

    counted = (reasons == 0) & ok
    type_counts = {
        t: int(c) for t, c in enumerate(np.bincount(msg_type[counted], minlength=64)) if c
    }
    if skip is not None:
        reasons[skip] = 0  # never decoded, so never judged
    rejected = np.flatnonzero(reasons > 0)
    return Decoded(
        positions=positions,
        static=static,
        base_stations=base,
        full=_by_type(groups) if full else groups,
        rejected_msgs=rejected,
        rejected_reasons=[_LABELS[r] for r in reasons[rejected]],
        type_counts=type_counts,
    )


def _by_type(groups: dict[int, dict[str, npt.NDArray]]) -> dict[int, dict[str, npt.NDArray]]:
    """Split the class A group back into types 1, 2 and 3."""
    out = {}
    for key, fields in groups.items():
        for t in _GROUPS[key]:
            pick = fields["type"] == t
            if pick.any():
                out[t] = {name: values[pick] for name, values in fields.items()}
    return out


# Field layouts: name -> (first bit, bits, signed) or, for 6-bit text, (first bit, characters).
_CLASS_A = {
    "repeat": (6, 2, False),
    "mmsi": (8, 30, False),
    "status": (38, 4, False),
    "turn": (42, 8, True),
    "speed": (50, 10, False),
    "accuracy": (60, 1, False),
    "lon": (61, 28, True),
    "lat": (89, 27, True),
    "course": (116, 12, False),
    "heading": (128, 9, False),
    "second": (137, 6, False),
    "maneuver": (143, 2, False),
    "raim": (148, 1, False),
    "radio": (149, 19, False),
}
_CLASS_B = {
    "repeat": (6, 2, False),
    "mmsi": (8, 30, False),
    "reserved": (38, 8, False),
    "speed": (46, 10, False),
    "accuracy": (56, 1, False),
    "lon": (57, 28, True),
    "lat": (85, 27, True),
    "course": (112, 12, False),
    "heading": (124, 9, False),
    "second": (133, 6, False),
}
FIELDS: dict[int, dict[str, tuple[int, int, bool]]] = {
    1: _CLASS_A,
    2: _CLASS_A,
    3: _CLASS_A,
    4: {
        "repeat": (6, 2, False),
        "mmsi": (8, 30, False),
        "year": (38, 14, False),
        "month": (52, 4, False),
        "day": (56, 5, False),
        "hour": (61, 5, False),
        "minute": (66, 6, False),
        "second": (72, 6, False),
        "accuracy": (78, 1, False),
        "lon": (79, 28, True),
        "lat": (107, 27, True),
        "epfd": (134, 4, False),
        "raim": (148, 1, False),
        "radio": (149, 19, False),
    },
    5: {
        "repeat": (6, 2, False),
        "mmsi": (8, 30, False),
        "ais_version": (38, 2, False),
        "imo": (40, 30, False),
        "shiptype": (232, 8, False),
        "to_bow": (240, 9, False),
        "to_stern": (249, 9, False),
        "to_port": (258, 6, False),
        "to_starboard": (264, 6, False),
        "epfd": (270, 4, False),
        "month": (274, 4, False),
        "day": (278, 5, False),
        "hour": (283, 5, False),
        "minute": (288, 6, False),
        "draught": (294, 8, False),
        "dte": (422, 1, False),
    },
    18: {
        **_CLASS_B,
        "regional": (139, 2, False),
        "cs": (141, 1, False),
        "display": (142, 1, False),
        "dsc": (143, 1, False),
        "band": (144, 1, False),
        "msg22": (145, 1, False),
        "assigned": (146, 1, False),
        "raim": (147, 1, False),
        "radio": (148, 20, False),
    },
    19: {
        **_CLASS_B,
        "regional": (139, 4, False),
        "shiptype": (263, 8, False),
        "to_bow": (271, 9, False),
        "to_stern": (280, 9, False),
        "to_port": (289, 6, False),
        "to_starboard": (295, 6, False),
        "epfd": (301, 4, False),
        "raim": (305, 1, False),
        "dte": (306, 1, False),
        "assigned": (307, 1, False),
    },
    24: {
        "repeat": (6, 2, False),
        "mmsi": (8, 30, False),
        "partno": (38, 2, False),
        "shiptype": (40, 8, False),  # part B from here on
        "model": (66, 4, False),
        "serial": (70, 20, False),
        "to_bow": (132, 9, False),
        "to_stern": (141, 9, False),
        "to_port": (150, 6, False),
        "to_starboard": (156, 6, False),
        "mothership_mmsi": (132, 30, False),
    },
    27: {
        "repeat": (6, 2, False),
        "mmsi": (8, 30, False),
        "accuracy": (38, 1, False),
        "raim": (39, 1, False),
        "status": (40, 4, False),
        "lon": (44, 18, True),
        "lat": (62, 17, True),
        "speed": (79, 6, False),
        "course": (85, 9, False),
        "gnss": (94, 1, False),
    },
}
TEXT_FIELDS: dict[int, dict[str, tuple[int, int]]] = {
    5: {"callsign": (70, 7), "shipname": (112, 20), "destination": (302, 20)},
    19: {"shipname": (143, 20)},
    24: {"shipname": (40, 20), "vendorid": (48, 3), "callsign": (90, 7)},
}
# The fields the canonical tables need; ``decode(full=True)`` decodes all of the above.
_TABLE_FIELDS = {
    "mmsi",
    "status",
    "speed",
    "lon",
    "lat",
    "course",
    "heading",
    "partno",
    "imo",
    "shiptype",
    "to_bow",
    "to_stern",
    "to_port",
    "to_starboard",
    "draught",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "epfd",
    "callsign",
    "shipname",
    "destination",
}


def _decode_fields(matrix: ByteArray, msg_type: int, full: bool) -> dict[str, npt.NDArray]:
    """Every (or every needed) field of one message type, each a vectorised extraction."""
    wide = matrix.astype(np.uint64)
    out: dict[str, npt.NDArray] = {}
    for name, (start, length, signed) in FIELDS[msg_type].items():
        if full or name in _TABLE_FIELDS:
            out[name] = bit_field(wide, start, length, signed)
    for name, (start, chars) in TEXT_FIELDS.get(msg_type, {}).items():
        if full or name in _TABLE_FIELDS:
            out[name] = text_field(wide, start, chars)
    return out


def _positions(
    msgs: Messages, groups: dict[int, dict[str, npt.NDArray]], reasons: npt.NDArray[np.int8]
) -> pa.Table:
    pieces = []
    for key in (1, 18, 19, 27):
        f = groups.get(key)
        if f is None:
            continue
        rows = f["row"]
        if key == 27:  # long-range broadcast: 1/10 minute, whole knots and degrees
            lat, lon, na, impossible = _lat_lon(f["lat"], f["lon"], 600.0)
            sog = pa.array(f["speed"].astype(np.float32), mask=f["speed"] >= 63)
            cog = pa.array(f["course"].astype(np.float32), mask=f["course"] >= 360)
            heading = pa.nulls(rows.size, pa.int16())
        else:
            lat, lon, na, impossible = _lat_lon(f["lat"], f["lon"], 600_000.0)
            sog = pa.array(f["speed"].astype(np.float32) / np.float32(10), mask=f["speed"] >= 1023)
            cog = pa.array(
                f["course"].astype(np.float32) / np.float32(10), mask=f["course"] >= 3600
            )
            heading = pa.array(f["heading"].astype(np.int16), mask=f["heading"] >= 360)
        bad_mmsi = (f["mmsi"] > 999_999_999) | (f["mmsi"] == 0)
        reasons[rows[impossible]] = 3
        reasons[rows[bad_mmsi & ~impossible]] = 4
        status = f.get("status")
        nav = (
            pa.array(status.astype(np.int8), mask=status == 15)
            if status is not None
            else pa.nulls(rows.size, pa.int8())
        )
        table = pa.table(
            {
                "mmsi": pa.array(f["mmsi"].astype(np.int32)),
                "ts": _ts_array(msgs.ts_ms[rows]),
                "lat": pa.array(lat, mask=na),
                "lon": pa.array(lon, mask=na),
                "sog": sog,
                "cog": cog,
                "heading": heading,
                "nav_status": nav,
                "msg_type": pa.array(f["type"].astype(np.int8)),
                "station": _station_array(msgs, rows),
            },
            schema=schema.POSITIONS,
        )
        refused = impossible | bad_mmsi
        pieces.append(table.filter(pa.array(~refused)) if refused.any() else table)
    if not pieces:
        return schema.POSITIONS.empty_table()
    return pa.concat_tables(pieces)


def _base_stations(
    msgs: Messages, groups: dict[int, dict[str, npt.NDArray]], reasons: npt.NDArray[np.int8]
) -> pa.Table:
    f = groups.get(4)
    if f is None:
        return schema.BASE_STATIONS.empty_table()
    rows = f["row"]
    lat, lon, na, impossible = _lat_lon(f["lat"], f["lon"], 600_000.0)
    reasons[rows[impossible]] = 3
    valid_time = (
        (f["year"] >= 1970)
        & (f["year"] < 2200)
        & (f["month"] >= 1)
        & (f["month"] <= 12)
        & (f["day"] >= 1)
        & (f["day"] <= 31)
        & (f["hour"] < 24)
        & (f["minute"] < 60)
        & (f["second"] < 60)
    )
    year = np.where(valid_time, f["year"], 1970)
    month = np.where(valid_time, f["month"], 1)
    day = np.where(valid_time, f["day"], 1)
    days = ((year - 1970) * 12 + month - 1).astype("datetime64[M]").astype("datetime64[D]")
    millis = (days.astype(np.int64) + day - 1) * 86_400_000 + (
        f["hour"] * 3600 + f["minute"] * 60 + f["second"]
    ) * 1000
    table = pa.table(
        {
            "mmsi": pa.array(f["mmsi"]).cast(pa.int32()),
            "ts": _ts_array(msgs.ts_ms[rows]),
            "lat": pa.array(lat, mask=na),
            "lon": pa.array(lon, mask=na),
            "station_time": _ts_array(np.where(valid_time, millis, NO_TIME)),
            "epfd": pa.array(f["epfd"]).cast(pa.int8()),
            "station": _station_array(msgs, rows),
        },
        schema=schema.BASE_STATIONS,
    )
    return table.filter(pa.array(~impossible)) if impossible.any() else table


def _static(msgs: Messages, groups: dict[int, dict[str, npt.NDArray]]) -> pa.Table:
    """One STATIC_REPORTS row per type 5, 19 and 24 message (24: part A or B)."""
    pieces = []
    for t in STATIC_TYPES:
        f = groups.get(t)
        if f is None:
            continue
        k = f["row"].size
        part = f["partno"] if t == 24 else np.zeros(k, dtype=np.int64)
        # Type 24 part A carries the name; part B the call sign, type and dimensions, where an
        # auxiliary craft (MMSI 98xxxxxxx) puts its mother ship's MMSI instead of dimensions.
        has_name = part == 0
        has_ids = part == 1 if t == 24 else np.ones(k, dtype=bool)
        no_dims = ~has_ids | (f["mmsi"] // 10_000_000 == 98)
        no_dims |= (f["to_bow"] == 0) & (f["to_stern"] == 0) & (f["to_port"] == 0)
        null_string = pa.nulls(k, pa.string())
        columns = {
            "mmsi": pa.array(f["mmsi"].astype(np.int32)),
            "imo": _masked(f["imo"], f["imo"] == 0, pa.int32()) if "imo" in f else None,
            "name": _text(f["shipname"], ~has_name),
            "callsign": _text(f["callsign"], ~has_ids) if "callsign" in f else null_string,
            "ship_type": _masked(f["shiptype"], ~has_ids | (f["shiptype"] == 0), pa.int16()),
            **{d: _masked(f[d], no_dims, pa.int16()) for d in _DIMS},
            "draught": (
                _masked(f["draught"] / 10.0, f["draught"] == 0, pa.float32())
                if "draught" in f
                else None
            ),
            "destination": _text(f["destination"]) if "destination" in f else null_string,
            "ts": _ts_array(msgs.ts_ms[f["row"]]),
            "msg_type": pa.array(np.full(k, t, dtype=np.int8)),
            "part": pa.array(part.astype(np.int8)),
        }
        table = pa.table(
            {
                name: pa.nulls(k, schema.STATIC_REPORTS.field(name).type) if col is None else col
                for name, col in columns.items()
            }
        ).cast(schema.STATIC_REPORTS)
        valid = (part <= 1) & (f["mmsi"] > 0) & (f["mmsi"] <= 999_999_999)
        pieces.append(table if valid.all() else table.filter(pa.array(valid)))
    if not pieces:
        return schema.STATIC_REPORTS.empty_table()
    return pa.concat_tables(pieces)


_DIMS = ("to_bow", "to_stern", "to_port", "to_starboard")
