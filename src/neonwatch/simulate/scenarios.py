"""Normal traffic and the planted events, each with the truth a correct detector should find.

How normal traffic is kept free of accidental events (checked on the positions by
``tests/test_simulate.py``):

* encounter, loitering: normal ships are slow only while berthed or anchored, and berths lie
  within :data:`~neonwatch.simulate.seas.BERTH_MAX_KM` of a port and
  :data:`~neonwatch.simulate.seas.BERTH_MAX_SHORE_KM` of shore, inside both exclusions.
  Under way they keep their service speed (fishing never below 3 kn, turning at most 90
  degrees per leg so a 10-minute grid never sees them stop). Anchorage crowds sit within
  3 km of a port: true negatives for the encounter rule.
* gap, ais_disabling: reception dropouts last minutes (:data:`DROPOUT_MAX_S`), far below the
  6 h gap rule and below the 1 h interpolation limit of the detectors' grid; every ship
  reports from the first to the last hour of the run.
* teleport, shared_mmsi: every MMSI is unique unless planted; noise is 10 m, so no hop
  between consecutive reports is more than a few hundred metres beyond the ship's speed.
* dark_rendezvous: needs a loiterer and a gap; only planted ships have either, at offshore
  sites at least :data:`SITE_SPACING_KM` apart and clear of every lane.

Planted events keep clear of the rules' other edges too: STS transfers last 2.5-3.5 h (not
the 4 h of loitering), loiterers 5-10 h alone, naive gaps 6.5-10 h (not the 12 h of AIS
disabling). Gap truth is measured on the rendered reports (the last report before and the
first after the silence), and its kind follows the rule applied to them, so a dropout that
happens to lengthen a planted gap cannot make the truth wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from neonwatch.detect.schema import Kind
from neonwatch.simulate import fleet
from neonwatch.simulate.fleet import Vessel
from neonwatch.simulate.motion import (
    ANCHORED,
    DRIFT,
    FISHING,
    MOORED,
    MOVING,
    Plan,
    PlanBuilder,
    offset,
    path_length_m,
)
from neonwatch.simulate.seas import (
    LANE_CLEARANCE_KM,
    SEA_MARGIN_M,
    Sea,
    at_sea,
    clear,
    min_dist_km,
    sample_segment,
    shore_km,
)

F64 = npt.NDArray[np.float64]
HOUR = 3600.0

# Detection defaults the truth must agree with (docs/DESIGN "Detection defaults").
GAP_MIN_H = 6.0  # GFW gaps
DISABLING_MIN_H = 12.0  # Welch et al. 2022
DISABLING_MIN_SHORE_KM = 50 * 1.852  # 50 nm, Welch et al. 2022
LOITER_MIN_SHORE_KM = 20 * 1.852  # GFW carrier loitering
ENCOUNTER_MIN_PORT_KM = 10.0  # GFW encounters

# Planted scenarios, with margins inside those rules.
EDGE_MARGIN_H = 1.5  # events start and end this far inside the run
STS_HOURS = (2.5, 3.5)  # long enough for an encounter (2 h), short of loitering (4 h)
STS_SEPARATION_M = (100.0, 300.0)
STS_DRIFT_KN = (0.2, 0.8)
STS_MIN_SHORE_KM = 100.0  # >= 50 nm offshore
ANTIMERIDIAN_HALF_SEPARATION_M = 100.0  # one ship either side of 180
LOITER_HOURS = (5.0, 10.0)
LOITER_DRIFT_KN = (0.3, 1.2)  # reported SOG stays below 2 kn with its noise
LOITER_MIN_SITE_SHORE_KM = 60.0  # >= 30 nm offshore
DARK_LOITER_HOURS = (6.0, 8.0)
DARK_LOITER_DRIFT_KN = (0.2, 0.6)  # stays within a few km of its centroid
DARK_GAP_HOURS = (12.5, 16.0)
DARK_GAP_DELAY_H = (0.5, 1.5)  # the partner goes dark this long after the loiterer stops
DARK_EDGE_KM = (3.0, 4.5)  # the partner's gap starts and ends this far from the loiterer
DARK_MIN_SHORE_KM = 115.0  # >= 60 nm offshore
DISABLING_HOURS = (14.0, 24.0)
DISABLING_MIN_SITE_SHORE_KM = 115.0  # >= 60 nm offshore
NAIVE_GAP_HOURS = (6.5, 10.0)
NAIVE_GAP_MAX_SHORE_KM = 70.0  # < 40 nm (74 km) from shore
NAIVE_GAP_SPACING_KM = 30.0  # between the starts of two naive gaps (the rendezvous rule
# pairs two gaps starting and ending within 10 km of each other)
SHARED_HOURS = (3.0, 10.0)
TELEPORT_KM = (120.0, 300.0)  # far beyond any 50 kn hop
SITE_SPACING_KM = 60.0
CROWD_SIZE = (20, 50)
CROWD_RADIUS_M = 150.0  # anchors within this of the centre: every pair within 500 m
CROWD_SWING_M = 30.0
CROWD_SHARE = 0.05  # of all vessels, when there are at least CROWD_MIN_VESSELS
CROWD_MIN_VESSELS = 100
CROWD_MAX_SHORE_KM = 15.0
DWELL_HOURS = (2.0, 8.0)
FISHING_HOURS = (6.0, 16.0)
FISHING_RADIUS_M = 12_000.0
FISHING_LEG_MIN = (30.0, 90.0)
FISHING_TURN_DEG = (20.0, 90.0)
SHORT_HOP_M = 150_000.0  # tugs and pleasure craft stay near home
FERRY_HOP_M = 600_000.0
DROPOUT_EVERY_H = 8.0  # mean time between reception dropouts of one ship
DROPOUT_MIN_S = 60.0
DROPOUT_MAX_S = 1200.0

# Counts at BASE_VESSELS, scaled linearly with the number of vessels (at least the minimum).
BASE_VESSELS = 2000
COUNTS = {
    "sts": (10, 1),
    "dark": (10, 1),
    "loiter": (6, 1),
    "disabling": (6, 1),
    "gap": (12, 2),
    "teleport": (12, 2),
    "shared": (10, 2),
}


def scenario_counts(vessels: int) -> dict[str, int]:
    """How many of each planted scenario a run of ``vessels`` ships gets."""
    return {
        k: max(minimum, round(base * vessels / BASE_VESSELS))
        for k, (base, minimum) in COUNTS.items()
    }


@dataclass
class Site:
    sea: Sea
    lat: float
    lon: float
    exits: list[int]  # waypoints reachable in a straight line at sea, nearest first


@dataclass
class GapSpec:
    vessel: int
    start_s: float
    end_s: float
    note: str


@dataclass
class DarkSpec:
    loiterer: int
    partner: int
    loiter_start_s: float
    loiter_end_s: float
    lat: float
    lon: float
    gap: int  # index into World.gaps
    note: str


@dataclass
class World:
    """Everything planned so far: ships, their plans, silences and truth."""

    seas: tuple[Sea, ...]
    rng: np.random.Generator
    hours: float
    vessels: list[Vessel] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    silences: list[tuple[int, float, float]] = field(default_factory=list)
    truth: list[dict[str, object]] = field(default_factory=list)  # times in s from start
    gaps: list[GapSpec] = field(default_factory=list)
    darks: list[DarkSpec] = field(default_factory=list)
    teleports: list[tuple[int, float]] = field(default_factory=list)
    shared: list[tuple[int, int]] = field(default_factory=list)  # (victim, impostor)
    crowds: list[list[int]] = field(default_factory=list)  # vessels of each anchorage crowd
    ground_exits: dict[tuple[str, float, float], int | None] = field(default_factory=dict)
    used_mmsi: set[int] = field(default_factory=set)
    used_imo: set[int] = field(default_factory=set)
    site_lat: list[float] = field(default_factory=list)
    site_lon: list[float] = field(default_factory=list)
    leg_lat: list[F64] = field(default_factory=list)
    leg_lon: list[F64] = field(default_factory=list)

    @property
    def span_s(self) -> float:
        return self.hours * HOUR

    def sea(self, name: str) -> Sea:
        return next(s for s in self.seas if s.name == name)

    def pick_sea(self, events: bool = False) -> Sea:
        w = np.array([s.spec.event_weight if events else s.spec.weight for s in self.seas])
        return self.seas[int(self.rng.choice(len(self.seas), p=w / w.sum()))]

    def new_vessel(
        self, ship_type: fleet.ShipType, sea: Sea | None, role: str, dprk: bool = False
    ) -> Vessel:
        mids = sea.spec.mids if sea is not None else fleet.CONVENIENCE_MIDS
        v = fleet.make_vessel(
            len(self.vessels),
            ship_type,
            sea.name if sea is not None else "north_pacific",
            mids,
            self.rng,
            self.used_mmsi,
            self.used_imo,
            dprk=dprk,
        )
        v.role = role
        self.vessels.append(v)
        self.plans.append(Plan())
        return v

    def add_truth(
        self,
        kind: str,
        mmsi: int,
        mmsi_2: int | None,
        start_s: float,
        end_s: float,
        lat: float,
        lon: float,
        note: str,
    ) -> None:
        if mmsi_2 is not None:
            mmsi, mmsi_2 = min(mmsi, mmsi_2), max(mmsi, mmsi_2)
        lon = (lon + 180.0) % 360.0 - 180.0
        self.truth.append(
            {
                "kind": kind,
                "mmsi": mmsi,
                "mmsi_2": mmsi_2,
                "start_s": start_s,
                "end_s": end_s,
                "lat": lat,
                "lon": lon,
                "note": note,
            }
        )

    # -- offshore sites ------------------------------------------------------------------

    def take_site(self, sea: Sea, min_shore_km: float, tries: int = 400) -> Site | None:
        """An offshore site at least ``min_shore_km`` from shore, far from other sites and
        from the approach legs of other sites, with a clear leg to the lanes."""
        cand = np.flatnonzero(sea.site_shore_km >= min_shore_km)
        if cand.size == 0:
            return None
        taken_lat, taken_lon = np.array(self.site_lat), np.array(self.site_lon)
        legs_lat = np.concatenate(self.leg_lat) if self.leg_lat else np.zeros(0)
        legs_lon = np.concatenate(self.leg_lon) if self.leg_lon else np.zeros(0)
        for i in self.rng.permutation(cand)[:tries].tolist():
            lat = float(sea.site_lat[i] + self.rng.uniform(-0.02, 0.02))
            lon = float(sea.site_lon[i] + self.rng.uniform(-0.02, 0.02))
            here_lat, here_lon = np.array([lat]), np.array([lon])
            if min_dist_km(here_lat, here_lon, taken_lat, taken_lon)[0] < SITE_SPACING_KM:
                continue
            if min_dist_km(here_lat, here_lon, legs_lat, legs_lon)[0] < LANE_CLEARANCE_KM:
                continue
            exits: list[int] = []
            leg_lat: list[F64] = []
            leg_lon: list[F64] = []
            for j in sea.nearest_nodes(lat, lon)[:4].tolist():
                nlat, nlon = float(sea.node_lat[j]), float(sea.node_lon[j])
                if not clear([lat, nlat], [lon, nlon]):
                    continue
                a, b = sample_segment(lat, lon, nlat, nlon)
                far = np.hypot(a - lat, (b - lon) * math.cos(math.radians(lat))) * 111.2
                a, b = a[far > LANE_CLEARANCE_KM], b[far > LANE_CLEARANCE_KM]
                if min_dist_km(a, b, taken_lat, taken_lon).min(initial=np.inf) < (
                    LANE_CLEARANCE_KM
                ):
                    continue
                exits.append(j)
                leg_lat.append(a)
                leg_lon.append(b)
                if len(exits) == 2:
                    break
            if not exits:
                continue
            self.site_lat.append(lat)
            self.site_lon.append(lon)
            self.leg_lat.extend(leg_lat)
            self.leg_lon.extend(leg_lon)
            return Site(sea, lat, lon, exits)
        return None

    def window(self, duration_h: float, lead_h: float = 0.0) -> float | None:
        """A random start (s) for an event of ``duration_h`` (after ``lead_h`` of lead-in)
        inside the run's margins, or None when it does not fit."""
        lo = EDGE_MARGIN_H
        hi = self.hours - EDGE_MARGIN_H - duration_h - lead_h
        if hi < lo:
            return None
        return float(self.rng.uniform(lo, hi)) * HOUR


