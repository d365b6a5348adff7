"""The events table every detector writes, and the ground truth the simulator plants.

One row per event. Pair events (encounters, dark rendezvous, shared MMSI) name both vessels;
``mmsi`` is the lower of the two so that a pair has one spelling.
"""

from __future__ import annotations

import pyarrow as pa

UTC_MS = pa.timestamp("ms", tz="UTC")


class Kind:
    """Event kinds (the ``kind`` column and the keys of ``neonwatch evaluate``)."""

    ENCOUNTER = "encounter"  # ship-to-ship: two vessels close, slow, long, away from port
    LOITERING = "loitering"  # one vessel slow for hours, far from shore
    GAP = "gap"  # no position for >= 6 h
    AIS_DISABLING = "ais_disabling"  # a gap long and far enough from shore to be deliberate
    DARK_RENDEZVOUS = "dark_rendezvous"  # a loiterer beside another vessel's gap, or two dark
    TELEPORT = "teleport"  # a position no ship could have reached (spoofing or bad GPS)
    SHARED_MMSI = "shared_mmsi"  # two transmitters using one MMSI at once

    ALL = (
        ENCOUNTER,
        LOITERING,
        GAP,
        AIS_DISABLING,
        DARK_RENDEZVOUS,
        TELEPORT,
        SHARED_MMSI,
    )


EVENTS = pa.schema(
    [
        ("event_id", pa.string()),  # stable: the same event found twice has the same id
        ("kind", pa.string()),
        ("mmsi", pa.int32()),
        ("mmsi_2", pa.int32()),  # the other vessel of a pair event, else null
        ("start", UTC_MS),
        ("end", UTC_MS),
        ("duration_h", pa.float64()),
        ("start_lat", pa.float64()),
        ("start_lon", pa.float64()),
        ("end_lat", pa.float64()),
        ("end_lon", pa.float64()),
        ("lat", pa.float64()),  # centroid
        ("lon", pa.float64()),
        ("min_distance_m", pa.float64()),  # pairs: closest approach
        ("median_distance_m", pa.float64()),
        ("median_sog", pa.float64()),  # knots, of ``mmsi``
        ("median_sog_2", pa.float64()),  # knots, of ``mmsi_2``
        ("shore_distance_km", pa.float64()),  # from the centroid
        ("port_distance_km", pa.float64()),  # nearest port or anchorage, from the centroid
        ("rule", pa.string()),  # the rule that fired, in words, with its thresholds
        ("thresholds", pa.string()),  # JSON of the configuration section that applied
        ("confidence", pa.float64()),  # 0..1
    ]
)

TRUTH = pa.schema(
    [
        ("kind", pa.string()),
        ("mmsi", pa.int32()),
        ("mmsi_2", pa.int32()),
        ("start", UTC_MS),
        ("end", UTC_MS),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("note", pa.string()),  # what was planted, e.g. "STS across midnight"
    ]
)
