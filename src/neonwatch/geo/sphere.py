"""Distances and paths on a spherical Earth.

A sphere of mean radius (IUGG R1 = 6,371,008.8 m) is within 0.5% of the WGS 84 ellipsoid for
any distance, which is far finer than AIS positions or a 500 m encounter rule need, and unlike
the ellipsoid it has closed-form, vectorisable formulas. Everything here works in 3D unit
vectors or in the haversine form, so nothing breaks at the 180th meridian.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_M = 6_371_008.8
EARTH_RADIUS_KM = EARTH_RADIUS_M / 1000.0

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


def haversine_m(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> FloatArray:
    """Great-circle distance in metres between (lat1, lon1) and (lat2, lon2), in degrees.

    Broadcasts like NumPy. The haversine form stays accurate for the short hops that matter
    most here (metres to kilometres between successive AIS positions), where the spherical
    law of cosines loses precision, and it depends on the longitude difference only through
    sin², so 179.9°E to 179.9°W is 22 km, not 40,000 km.
    """
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    h = np.sin(dp * 0.5) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl * 0.5) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def unit_vectors(lat: ArrayLike, lon: ArrayLike) -> FloatArray:
    """(..., 3) unit vectors of positions in degrees: the chord between two of them depends
    on the great-circle distance alone, so Euclidean geometry on them needs no wrap-around."""
    p = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    c = np.cos(p)
    return np.stack([c * np.cos(lam), c * np.sin(lam), np.sin(p)], axis=-1)


def to_lat_lon(v: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Latitudes and longitudes (degrees, longitude in [-180, 180]) of (..., 3) vectors, which
    need not be normalised."""
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    lat = np.degrees(np.arctan2(z, np.hypot(x, y)))
    lon = np.degrees(np.arctan2(y, x))
    return lat, lon


def chord_to_km(chord: ArrayLike) -> FloatArray:
    """Arc length in km on the Earth of a chord between unit vectors."""
    c = np.asarray(chord, dtype=np.float64)
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(c * 0.5, 0.0, 1.0)))


def km_to_chord(km: ArrayLike) -> FloatArray:
    """Chord between unit vectors whose arc on the Earth is ``km`` long."""
    a = np.asarray(km, dtype=np.float64) / EARTH_RADIUS_KM
    return np.asarray(2.0 * np.sin(np.clip(a, 0.0, np.pi) * 0.5))


def great_circle(
    lat1: float, lon1: float, lat2: float, lon2: float, n: int
) -> tuple[FloatArray, FloatArray]:
    """``n`` points (both ends included) evenly spaced along the shorter great circle.

    Interpolating the unit vectors (slerp) instead of latitude and longitude keeps the path
    straight on the globe and correct across the antimeridian: 170°E to 170°W goes 20° east
    over 180°, not 340° west. Longitudes come back in [-180, 180]. Antipodal ends have no
    single shortest path and raise ``ValueError``.
    """
    if n < 2:
        raise ValueError("a path needs n >= 2 points")
    a = unit_vectors(lat1, lon1)
    b = unit_vectors(lat2, lon2)
    omega = float(np.arccos(np.clip(np.dot(a, b), -1.0, 1.0)))
    t = np.linspace(0.0, 1.0, n)
    if omega < 1e-12:
        v = np.broadcast_to(a, (n, 3)).copy()
    elif np.pi - omega < 1e-9:
        raise ValueError("antipodal points: the great circle between them is not unique")
    else:
        s = np.sin(omega)
        v = (np.sin((1.0 - t) * omega) / s)[:, None] * a + (np.sin(t * omega) / s)[:, None] * b
    lat, lon = to_lat_lon(v)
    lat[0], lon[0], lat[-1], lon[-1] = lat1, _wrap(lon1), lat2, _wrap(lon2)
    return lat, lon


def _wrap(lon: float) -> float:
    """Longitude in [-180, 180)."""
    return (lon + 180.0) % 360.0 - 180.0
