"""Decode NMEA held in memory: the entry point for notebooks, tests and live feeds."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from neonwatch.ingest import messages, nmea


@dataclass
class DecodedLog:
    """Everything decoded from one buffer of NMEA lines (no de-duplication)."""

    positions: pa.Table
    static: pa.Table  # one row per type 5 / 19 / 24 report
    base_stations: pa.Table
    fields: dict[int, dict[str, npt.NDArray]]  # every decoded field by message type
    line_no: dict[int, npt.NDArray[np.int64]]  # line of each row of ``fields``
    rejected: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    messages: int = 0
    lines: int = 0


def decode_nmea(data: bytes) -> DecodedLog:
    """Decode a whole buffer of NMEA lines (multipart messages reassembled)."""
    framed = nmea.frame(data, nmea.FramerState(), final=True)
    decoded = messages.decode(framed.messages, full=True)
    rejected: Counter[str] = Counter(framed.rejected_reasons)
    rejected.update(decoded.rejected_reasons)
    line_no = {t: framed.messages.line_no[f["row"]] for t, f in decoded.full.items()}
    return DecodedLog(
        positions=decoded.positions,
        static=decoded.static,
        base_stations=decoded.base_stations,
        fields=decoded.full,
        line_no=line_no,
        rejected=rejected,
        skipped=Counter(framed.skipped),
        messages=framed.messages.size - len(decoded.rejected_msgs),
        lines=framed.lines,
    )