# -- voyages --------------------------------------------------------------------------------


def _berth(world: World, sea: Sea, i: int) -> tuple[float, float]:
    """A place to lie at berth ``i`` (one of its spots at sea)."""
    k = int(world.rng.integers(sea.spot_lat.shape[1]))
    return float(sea.spot_lat[i, k]), float(sea.spot_lon[i, k])


def _route_points(sea: Sea, a: int, b: int) -> tuple[list[float], list[float]]:
    nodes = sea.route(a, b)
    return [float(sea.node_lat[n]) for n in nodes], [float(sea.node_lon[n]) for n in nodes]


def _leg_speed(world: World, v: Vessel) -> float:
    return v.speed_kn * float(world.rng.uniform(0.97, 1.03))


def _dwell_mode(world: World) -> int:
    return ANCHORED if world.rng.random() < 0.3 else MOORED


def _pick_berth(world: World, sea: Sea, node: int, v: Vessel, exclude: int = -1) -> int:
    n = len(sea.berth_name)
    reach = sea.dist_m[node, sea.berth_node]
    limit = {"tug": SHORT_HOP_M, "pleasure": SHORT_HOP_M, "passenger": FERRY_HOP_M}.get(
        v.type.name, np.inf
    )
    ok = np.flatnonzero((reach <= limit) & (np.arange(n) != exclude))
    if ok.size == 0:
        ok = np.argsort(reach, kind="stable")[:5]
    return int(world.rng.choice(ok))


