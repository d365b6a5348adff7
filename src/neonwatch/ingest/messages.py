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
POSITION_TYPES = (1, 2, 3, 18, 19, 27)
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
    hashes: npt.NDArray[np.uint64]  # payload hash of every message (for de-duplication)
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


def _text(values: npt.NDArray[np.bytes_]) -> pa.Array:
    """Fixed-width AIS text to trimmed strings; empty becomes null."""
    arr = pa.array(values, type=pa.binary()).cast(pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


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


def decode(msgs: Messages) -> Decoded:
    """Decode every message of a chunk; refuse those with bad characters, lengths or values."""
    n = msgs.size
    lengths = np.diff(msgs.offsets)
    bad_char = np.zeros(n, dtype=bool)
    invalid = msgs.sixbit == INVALID
    nonempty = lengths > 0
    if invalid.any():
        bad_char[nonempty] = np.logical_or.reduceat(invalid, msgs.offsets[:-1][nonempty])
    msg_type = np.full(n, -1, dtype=np.int64)
    msg_type[nonempty] = msgs.sixbit[msgs.offsets[:-1][nonempty]]
    nbits = lengths * 6 - msgs.fill

    reasons = np.zeros(n, dtype=np.int8)
    labels = ["", Reason.BAD_PAYLOAD_CHAR, Reason.BAD_BIT_LENGTH, Reason.BAD_COORDINATES,
              Reason.BAD_MMSI]
    reasons[bad_char | ~nonempty] = 1
    for t, (lo, hi) in BIT_LENGTHS.items():
        wrong = (reasons == 0) & (msg_type == t) & ((nbits < lo) | (nbits > hi))
        reasons[wrong] = 2

    full: dict[int, dict[str, npt.NDArray]] = {}
    ok = reasons == 0
    for t in BIT_LENGTHS:
        rows = np.flatnonzero(ok & (msg_type == t))
        if rows.size == 0:
            continue
        width = (BIT_LENGTHS[t][1] + 5) // 6
        fields = _FIELD_DECODERS[t](_matrix(msgs, rows, width))
        fields["row"] = rows
        full[t] = fields

    positions = _positions(msgs, full, reasons)
    base = _base_stations(msgs, full, reasons)
    static = _static(msgs, full)

    from neonwatch.ingest.bits import payload_hash

    type_counts = dict(
        zip(*(x.tolist() for x in np.unique(msg_type[reasons == 0], return_counts=True)),
            strict=True)
    )
    rejected = np.flatnonzero(reasons > 0)
    return Decoded(
        positions=positions,
        static=static,
        base_stations=base,
        full=full,
        rejected_msgs=rejected,
        rejected_reasons=[labels[r] for r in reasons[rejected]],
        hashes=payload_hash(msgs.sixbit, msgs.offsets),
        type_counts=type_counts,
    )


def _class_a(m: ByteArray) -> dict[str, npt.NDArray]:
    return {
        "repeat": bit_field(m, 6, 2),
        "mmsi": bit_field(m, 8, 30),
        "status": bit_field(m, 38, 4),
        "turn": bit_field(m, 42, 8, signed=True),
        "speed": bit_field(m, 50, 10),
        "accuracy": bit_field(m, 60, 1),
        "lon": bit_field(m, 61, 28, signed=True),
        "lat": bit_field(m, 89, 27, signed=True),
        "course": bit_field(m, 116, 12),
        "heading": bit_field(m, 128, 9),
        "second": bit_field(m, 137, 6),
        "maneuver": bit_field(m, 143, 2),
        "raim": bit_field(m, 148, 1),
        "radio": bit_field(m, 149, 19),
    }


def _class_b(m: ByteArray) -> dict[str, npt.NDArray]:
    return {
        "repeat": bit_field(m, 6, 2),
        "mmsi": bit_field(m, 8, 30),
        "speed": bit_field(m, 46, 10),
        "accuracy": bit_field(m, 56, 1),
        "lon": bit_field(m, 57, 28, signed=True),
        "lat": bit_field(m, 85, 27, signed=True),
        "course": bit_field(m, 112, 12),
        "heading": bit_field(m, 124, 9),
        "second": bit_field(m, 133, 6),
    }


def _type18(m: ByteArray) -> dict[str, npt.NDArray]:
    out = _class_b(m)
    out.update(
        regional=bit_field(m, 139, 2),
        cs=bit_field(m, 141, 1),
        display=bit_field(m, 142, 1),
        dsc=bit_field(m, 143, 1),
        band=bit_field(m, 144, 1),
        msg22=bit_field(m, 145, 1),
        assigned=bit_field(m, 146, 1),
        raim=bit_field(m, 147, 1),
        radio=bit_field(m, 148, 20),
    )
    return out


def _type19(m: ByteArray) -> dict[str, npt.NDArray]:
    out = _class_b(m)
    out.update(
        regional=bit_field(m, 139, 4),
        shipname=text_field(m, 143, 20),
        shiptype=bit_field(m, 263, 8),
        to_bow=bit_field(m, 271, 9),
        to_stern=bit_field(m, 280, 9),
        to_port=bit_field(m, 289, 6),
        to_starboard=bit_field(m, 295, 6),
        epfd=bit_field(m, 301, 4),
        raim=bit_field(m, 305, 1),
        dte=bit_field(m, 306, 1),
        assigned=bit_field(m, 307, 1),
    )
    return out


def _type27(m: ByteArray) -> dict[str, npt.NDArray]:
    return {
        "repeat": bit_field(m, 6, 2),
        "mmsi": bit_field(m, 8, 30),
        "accuracy": bit_field(m, 38, 1),
        "raim": bit_field(m, 39, 1),
        "status": bit_field(m, 40, 4),
        "lon": bit_field(m, 44, 18, signed=True),
        "lat": bit_field(m, 62, 17, signed=True),
        "speed": bit_field(m, 79, 6),
        "course": bit_field(m, 85, 9),
        "gnss": bit_field(m, 94, 1),
    }


def _type4(m: ByteArray) -> dict[str, npt.NDArray]:
    return {
        "repeat": bit_field(m, 6, 2),
        "mmsi": bit_field(m, 8, 30),
        "year": bit_field(m, 38, 14),
        "month": bit_field(m, 52, 4),
        "day": bit_field(m, 56, 5),
        "hour": bit_field(m, 61, 5),
        "minute": bit_field(m, 66, 6),
        "second": bit_field(m, 72, 6),
        "accuracy": bit_field(m, 78, 1),
        "lon": bit_field(m, 79, 28, signed=True),
        "lat": bit_field(m, 107, 27, signed=True),
        "epfd": bit_field(m, 134, 4),
        "raim": bit_field(m, 148, 1),
        "radio": bit_field(m, 149, 19),
    }


def _type5(m: ByteArray) -> dict[str, npt.NDArray]:
    return {
        "repeat": bit_field(m, 6, 2),
        "mmsi": bit_field(m, 8, 30),
        "ais_version": bit_field(m, 38, 2),
        "imo": bit_field(m, 40, 30),
        "callsign": text_field(m, 70, 7),
        "shipname": text_field(m, 112, 20),
        "shiptype": bit_field(m, 232, 8),
        "to_bow": bit_field(m, 240, 9),
        "to_stern": bit_field(m, 249, 9),
        "to_port": bit_field(m, 258, 6),
        "to_starboard": bit_field(m, 264, 6),
        "epfd": bit_field(m, 270, 4),
        "month": bit_field(m, 274, 4),
        "day": bit_field(m, 278, 5),
        "hour": bit_field(m, 283, 5),
        "minute": bit_field(m, 288, 6),
        "draught": bit_field(m, 294, 8),
        "destination": text_field(m, 302, 20),
        "dte": bit_field(m, 422, 1),
    }


def _type24(m: ByteArray) -> dict[str, npt.NDArray]:
    return {
        "repeat": bit_field(m, 6, 2),
        "mmsi": bit_field(m, 8, 30),
        "partno": bit_field(m, 38, 2),
        "shipname": text_field(m, 40, 20),  # part A
        "shiptype": bit_field(m, 40, 8),  # part B from here on
        "vendorid": text_field(m, 48, 3),
        "model": bit_field(m, 66, 4),
        "serial": bit_field(m, 70, 20),
        "callsign": text_field(m, 90, 7),
        "to_bow": bit_field(m, 132, 9),
        "to_stern": bit_field(m, 141, 9),
        "to_port": bit_field(m, 150, 6),
        "to_starboard": bit_field(m, 156, 6),
        "mothership_mmsi": bit_field(m, 132, 30),
    }


_FIELD_DECODERS = {
    1: _class_a,
    2: _class_a,
    3: _class_a,
    4: _type4,
    5: _type5,
    18: _type18,
    19: _type19,
    24: _type24,
    27: _type27,
}


def _positions(
    msgs: Messages, full: dict[int, dict[str, npt.NDArray]], reasons: npt.NDArray[np.int8]
) -> pa.Table:
    pieces = []
    for t in POSITION_TYPES:
        f = full.get(t)
        if f is None:
            continue
        rows = f["row"]
        if t == 27:
            lat, lon, na, impossible = _lat_lon(f["lat"], f["lon"], 600.0)
            sog = _masked(f["speed"].astype(np.float64), f["speed"] >= 63, pa.float32())
            cog = _masked(f["course"].astype(np.float64), f["course"] >= 360, pa.float32())
            heading = pa.nulls(rows.size, pa.int16())
        else:
            lat, lon, na, impossible = _lat_lon(f["lat"], f["lon"], 600_000.0)
            sog, cog, heading = _speed_course_heading(f["speed"], f["course"], f["heading"])
        bad_mmsi = (f["mmsi"] > 999_999_999) | (f["mmsi"] == 0)
        reasons[rows[impossible]] = 3
        reasons[rows[bad_mmsi & ~impossible]] = 4
        keep = ~impossible & ~bad_mmsi
        status = f.get("status")
        nav = (
            _masked(status, status == 15, pa.int8())
            if status is not None
            else pa.nulls(rows.size, pa.int8())
        )
        table = pa.table(
            {
                "mmsi": pa.array(f["mmsi"]).cast(pa.int32()),
                "ts": _ts_array(msgs.ts_ms[rows]),
                "lat": pa.array(lat, mask=na),
                "lon": pa.array(lon, mask=na),
                "sog": sog,
                "cog": cog,
                "heading": heading,
                "nav_status": nav,
                "msg_type": pa.array(np.full(rows.size, t, dtype=np.int8)),
                "station": _station_array(msgs, rows),
                "_row": pa.array(rows),
            }
        )
        pieces.append(table.filter(pa.array(keep)))
    if not pieces:
        return _empty(schema.POSITIONS, with_row=True)
    return pa.concat_tables(pieces)


def _base_stations(
    msgs: Messages, full: dict[int, dict[str, npt.NDArray]], reasons: npt.NDArray[np.int8]
) -> pa.Table:
    f = full.get(4)
    if f is None:
        return _empty(schema.BASE_STATIONS, with_row=True)
    rows = f["row"]
    lat, lon, na, impossible = _lat_lon(f["lat"], f["lon"], 600_000.0)
    reasons[rows[impossible]] = 3
    valid_time = (
        (f["year"] >= 1970) & (f["year"] < 2200) & (f["month"] >= 1) & (f["month"] <= 12)
        & (f["day"] >= 1) & (f["day"] <= 31) & (f["hour"] < 24) & (f["minute"] < 60)
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
            "_row": pa.array(rows),
        }
    )
    return table.filter(pa.array(~impossible))


