"""Trajectories as piecewise-linear plans, and their rendering into AIS position reports.

A vessel's movement is planned as knots (time, lat, lon) joined by straight segments, each
segment tagged with what the ship is doing (sailing, moored, anchored, drifting, fishing).
Planning is a short Python loop per vessel (tens of knots each); rendering the millions of
reports is vectorised over every segment of every vessel at once: the reporting interval of
a segment follows ITU-R M.1371 from the ship's class, speed and status, the reports of a
segment are an arithmetic series, and positions are interpolated along the segment.

Longitudes are planned unwrapped (continuous across the 180th meridian, so 179.9 E to
179.9 W is a 0.2 degree step, not 359.8) and wrapped into [-180, 180) only when rendered.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from neonwatch import geo

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0
KNOT_MS = 1852.0 / 3600.0

# What a segment is: decides the reporting interval and the navigational status.
MOVING, MOORED, ANCHORED, DRIFT, FISHING = 0, 1, 2, 3, 4

# ITU-R M.1371-5 Table 1 (class A autonomous reporting intervals) and Table 2 (class B "CS").
CLASS_A_STATIONARY_S = 180.0  # at anchor or moored, not moving faster than 3 kn
CLASS_A_SLOW_S = 10.0  # 0-14 kn
CLASS_A_FAST_S = 6.0  # 14-23 kn
CLASS_A_VERY_FAST_S = 2.0  # > 23 kn
CLASS_A_SLOW_MAX_KN = 14.0
CLASS_A_FAST_MAX_KN = 23.0
CLASS_B_MOVING_S = 30.0  # class B CS above 2 kn
CLASS_B_STATIONARY_S = 180.0  # class B CS at 2 kn or less
CLASS_B_SLOW_KN = 2.0

# AIS navigational status codes (ITU-R M.1371 message 1, field "navigational status").
NAV_UNDER_WAY, NAV_AT_ANCHOR, NAV_MOORED, NAV_FISHING = 0, 1, 5, 7
_NAV_BY_MODE = np.array([NAV_UNDER_WAY, NAV_MOORED, NAV_AT_ANCHOR, NAV_UNDER_WAY, NAV_FISHING])

GPS_NOISE_M = 10.0  # standard deviation of each horizontal coordinate (typical SPS GNSS fix)
SOG_NOISE_KN = 0.1  # the resolution of the SOG field, and about the scatter of real reports
COG_NOISE_DEG = 1.0
HEADING_NOISE_DEG = 2.0
GREAT_CIRCLE_PIECE_M = 50_000.0  # linear in lat/lon over 50 km stays within ~50 m of it
TIME_JITTER_S = 0.3  # reports are not exactly periodic (slot selection, receiver latency)


def path_length_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Length of the straight segment in (lat, lon) that rendering interpolates along.

    Plans time their segments with the length of the path the reports actually follow
    (linear in latitude and unwrapped longitude), so reported speed and the speed implied
    by consecutive positions agree.
    """
    mid = math.radians((lat1 + lat2) / 2.0)
    dy = lat2 - lat1
    dx = (lon2 - lon1) * math.cos(mid)
    return M_PER_DEG * math.hypot(dx, dy)


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point ``north_m`` north and ``east_m`` east of (lat, lon), lon left unwrapped."""
    return (
        lat + north_m / M_PER_DEG,
        lon + east_m / (M_PER_DEG * math.cos(math.radians(lat))),
    )


def unwrap_near(lon: float, ref: float) -> float:
    """``lon`` plus a multiple of 360 so that it is within 180 degrees of ``ref``."""
    return ref + ((lon - ref + 180.0) % 360.0 - 180.0)


def wrap(lon: F64) -> F64:
    """Longitude in [-180, 180)."""
    return (lon + 180.0) % 360.0 - 180.0


@dataclass
class Plan:
    """Knots of one vessel's trajectory; ``mode[i]`` describes the segment from knot i to i+1."""

    t: list[float] = field(default_factory=list)  # seconds since the simulation start
    lat: list[float] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)  # unwrapped
    mode: list[int] = field(default_factory=list)

    @property
    def now(self) -> float:
        return self.t[-1]

    @property
    def here(self) -> tuple[float, float]:
        return self.lat[-1], self.lon[-1]

    def position_at(self, t: F64) -> tuple[F64, F64]:
        """Planned (lat, unwrapped lon) at times ``t`` (clamped to the plan's span)."""
        knots_t = np.asarray(self.t)
        return np.interp(t, knots_t, self.lat), np.interp(t, knots_t, self.lon)

    def mode_at(self, t: float) -> int:
        i = int(np.searchsorted(np.asarray(self.t), t, side="right")) - 1
        return self.mode[min(max(i, 0), len(self.mode) - 1)] if self.mode else MOORED


