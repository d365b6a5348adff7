"""Geographic reference for the detectors: distances on the sphere, to the coast and to the
nearest port or anchorage, and a land mask.

Part of the analytic core: it depends on NumPy, polars and numba only, never on the store, the
API, the web or the CLI. The reference data (Natural Earth 10m coastline, land and minor
islands; World Port Index; GFW named anchorages) ships in ``neonwatch/geo/data``, built by
``scripts/build_geo_reference.py``, and loads lazily on first use.
"""

from neonwatch.geo.anchorages import nearest_port, port_distance_km, ports
from neonwatch.geo.route import crosses_land, sea_route
from neonwatch.geo.shore import land_mask, shore_distance_km
from neonwatch.geo.sphere import EARTH_RADIUS_M, haversine_m, km_to_chord, to_lat_lon, unit_vectors

__all__ = [
    "EARTH_RADIUS_M",
    "crosses_land",
    "haversine_m",
    "km_to_chord",
    "land_mask",
    "nearest_port",
    "port_distance_km",
    "ports",
    "sea_route",
    "shore_distance_km",
    "to_lat_lon",
    "unit_vectors",
]
