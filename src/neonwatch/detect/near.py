"""Pairs of points within a distance of each other, found with a k-d tree on 3D unit vectors
(exact on the sphere, and the 180th meridian is no edge), never by comparing all with all."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from neonwatch.detect.events import F64, I64
from neonwatch.geo import km_to_chord, unit_vectors


def pairs_within(
    lat_a: F64, lon_a: F64, lat_b: F64, lon_b: F64, radius_m: float
) -> tuple[I64, I64]:
    """Every (i, j) with point i of A and point j of B at most ``radius_m`` apart."""
    if lat_a.size == 0 or lat_b.size == 0:
        e = np.zeros(0, np.int64)
        return e, e
    found = cKDTree(unit_vectors(lat_a, lon_a)).sparse_distance_matrix(
        cKDTree(unit_vectors(lat_b, lon_b)),
        float(km_to_chord(radius_m / 1000)),
        output_type="ndarray",
    )
    return found["i"].astype(np.int64), found["j"].astype(np.int64)
