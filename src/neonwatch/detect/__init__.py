"""Stage 3, detect: tracks -> events (encounters, loitering, gaps and likely AIS disabling,
dark rendezvous, teleports, shared MMSIs), each with the rule and thresholds that fired.

Public surface: :func:`detect` (positions -> events), :func:`detect_by_day`,
:func:`scan_positions`, :func:`load_config`, :func:`to_geojson`, and the ``EVENTS`` schema.
Every detector is a pure function of a table of positions.
"""

from neonwatch.detect.config import Config, load_config
from neonwatch.detect.events import to_geojson
from neonwatch.detect.run import detect, detect_by_day, scan_positions
from neonwatch.detect.schema import EVENTS, TRUTH, Kind

__all__ = [
    "EVENTS",
    "TRUTH",
    "Config",
    "Kind",
    "detect",
    "detect_by_day",
    "load_config",
    "scan_positions",
    "to_geojson",
]