def _sail_to_berth(
    world: World, b: PlanBuilder, sea: Sea, node: int, berth: int, v: Vessel
) -> None:
    lats, lons = _route_points(sea, node, int(sea.berth_node[berth]))
    lat, lon = _berth(world, sea, berth)
    b.sail_path([*lats, lat], [*lons, lon], _leg_speed(world, v))
    if not v.destination:
        v.destination = sea.berth_name[berth].upper()[:20]


def _ground_exit(sea: Sea, world: World, lat: float, lon: float) -> int | None:
    """The waypoint a fishing ground is reached from (None: unreachable or too near a site);
    cached, as fishing boats return to the same grounds."""
    key = (sea.name, lat, lon)
    if key not in world.ground_exits:
        world.ground_exits[key] = _find_ground_exit(sea, world, lat, lon)
    return world.ground_exits[key]


def _find_ground_exit(sea: Sea, world: World, lat: float, lon: float) -> int | None:
    for j in sea.nearest_nodes(lat, lon)[:3].tolist():
        nlat, nlon = float(sea.node_lat[j]), float(sea.node_lon[j])
        if not clear([lat, nlat], [lon, nlon]):
            continue
        a, b = sample_segment(lat, lon, nlat, nlon)
        if (
            min_dist_km(a, b, np.array(world.site_lat), np.array(world.site_lon)).min(
                initial=np.inf
            )
            >= LANE_CLEARANCE_KM + FISHING_RADIUS_M / 1000.0
        ):
            return j
    return None


