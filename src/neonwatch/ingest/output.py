"""Writing the canonical datasets: Parquet partitioned by day, all or nothing.

A run writes into a hidden staging folder beside the destination and moves the finished
datasets into place only when every input has been read, so an interrupted or failed run
never leaves half-written state behind (the previous outputs stay as they were).
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from types import TracebackType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

UNKNOWN_DAY = "unknown"


ROW_GROUP_ROWS = 256_000  # rows buffered per day before a Parquet row group is written


class DayPartitionedWriter:
    """Streams tables into ``root/day=YYYY-MM-DD/part-0.parquet``, one open file per day.

    Rows are buffered per day and written in large row groups: many small writes cost more
    than the decoding that produced them, and readers scan large row groups faster.
    """

    def __init__(self, root: Path, schema: pa.Schema, time_column: str = "ts") -> None:
        self.root = root
        self.schema = schema
        self.time_column = time_column
        self.rows = 0
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._buffers: dict[str, list[pa.Table]] = {}
        self._buffered: dict[str, int] = {}

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        table = table.select(self.schema.names).cast(self.schema)
        ts = table[self.time_column]
        ts_valid = ts.is_valid().to_numpy(zero_copy_only=False)
        ts_ms = pc.cast(ts, pa.int64()).fill_null(0).to_numpy()
        day_number = np.where(ts_valid, np.floor_divide(ts_ms, 86_400_000), np.iinfo(np.int64).min)
        days = np.unique(day_number)
        for day in days.tolist():
            part = table if days.size == 1 else table.filter(pa.array(day_number == day))
            label = _day_label(day)
            self._buffers.setdefault(label, []).append(part)
            self._buffered[label] = self._buffered.get(label, 0) + part.num_rows
            if self._buffered[label] >= ROW_GROUP_ROWS:
                self._flush(label)
        self.rows += table.num_rows

    def _flush(self, label: str) -> None:
        parts = self._buffers.pop(label, [])
        self._buffered.pop(label, None)
        if parts:
            self._writer(label).write_table(pa.concat_tables(parts).combine_chunks())

    def _writer(self, label: str) -> pq.ParquetWriter:
        writer = self._writers.get(label)
        if writer is None:
            folder = self.root / f"day={label}"
            folder.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(folder / "part-0.parquet", self.schema, compression="zstd")
            self._writers[label] = writer
        return writer

    def close(self) -> None:
        for label in list(self._buffers):
            self._flush(label)
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()


def _day_label(day_number: int) -> str:
    if day_number == np.iinfo(np.int64).min:
        return UNKNOWN_DAY
    return str(np.datetime64(day_number, "D"))


class Staging:
    """A staging folder inside ``out`` whose datasets replace ``out``'s on :meth:`commit`."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = out / f".staging-{uuid.uuid4().hex[:12]}"

    def __enter__(self) -> Staging:
        self.path.mkdir(parents=True)
        return self

    def commit(self) -> None:
        """Move every staged dataset into place, replacing the previous one of the same name."""
        for item in sorted(self.path.iterdir()):
            target = self.out / item.name
            if target.exists():
                trash = self.out / f".old-{uuid.uuid4().hex[:12]}-{item.name}"
                target.rename(trash)
                item.rename(target)
                _remove(trash)
            else:
                item.rename(target)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _remove(self.path)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()
