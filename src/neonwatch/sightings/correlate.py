"""Correlating a sighting with AIS: who was transmitting nearby, and who was seen but silent.

The AIS positions (ingest's POSITIONS: mmsi, ts, lat, lon) are cut to the sighting's time window
(``window_min`` either side of its time, or its whole UTC day widened by ``window_min`` when only
the date is known) and to a latitude band and a longitude box around the point, then
great-circle distances are computed for every remaining report at once (NumPy haversine) and
reduced per MMSI with polars: the closest report's distance and time, the last report at or
before the sighting time and the first at or after it. A vessel is *in range* when any report in
the window lies within ``radius_km``.

An observed vessel is *matched* when an in-range vessel shares its MMSI, its IMO or its canonical
name (:func:`neonwatch.screen.normalise_name`, compact, with the transliteration variants
folded); AIS positions carry only the MMSI, so IMO and name come from the vessels table when one
is given. An observed vessel that matches nobody in range transmitted nothing there: it is
*dark*. That is the finding a patrol report adds to the AIS picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from neonwatch.geo import haversine_m
from neonwatch.screen import normalise_name
from neonwatch.sightings.model import ObservedVessel, Sighting

DEFAULT_RADIUS_KM = 10.0
DEFAULT_WINDOW_MIN = 60.0
_KM_PER_DEG_LAT = 111.2


@dataclass
class Correlation:
    """The AIS picture around one sighting."""

    sighting_id: str
    radius_km: float
    window_min: float
    window_start: datetime | None
    window_end: datetime | None
    status: str  # "ok", or why nothing could be correlated ("no position")
    in_range: list[dict[str, Any]] = field(default_factory=list)  # one per MMSI, closest first
    matched: list[dict[str, Any]] = field(default_factory=list)  # observed vessel -> MMSI
    dark: list[dict[str, Any]] = field(default_factory=list)  # observed, no AIS in range

    def to_json(self) -> dict[str, Any]:
        """As stored with the sighting and printed by ``neonwatch sightings add --json``."""

        def iso(v: Any) -> Any:
            return v.isoformat() if isinstance(v, datetime) else v

        return {
            "sighting_id": self.sighting_id,
            "radius_km": self.radius_km,
            "window_min": self.window_min,
            "window_start": iso(self.window_start),
            "window_end": iso(self.window_end),
            "status": self.status,
            "in_range": [{k: iso(v) for k, v in r.items()} for r in self.in_range],
            "matched": self.matched,
            "dark": self.dark,
        }

    @property
    def dark_labels(self) -> list[str]:
        return [str(d["vessel"]) for d in self.dark]


def _frame(positions: pl.LazyFrame | pl.DataFrame | pa.Table) -> pl.LazyFrame:
    if isinstance(positions, pa.Table):
        return pl.from_arrow(positions).lazy()  # type: ignore[union-attr]
    if isinstance(positions, pl.DataFrame):
        return positions.lazy()
    return positions


def _lon_filter(lon: float, dlon: float) -> pl.Expr:
    if dlon >= 180.0:
        return pl.lit(True)
    lo, hi = lon - dlon, lon + dlon
    col = pl.col("lon")
    if lo < -180.0:
        return (col >= lo + 360.0) | (col <= hi)
    if hi > 180.0:
        return (col >= lo) | (col <= hi - 360.0)
    return col.is_between(lo, hi)


def _identities(vessels: pa.Table | pl.DataFrame | None, mmsis: list[int]) -> pl.DataFrame:
    """mmsi -> the IMOs and names it used (every identity row of the vessels table)."""
    empty = pl.DataFrame(
        {"mmsi": [], "imos": [], "names": []},
        schema={"mmsi": pl.Int64, "imos": pl.List(pl.Int64), "names": pl.List(pl.String)},
    )
    if vessels is None or not mmsis:
        return empty
    v = pl.from_arrow(vessels) if isinstance(vessels, pa.Table) else vessels
    assert isinstance(v, pl.DataFrame)
    cols = [c for c in ("mmsi", "imo", "name") if c in v.columns]
    if "mmsi" not in cols:
        return empty
    v = v.select(cols).with_columns(pl.col("mmsi").cast(pl.Int64))
    for c in ("imo", "name"):
        if c not in v.columns:
            v = v.with_columns(pl.lit(None, dtype=pl.Int64 if c == "imo" else pl.String).alias(c))
    return (
        v.filter(pl.col("mmsi").is_in(mmsis))
        .with_columns(pl.col("imo").cast(pl.Int64))
        .group_by("mmsi")
        .agg(
            pl.col("imo").drop_nulls().unique().alias("imos"),
            pl.col("name").drop_nulls().unique().alias("names"),
        )
    )


def _key(name: str | None) -> str | None:
    return normalise_name(name, compact=True) if name else None


def correlate(
    sighting: Sighting,
    positions: pl.LazyFrame | pl.DataFrame | pa.Table,
    *,
    radius_km: float = DEFAULT_RADIUS_KM,
    window_min: float = DEFAULT_WINDOW_MIN,
    vessels: pa.Table | pl.DataFrame | None = None,
) -> Correlation:
    """The AIS vessels within ``radius_km`` of the sighting during its window, and which of
    its observed vessels none of them was (dark). ``vessels`` (ingest's VESSELS) maps MMSI to
    IMO and name so that vessels reported by IMO or name can be matched."""
    if radius_km <= 0 or window_min < 0:
        raise ValueError("radius_km must be positive and window_min not negative")
    sid = str(sighting.id)
    pos = sighting.position
    if pos is None or pos.lat is None or pos.lon is None:
        return Correlation(
            sid,
            radius_km,
            window_min,
            None,
            None,
            "no position: the report gives no complete distance and bearing or lat/lon",
            dark=[],
        )
    lat, lon = pos.lat, pos.lon
    start, end = sighting.window(window_min)
    dlat = radius_km / _KM_PER_DEG_LAT * 1.05
    coslat = max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-6)
    dlon = min(180.0, dlat / coslat)
    near = (
        _frame(positions)
        .select("mmsi", "ts", "lat", "lon")
        .filter(
            pl.col("ts").is_between(
                pl.lit(start).cast(pl.Datetime("ms", "UTC")),
                pl.lit(end).cast(pl.Datetime("ms", "UTC")),
            )
            & pl.col("lat").is_between(lat - dlat, lat + dlat)
            & _lon_filter(lon, dlon)
        )
        .collect()
    )
    at = sighting.at
    in_range: list[dict[str, Any]] = []
    if near.height:
        d_km = haversine_m(lat, lon, near["lat"].to_numpy(), near["lon"].to_numpy()) / 1000.0
        near = near.with_columns(pl.Series("distance_km", np.asarray(d_km, dtype=np.float64)))
        ref = pl.lit(at).cast(pl.Datetime("ms", "UTC")) if at is not None else None
        aggs = [
            pl.col("distance_km").min().alias("distance_km"),
            pl.col("ts").sort_by("distance_km").first().alias("closest_time"),
            pl.col("ts").min().alias("first_time"),
            pl.col("ts").max().alias("last_time_in_window"),
            pl.len().alias("reports"),
        ]
        if ref is not None:
            aggs += [
                pl.col("ts").filter(pl.col("ts") <= ref).max().alias("last_before"),
                pl.col("ts").filter(pl.col("ts") >= ref).min().alias("next_after"),
            ]
        per = (
            near.group_by("mmsi")
            .agg(aggs)
            .filter(pl.col("distance_km") <= radius_km)
            .sort("distance_km")
        )
        ids = _identities(vessels, per["mmsi"].cast(pl.Int64).to_list())
        per = per.with_columns(pl.col("mmsi").cast(pl.Int64)).join(ids, on="mmsi", how="left")
        for r in per.iter_rows(named=True):
            in_range.append(
                {
                    "mmsi": int(r["mmsi"]),
                    "imo": (r["imos"] or [None])[0],
                    "name": (r["names"] or [None])[0],
                    "distance_km": round(float(r["distance_km"]), 3),
                    "closest_time": r["closest_time"],
                    "last_before": r.get("last_before") if at is not None else r["first_time"],
                    "next_after": r.get("next_after")
                    if at is not None
                    else r["last_time_in_window"],
                    "reports": int(r["reports"]),
                    "_imos": set(r["imos"] or []),
                    "_names": {_key(n) for n in (r["names"] or [])} - {None},
                }
            )
    matched, dark = _match(sighting.vessels, in_range)
    for r in in_range:
        r.pop("_imos")
        r.pop("_names")
    return Correlation(sid, radius_km, window_min, start, end, "ok", in_range, matched, dark)


def _match(
    observed: list[ObservedVessel], in_range: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    matched: list[dict[str, Any]] = []
    dark: list[dict[str, Any]] = []
    for i, v in enumerate(observed):
        names = {_key(v.name), _key(v.painted_name)} - {None}
        hit = None
        for r in in_range:
            if v.mmsi is not None and v.mmsi == r["mmsi"]:
                hit = (r, "mmsi")
            elif v.imo is not None and v.imo in r["_imos"]:
                hit = (r, "imo")
            elif names & r["_names"]:
                hit = (r, "name")
            if hit:
                break
        if hit:
            r, how = hit
            entry = {"vessel": v.label(), "index": i, "mmsi": r["mmsi"], "matched_on": how}
            matched.append(entry | {"distance_km": r["distance_km"]})
        else:
            dark.append({"vessel": v.label(), "index": i, "role": v.role})
    return matched, dark
