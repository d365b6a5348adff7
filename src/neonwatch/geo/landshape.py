"""Natural Earth land as polygons, for a map's basemap with no tile server.

The packaged land is a 1/60° raster (``land.npz``, see ``geo/data/SOURCE.txt``). A map needs
shapes, at the detail its zoom can show: :func:`land_multipolygon` cuts the raster to a box,
coarsens it to ``cells_per_degree`` (a cell is land when most of its fine cells are), and
turns each row's runs of land into rectangles, merging a run with the identical run of the row
below. The result is small (the whole world at 1 cell per degree is a few thousand
rectangles) and exact to the cell; edges are stair-stepped at the chosen resolution.
"""

from __future__ import annotations

import math

import numpy as np

from neonwatch.geo import reference

#: Resolutions a caller may ask for: the divisors of the raster's 60 cells per degree.
RESOLUTIONS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)
MAX_CELLS = 2_000_000  # coarse cells in one answer: bounds the work and the size


def snap_resolution(wanted: float) -> int:
    """The largest allowed resolution not above ``wanted`` (at least 1)."""
    return max([r for r in RESOLUTIONS if r <= max(wanted, 1)])


def land_multipolygon(
    west: float, south: float, east: float, north: float, cells_per_degree: int = 1
) -> list[list[list[list[float]]]]:
    """GeoJSON MultiPolygon coordinates of the land in the box (degrees; ``west < east``, no
    crossing of the antimeridian), at ``cells_per_degree`` (one of :data:`RESOLUTIONS`).
    Raises ValueError for a box or resolution out of range, or too many cells."""
    if cells_per_degree not in RESOLUTIONS:
        raise ValueError(f"resolution {cells_per_degree}: one of {RESOLUTIONS}")
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValueError(
            f"bbox {west},{south},{east},{north}: want west<east in [-180, 180] and "
            "south<north in [-90, 90]"
        )
    grid = reference.land_grid()
    fine = grid.cells_per_degree
    block = fine // cells_per_degree
    # the box in coarse cells, widened to whole cells
    r0 = math.floor((south + 90) * cells_per_degree)
    r1 = math.ceil((north + 90) * cells_per_degree)
    c0 = math.floor((west + 180) * cells_per_degree)
    c1 = math.ceil((east + 180) * cells_per_degree)
    if (r1 - r0) * (c1 - c0) > MAX_CELLS:
        raise ValueError(
            f"{(r1 - r0) * (c1 - c0):,} cells at {cells_per_degree} per degree: over the limit "
            f"of {MAX_CELLS:,}; ask for a smaller box or a coarser resolution"
        )
    fr0, fr1, fc0, fc1 = r0 * block, r1 * block, c0 * block, c1 * block
    bits = grid.bits[fr0:fr1, fc0 // 8 : (fc1 + 7) // 8]
    cells = np.unpackbits(bits, axis=1)[:, fc0 % 8 : fc0 % 8 + (fc1 - fc0)]
    coarse = cells.reshape(r1 - r0, block, c1 - c0, block).mean(axis=(1, 3)) >= 0.5
    step = 1.0 / cells_per_degree
    rects: list[list[list[list[float]]]] = []
    open_runs: dict[tuple[int, int], int] = {}  # (start col, end col) -> first row

    def close(run: tuple[int, int], first: int, last: int) -> None:
        x0, x1 = -180 + (c0 + run[0]) * step, -180 + (c0 + run[1]) * step
        y0, y1 = -90 + (r0 + first) * step, -90 + (r0 + last) * step
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        rects.append([[[round(x, 4), round(y, 4)] for x, y in ring]])

    for row in range(coarse.shape[0]):
        edges = np.flatnonzero(np.diff(np.concatenate(([0], coarse[row].astype(np.int8), [0]))))
        runs = {(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)}
        for run in list(open_runs):
            if run not in runs:
                close(run, open_runs.pop(run), row)
        for run in runs:
            open_runs.setdefault(run, row)
    for run, first in open_runs.items():
        close(run, first, coarse.shape[0])
    return rects