def _static(msgs: Messages, full: dict[int, dict[str, npt.NDArray]]) -> pa.Table:
    pieces = []
    for t in STATIC_TYPES:
        f = full.get(t)
        if f is None:
            continue
        rows = f["row"]
        k = rows.size
        nulls_i16 = pa.nulls(k, pa.int16())
        part = np.zeros(k, dtype=np.int8)
        if t == 24:
            part = f["partno"].astype(np.int8)
            is_a, is_b = part == 0, part == 1
            aux = (f["mmsi"] // 10_000_000) == 98  # craft associated with a mother ship
            dims_ok = is_b & ~aux
            cols = {
                "imo": pa.nulls(k, pa.int32()),
                "name": pc.if_else(pa.array(is_a), _text(f["shipname"]), pa.scalar(None, pa.string())),
                "callsign": pc.if_else(pa.array(is_b), _text(f["callsign"]), pa.scalar(None, pa.string())),
                "ship_type": _masked(f["shiptype"], ~is_b, pa.int16()),
                **{d: _masked(f[d], ~dims_ok, pa.int16()) for d in _DIMS},
                "draught": pa.nulls(k, pa.float32()),
                "destination": pa.nulls(k, pa.string()),
            }
            keep = is_a | is_b
        else:
            imo = f.get("imo")
            cols = {
                "imo": _masked(imo, imo == 0, pa.int32()) if imo is not None else pa.nulls(k, pa.int32()),
                "name": _text(f["shipname"]),
                "callsign": _text(f["callsign"]) if "callsign" in f else pa.nulls(k, pa.string()),
                "ship_type": _masked(f["shiptype"], f["shiptype"] == 0, pa.int16()),
                **{d: pa.array(f[d]).cast(pa.int16()) for d in _DIMS},
                "draught": (
                    _masked(f["draught"] / 10.0, f["draught"] == 0, pa.float32())
                    if "draught" in f
                    else pa.nulls(k, pa.float32())
                ),
                "destination": _text(f["destination"]) if "destination" in f else pa.nulls(k, pa.string()),
            }
            keep = np.ones(k, dtype=bool)
            del nulls_i16
        bad_mmsi = (f["mmsi"] > 999_999_999) | (f["mmsi"] == 0)
        table = pa.table(
            {
                "mmsi": pa.array(f["mmsi"]).cast(pa.int32()),
                **cols,
                "ts": _ts_array(msgs.ts_ms[rows]),
                "msg_type": pa.array(np.full(k, t, dtype=np.int8)),
                "part": pa.array(part),
                "_row": pa.array(rows),
            }
        )
        pieces.append(table.filter(pa.array(keep & ~bad_mmsi)))
    with_row = schema.STATIC_REPORTS.append(pa.field("_row", pa.int64()))
    if not pieces:
        return with_row.empty_table()
    return pa.concat_tables([p.cast(with_row) for p in pieces])


_DIMS = ("to_bow", "to_stern", "to_port", "to_starboard")


def _empty(sch: pa.Schema, with_row: bool = False) -> pa.Table:
    if with_row:
        sch = sch.append(pa.field("_row", pa.int64()))
    return sch.empty_table()
