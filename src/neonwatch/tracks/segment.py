"""Split each MMSI's positions into tracks, one per physical transmitter.

Two ships sharing an MMSI, or a spoofed position, show up as consecutive positions no ship
could connect: an implied speed above ``max_speed_kn`` over more than ``min_jump_km``
(GPS noise over a few seconds can imply any speed over a few metres, so short hops never
count). Like Global Fishing Watch's segmenter, each position joins an open track it fits (the one
heard from most recently), or opens a new one; at most ``MAX_OPEN`` tracks stay open per MMSI.

The assignment is sequential within an MMSI (each position depends on where the previous
ones went), so it is one compiled pass over the sorted positions rather than NumPy.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

MAX_OPEN = 4
EARTH_RADIUS_M = 6_371_008.8
KNOT_MS = 1852.0 / 3600.0


@numba.njit(cache=True, nogil=True)
def _dist_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance: within 0.5% of the great circle up to a few hundred km,
    which is all a 'could the ship have got there' test needs, at a third of the cost."""
    dl = lon2 - lon1
    if dl > 180.0:
        dl -= 360.0
    elif dl < -180.0:
        dl += 360.0
    x = np.radians(dl) * np.cos(np.radians(0.5 * (lat1 + lat2)))
    y = np.radians(lat2 - lat1)
    return EARTH_RADIUS_M * np.sqrt(x * x + y * y)


@numba.njit(cache=True, nogil=True)
def _segment(
    mmsi: npt.NDArray[np.int64],
    ts_s: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    max_speed_ms: float,
    min_jump_m: float,
    stale_s: float,
    out: npt.NDArray[np.int64],
) -> int:
    """Write a track number (unique over the input) for each position; returns the count."""
    n_tracks = 0
    open_track = np.full(MAX_OPEN, -1, np.int64)
    last_t = np.zeros(MAX_OPEN)
    last_lat = np.zeros(MAX_OPEN)
    last_lon = np.zeros(MAX_OPEN)
    size = np.zeros(MAX_OPEN, np.int64)
    for i in range(mmsi.size):
        if i == 0 or mmsi[i] != mmsi[i - 1]:
            open_track[:] = -1
        best, best_cost = -1, np.inf
        stale, stale_size = -1, -1
        for k in range(MAX_OPEN):
            if open_track[k] < 0:
                continue
            dt = ts_s[i] - last_t[k]
            d = _dist_m(last_lat[k], last_lon[k], lat[i], lon[i])
            if d <= min_jump_m or d <= max_speed_ms * max(dt, 1.0):
                # Of the tracks the position could continue, the one heard from last: a ship's
                # own track is heard every few seconds, a stray spoofed position's never again
                # (preferring the lowest implied speed instead lets the stray track capture
                # the ship hours later, when the ship sails past where the stray point was).
                cost = dt
                if cost < best_cost:
                    best, best_cost = k, cost
            elif dt > stale_s and size[k] > stale_size:
                stale, stale_size = k, size[k]
        if best < 0 and stale >= 0:
            # After a long silence the ship may be anywhere: it resumes its main track (the
            # one with most positions), never a stray spoofed position's.
            best = stale
        if best < 0:  # open a new track, replacing the one heard from least recently
            best = 0
            for k in range(MAX_OPEN):
                if open_track[k] < 0:
                    best = k
                    break
                if last_t[k] < last_t[best]:
                    best = k
            open_track[best] = n_tracks
            size[best] = 0
            n_tracks += 1
        out[i] = open_track[best]
        size[best] += 1
        last_t[best] = ts_s[i]
        last_lat[best] = lat[i]
        last_lon[best] = lon[i]
    return n_tracks


def segment(
    mmsi: npt.NDArray[np.int64],
    ts_s: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    max_speed_kn: float,
    min_jump_km: float,
    stale_h: float,
) -> npt.NDArray[np.int64]:
    """Track number of each position (input sorted by MMSI, then time).

    After ``stale_h`` without a report any position may continue a track (a ship can sail
    anywhere in that time, and a long gap is a gap, not a second transmitter).
    """
    out = np.empty(mmsi.size, dtype=np.int64)
    _segment(
        np.ascontiguousarray(mmsi, dtype=np.int64),
        np.ascontiguousarray(ts_s, dtype=np.float64),
        np.ascontiguousarray(lat, dtype=np.float64),
        np.ascontiguousarray(lon, dtype=np.float64),
        max_speed_kn * KNOT_MS,
        min_jump_km * 1000.0,
        stale_h * 3600.0,
        out,
    )
    return out