def _fish(world: World, b: PlanBuilder, lat0: float, lon0: float, hours: float) -> None:
    """Fishing legs at 3-6 kn around (lat0, lon0), turning at most 90 degrees per leg and
    heading home when beyond :data:`FISHING_RADIUS_M` (so never slow on a 10-min grid)."""
    rng = world.rng
    end = b.now + hours * HOUR
    heading = rng.uniform(0, 360)
    speed = rng.uniform(*fleet.FISHING_SPEED_KN)
    while b.now < end:
        lat, lon = b.here
        north = (lat - lat0) * 111_195.0
        east = (lon - lon0) * 111_195.0 * math.cos(math.radians(lat0))
        if math.hypot(north, east) > FISHING_RADIUS_M:
            home = math.degrees(math.atan2(-east, -north)) % 360
            turn = (home - heading + 180) % 360 - 180
            heading += max(-90.0, min(90.0, turn))
        else:
            heading += rng.choice([-1, 1]) * rng.uniform(*FISHING_TURN_DEG)
        leg_s = rng.uniform(*FISHING_LEG_MIN) * 60
        d = speed * 1852 / 3600 * leg_s
        nlat, nlon = offset(
            lat, lon, d * math.cos(math.radians(heading)), d * math.sin(math.radians(heading))
        )
        b.sail(nlat, nlon, speed, mode=FISHING)


def wander(
    world: World, b: PlanBuilder, sea: Sea, node: int, v: Vessel, until: float, berth: int = -1
) -> None:
    """Port to port (fishing: port to ground and back) until ``until``."""
    rng = world.rng
    while b.now < until:
        if v.type is fleet.FISHING and sea.ground_lat.size:
            g = int(rng.integers(sea.ground_lat.size))
            glat, glon = float(sea.ground_lat[g]), float(sea.ground_lon[g])
            near_site = min_dist_km(
                np.array([glat]),
                np.array([glon]),
                np.array(world.site_lat),
                np.array(world.site_lon),
            )[0]
            exit_node = _ground_exit(sea, world, glat, glon) if near_site > 50 else None
            if exit_node is not None:
                lats, lons = _route_points(sea, node, exit_node)
                b.sail_path([*lats, glat], [*lons, glon], _leg_speed(world, v))
                _fish(world, b, glat, glon, rng.uniform(*FISHING_HOURS))
                b.sail(
                    float(sea.node_lat[exit_node]),
                    float(sea.node_lon[exit_node]),
                    _leg_speed(world, v),
                )
                node = exit_node
        berth = _pick_berth(world, sea, node, v, exclude=berth)
        _sail_to_berth(world, b, sea, node, berth, v)
        b.stay(rng.uniform(*DWELL_HOURS) * HOUR, _dwell_mode(world))
        node = int(sea.berth_node[berth])


