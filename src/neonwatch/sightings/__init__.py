"""Patrol sightings: reports by ships and aircraft of suspected ship-to-ship transfers.

Public surface: the :class:`Sighting` model (position as lat/lon or as distance and bearing from
a named reference point, vessels observed, observations, photos), :class:`PhotoStore`
(content-addressed, size-limited, type-checked photos), :func:`correlate` (which AIS vessels were
in range, which observed vessel was dark), :func:`load_cases` (the published Japan MOD cases)
and :func:`add_sighting` (into the store, with its correlation and watchlist hits).
"""

from neonwatch.sightings.cases import load_cases
from neonwatch.sightings.correlate import Correlation, correlate
from neonwatch.sightings.model import (
    Observations,
    ObservedVessel,
    PhotoRef,
    Position,
    Sighting,
    destination,
    parse_bearing,
    parse_distance_km,
    reference_point,
    reference_points,
)
from neonwatch.sightings.photos import DEFAULT_MAX_BYTES, PhotoError, PhotoStore
from neonwatch.sightings.record import AddResult, add_sighting, list_hits

__all__ = [
    "DEFAULT_MAX_BYTES",
    "AddResult",
    "Correlation",
    "Observations",
    "ObservedVessel",
    "PhotoError",
    "PhotoRef",
    "PhotoStore",
    "Position",
    "Sighting",
    "add_sighting",
    "correlate",
    "destination",
    "list_hits",
    "load_cases",
    "parse_bearing",
    "parse_distance_km",
    "reference_point",
    "reference_points",
]
