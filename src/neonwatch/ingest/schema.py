"""The canonical tables that every reader produces and every later stage consumes.

One schema for every source (NMEA logs, DMA CSV, Marine Cadastre CSV, a user's own CSV) is what
lets ``tracks`` and ``detect`` stay ignorant of where the data came from.
"""

from __future__ import annotations

import pyarrow as pa

UTC_MS = pa.timestamp("ms", tz="UTC")
# Receiving station (tag block s:): a few hundred names over millions of rows, so dictionary.
STATION = pa.dictionary(pa.int32(), pa.string())

POSITIONS = pa.schema(
    [
        ("mmsi", pa.int32()),
        ("ts", UTC_MS),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("sog", pa.float32()),  # knots
        ("cog", pa.float32()),  # degrees true
        ("heading", pa.int16()),  # degrees true
        ("nav_status", pa.int8()),
        ("msg_type", pa.int8()),
        ("station", STATION),
    ]
)

VESSELS = pa.schema(
    [
        ("mmsi", pa.int32()),
        ("imo", pa.int32()),
        ("name", pa.string()),
        ("callsign", pa.string()),
        ("ship_type", pa.int16()),
        ("to_bow", pa.int16()),  # metres from the GNSS antenna, ITU-R M.1371 dimension fields
        ("to_stern", pa.int16()),
        ("to_port", pa.int16()),
        ("to_starboard", pa.int16()),
        ("draught", pa.float32()),  # metres
        ("destination", pa.string()),
        ("first_seen", UTC_MS),
        ("last_seen", UTC_MS),
    ]
)

# One row per static/voyage report before the history is collapsed into VESSELS rows.
STATIC_REPORTS = pa.schema(
    [(f.name, f.type) for f in VESSELS if f.name not in ("first_seen", "last_seen")]
    + [("ts", UTC_MS), ("msg_type", pa.int8()), ("part", pa.int8())]
)

BASE_STATIONS = pa.schema(
    [
        ("mmsi", pa.int32()),
        ("ts", UTC_MS),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("station_time", UTC_MS),  # the UTC the base station itself reported
        ("epfd", pa.int8()),
        ("station", STATION),
    ]
)

REJECTED = pa.schema(
    [
        ("source", pa.string()),
        ("line_no", pa.int64()),
        ("reason", pa.string()),
        ("line", pa.string()),
    ]
)

# Identity fields: a change in any of them starts a new row of a vessel's history.
IDENTITY_FIELDS = (
    "imo",
    "name",
    "callsign",
    "ship_type",
    "to_bow",
    "to_stern",
    "to_port",
    "to_starboard",
)

# ITU-R M.1371 "not available" sentinels, which the decoders turn into nulls.
NOT_AVAILABLE = {"lat": 91.0, "lon": 181.0, "sog_tenths": 1023, "heading": 511, "cog_tenths": 3600}