def normal_voyages(world: World, v: Vessel, sea: Sea) -> None:
    """A ship that starts at some port (or already under way) and trades port to port."""
    rng = world.rng
    if v.type is fleet.FISHING:
        v.speed_kn = float(rng.uniform(8.0, fleet.FISHING.speed_kn[1]))  # transit speed
    berth = int(rng.integers(len(sea.berth_name)))
    lat, lon = _berth(world, sea, berth)
    b = PlanBuilder(-rng.uniform(0, 36) * HOUR, lat, lon)
    b.stay(rng.uniform(1, 10) * HOUR, _dwell_mode(world))
    wander(world, b, sea, int(sea.berth_node[berth]), v, world.span_s + HOUR, berth)
    world.plans[v.index] = b.plan


def _arrive(
    world: World, v: Vessel, sea: Sea, node: int, lat: float, lon: float, t_arrive: float
) -> PlanBuilder:
    """Plan from a random berth so as to reach (lat, lon) via waypoint ``node`` at
    ``t_arrive``: in port until it must leave, or already under way at the start."""
    rng = world.rng
    berth = int(rng.integers(len(sea.berth_name)))
    blat, blon = _berth(world, sea, berth)
    rlat, rlon = _route_points(sea, int(sea.berth_node[berth]), node)
    lats, lons = [blat, *rlat, lat], [blon, *rlon, lon]
    speed = _leg_speed(world, v)
    probe = PlanBuilder(0.0, blat, blon)
    probe.sail_path(lats[1:], lons[1:], speed)
    depart = t_arrive - probe.now
    b = PlanBuilder(min(depart, 0.0) - rng.uniform(1, 6) * HOUR, blat, blon)
    b.stay_until(depart, _dwell_mode(world))
    b.sail_path(lats[1:], lons[1:], speed)
    b.plan.t[-1] = t_arrive  # exact, whatever the rounding of the sums
    return b


def _leave(world: World, b: PlanBuilder, site: Site, v: Vessel, exit_i: int = -1) -> None:
    node = site.exits[exit_i]
    b.sail(float(site.sea.node_lat[node]), float(site.sea.node_lon[node]), _leg_speed(world, v))
    wander(world, b, site.sea, node, v, world.span_s + HOUR)
    world.plans[v.index] = b.plan


def _centroid(lats: F64, lons: F64) -> tuple[float, float]:
    return float(np.mean(lats)), float(np.mean(lons))  # lons are unwrapped


# -- planted scenarios ----------------------------------------------------------------------


def plant_sts(world: World, t_start: float, duration_h: float, note: str) -> bool:
    """Two ships meet at an offshore site and drift side by side, 100-300 m apart."""
    rng = world.rng
    sea = world.pick_sea(events=True)
    site = world.take_site(sea, STS_MIN_SHORE_KM)
    if site is None:
        return False
    dprk = sea.name == "east_asia" and rng.random() < 0.7
    a = world.new_vessel(fleet.TANKER, sea, "sts", dprk=dprk)
    b_type = fleet.TANKER if rng.random() < 0.6 else fleet.CARGO
    b = world.new_vessel(b_type, sea, "sts")
    sep = rng.uniform(*STS_SEPARATION_M)
    ang = rng.uniform(0, 2 * math.pi)
    north, east = sep * math.cos(ang), sep * math.sin(ang)
    blat, blon = offset(site.lat, site.lon, north, east)
    pa_ = _arrive(world, a, sea, site.exits[0], site.lat, site.lon, t_start)
    pb = _arrive(world, b, sea, site.exits[0], blat, blon, t_start)
    ts, lats, lons = pa_.drift(
        duration_h * HOUR, rng.uniform(*STS_DRIFT_KN), rng.uniform(0, 360), rng, turn_sd_deg=8
    )
    wob = rng.normal(0.0, 8.0, (2, ts.size))
    wob[:, 0] = 0.0
    b_lat = np.empty_like(lats)
    b_lon = np.empty_like(lons)
    for k in range(ts.size):
        b_lat[k], b_lon[k] = offset(lats[k], lons[k], north + wob[0, k], east + wob[1, k])
    pb.follow(ts[1:], b_lat[1:], b_lon[1:], DRIFT)
    _leave(world, pa_, site, a, 0)
    _leave(world, pb, site, b, -1)
    lat, lon = _centroid(np.r_[lats, b_lat], np.r_[lons, b_lon])
    world.add_truth(
        Kind.ENCOUNTER, a.mmsi, b.mmsi, t_start, t_start + duration_h * HOUR, lat, lon, note
    )
    return True


