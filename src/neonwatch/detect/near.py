"""Pairs of points within a distance of each other, found with a k-d tree on 3D unit vectors
(exact on the sphere, and the 180th meridian is no edge), never by comparing all with all."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from neonwatch.detect.events import F64, I64

EARTH_RADIUS_M = 6_371_008.8


def unit_vectors(lat: F64, lon: F64) -> F64:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def pairs_within(
    lat_a: F64, lon_a: F64, lat_b: F64, lon_b: F64, radius_m: float
) -> tuple[I64, I64]:
    """Every (i, j) with point i of A and point j of B at most ``radius_m`` apart."""
    if lat_a.size == 0 or lat_b.size == 0:
        e = np.zeros(0, np.int64)
        return e, e
    chord = 2 * np.sin(radius_m / (2 * EARTH_RADIUS_M))
    found = cKDTree(unit_vectors(lat_a, lon_a)).sparse_distance_matrix(
        cKDTree(unit_vectors(lat_b, lon_b)), chord, output_type="ndarray"
    )
    return found["i"].astype(np.int64), found["j"].astype(np.int64)
