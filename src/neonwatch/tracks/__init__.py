"""Stage 2, tracks: positions -> ordered, de-duplicated tracks, one per transmitter, and the
same tracks on a regular time grid.

Public surface: :func:`prepare` (or :func:`prepare_batches` for bounded memory),
:func:`assign_tracks`, :func:`resample`, :func:`concat_grids` and the
:class:`Positions` / :class:`Grid` column bundles they pass along. Every function is a pure
function of its input table: it knows nothing of files or of where it runs.
"""

from neonwatch.tracks.core import (
    Grid,
    Positions,
    assign_tracks,
    concat_grids,
    prepare,
    prepare_batches,
    resample,
)

__all__ = [
    "Grid",
    "Positions",
    "assign_tracks",
    "concat_grids",
    "prepare",
    "prepare_batches",
    "resample",
]
