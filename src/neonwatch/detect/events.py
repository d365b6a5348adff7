"""Building event rows: one column layout (``schema.EVENTS``) whatever rule produced them."""

from __future__ import annotations

import uuid

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from neonwatch.detect.schema import EVENTS
from neonwatch.geo import to_lat_lon, unit_vectors

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_NAMESPACE = uuid.UUID("6f1c0b3e-5d0e-4c55-9a55-4e454f4e2018")  # "NEON", 2018


def centroid(lat: F64, lon: F64, group: I64, n_groups: int) -> tuple[F64, F64]:
    """Mean position of each group, through 3D unit vectors (right across the 180th)."""
    v = unit_vectors(lat, lon)
    sums = np.column_stack([np.bincount(group, v[:, k], n_groups) for k in range(3)]).astype(
        np.float64
    )
    return to_lat_lon(sums)


def event_ids(kind: str, mmsi: I64, mmsi_2: I64 | None, start_ms: I64) -> list[str]:
    """Stable ids: the same event found again (another run, another node) keeps its id."""
    other = mmsi_2 if mmsi_2 is not None else np.full(mmsi.size, -1)
    return [
        str(uuid.uuid5(_NAMESPACE, f"{kind}|{a}|{b}|{s}"))
        for a, b, s in zip(mmsi.tolist(), other.tolist(), start_ms.tolist(), strict=True)
    ]


def make_events(
    kind: str,
    *,
    mmsi: I64,
    start: I64,
    end: I64,
    start_lat: F64,
    start_lon: F64,
    end_lat: F64,
    end_lon: F64,
    lat: F64,
    lon: F64,
    rule: str,
    thresholds: str,
    confidence: F64,
    mmsi_2: I64 | None = None,
    min_distance_m: F64 | None = None,
    median_distance_m: F64 | None = None,
    median_sog: F64 | None = None,
    median_sog_2: F64 | None = None,
) -> pa.Table:
    """An EVENTS table; distances from shore and port are filled in later, once for all."""
    n = mmsi.size

    def floats(values: F64 | None) -> pa.Array:
        if values is None:
            return pa.nulls(n, pa.float64())
        arr = np.asarray(values, dtype=np.float64)
        return pa.array(arr, mask=np.isnan(arr))

    def times(values: I64) -> pa.Array:
        return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.timestamp("ms", tz="UTC"))

    return pa.table(
        {
            "event_id": pa.array(event_ids(kind, mmsi, mmsi_2, start), pa.string()),
            "kind": pa.array([kind] * n, pa.string()),
            "mmsi": pa.array(mmsi.astype(np.int32)),
            "mmsi_2": (
                pa.nulls(n, pa.int32()) if mmsi_2 is None else pa.array(mmsi_2.astype(np.int32))
            ),
            "start": times(start),
            "end": times(end),
            "duration_h": pa.array((end - start) / 3_600_000.0),
            "start_lat": floats(start_lat),
            "start_lon": floats(start_lon),
            "end_lat": floats(end_lat),
            "end_lon": floats(end_lon),
            "lat": floats(lat),
            "lon": floats(lon),
            "min_distance_m": floats(min_distance_m),
            "median_distance_m": floats(median_distance_m),
            "median_sog": floats(median_sog),
            "median_sog_2": floats(median_sog_2),
            "shore_distance_km": pa.nulls(n, pa.float64()),
            "port_distance_km": pa.nulls(n, pa.float64()),
            "rule": pa.array([rule] * n, pa.string()),
            "thresholds": pa.array([thresholds] * n, pa.string()),
            "confidence": floats(np.clip(confidence, 0.0, 1.0)),
        },
        schema=EVENTS,
    )


def empty_events() -> pa.Table:
    return EVENTS.empty_table()


def to_geojson(events: pa.Table | pl.DataFrame) -> dict[str, object]:
    """A GeoJSON FeatureCollection: each event as a line from its start to its end position
    (a point when they coincide), with every column as a property."""
    df = events if isinstance(events, pl.DataFrame) else pl.from_arrow(events)
    assert isinstance(df, pl.DataFrame)
    features = []
    for row in df.iter_rows(named=True):  # events are few (thousands), not positions
        a = [row["start_lon"], row["start_lat"]]
        b = [row["end_lon"], row["end_lat"]]
        geometry: dict[str, object]
        if None in a or None in b:
            geometry = {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
        elif a == b:
            geometry = {"type": "Point", "coordinates": a}
        else:
            geometry = {"type": "LineString", "coordinates": [a, b]}
        props = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}