def plant_antimeridian_sts(world: World, t_start: float, duration_h: float) -> bool:
    """An STS on the 180th meridian in the open North Pacific: one ship reports east
    longitudes, the other west, the whole time (they drift due north or south)."""
    rng = world.rng
    lat = float(rng.uniform(38.0, 42.0))
    half = ANTIMERIDIAN_HALF_SEPARATION_M
    a = world.new_vessel(fleet.TANKER, None, "sts")
    b = world.new_vessel(fleet.TANKER, None, "sts")
    a_lat, a_lon = offset(lat, 180.0, 0.0, -half)
    b_lat, b_lon = offset(lat, 180.0, 0.0, half)
    km_per_deg = 111.195 * math.cos(math.radians(lat))
    plans = []
    for v, vlat, vlon, sign in ((a, a_lat, a_lon, -1.0), (b, b_lat, b_lon, 1.0)):
        t0 = -rng.uniform(1, 3) * HOUR
        reach_km = v.speed_kn * 1.852 * (t_start - t0) / HOUR
        pb = PlanBuilder(t0, vlat + sign * 0.3, vlon + sign * reach_km / km_per_deg)
        pb.sail(vlat, vlon, v.speed_kn)
        pb.plan.t[-1] = t_start
        plans.append(pb)
    heading = 0.0 if rng.random() < 0.5 else 180.0
    ts, lats, lons = plans[0].drift(
        duration_h * HOUR, rng.uniform(0.3, 0.8), heading, rng, turn_sd_deg=0.0
    )
    b_lats = lats + (b_lat - a_lat)
    b_lons = lons + (b_lon - a_lon)
    plans[1].follow(ts[1:], b_lats[1:], b_lons[1:], DRIFT)
    for v, pb, sign in ((a, plans[0], -1.0), (b, plans[1], 1.0)):
        remaining_km = v.speed_kn * 1.852 * (world.span_s + HOUR - pb.now) / HOUR
        tlat = pb.here[0] + sign * 2.0
        pb.sail(tlat, pb.here[1] - sign * remaining_km / km_per_deg, v.speed_kn)
        world.plans[v.index] = pb.plan
    clat, clon = _centroid(np.r_[lats, b_lats], np.r_[lons, b_lons])
    world.add_truth(
        Kind.ENCOUNTER,
        a.mmsi,
        b.mmsi,
        t_start,
        t_start + duration_h * HOUR,
        clat,
        clon,
        "STS across the 180th meridian",
    )
    return True


def plant_loiterer(world: World) -> bool:
    """A ship alone far offshore, drifting below 2 kn for 5-10 h."""
    rng = world.rng
    duration_h = float(rng.uniform(*LOITER_HOURS))
    duration_h = min(duration_h, world.hours - 2 * EDGE_MARGIN_H)
    start = world.window(duration_h)
    if start is None or duration_h < LOITER_HOURS[0] - 1.0:
        return False
    sea = world.pick_sea(events=True)
    site = world.take_site(sea, LOITER_MIN_SITE_SHORE_KM)
    if site is None:
        return False
    v = world.new_vessel(
        fleet.TANKER if rng.random() < 0.6 else fleet.CARGO,
        sea,
        "loiter",
        dprk=sea.name == "east_asia" and rng.random() < 0.3,
    )
    b = _arrive(world, v, sea, site.exits[0], site.lat, site.lon, start)
    _, lats, lons = b.drift(
        duration_h * HOUR, rng.uniform(*LOITER_DRIFT_KN), rng.uniform(0, 360), rng, turn_sd_deg=30
    )
    _leave(world, b, site, v)
    lat, lon = _centroid(lats, lons)
    world.add_truth(
        Kind.LOITERING, v.mmsi, None, start, start + duration_h * HOUR, lat, lon, "lone loiterer"
    )
    return True


