"""Tracktable trajectory text (``*.traj``, Sandia's Tracktable): one trajectory per line.

``*T*,<uuid>,<domain>,<n points>,<n trajectory properties>,<properties...>,*P*,<domain>,2,1,1,
<n point properties>``, then for each point ``object_id, timestamp, longitude, latitude`` and
its point properties. Real New York harbour AIS comes this way (../shared/data/tracks).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from neonwatch.ingest import schema
from neonwatch.ingest.sources import open_input

MAGIC = "*T*,"


def looks_like_traj(first_line: str) -> bool:
    return first_line.startswith(MAGIC)


def read_traj(path: Path | str) -> tuple[pa.Table, int, list[tuple[int, str]]]:
    """(positions, trajectories read, [(line number, reason)] for refused lines).

    Each line is split once and its points taken as a block (NumPy reshape), so the cost is
    per trajectory, not per point.
    """
    with open_input(path) as source:
        text = b"".join(iter(lambda: source.read(1 << 20), b"")).decode("utf-8", "replace")
    frames, refused = [], []
    lines = [line for line in text.splitlines() if line.strip()]
    for number, line in enumerate(lines, start=1):
        fields = line.split(",")
        try:
            p = fields.index("*P*")
            n_points, n_props = int(fields[3]), int(fields[p + 5])
            width = 4 + n_props
            block = np.array(fields[p + 6 : p + 6 + n_points * width], dtype=object)
            block = block.reshape(n_points, width)
        except (ValueError, IndexError):
            refused.append((number, "malformed trajectory"))
            continue
        frames.append(
            pl.DataFrame(
                {"mmsi": block[:, 0], "ts": block[:, 1], "lon": block[:, 2], "lat": block[:, 3]},
                schema=dict.fromkeys(("mmsi", "ts", "lon", "lat"), pl.String),
            )
        )
    if not frames:
        return schema.POSITIONS.empty_table(), len(lines), refused
    df = pl.concat(frames).select(
        pl.col("mmsi").cast(pl.Int32, strict=False),
        pl.col("ts")
        .str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC", strict=False)
        .dt.cast_time_unit("ms"),
        pl.col("lat").cast(pl.Float64, strict=False),
        pl.col("lon").cast(pl.Float64, strict=False),
    )
    table = df.to_arrow()
    n = table.num_rows
    columns = {
        name: table[name] if name in table.column_names else pa.nulls(n, field.type)
        for name, field in zip(schema.POSITIONS.names, schema.POSITIONS, strict=True)
    }
    return pa.table(columns).cast(schema.POSITIONS), len(lines), refused
