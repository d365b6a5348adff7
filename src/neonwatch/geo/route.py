"""Great-circle routes and whether a path crosses land (for the traffic simulator)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from neonwatch.geo.shore import land_mask
from neonwatch.geo.sphere import EARTH_RADIUS_KM, great_circle, to_lat_lon, unit_vectors

#: Spacing of the land checks along a path (km): under the land grid's 1.85 km cell, so a
#: path cannot step over a cell of land.
CHECK_SPACING_KM = 1.0


def sea_route(
    lat1: float, lon1: float, lat2: float, lon2: float, n: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``n`` waypoints (ends included) along the great circle from (lat1, lon1) to (lat2, lon2).

    Correct across the antimeridian (longitudes in [-180, 180]). It does not steer around land:
    check with :func:`crosses_land` and add waypoints where it does.
    """
    return great_circle(lat1, lon1, lat2, lon2, n)


def crosses_land(lats: npt.ArrayLike, lons: npt.ArrayLike, ignore_ends_km: float = 0.0) -> bool:
    """Whether the path through these waypoints (great-circle legs) touches land, sampled
    every kilometre on the :func:`land_mask` grid.

    ``ignore_ends_km`` skips that much at each end of the path, since port positions often
    sit on a land cell themselves.
    """
    v = unit_vectors(lats, lons).reshape(-1, 3)
    if v.shape[0] == 0:
        return False
    if v.shape[0] == 1:
        return bool(land_mask(*to_lat_lon(v)).any()) and ignore_ends_km <= 0.0
    chord = np.linalg.norm(v[1:] - v[:-1], axis=1)
    leg_km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))
    parts = np.maximum(np.ceil(leg_km / CHECK_SPACING_KM), 1).astype(np.int64)
    leg = np.repeat(np.arange(parts.size), parts)
    frac = (np.arange(leg.size) - np.repeat(np.cumsum(parts) - parts, parts)) / parts[leg]
    # Chord interpolation then normalising follows the great circle (legs under 180°).
    pts = v[leg] + frac[:, None] * (v[leg + 1] - v[leg])
    pts = np.concatenate([pts, v[-1:]])
    start = np.concatenate([[0.0], np.cumsum(leg_km)])
    total = float(start[-1])
    along = np.append(start[leg] + frac * leg_km[leg], total)
    keep = (along >= ignore_ends_km) & (along <= total - ignore_ends_km)
    if not keep.any():
        return False
    lat, lon = to_lat_lon(pts[keep])
    return bool(land_mask(lat, lon).any())
