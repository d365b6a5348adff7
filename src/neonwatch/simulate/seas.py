"""The seas the simulator sails: open-water lanes between real ports, and offshore sites.

Four busy sea regions (East Asia from the Bohai to the Sea of Japan, where the documented
DPRK transfers happened; the Gulf of Mexico; the North Sea; the Mediterranean) each carry a
hand-picked set of open-water waypoints. Waypoints on land are dropped and two waypoints are
joined only when the straight line between them stays at sea (``geo.crosses_land``), so
every route, a shortest path over these lanes, is at sea by construction.

Ports are real World Port Index ports. A ship berths at the GFW anchorage nearest its port
(within :data:`BERTH_MAX_KM`), or at the port itself when that is at sea, and joins the lanes
at the nearest waypoint it can reach in a straight line at sea. Berths lie close to shore and
to a port, so a ship lying there for hours is neither loitering (>= 20 nm from shore) nor in
an encounter (>= 10 km from port) by the detection rules: normal port calls make no events.

Planted events happen at offshore sites: grid points far from shore and ports and at least
:data:`LANE_CLEARANCE_KM` from every lane, so that passing traffic never comes near them
(and never meets a loiterer, nor starts or ends a gap beside one).

Everything here depends only on the reference data, not on the seed, and is built once per
process.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.spatial import cKDTree

from neonwatch import geo

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
EARTH_RADIUS_KM = 6371.0088

BERTH_MAX_KM = 2.5  # a berth is this close to its WPI port (crowds must be within 3 km)
BERTH_MAX_SHORE_KM = 10.0  # drops offshore terminals, whose berths would sit far from shore
ACCESS_MAX_KM = 400.0  # longest straight leg from a berth to its first waypoint
LANE_NEIGHBOURS = 4  # each waypoint is joined to this many nearest reachable waypoints
LANE_MAX_KM = 700.0
LANE_SAMPLE_KM = 4.0  # spacing of the points that stand for a lane in distance tests
LANE_CLEARANCE_KM = 20.0  # offshore sites keep this far from every lane (dark-rendezvous
# detection looks ~10 km around a loiterer; twice that keeps lane traffic out of it)
SITE_GRID_DEG = 0.25
SITE_MIN_SHORE_KM = 60.0  # the least any planted offshore event needs, with margin
SITE_MIN_PORT_KM = 30.0
GROUND_MIN_SHORE_KM = 25.0  # fishing grounds: at sea with room for a 12 km fishing area
GROUND_MAX_SHORE_KM = 150.0
GROUND_MIN_PORT_KM = 15.0
SEA_MARGIN_M = 60.0  # berths and anchors keep this clear of land cells (6 GPS sigmas)
BERTH_SPOTS = 24  # places to lie at per berth
BERTH_SPREAD_M = 200.0  # ships at one berth lie within this of it
MAX_PORTS_PER_SEA = 120  # keeps the one-off build fast; evenly spread along the coast


@dataclass(frozen=True)
class SeaSpec:
    name: str
    weight: float  # share of normal traffic
    bbox: tuple[float, float, float, float]  # lat_min, lat_max, lon_min, lon_max
    waypoints: tuple[tuple[float, float], ...]  # open water, (lat, lon)
    mids: tuple[int, ...]  # flags seen there, by Maritime Identification Digits
    event_weight: float  # share of the planted offshore events
    # Where offshore sites and fishing grounds may lie (lat_min, lat_max, lon_min, lon_max):
    # the sea itself, not the neighbouring ocean its bounding box also takes in.
    event_boxes: tuple[tuple[float, float, float, float], ...]


# fmt: off
SPECS = (
    SeaSpec(
        "east_asia", 0.42, (22.0, 43.5, 117.0, 142.0),
        (
            (38.7, 119.8), (38.6, 121.05), (37.5, 123.2), (38.5, 124.0), (36.0, 123.5),
            (36.0, 125.0), (34.5, 123.5), (33.0, 125.5), (31.0, 123.3), (32.0, 125.0),
            (30.0, 124.5), (28.5, 123.5), (27.0, 122.0), (27.5, 126.0), (29.5, 127.0),
            (31.5, 127.5), (25.9, 121.0), (24.8, 119.8), (34.55, 128.9), (35.5, 130.0),
            (36.8, 131.2), (36.5, 132.5), (38.5, 133.0), (40.0, 131.0), (41.5, 134.0),
            (38.0, 135.0), (39.5, 138.5),
        ),
        (412, 413, 414, 431, 432, 440, 441, 416, 477, 563, 564, 351, 352, 370, 636, 538,
         511, 667, 457),
        0.6,
        # The East China and Yellow Seas, where the documented DPRK transfers cluster, and
        # the Sea of Japan.
        ((25.0, 39.0, 119.5, 127.5), (35.5, 42.5, 129.0, 139.5)),
    ),
    SeaSpec(
        "gulf_of_mexico", 0.2, (17.5, 31.0, -98.5, -79.5),
        (
            (28.0, -94.5), (27.0, -96.5), (26.0, -92.0), (27.5, -90.0), (28.6, -88.5),
            (29.7, -87.5), (26.0, -84.5), (24.0, -83.5), (23.8, -81.0), (22.5, -93.0),
            (19.8, -95.0), (24.5, -96.5), (21.9, -86.0), (24.5, -89.0),
        ),
        (366, 367, 368, 369, 345, 351, 370, 636, 538, 311, 309),
        0.15,
        ((21.5, 30.5, -97.5, -82.5),),  # not the Caribbean nor the Atlantic
    ),
    SeaSpec(
        "north_sea", 0.18, (50.5, 61.5, -4.0, 11.0),
        (
            (51.05, 1.55), (51.8, 2.6), (52.8, 3.0), (54.0, 3.0), (54.2, 6.5), (55.5, 5.0),
            (56.8, 2.5), (57.5, 7.0), (57.9, 9.0), (58.5, 3.0), (60.0, 3.0), (56.0, -0.5),
            (54.5, 0.8),
        ),
        (219, 220, 244, 245, 246, 211, 218, 232, 233, 235, 257, 258, 259, 205, 265, 636, 538),
        0.1,
        ((51.5, 60.5, -1.0, 8.0),),
    ),
    SeaSpec(
        "mediterranean", 0.2, (30.0, 46.0, -6.0, 36.5),
        (
            (36.3, -2.0), (37.3, 0.3), (38.4, 2.5), (41.5, 4.5), (42.7, 4.8), (38.5, 6.0),
            (37.8, 10.2), (37.35, 11.6), (36.4, 13.4), (35.5, 16.0), (38.0, 18.0),
            (40.0, 11.5), (39.3, 14.0), (34.5, 20.0), (34.0, 25.0), (33.0, 30.0),
            (32.3, 32.5), (34.0, 33.0), (32.8, 34.3), (43.8, 8.8), (41.8, 17.5),
            (44.5, 12.9), (40.3, 18.95), (36.0, -4.5),
        ),
        (247, 224, 225, 226, 227, 228, 237, 239, 240, 241, 271, 248, 249, 256, 215, 209,
         210, 212, 636, 538),
        0.15,
        ((31.0, 44.5, -2.0, 27.0), (31.0, 36.5, 27.0, 35.5)),  # not the Black Sea
    ),
)
# fmt: on


@dataclass
class Sea:
    """A sea region ready to sail: lanes, shortest paths, berths, offshore sites."""

    spec: SeaSpec
    node_lat: F64
    node_lon: F64
    dist_m: F64  # shortest-path length between waypoints (inf when unreachable)
    next_hop: I64  # next waypoint on the shortest path from i to j
    berth_name: list[str]
    berth_lat: F64
    berth_lon: F64
    berth_node: I64
    port_lat: F64  # the WPI port each berth serves
    port_lon: F64
    berth_anchorage: npt.NDArray[np.bool_]  # the berth is a GFW anchorage (else beside a port)
    spot_lat: F64  # (berths, BERTH_SPOTS): where ships lie at each berth, all at sea
    spot_lon: F64
    lane_lat: F64  # points along every lane and berth access leg
    lane_lon: F64
    site_lat: F64  # offshore sites clear of lanes, ports and shore
    site_lon: F64
    site_shore_km: F64
    ground_lat: F64  # fishing grounds
    ground_lon: F64

    @property
    def name(self) -> str:
        return self.spec.name

    def route(self, a: int, b: int) -> list[int]:
        """Waypoints from ``a`` to ``b`` along the lanes, both included."""
        path = [a]
        while path[-1] != b:
            path.append(int(self.next_hop[path[-1], b]))
        return path

    def nearest_nodes(self, lat: float, lon: float) -> I64:
        """Waypoints by distance from (lat, lon)."""
        d = _dist_km(np.array([lat]), np.array([lon]), self.node_lat, self.node_lon)[0]
        return np.argsort(d, kind="stable")


def _dist_km(lat1: F64, lon1: F64, lat2: F64, lon2: F64) -> F64:
    """Matrix of great-circle distances (km), rows ``1`` by columns ``2``."""
    d = geo.haversine_m(lat1[:, None], lon1[:, None], lat2[None, :], lon2[None, :])
    return np.asarray(d, dtype=np.float64) / 1000.0


def _unit(lat: F64, lon: F64) -> F64:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def min_dist_km(lat: F64, lon: F64, plat: F64, plon: F64) -> F64:
    """Distance (km) from each point to the nearest of the points (plat, plon).

    A k-d tree over unit vectors (the chord is exact for the great circle, and the 180th
    meridian is no edge): lanes are sampled into tens of thousands of points.
    """
    lat, lon = np.atleast_1d(np.asarray(lat, float)), np.atleast_1d(np.asarray(lon, float))
    if np.asarray(plat).size == 0:
        return np.full(lat.size, np.inf)
    tree = cKDTree(_unit(np.asarray(plat, float), np.asarray(plon, float)))
    chord, _ = tree.query(_unit(lat, lon))
    return 2.0 * np.arcsin(np.minimum(np.asarray(chord) / 2.0, 1.0)) * EARTH_RADIUS_KM


def clear(lats: list[float], lons: list[float]) -> bool:
    """True when the polyline stays at sea."""
    return not bool(geo.crosses_land(np.asarray(lats, float), np.asarray(lons, float)))


def on_land(lat: F64, lon: F64) -> npt.NDArray[np.bool_]:
    return np.asarray(geo.land_mask(np.asarray(lat, float), np.asarray(lon, float)), dtype=np.bool_)


def at_sea(lat: F64, lon: F64, margin_m: float = SEA_MARGIN_M) -> npt.NDArray[np.bool_]:
    """Whether each point and the points ``margin_m`` north, south, east and west of it are
    all at sea: a berth on the very edge of a land cell would put half the GPS fixes of a
    moored ship on land."""
    lat = np.asarray(lat, float)
    lon = np.asarray(lon, float)
    dlat = margin_m / 111_195.0
    dlon = dlat / np.cos(np.radians(lat))
    ok = ~on_land(lat, lon)
    for a, b in ((dlat, 0.0), (-dlat, 0.0), (0.0, dlon), (0.0, -dlon)):
        ok &= ~on_land(lat + a, lon + b)
    return ok


def shore_km(lat: F64, lon: F64) -> F64:
    return np.asarray(
        geo.shore_distance_km(np.asarray(lat, float), np.asarray(lon, float)), dtype=np.float64
    )


def port_km(lat: F64, lon: F64) -> F64:
    return np.asarray(
        geo.port_distance_km(np.asarray(lat, float), np.asarray(lon, float)), dtype=np.float64
    )


def sample_segment(lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[F64, F64]:
    """Points every :data:`LANE_SAMPLE_KM` along a straight segment, ends included."""
    length_km = float(
        _dist_km(np.array([lat1]), np.array([lon1]), np.array([lat2]), np.array([lon2]))[0, 0]
    )
    n = max(2, math.ceil(length_km / LANE_SAMPLE_KM) + 1)
    f = np.linspace(0.0, 1.0, n)
    return lat1 + f * (lat2 - lat1), lon1 + f * (lon2 - lon1)


def _lanes(lat: F64, lon: F64) -> tuple[F64, I64]:
    """Edges joining each waypoint to its nearest reachable neighbours; shortest paths."""
    k = lat.size
    d = _dist_km(lat, lon, lat, lon)
    adj = np.full((k, k), np.inf)
    np.fill_diagonal(adj, 0.0)
    for i in range(k):
        joined = 0
        for j in np.argsort(d[i], kind="stable")[1:]:
            if joined >= LANE_NEIGHBOURS or d[i, j] > LANE_MAX_KM:
                break
            if np.isfinite(adj[i, j]) or clear([lat[i], lat[j]], [lon[i], lon[j]]):
                adj[i, j] = adj[j, i] = d[i, j] * 1000.0
                joined += 1
    # Floyd-Warshall with next hops: a few dozen waypoints per sea.
    dist = adj.copy()
    nxt = np.where(np.isfinite(adj), np.arange(k)[None, :], -1).astype(np.int64)
    for m in range(k):
        via = dist[:, m : m + 1] + dist[m : m + 1, :]
        better = via < dist
        dist = np.where(better, via, dist)
        nxt = np.where(better, nxt[:, m : m + 1], nxt)
    return dist, nxt


def _build(spec: SeaSpec, ports: pl.DataFrame) -> Sea:
    lat0, lon0 = (np.array(c, dtype=float) for c in zip(*spec.waypoints, strict=True))
    keep = ~on_land(lat0, lon0)
    lat, lon = lat0[keep], lon0[keep]
    dist, nxt = _lanes(lat, lon)
    # Keep the largest group of waypoints that can reach one another.
    reach = np.isfinite(dist)
    main = int(np.argmax(reach.sum(1)))
    members = np.flatnonzero(reach[main])
    lat, lon = lat[members], lon[members]
    dist, nxt = _lanes(lat, lon)

    lane_lat: list[F64] = []
    lane_lon: list[F64] = []
    for i in range(lat.size):
        for j in range(i + 1, lat.size):
            if nxt[i, j] == j:
                a, b = sample_segment(lat[i], lon[i], lat[j], lon[j])
                lane_lat.append(a)
                lane_lon.append(b)

    berths = _berths(spec, ports, lat, lon)
    for blat, blon, node in zip(berths[1], berths[2], berths[3], strict=True):
        a, b = sample_segment(blat, blon, lat[node], lon[node])
        lane_lat.append(a)
        lane_lon.append(b)
    llat, llon = np.concatenate(lane_lat), np.concatenate(lane_lon)

    spot_lat, spot_lon = _spots(berths[1], berths[2])
    glat, glon = _grid(spec)
    boxed = np.zeros(glat.size, dtype=bool)
    for lat_lo, lat_hi, lon_lo, lon_hi in spec.event_boxes:
        boxed |= (glat >= lat_lo) & (glat <= lat_hi) & (glon >= lon_lo) & (glon <= lon_hi)
    sea = boxed & ~on_land(glat, glon)
    glat, glon = glat[sea], glon[sea]
    shore = shore_km(glat, glon)
    port = port_km(glat, glon)
    lane = min_dist_km(glat, glon, llat, llon)
    site = (shore >= SITE_MIN_SHORE_KM) & (port >= SITE_MIN_PORT_KM) & (lane >= LANE_CLEARANCE_KM)
    ground = (
        (shore >= GROUND_MIN_SHORE_KM)
        & (shore <= GROUND_MAX_SHORE_KM)
        & (port >= GROUND_MIN_PORT_KM)
        & (lane >= LANE_CLEARANCE_KM)
    )
    return Sea(
        spec=spec,
        node_lat=lat,
        node_lon=lon,
        dist_m=dist,
        next_hop=nxt,
        berth_name=berths[0],
        berth_lat=berths[1],
        berth_lon=berths[2],
        berth_node=berths[3],
        port_lat=berths[4],
        port_lon=berths[5],
        berth_anchorage=berths[6],
        spot_lat=spot_lat,
        spot_lon=spot_lon,
        lane_lat=llat,
        lane_lon=llon,
        site_lat=glat[site],
        site_lon=glon[site],
        site_shore_km=shore[site],
        ground_lat=glat[ground],
        ground_lon=glon[ground],
    )


def _spots(lat: F64, lon: F64) -> tuple[F64, F64]:
    """Places within :data:`BERTH_SPREAD_M` of each berth for ships to lie at, so that ships
    in one port do not sit on one point; spots on a land cell fall back to the berth."""
    k = np.arange(BERTH_SPOTS)
    r = BERTH_SPREAD_M * np.sqrt((k + 0.5) / BERTH_SPOTS)
    ang = k * 2.399963  # golden angle: evenly spread over the disc
    slon = lon[:, None] + (r * np.sin(ang))[None, :] / (
        111_195.0 * np.cos(np.radians(lat))[:, None]
    )
    slat = lat[:, None] + (r * np.cos(ang))[None, :] / 111_195.0
    land = ~at_sea(slat.ravel(), slon.ravel()).reshape(slat.shape)
    slat = np.where(land, lat[:, None], slat)
    slon = np.where(land, lon[:, None], slon)
    return slat, slon


def _grid(spec: SeaSpec) -> tuple[F64, F64]:
    lat_min, lat_max, lon_min, lon_max = spec.bbox
    lats = np.arange(lat_min, lat_max, SITE_GRID_DEG) + SITE_GRID_DEG / 2
    lons = np.arange(lon_min, lon_max, SITE_GRID_DEG) + SITE_GRID_DEG / 2
    glat, glon = np.meshgrid(lats, lons, indexing="ij")
    return glat.ravel(), glon.ravel()


def _berths(
    spec: SeaSpec, ports: pl.DataFrame, node_lat: F64, node_lon: F64
) -> tuple[list[str], F64, F64, I64, F64, F64, npt.NDArray[np.bool_]]:
    """Berths of the WPI ports in the sea: the nearest GFW anchorage at sea within
    :data:`BERTH_MAX_KM` of the port, else the nearest point at sea on rings around the port
    (WPI positions are given to the minute and often fall on land). Ports reachable from a
    waypoint by a straight leg at sea are kept, an evenly spread subset of them."""
    lat_min, lat_max, lon_min, lon_max = spec.bbox
    inside = pl.col("lat").is_between(lat_min, lat_max) & pl.col("lon").is_between(lon_min, lon_max)
    wpi = ports.filter(inside & (pl.col("source") == "wpi")).sort(["lat", "lon"])
    anch = ports.filter(inside & (pl.col("source") != "wpi"))
    alat, alon = anch["lat"].to_numpy(), anch["lon"].to_numpy()
    plat, plon = wpi["lat"].to_numpy(), wpi["lon"].to_numpy()

    cand_lat = np.full(plat.size, np.nan)
    cand_lon = np.full(plat.size, np.nan)
    is_anchorage = np.zeros(plat.size, dtype=bool)
    if alat.size and plat.size:
        d = _dist_km(plat, plon, alat, alon)
        d_sea = np.where(~at_sea(alat, alon)[None, :], np.inf, d)
        best = np.argmin(d_sea, axis=1)
        ok = d_sea[np.arange(plat.size), best] <= BERTH_MAX_KM
        cand_lat[ok], cand_lon[ok] = alat[best[ok]], alon[best[ok]]
        is_anchorage = ok
    # Rings around the port: the port itself, then outwards to BERTH_MAX_KM.
    radii = np.linspace(0.0, BERTH_MAX_KM, 6)
    bearings = np.radians(np.arange(0.0, 360.0, 22.5))
    rr, bb = (a.ravel() for a in np.meshgrid(radii, bearings, indexing="ij"))
    ring_lat = plat[:, None] + (rr * np.cos(bb))[None, :] / 111.195
    ring_lon = plon[:, None] + (rr * np.sin(bb))[None, :] / (
        111.195 * np.cos(np.radians(plat))[:, None]
    )
    sea = at_sea(ring_lat.ravel(), ring_lon.ravel()).reshape(ring_lat.shape)
    first = np.argmax(sea, axis=1)  # rings run outwards: the first at sea is the nearest
    ring_ok = np.isnan(cand_lat) & sea.any(axis=1)
    rows = np.flatnonzero(ring_ok)
    cand_lat[rows], cand_lon[rows] = ring_lat[rows, first[rows]], ring_lon[rows, first[rows]]
    has = ~np.isnan(cand_lat)
    has[has] = shore_km(cand_lat[has], cand_lon[has]) <= BERTH_MAX_SHORE_KM
    usable = np.flatnonzero(has)
    if usable.size > MAX_PORTS_PER_SEA:  # evenly spread subset, the same on every run
        pick = np.linspace(0, usable.size - 1, MAX_PORTS_PER_SEA).round().astype(np.int64)
        usable = usable[pick]

    names: list[str] = []
    out: list[tuple[float, float, int, float, float, bool]] = []
    node_d = _dist_km(cand_lat[usable], cand_lon[usable], node_lat, node_lon)
    for row, i in enumerate(usable.tolist()):
        for j in np.argsort(node_d[row], kind="stable")[:3].tolist():
            if node_d[row, j] > ACCESS_MAX_KM:
                break
            if clear([cand_lat[i], node_lat[j]], [cand_lon[i], node_lon[j]]):
                names.append(str(wpi["name"][i]))
                out.append((cand_lat[i], cand_lon[i], j, plat[i], plon[i], bool(is_anchorage[i])))
                break
    if not out:
        raise RuntimeError(f"no usable port in sea region {spec.name}")
    cols = list(zip(*out, strict=True))
    return (
        names,
        np.array(cols[0], float),
        np.array(cols[1], float),
        np.array(cols[2], np.int64),
        np.array(cols[3], float),
        np.array(cols[4], float),
        np.array(cols[5], bool),
    )


@functools.cache
def load_seas() -> tuple[Sea, ...]:
    """Every sea region, built from the reference data (cached for the process)."""
    ports = geo.ports()
    return tuple(_build(spec, ports) for spec in SPECS)
