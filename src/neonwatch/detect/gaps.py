"""AIS gaps: a track silent for hours. Far from shore and long, a gap is likely deliberate.

Gaps are read from the tracks' own positions, not the time grid: the grid leaves long
silences empty, but the question here is exactly how long the silence was and where it
started and ended. Reception holes near busy coasts make short gaps common; the disabling
rule (Welch et al. 2022) therefore asks for both length and distance from shore.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from neonwatch.detect.config import Config
from neonwatch.detect.events import centroid, make_events
from neonwatch.detect.schema import Kind
from neonwatch.geo import shore_distance_km
from neonwatch.tracks import Positions

NM_KM = 1.852


def find_gaps(pos: Positions, config: Config) -> pa.Table:
    """One event per silence of at least ``gap.min_duration_h`` within a track: kind
    ``ais_disabling`` when it also meets that rule, else ``gap``."""
    if pos.size < 2:
        return make_events(Kind.GAP, **_no_rows(), rule="", thresholds="", confidence=np.zeros(0))
    same = pos.track[1:] == pos.track[:-1]
    dt = pos.ts[1:] - pos.ts[:-1]
    i = np.flatnonzero(
        same
        & (dt >= config.gap.min_duration_h * 3_600_000)
        & (dt <= config.gap.max_duration_h * 3_600_000)
    )
    j = i + 1
    shore = shore_distance_km(pos.lat[i], pos.lon[i])
    hours = dt[i] / 3_600_000.0
    dis = config.ais_disabling
    disabling = (hours >= dis.min_duration_h) & (shore >= dis.min_shore_distance_nm * NM_KM)
    tables = []
    for kind, pick in ((Kind.AIS_DISABLING, disabling), (Kind.GAP, ~disabling)):
        a, b = i[pick], j[pick]
        group = np.repeat(np.arange(a.size), 2)
        c_lat, c_lon = centroid(
            np.ravel(np.column_stack([pos.lat[a], pos.lat[b]])),
            np.ravel(np.column_stack([pos.lon[a], pos.lon[b]])),
            group,
            a.size,
        )
        if kind == Kind.AIS_DISABLING:
            rule = (
                f"likely AIS disabling: silent >= {dis.min_duration_h:g} h, starting "
                f">= {dis.min_shore_distance_nm:g} nm from shore"
            )
            thresholds = config.section_json("ais_disabling")
            confidence = 0.5 + 0.25 * np.minimum(hours[pick] / dis.min_duration_h - 1, 1)
            confidence += 0.25 * np.minimum(
                shore[pick] / (dis.min_shore_distance_nm * NM_KM) - 1, 1
            )
        else:
            rule = (
                f"gap: silent >= {config.gap.min_duration_h:g} h "
                f"(and <= {config.gap.max_duration_h:g} h)"
            )
            thresholds = config.section_json("gap")
            confidence = np.full(a.size, 0.5)
        tables.append(
            make_events(
                kind,
                mmsi=pos.mmsi[a],
                start=pos.ts[a],
                end=pos.ts[b],
                start_lat=pos.lat[a],
                start_lon=pos.lon[a],
                end_lat=pos.lat[b],
                end_lon=pos.lon[b],
                lat=c_lat,
                lon=c_lon,
                min_distance_m=None,
                rule=rule,
                thresholds=thresholds,
                confidence=confidence,
            )
        )
    return pa.concat_tables(tables)


def _no_rows() -> dict[str, np.ndarray]:
    i, f = np.zeros(0, np.int64), np.zeros(0)
    return {
        "mmsi": i,
        "start": i,
        "end": i,
        "start_lat": f,
        "start_lon": f,
        "end_lat": f,
        "end_lon": f,
        "lat": f,
        "lon": f,
    }
