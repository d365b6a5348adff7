"""Stage 1, ingest: raw AIS (NMEA logs, DMA CSV, Marine Cadastre CSV, any mapped CSV) ->
the canonical ``positions`` and ``vessels`` tables (see :mod:`neonwatch.ingest.schema`).

Public surface: :func:`ingest` (files -> Parquet datasets), :func:`decode_nmea` (bytes ->
tables, for notebooks, tests and live feeds) and the schemas.
"""

from neonwatch.ingest.api import DecodedLog, decode_nmea
from neonwatch.ingest.pipeline import IngestSummary, detect_format, ingest
from neonwatch.ingest.schema import BASE_STATIONS, POSITIONS, REJECTED, VESSELS

__all__ = [
    "BASE_STATIONS",
    "POSITIONS",
    "REJECTED",
    "VESSELS",
    "DecodedLog",
    "IngestSummary",
    "decode_nmea",
    "detect_format",
    "ingest",
]
