"""Distance to the nearest port or anchorage.

An encounter inside a port or anchorage is cargo work, not a covert transfer: GFW counts one
only 10 km or more from any anchorage. The reference holds the World Port Index (3,669 ports)
and 60,408 of GFW's 60,410 named anchorages (two rows are invalid), which cover the Korean,
Chinese and Russian coasts around North Korea.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from neonwatch.geo import reference
from neonwatch.geo._index import nearest

#: Positions that may be nearer a port than this get the exact search, farther ones the best
#: node-grid candidate (see ``_index``); the rule that matters is 10 km.
PORT_EXACT_KM = 100.0


def ports() -> pl.DataFrame:
    """Every port and anchorage: name, iso3, lat, lon, source ("wpi" or "gfw_anchorage").

    WPI rows come first; the simulator uses them as route ends. The same (cached) frame is
    returned each time.
    """
    return reference.port_table()


def port_distance_km(lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Great-circle distance (km) from each position to the nearest port or anchorage point.

    Exact within 100 km of one; beyond, exact but for contrived geometry (see ``_index``).
    NaN in, or |lat| > 90, gives NaN. Some 3 million positions a second on one core.
    """
    la, lo = np.broadcast_arrays(np.asarray(lat, np.float64), np.asarray(lon, np.float64))
    km, _ = nearest(reference.port_index(), la, lo, PORT_EXACT_KM)
    return km.reshape(la.shape)


def nearest_port(
    lat: npt.ArrayLike, lon: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.object_]]:
    """Distance (km) to, and name of, the nearest port or anchorage for each position, for
    reports ("38 km SE of Shanghai"), with the accuracy of :func:`port_distance_km`. Invalid
    positions give NaN and None."""
    la, lo = np.broadcast_arrays(np.asarray(lat, np.float64), np.asarray(lon, np.float64))
    index = reference.port_index()
    km, k = nearest(index, la, lo, PORT_EXACT_KM)
    names = np.full(k.size, None, dtype=object)
    found = k >= 0
    names[found] = reference.port_names()[index.order[k[found]]]
    return km.reshape(la.shape), names.reshape(la.shape)
