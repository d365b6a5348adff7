"""Hand-built vessel movements for detector tests: each scenario is a few straight legs.

Positions are generated exactly (no noise unless asked) so that a test can state what a
correct detector must find, e.g. two ships 170 m apart for 3 h at 0.5 kn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import polars as pl

T0 = datetime(2024, 3, 1, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)
HOUR_MS = 3_600_000
M_PER_DEG = 111_195.0


@dataclass
class Traffic:
    rows: list[tuple[int, int, float, float, float]] = field(default_factory=list)

    def leg(
        self,
        mmsi: int,
        start_h: float,
        end_h: float,
        lat: float,
        lon: float,
        knots: float = 0.0,
        course_deg: float = 0.0,
        every_s: float = 60.0,
    ) -> tuple[float, float]:
        """Positions from ``start_h`` to ``end_h`` (hours after T0) sailing a constant course
        from (lat, lon); returns where the leg ends."""
        t = np.arange(start_h * 3600, end_h * 3600, every_s)
        dist_m = knots * 1852 / 3600 * (t - start_h * 3600)
        dlat = dist_m * math.cos(math.radians(course_deg)) / M_PER_DEG
        dlon = (
            dist_m * math.sin(math.radians(course_deg)) / (M_PER_DEG * math.cos(math.radians(lat)))
        )
        lats = lat + dlat
        lons = (lon + dlon + 180) % 360 - 180
        for ti, la, lo in zip(t, lats, lons, strict=True):
            self.rows.append((mmsi, T0_MS + int(ti * 1000), float(la), float(lo), knots))
        total = knots * 1852 / 3600 * (end_h - start_h) * 3600
        end_lat = lat + total * math.cos(math.radians(course_deg)) / M_PER_DEG
        end_lon = lon + total * math.sin(math.radians(course_deg)) / (
            M_PER_DEG * math.cos(math.radians(lat))
        )
        return end_lat, (end_lon + 180) % 360 - 180

    def point(self, mmsi: int, at_h: float, lat: float, lon: float, knots: float = 10.0) -> None:
        self.rows.append((mmsi, T0_MS + int(at_h * HOUR_MS), lat, lon, knots))

    def frame(self) -> pl.DataFrame:
        df = pl.DataFrame(self.rows, schema=["mmsi", "ts", "lat", "lon", "sog"], orient="row")
        return df.with_columns(
            pl.col("mmsi").cast(pl.Int32),
            pl.col("ts").cast(pl.Datetime("ms", "UTC")),
            pl.col("sog").cast(pl.Float32),
        )


def metres_north(lat: float, metres: float) -> float:
    return lat + metres / M_PER_DEG