def plant_dark_rendezvous(world: World) -> bool:
    """A DPRK tanker loiters 6-8 h; its partner arrives, goes dark 12.5-16 h within a few
    km of it, and reappears there: loitering + ais_disabling + dark_rendezvous."""
    rng = world.rng
    loiter_h = float(rng.uniform(*DARK_LOITER_HOURS))
    delay_h = float(rng.uniform(*DARK_GAP_DELAY_H))
    gap_h = float(rng.uniform(*DARK_GAP_HOURS))
    gap_h = min(gap_h, world.hours - 2 * EDGE_MARGIN_H - delay_h)
    if gap_h < DARK_GAP_HOURS[0]:
        return False
    start = world.window(0.0, lead_h=delay_h + gap_h)
    if start is None:
        return False
    sea = world.sea("east_asia")
    site = world.take_site(sea, DARK_MIN_SHORE_KM)
    if site is None:
        return False
    a = world.new_vessel(fleet.TANKER, sea, "dark_loiterer", dprk=True)
    b = world.new_vessel(fleet.TANKER if rng.random() < 0.5 else fleet.CARGO, sea, "dark")
    pa_ = _arrive(world, a, sea, site.exits[0], site.lat, site.lon, start)
    _, lats, lons = pa_.drift(
        loiter_h * HOUR,
        rng.uniform(*DARK_LOITER_DRIFT_KN),
        rng.uniform(0, 360),
        rng,
        turn_sd_deg=40,
    )
    _leave(world, pa_, site, a)
    lat, lon = _centroid(lats, lons)

    # The partner's gap starts and ends a few km from the loiterer, toward the lanes.
    node = site.exits[0]
    nlat, nlon = float(sea.node_lat[node]), float(sea.node_lon[node])
    leg = path_length_m(lat, lon, nlat, nlon)
    d_in, d_out = (rng.uniform(*DARK_EDGE_KM) * 1000.0 for _ in range(2))
    in_lat = lat + (nlat - lat) * d_in / leg
    in_lon = lon + (nlon - lon) * d_in / leg
    out_lat = lat + (nlat - lat) * d_out / leg
    out_lon = lon + (nlon - lon) * d_out / leg
    g0 = start + delay_h * HOUR
    g1 = g0 + gap_h * HOUR
    pb = _arrive(world, b, sea, node, in_lat, in_lon, g0)
    # Unseen: alongside the loiterer for the transfer, then back out to be seen again.
    side_lat, side_lon = offset(lat, lon, 150.0, 0.0)
    pb.sail(side_lat, side_lon, 6.0)
    back_s = path_length_m(side_lat, side_lon, out_lat, out_lon) / (6.0 * 1852 / 3600)
    pb.stay_until(g1 - back_s, DRIFT)
    pb.sail(out_lat, out_lon, 6.0)
    pb.plan.t[-1] = g1
    _leave(world, pb, site, b, 0)
    world.silences.append((b.index, g0, g1))
    world.gaps.append(GapSpec(b.index, g0, g1, "dark STS partner"))
    world.add_truth(
        Kind.LOITERING,
        a.mmsi,
        None,
        start,
        start + loiter_h * HOUR,
        lat,
        lon,
        "loitering tanker beside a dark partner",
    )
    world.darks.append(
        DarkSpec(
            a.index,
            b.index,
            start,
            start + loiter_h * HOUR,
            lat,
            lon,
            len(world.gaps) - 1,
            "STS with a dark partner",
        )
    )
    return True


def plant_disabling(world: World) -> bool:
    """A ship switches its AIS off for 14-24 h while passing a site >= 60 nm offshore."""
    rng = world.rng
    gap_h = float(rng.uniform(*DISABLING_HOURS))
    gap_h = min(gap_h, world.hours - 2 * EDGE_MARGIN_H)
    if gap_h < DARK_GAP_HOURS[0]:
        return False
    g0 = world.window(gap_h)
    if g0 is None:
        return False
    sea = world.pick_sea(events=True)
    site = world.take_site(sea, DISABLING_MIN_SITE_SHORE_KM)
    if site is None:
        return False
    kind = fleet.TANKER if rng.random() < 0.5 else fleet.CARGO
    v = world.new_vessel(
        kind, sea, "disabling", dprk=sea.name == "east_asia" and rng.random() < 0.3
    )
    b = _arrive(world, v, sea, site.exits[0], site.lat, site.lon, g0)
    _leave(world, b, site, v)
    g1 = g0 + gap_h * HOUR
    world.silences.append((v.index, g0, g1))
    world.gaps.append(GapSpec(v.index, g0, g1, "AIS switched off offshore"))
    return True


def plant_anchorage(world: World, size: int) -> bool:
    """``size`` ships anchored together in a real anchorage beside a port, all run long."""
    rng = world.rng
    for _ in range(50):
        sea = world.pick_sea()
        i = int(rng.integers(len(sea.berth_name)))
        clat, clon = float(sea.berth_lat[i]), float(sea.berth_lon[i])
        if shore_km(np.array([clat]), np.array([clon]))[0] > CROWD_MAX_SHORE_KM:
            continue
        r = CROWD_RADIUS_M * np.sqrt(rng.random(size))
        ang = rng.uniform(0, 2 * math.pi, size)
        pts = [
            offset(clat, clon, float(rr * math.cos(aa)), float(rr * math.sin(aa)))
            for rr, aa in zip(r, ang, strict=True)
        ]
        plat, plon = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
        if not at_sea(plat, plon, CROWD_SWING_M + SEA_MARGIN_M).all():
            continue
        world.crowds.append([])
        for k in range(size):
            v = world.new_vessel(
                fleet.TANKER if rng.random() < 0.5 else fleet.CARGO, sea, "anchorage"
            )
            v.destination = sea.berth_name[i].upper()[:20]
            b = PlanBuilder(-HOUR, float(plat[k]), float(plon[k]))
            phase = rng.uniform(0, 2 * math.pi)
            for step in range(int(world.hours) + 3):  # swing about the anchor, once in ~12 h
                ang_s = phase + step * 2 * math.pi / 12.0
                b._add(
                    step * HOUR,
                    *offset(
                        float(plat[k]),
                        float(plon[k]),
                        CROWD_SWING_M * math.cos(ang_s),
                        CROWD_SWING_M * math.sin(ang_s),
                    ),
                    ANCHORED,
                )
            world.plans[v.index] = b.plan
            world.crowds[-1].append(v.index)
        return True
    return False


