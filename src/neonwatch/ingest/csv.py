"""Position CSVs: Danish Maritime Authority, NOAA Marine Cadastre, or any CSV with a mapping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

CUSTOM = "csv"


@dataclass
class CsvBatch:
    positions: pa.Table
    static: pa.Table
    rejected: pa.Table
    rows: int
    duplicates: int = 0


def detect_layout(header_line: str) -> str | None:
    return None


def read_csv(
    path: Path,
    layout: str,
    *,
    columns: dict[str, str] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[CsvBatch]:
    raise NotImplementedError(layout)
    yield