@functools.lru_cache(maxsize=65_536)
def _great_circle_inner(
    lat0: float, lon0: float, lat1: float, lon1: float
) -> tuple[tuple[float, float], ...]:
    """Inner points cutting a leg into pieces of at most :data:`GREAT_CIRCLE_PIECE_M` along
    its great circle (cached: ships share the lanes between waypoints)."""
    pieces = int(path_length_m(lat0, lon0, lat1, lon1) // GREAT_CIRCLE_PIECE_M) + 1
    if pieces < 2:
        return ()
    lats, lons = geo.sea_route(lat0, lon0, lat1, lon1, pieces + 1)
    return tuple(zip(lats[1:-1].tolist(), lons[1:-1].tolist(), strict=True))


class PlanBuilder:
    """Appends knots to a :class:`Plan`, one manoeuvre at a time."""

    def __init__(self, t: float, lat: float, lon: float) -> None:
        self.plan = Plan([t], [lat], [lon], [])

    @property
    def now(self) -> float:
        return self.plan.now

    @property
    def here(self) -> tuple[float, float]:
        return self.plan.here

    def _add(self, t: float, lat: float, lon: float, mode: int) -> None:
        if t <= self.plan.now:  # a zero-length step: keep the plan strictly increasing
            self.plan.lat[-1], self.plan.lon[-1] = lat, lon
            return
        self.plan.t.append(t)
        self.plan.lat.append(lat)
        self.plan.lon.append(lon)
        self.plan.mode.append(mode)

    def sail(self, lat: float, lon: float, speed_kn: float, mode: int = MOVING) -> None:
        """Along the great circle to (lat, lon) at ``speed_kn``.

        Legs longer than :data:`GREAT_CIRCLE_PIECE_M` are cut into pieces along the great
        circle (``geo.sea_route``), the path ``geo.crosses_land`` checked: a straight line in
        latitude and longitude would bow up to several km off it over a few hundred km.
        """
        lat0, lon0 = self.here
        lon = unwrap_near(lon, lon0)
        # Legs keyed to ~100 m share their pieces (berth positions are jittered by more).
        inner = _great_circle_inner(round(lat0, 3), round(lon0, 3), round(lat, 3), round(lon, 3))
        for plat, plon in [*inner, (lat, lon)]:
            a, o = self.here
            plon = unwrap_near(plon, o)
            dt = path_length_m(a, o, plat, plon) / (speed_kn * KNOT_MS)
            self._add(self.now + dt, plat, plon, mode)

    def sail_path(self, lats: list[float], lons: list[float], speed_kn: float) -> None:
        for lat, lon in zip(lats, lons, strict=True):
            self.sail(lat, lon, speed_kn)

    def stay(self, duration_s: float, mode: int) -> None:
        lat, lon = self.here
        self._add(self.now + duration_s, lat, lon, mode)

    def stay_until(self, t: float, mode: int) -> None:
        if t > self.now:
            self.stay(t - self.now, mode)

    def drift(
        self,
        duration_s: float,
        speed_kn: float,
        heading_deg: float,
        rng: np.random.Generator,
        turn_sd_deg: float = 15.0,
        step_s: float = 600.0,
        mode: int = DRIFT,
    ) -> tuple[F64, F64, F64]:
        """Drift for ``duration_s`` at about ``speed_kn``, the heading wandering by
        ``turn_sd_deg`` per step; returns the knots (t, lat, lon) it added, start included,
        so that a partner can copy them."""
        steps = max(1, math.ceil(duration_s / step_s))
        dt = duration_s / steps
        turns = rng.normal(0.0, turn_sd_deg, steps) if turn_sd_deg > 0 else np.zeros(steps)
        headings = np.radians(heading_deg + np.cumsum(turns))
        dist = speed_kn * KNOT_MS * dt
        lat0, lon0 = self.here
        t0 = self.now
        ts, lats, lons = [t0], [lat0], [lon0]
        lat, lon = lat0, lon0
        for k in range(steps):
            lat, lon = offset(lat, lon, dist * math.cos(headings[k]), dist * math.sin(headings[k]))
            ts.append(t0 + (k + 1) * dt)
            lats.append(lat)
            lons.append(lon)
            self._add(ts[-1], lat, lon, mode)
        return np.array(ts), np.array(lats), np.array(lons)

    def follow(self, ts: F64, lats: F64, lons: F64, mode: int) -> None:
        """Follow given knots (e.g. a partner's drift shifted by a fixed offset)."""
        for t, lat, lon in zip(ts.tolist(), lats.tolist(), lons.tolist(), strict=True):
            self._add(t, lat, unwrap_near(lon, self.here[1]), mode)


@dataclass
class Rendered:
    """Reports of every vessel, sorted by vessel then time."""

    vessel: I64  # index into the list of plans
    t_ms: I64  # ms since the simulation start
    lat: F64
    lon: F64  # wrapped
    sog: npt.NDArray[np.float32]
    cog: npt.NDArray[np.float32]
    heading: npt.NDArray[np.int16]  # -1 where not available
    nav_status: npt.NDArray[np.int8]  # -1 where not available

    def bounds(self, vessel: int) -> tuple[int, int]:
        """Index range of one vessel's reports."""
        lo = int(np.searchsorted(self.vessel, vessel, side="left"))
        hi = int(np.searchsorted(self.vessel, vessel, side="right"))
        return lo, hi


def reporting_interval_s(class_a: npt.NDArray[np.bool_], speed_kn: F64, mode: I64) -> F64:
    """ITU-R M.1371 autonomous reporting interval of each segment."""
    stationary = (mode == MOORED) | (mode == ANCHORED)
    a = np.select(
        [stationary & (speed_kn <= 3.0), speed_kn <= CLASS_A_SLOW_MAX_KN],
        [CLASS_A_STATIONARY_S, CLASS_A_SLOW_S],
        np.where(speed_kn <= CLASS_A_FAST_MAX_KN, CLASS_A_FAST_S, CLASS_A_VERY_FAST_S),
    )
    b = np.where(speed_kn > CLASS_B_SLOW_KN, CLASS_B_MOVING_S, CLASS_B_STATIONARY_S)
    return np.where(class_a, a, b)


def _silenced(
    key: I64, windows: tuple[I64, F64, F64] | None, span_ms: int
) -> npt.NDArray[np.bool_]:
    """True for reports strictly inside any (vessel, start_s, end_s) silence window.

    ``key`` is vessel * (span_ms + 3) + time in ms, sorted: each window becomes an index
    range by two binary searches, and the ranges are painted with one cumulative sum, so the
    cost is one pass over the reports whatever the number of windows.
    """
    if windows is None or windows[0].size == 0:
        return np.zeros(key.size, dtype=bool)
    w_vessel, w0, w1 = windows
    k = span_ms + 3
    lo_ms = np.clip(np.round(np.asarray(w0) * 1000.0), -1, span_ms + 1).astype(np.int64)
    hi_ms = np.clip(np.round(np.asarray(w1) * 1000.0), -1, span_ms + 1).astype(np.int64)
    lo = np.searchsorted(key, w_vessel * k + lo_ms, side="right")  # a report at the start stays
    hi = np.searchsorted(key, w_vessel * k + hi_ms, side="left")
    hi = np.maximum(hi, lo)
    paint = np.bincount(lo, minlength=key.size + 1) - np.bincount(hi, minlength=key.size + 1)
    return np.cumsum(paint[:-1]) > 0


def render(
    plans: list[Plan],
    class_a: npt.NDArray[np.bool_],
    hours: float,
    thinning: int,
    rng: np.random.Generator,
    silences: tuple[I64, F64, F64] | None = None,
) -> Rendered:
    """Every report of every plan within [0, hours), thinned to every ``thinning``-th report.

    ``silences`` are (vessel, start_s, end_s) windows in which a vessel sends nothing (or is
    not heard): reception dropouts and planted gaps. A report exactly at a window's start
    is kept, so a gap's first edge is the last report at or before the window.
    """
    span = hours * 3600.0
    span_ms = round(span * 1000.0)
    counts = np.array([len(p.mode) for p in plans], dtype=np.int64)
    seg_vessel = np.repeat(np.arange(len(plans), dtype=np.int64), counts)
    t0 = np.concatenate([np.asarray(p.t[:-1]) for p in plans])
    t1 = np.concatenate([np.asarray(p.t[1:]) for p in plans])
    lat0 = np.concatenate([np.asarray(p.lat[:-1]) for p in plans])
    lat1 = np.concatenate([np.asarray(p.lat[1:]) for p in plans])
    lon0 = np.concatenate([np.asarray(p.lon[:-1]) for p in plans])
    lon1 = np.concatenate([np.asarray(p.lon[1:]) for p in plans])
    mode = np.concatenate([np.asarray(p.mode, dtype=np.int8) for p in plans])

    # Per segment: geometry, speed, course, reporting interval.
    cos_mid = np.cos(np.radians((lat0 + lat1) / 2.0))
    dlat, dlon = lat1 - lat0, lon1 - lon0
    dy = dlat * M_PER_DEG
    dx = dlon * M_PER_DEG * cos_mid
    dur = t1 - t0
    inv_dur = 1.0 / np.maximum(dur, 1e-9)
    speed = np.hypot(dx, dy) * inv_dur / KNOT_MS
    course = (np.degrees(np.arctan2(dx, dy)) % 360.0).astype(np.float32)
    seg_class_a = class_a[seg_vessel]
    step = reporting_interval_s(seg_class_a, speed, mode) * thinning
    lo = np.maximum(t0, 0.0)
    hi = np.minimum(t1, span)
    first = lo + rng.random(t0.size) * step
    n = np.where(hi > first, np.ceil((hi - first) / step).astype(np.int64), 0)  # [lo, hi)

    # Per report: its segment, time, and a strictly increasing time within each vessel.
    seg = np.repeat(np.arange(t0.size, dtype=np.int64), n)
    k = np.arange(seg.size, dtype=np.int64) - np.repeat(np.cumsum(n) - n, n)
    t = first[seg] + k * step[seg]
    t += rng.uniform(-TIME_JITTER_S, TIME_JITTER_S, t.size).astype(np.float32)
    np.clip(t, 0.0, span - 0.001, out=t)
    t_ms = np.round(t * 1000.0).astype(np.int64)
    vessel = seg_vessel[seg]
    # Jitter can tie or swap two reports at a segment boundary: keep the first.
    keep = np.ones(t.size, dtype=bool)
    keep[1:] = (vessel[1:] != vessel[:-1]) | (np.diff(t_ms) > 500)
    key = vessel * (span_ms + 3) + t_ms
    keep &= ~_silenced(key, silences, span_ms)
    seg, t, t_ms, vessel = seg[keep], t[keep], t_ms[keep], vessel[keep]
    m = t.size

    f = (t - t0[seg]) * inv_dur[seg]
    gps = GPS_NOISE_M / M_PER_DEG
    lat = lat0[seg] + f * dlat[seg] + rng.standard_normal(m, dtype=np.float32) * gps
    lon = lon0[seg] + f * dlon[seg]
    lon += rng.standard_normal(m, dtype=np.float32) * (gps / cos_mid)[seg]

    v = speed.astype(np.float32)[seg]
    moving = v > 0.05
    noise = rng.standard_normal(m, dtype=np.float32)
    sog = np.where(moving, np.maximum(v + noise * SOG_NOISE_KN, 0.0), np.abs(noise) * 0.05)
    sog = np.round(sog * 10.0) / 10.0
    # A stationary ship's course over ground is noise; its heading is where it lies.
    seg_course = course[seg]
    cog = seg_course + rng.standard_normal(m, dtype=np.float32) * np.where(
        v > 2.0, np.float32(COG_NOISE_DEG), np.float32(20.0)
    )
    still = np.flatnonzero(~moving)
    cog[still] = rng.uniform(0.0, 360.0, still.size)
    cog = np.round((cog % 360.0) * 10.0) / 10.0
    cog[cog >= 360.0] = 0.0
    still_heading = rng.uniform(0.0, 360.0, len(plans)).astype(np.float32)
    head = np.where(v > 2.0, seg_course, still_heading[vessel])
    head += rng.standard_normal(m, dtype=np.float32) * HEADING_NOISE_DEG
    a = seg_class_a[seg]
    # Small class B sets rarely give a heading; message 18 has no navigational status.
    heading = np.where(a, np.round(head).astype(np.int16) % 360, -1).astype(np.int16)
    nav = np.where(a, _NAV_BY_MODE[mode[seg]], -1).astype(np.int8)
    return Rendered(
        vessel=vessel,
        t_ms=t_ms,
        lat=lat,
        lon=wrap(lon),
        sog=sog.astype(np.float32),
        cog=cog.astype(np.float32),
        heading=heading,
        nav_status=nav,
    )