def pick_naive_gaps(world: World, candidates: list[int], count: int) -> list[int]:
    """Silence ``count`` of the candidate ships for 6.5-10 h starting near shore."""
    rng = world.rng
    used: list[int] = []
    gap_lat: list[float] = []
    gap_lon: list[float] = []
    for vi in candidates:
        if len(used) >= count:
            break
        gap_h = float(rng.uniform(*NAIVE_GAP_HOURS))
        lo, hi = EDGE_MARGIN_H * HOUR, world.span_s - EDGE_MARGIN_H * HOUR - gap_h * HOUR
        if hi <= lo:
            break
        t = np.arange(lo, hi, 900.0)
        lat, lon = world.plans[vi].position_at(t)
        ok = shore_km(lat, (lon + 180) % 360 - 180) < NAIVE_GAP_MAX_SHORE_KM
        if not ok.any():
            continue
        # Never two gaps starting near one another: "both dark together" is a rendezvous.
        t_ok, lat_ok, lon_ok = t[ok], lat[ok], lon[ok]
        far = (
            min_dist_km(lat_ok, lon_ok, np.array(gap_lat), np.array(gap_lon)) > NAIVE_GAP_SPACING_KM
        )
        if not far.any():
            continue
        pick = int(rng.choice(np.flatnonzero(far)))
        g0 = float(t_ok[pick])
        gap_lat.append(float(lat_ok[pick]))
        gap_lon.append(float(lon_ok[pick]))
        world.silences.append((vi, g0, g0 + gap_h * HOUR))
        world.gaps.append(GapSpec(vi, g0, g0 + gap_h * HOUR, "AIS gap near shore"))
        used.append(vi)
    return used


def pick_teleports(world: World, candidates: list[int], count: int) -> list[int]:
    """One report of each chosen ship will be moved far away (the displacement is applied
    to the rendered reports)."""
    rng = world.rng
    used: list[int] = []
    for vi in candidates:
        if len(used) >= count:
            break
        plan = world.plans[vi]
        t = np.arange(EDGE_MARGIN_H * HOUR, world.span_s - EDGE_MARGIN_H * HOUR, 600.0)
        moving = np.array([plan.mode_at(float(x)) == MOVING for x in t])
        if not moving.any():
            continue
        world.teleports.append((vi, float(rng.choice(t[moving]))))
        used.append(vi)
    return used


def dropouts(world: World) -> None:
    """Reception dropouts of a few minutes, about every :data:`DROPOUT_EVERY_H` hours."""
    rng = world.rng
    n = len(world.vessels)
    counts = rng.poisson(world.hours / DROPOUT_EVERY_H, n)
    vessel = np.repeat(np.arange(n), counts)
    start = rng.uniform(0, world.span_s, vessel.size)
    length = rng.uniform(DROPOUT_MIN_S, DROPOUT_MAX_S, vessel.size)
    # None within an hour of a planted gap: it would move where the gap starts or ends (a
    # dark partner's gap must start and end beside its loiterer).
    keep = np.ones(vessel.size, dtype=bool)
    for g in world.gaps:
        keep &= ~(
            (vessel == g.vessel) & (start < g.end_s + HOUR) & (start + length > g.start_s - HOUR)
        )
    vessel, start, length = vessel[keep], start[keep], length[keep]
    world.silences.extend(
        zip(vessel.tolist(), start.tolist(), (start + length).tolist(), strict=True)
    )


def unused(world: World, roles: tuple[str, ...] = ("normal",)) -> list[int]:
    """Class A ships of the given roles, in random order."""
    idx = [v.index for v in world.vessels if v.role in roles and v.class_a]
    return [idx[i] for i in world.rng.permutation(len(idx))]


__all__ = [
    "DISABLING_MIN_H",
    "DISABLING_MIN_SHORE_KM",
    "ENCOUNTER_MIN_PORT_KM",
    "GAP_MIN_H",
    "LOITER_MIN_SHORE_KM",
    "MOVING",
    "World",
    "scenario_counts",
]
