"""The geographic reference data, loaded once and lazily from the package.

The files in ``neonwatch/geo/data`` are made by ``scripts/build_geo_reference.py`` from the
originals (Natural Earth, GFW anchorages, World Port Index; see ``data/SOURCE.txt``), so the
detectors work on a fresh machine without the shared data folder. Everything here is cached
with ``functools.cache``: the first shore-distance call costs about a second (densifying the
coastline and bucketing 1.2 million points), later ones nothing.
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

from neonwatch.geo._index import PointIndex, build_index
from neonwatch.geo.sphere import EARTH_RADIUS_KM, unit_vectors

#: Coastline vertices are at most this far apart after densifying (km). With the distance to
#: the two segments either side of the nearest vertex, shore distances are then exact to
#: metres near the coast; without, they would be up to half of this too long.
COAST_SPACING_KM = 1.0
#: Bucket size of the search grids (degrees): small enough that a query near the coast scans
#: a few dozen points, large enough that a query 100 km out crosses only some 15 rows of them.
BUCKET_DEG = 0.125
#: Quantum of the stored coordinates (degrees): 1e-5° is 1.1 m, far below Natural Earth 10m's
#: own accuracy, and small integer steps compress well.
COORD_QUANTUM = 1e-5

F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]


def _data(name: str) -> bytes:
    return resources.files("neonwatch.geo").joinpath("data", name).read_bytes()


def _npz(name: str) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(_data(name))) as z:
        return {k: z[k] for k in z.files}


def coastline_vertices() -> tuple[F64, F64, I32]:
    """Latitudes, longitudes (degrees) and line lengths (vertex counts) of the Natural Earth
    10m coastline and minor-island outlines, as stored."""
    z = _npz("coastline.npz")
    lat = np.cumsum(z["dlat"].astype(np.int64)).astype(np.float64) * COORD_QUANTUM
    lon = np.cumsum(z["dlon"].astype(np.int64)).astype(np.float64) * COORD_QUANTUM
    return lat, lon, z["line_len"].astype(np.int32)


def densify(
    lat: F64, lon: F64, line_len: I32, max_km: float = COAST_SPACING_KM
) -> tuple[F64, npt.NDArray[np.bool_]]:
    """Unit vectors of the polylines with extra points so no two neighbours are more than
    ``max_km`` apart, and for each whether it joins the next one along the same line.

    Interpolating the 3D vectors (then normalising) follows the great circle, so segments that
    touch the 180th meridian need no special case.
    """
    v = unit_vectors(lat, lon)
    n = v.shape[0]
    ends = np.cumsum(line_len) - 1
    joins = np.ones(n, dtype=bool)
    joins[ends] = False
    seg_km = np.linalg.norm(v[1:] - v[:-1], axis=1) * EARTH_RADIUS_KM
    valid = joins[:-1]
    parts = np.where(valid, np.maximum(np.ceil(seg_km / max_km), 1.0), 1.0).astype(np.int64)
    src = np.repeat(np.arange(n - 1), parts)
    step = np.arange(src.size) - np.repeat(np.cumsum(parts) - parts, parts)
    frac = np.where(valid[src], step / parts[src], 0.0)
    d = v[src] + frac[:, None] * (v[src + 1] - v[src])
    out = np.concatenate([d, v[-1:]])
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out, np.concatenate([valid[src], [False]])


@cache
def _nodes() -> dict[str, np.ndarray]:
    """The 0.25° node grids of nearest coast point (densified order) and nearest port (table
    row), computed exactly by the build script."""
    return _npz("nodes.npz")


@cache
def coast() -> PointIndex:
    """The coastline search index (built on first use, about a second)."""
    lat, lon, line_len = coastline_vertices()
    v, joins = densify(lat, lon, line_len)
    nodes = _nodes()
    if int(nodes["coast_points"]) != v.shape[0]:
        raise ValueError("coastline and node grid disagree: rebuild the geo reference")
    plat = np.degrees(np.arcsin(np.clip(v[:, 2], -1.0, 1.0)))
    plon = np.degrees(np.arctan2(v[:, 1], v[:, 0]))
    return build_index(
        v, plat, plon, BUCKET_DEG, nodes["coast_nearest"], float(nodes["step_deg"]), joins
    )


@cache
def port_table() -> pl.DataFrame:
    """Ports and anchorages: name, iso3, lat, lon, source ("wpi" or "gfw_anchorage")."""
    return pl.read_parquet(io.BytesIO(_data("ports.parquet")))


@cache
def port_index() -> PointIndex:
    """Search index over every port and anchorage in :func:`port_table` (row order kept in
    ``order``)."""
    t = port_table()
    lat = t["lat"].to_numpy().astype(np.float64)
    lon = t["lon"].to_numpy().astype(np.float64)
    nodes = _nodes()
    return build_index(
        unit_vectors(lat, lon), lat, lon, BUCKET_DEG, nodes["port_nearest"],
        float(nodes["step_deg"]),
    )  # fmt: skip


@cache
def port_names() -> npt.NDArray[np.object_]:
    """Port names in :func:`port_table` row order, as an object array for fancy indexing."""
    return np.asarray(port_table()["name"].to_list(), dtype=object)


class LandGrid(NamedTuple):
    """Natural Earth 10m land (with minor islands), one bit per cell, rows from 90°S and
    columns from 180°W, ``cells_per_degree`` each way; a cell is land if its centre is."""

    bits: npt.NDArray[np.uint8]
    cells_per_degree: int


@cache
def land_grid() -> LandGrid:
    z = _npz("land.npz")
    return LandGrid(np.ascontiguousarray(z["bits"]), int(z["cells_per_degree"]))
