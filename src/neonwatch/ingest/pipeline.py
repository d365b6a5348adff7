"""``ingest``: any mix of AIS logs and position CSVs -> the canonical Parquet datasets.

Input streams through in fixed-size chunks, so memory stays bounded whatever the input size.
While the main thread frames one chunk (byte scan, multipart reassembly), a worker thread
decodes, de-duplicates and writes the previous one: the two halves take about the same time,
so the 2-core machine this project targets runs both at once.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from neonwatch.ingest import csv as csv_reader
from neonwatch.ingest import history, messages, nmea, schema, traj
from neonwatch.ingest.output import DayPartitionedWriter, Staging
from neonwatch.ingest.sources import Input, open_input

CHUNK_BYTES = 4 << 20
DEDUP_WINDOW_MS = 60_000  # a payload heard again within a minute is the same transmission
DEDUP_LATENESS_MS = 15 * 60_000  # how late a copy may arrive (satellite AIS lags by minutes)
DEDUP_RECENT_MESSAGES = 200_000  # and payloads kept this recently are remembered regardless
SNIFF_BYTES = 64 << 10
STATIC_BATCH_ROWS = 200_000
TRACKTABLE = "tracktable"

ProgressCallback = Callable[[int], None]


@dataclass
class IngestSummary:
    """What a run read, kept, skipped and refused (printed by ``neonwatch ingest --json``)."""

    messages: int = 0  # AIS messages read and accepted, duplicates included (all types)
    positions: int = 0  # unique position rows written
    vessels: int = 0  # vessel identity rows written
    base_stations: int = 0
    duplicates: int = 0  # of those, heard again by another station within a minute (dropped)
    lines: int = 0  # input lines (NMEA) or rows (CSV) read
    message_lines: int = 0  # lines that make up those messages
    untimed: int = 0  # positions without a receive time (kept, under day=unknown)
    rejected: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    types: dict[str, int] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    out: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def detect_format(path: Path, columns: dict[str, str] | None = None) -> str:
    """``nmea``, or the CSV layout name (see :mod:`neonwatch.ingest.csv`)."""
    with open_input(path) as source:
        head = source.read(SNIFF_BYTES)
    text = head.decode("utf-8", "replace")
    first_line = text.split("\n", 1)[0]
    if columns:
        return csv_reader.CUSTOM
    layout = csv_reader.detect_layout(first_line)
    if layout:
        return layout
    if traj.looks_like_traj(first_line):
        return TRACKTABLE
    if "VDM," in text or "VDO," in text:
        return "nmea"
    raise ValueError(
        f"{path}: not a recognised AIS log or CSV. NMEA logs need !xxVDM/!xxVDO sentences; "
        "for another CSV give the column mapping, e.g. "
        "--columns mmsi=MMSI,ts=time,lat=latitude,lon=longitude"
    )


def read_chunks(
    source: Input, chunk_bytes: int, on_progress: ProgressCallback | None = None
) -> Iterator[bytes]:
    """Blocks of whole lines (the last block may lack a final newline)."""
    position = 0
    rest = b""
    while True:
        block = source.read(chunk_bytes)
        if on_progress is not None:
            now = source.consumed()
            on_progress(now - position)
            position = now
        if not block:
            if rest:
                yield rest
            return
        data = rest + block
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            rest = data
            continue
        rest = data[cut:]
        yield data[:cut]


class Deduplicator:
    """Drops a message whose payload was already heard within ``window_ms``.

    Of copies of one payload, the first in input order is kept and the others within the
    window are dropped, so the outcome does not depend on where chunks are cut. Each kept
    payload is remembered until it is both ``lateness_ms`` older than the newest time seen
    (satellite receivers deliver minutes late, so copies can arrive far apart) and more than
    ``recent`` messages back (so a log that steps back in time still meets its own copies).
    Memory is bounded by the distinct messages of that span.
    """

    def __init__(
        self,
        window_ms: int = DEDUP_WINDOW_MS,
        lateness_ms: int = DEDUP_LATENESS_MS,
        recent: int = DEDUP_RECENT_MESSAGES,
    ) -> None:
        self.window_ms = window_ms
        self.lateness_ms = lateness_ms
        self.recent = recent
        self._hash = np.zeros(0, dtype=np.uint64)  # sorted
        self._ts = np.zeros(0, dtype=np.int64)
        self._seq = np.zeros(0, dtype=np.int64)  # when each entry was last kept
        self._newest = np.iinfo(np.int64).min
        self._count = 0

    def duplicates(self, hashes: np.ndarray, ts_ms: np.ndarray, order: np.ndarray) -> np.ndarray:
        """A mask of the messages to drop; ``order`` is their input order (line numbers).
        Messages without a time are never dropped."""
        dup = np.zeros(hashes.size, dtype=bool)
        timed = np.flatnonzero(ts_ms != nmea.NO_TIME)
        seq = np.full(hashes.size, self._count, dtype=np.int64)  # for recency, chunk-wise
        self._count += hashes.size
        if timed.size == 0:
            return dup
        by_hash = np.argsort(hashes[timed])
        idx = timed[by_hash]  # messages grouped by hash
        h, t, rank = hashes[idx], ts_ms[idx], order[idx]
        run_start = np.empty(h.size, dtype=bool)
        run_start[0] = True
        np.not_equal(h[1:], h[:-1], out=run_start[1:])
        starts = np.flatnonzero(run_start)
        run = np.cumsum(run_start) - 1
        keeper = rank == np.minimum.reduceat(rank, starts)[run]
        keeper &= np.r_[True, ~(keeper[1:] & keeper[:-1] & ~run_start[1:])]  # one per run
        keeper_ts = np.maximum.reduceat(np.where(keeper, t, np.iinfo(np.int64).min), starts)[run]
        drop = ~keeper & (np.abs(t - keeper_ts) <= self.window_ms)
        if self._hash.size:  # against what earlier chunks kept
            pos = np.minimum(np.searchsorted(self._hash, h), self._hash.size - 1)
            known = self._hash[pos] == h
            drop |= known & (np.abs(t - self._ts[pos]) <= self.window_ms)
        else:
            pos = np.zeros(h.size, dtype=np.int64)
            known = np.zeros(h.size, dtype=bool)
        dup[idx[drop]] = True
        kept = ~drop
        self._remember(h[kept], t[kept], seq[idx[kept]], pos[kept], known[kept])
        return dup

    def forget(self, hashes: np.ndarray) -> None:
        """Drop payloads whose kept copy was refused: their other copies must be judged too."""
        if hashes.size and self._hash.size:
            keep = ~np.isin(self._hash, hashes)
            self._hash, self._ts, self._seq = self._hash[keep], self._ts[keep], self._seq[keep]

    def _remember(
        self, h: np.ndarray, t: np.ndarray, seq: np.ndarray, pos: np.ndarray, known: np.ndarray
    ) -> None:
        """Record kept copies (``h`` sorted): update known hashes, insert new ones (one entry
        per hash, its latest time), forget what is both old and long ago."""
        if h.size:
            self._newest = max(self._newest, int(t.max()))
        if known.any():
            np.maximum.at(self._ts, pos[known], t[known])
            np.maximum.at(self._seq, pos[known], seq[known])
        fresh = ~known
        fresh_h, fresh_t, fresh_seq = h[fresh], t[fresh], seq[fresh]
        if fresh_h.size:
            first = np.flatnonzero(np.r_[True, fresh_h[1:] != fresh_h[:-1]])
            at = np.searchsorted(self._hash, fresh_h[first])
            self._hash = np.insert(self._hash, at, fresh_h[first])
            self._ts = np.insert(self._ts, at, np.maximum.reduceat(fresh_t, first))
            self._seq = np.insert(self._seq, at, np.maximum.reduceat(fresh_seq, first))
        stale = (self._ts < self._newest - self.window_ms - self.lateness_ms) & (
            self._seq < self._count - self.recent
        )
        if stale.any():
            keep = ~stale
            self._hash, self._ts, self._seq = self._hash[keep], self._ts[keep], self._seq[keep]


@dataclass
class _Sinks:
    positions: DayPartitionedWriter
    base_stations: DayPartitionedWriter
    rejected: pq.ParquetWriter
    static_runs: list[pl.DataFrame]
    static_reports: list[pa.Table] = field(default_factory=list)
    static_buffered: int = 0

    def add_static(self, reports: pa.Table) -> None:
        """Keep static reports, collapsed into identity runs every so often (and runs merged
        again) so that memory stays bounded by the number of distinct identities."""
        self.static_reports.append(reports)
        self.static_buffered += reports.num_rows
        if self.static_buffered >= STATIC_BATCH_ROWS:
            self.flush_static()

    def flush_static(self) -> None:
        if self.static_reports:
            self.static_runs.append(history.collapse_reports(pa.concat_tables(self.static_reports)))
            self.static_reports, self.static_buffered = [], 0
        if len(self.static_runs) >= 16:
            self.static_runs = [history.merge_runs(pl.concat(self.static_runs))]

    def close(self) -> None:
        self.positions.close()
        self.base_stations.close()
        self.rejected.close()


def ingest(
    paths: Sequence[Path | str],
    out: Path | str,
    *,
    columns: dict[str, str] | None = None,
    on_progress: ProgressCallback | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> IngestSummary:
    """Read every input and write ``positions``, ``vessels``, ``base_stations`` and
    ``rejected`` under ``out``, replacing earlier outputs only once all inputs are read."""
    started = time.perf_counter()
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = IngestSummary(out=str(out_dir))
    counts: dict[str, Counter[str]] = {k: Counter() for k in ("rejected", "skipped", "types")}
    with Staging(out_dir) as stage:
        sinks = _Sinks(
            positions=DayPartitionedWriter(stage.path / "positions", schema.POSITIONS),
            base_stations=DayPartitionedWriter(stage.path / "base_stations", schema.BASE_STATIONS),
            rejected=_rejected_writer(stage.path / "rejected"),
            static_runs=[],
        )
        dedup = Deduplicator()  # one for the run: stations' logs may come as separate files
        # Recognise every input before reading any, so a bad last file fails in a second.
        formats = [(Path(p), detect_format(Path(p), columns)) for p in paths]
        try:
            for path, fmt in formats:
                before = summary.messages, summary.lines
                if fmt == "nmea":
                    _ingest_nmea(path, sinks, summary, counts, dedup, chunk_bytes, on_progress)
                elif fmt == TRACKTABLE:
                    _ingest_traj(path, sinks, summary, counts)
                else:
                    _ingest_csv(path, fmt, columns, sinks, summary, counts, on_progress)
                summary.files.append(
                    {
                        "path": str(path),
                        "format": fmt,
                        "lines": summary.lines - before[1],
                        "messages": summary.messages - before[0],
                    }
                )
            sinks.flush_static()
        finally:
            sinks.close()
        runs = history.merge_runs(pl.concat(sinks.static_runs)) if sinks.static_runs else None
        vessels = history.vessel_history(runs) if runs is not None else schema.VESSELS.empty_table()
        vessel_writer = DayPartitionedWriter(stage.path / "vessels", schema.VESSELS, "first_seen")
        vessel_writer.write(vessels)
        vessel_writer.close()
        summary.vessels = vessels.num_rows
        summary.positions = sinks.positions.rows
        summary.base_stations = sinks.base_stations.rows
        summary.rejected = dict(counts["rejected"].most_common())
        summary.skipped = dict(counts["skipped"].most_common())
        summary.types = {str(k): v for k, v in sorted(counts["types"].items(), key=_type_key)}
        summary.seconds = round(time.perf_counter() - started, 3)
        (stage.path / "summary.json").write_text(json.dumps(summary.to_json(), indent=2))
        stage.commit()
    return summary


def _type_key(item: tuple[str, int]) -> int:
    return int(item[0])


def _ingest_nmea(
    path: Path,
    sinks: _Sinks,
    summary: IngestSummary,
    counts: dict[str, Counter[str]],
    dedup: Deduplicator,
    chunk_bytes: int,
    on_progress: ProgressCallback | None,
) -> None:
    state = nmea.FramerState()
    carry = b""
    pending: Future[None] | None = None
    with open_input(path) as source, ThreadPoolExecutor(max_workers=1) as worker:
        chunks = read_chunks(source, chunk_bytes, on_progress)
        block = next(chunks, None)
        while block is not None:
            following = next(chunks, None)
            data = carry + block
            framed = nmea.frame(data, state, final=following is None)
            carry = framed.carry
            if pending is not None:
                pending.result()
            pending = worker.submit(
                _decode_and_write, path, data, framed, dedup, sinks, summary, counts
            )
            block = following
        if pending is not None:
            pending.result()


def _decode_and_write(
    path: Path,
    data: bytes,
    framed: nmea.Framed,
    dedup: Deduplicator,
    sinks: _Sinks,
    summary: IngestSummary,
    counts: dict[str, Counter[str]],
) -> None:
    msgs = framed.messages
    # De-duplicate before decoding: in real feeds most messages are heard by several stations
    # (65% in the USCG NAIS log), and a duplicate need not be decoded at all.
    dup = dedup.duplicates(msgs.digest, msgs.ts_ms, msgs.line_no)
    decoded = messages.decode(msgs, skip=dup)
    if decoded.rejected_msgs.size and dup.any():
        # Copies of a refused message are refused too, not counted as accepted duplicates.
        refused = msgs.digest[decoded.rejected_msgs]
        dedup.forget(refused)
        copies = dup & np.isin(msgs.digest, refused)
        if copies.any():
            dup &= ~copies
            decoded = messages.decode(msgs, skip=dup)
    ok = np.ones(msgs.size, dtype=bool)
    ok[decoded.rejected_msgs] = False
    summary.lines += framed.lines
    summary.messages += int(ok.sum())
    summary.message_lines += int(msgs.n_parts[ok].sum())
    summary.duplicates += int(dup.sum())
    counts["skipped"].update(framed.skipped)
    counts["types"].update({str(k): v for k, v in decoded.type_counts.items()})

    positions = decoded.positions
    summary.untimed += positions["ts"].null_count
    sinks.positions.write(positions)
    sinks.base_stations.write(decoded.base_stations)
    static = decoded.static
    if static.num_rows:
        sinks.add_static(static)

    rejected_parts = msgs.n_parts[decoded.rejected_msgs]
    for reason, n in zip(decoded.rejected_reasons, rejected_parts.tolist(), strict=True):
        counts["rejected"][reason] += n
    counts["rejected"].update(framed.rejected_reasons)
    texts = framed.rejected_text + [
        data[s:e]
        for s, e in zip(
            msgs.line_start[decoded.rejected_msgs].tolist(),
            msgs.line_end[decoded.rejected_msgs].tolist(),
            strict=True,
        )
    ]
    if texts:
        sinks.rejected.write_table(
            pa.table(
                {
                    "source": pa.array([str(path)] * len(texts), pa.string()),
                    "line_no": pa.array(
                        np.concatenate(
                            [framed.rejected_line_no, msgs.line_no[decoded.rejected_msgs]]
                        ),
                        pa.int64(),
                    ),
                    "reason": pa.array(framed.rejected_reasons + decoded.rejected_reasons),
                    "line": pa.array([t.decode("utf-8", "replace") for t in texts], pa.string()),
                },
                schema=schema.REJECTED,
            )
        )


def _ingest_traj(
    path: Path, sinks: _Sinks, summary: IngestSummary, counts: dict[str, Counter[str]]
) -> None:
    """Tracktable trajectories: small files of whole tracks, read at once (lines are tracks)."""
    positions, lines, refused = traj.read_traj(path)
    summary.lines += lines
    summary.messages += positions.num_rows
    summary.message_lines += lines - len(refused)
    sinks.positions.write(positions)
    if refused:
        counts["rejected"].update(reason for _, reason in refused)
        sinks.rejected.write_table(
            pa.table(
                {
                    "source": [str(path)] * len(refused),
                    "line_no": [n for n, _ in refused],
                    "reason": [r for _, r in refused],
                    "line": [""] * len(refused),
                },
                schema=schema.REJECTED,
            )
        )


def _ingest_csv(
    path: Path,
    layout: str,
    columns: dict[str, str] | None,
    sinks: _Sinks,
    summary: IngestSummary,
    counts: dict[str, Counter[str]],
    on_progress: ProgressCallback | None,
) -> None:
    for batch in csv_reader.read_csv(path, layout, columns=columns, on_progress=on_progress):
        summary.lines += batch.rows
        # As for NMEA: messages are the rows accepted, duplicates included.
        summary.messages += batch.positions.num_rows + batch.duplicates
        summary.message_lines += batch.positions.num_rows + batch.duplicates
        summary.untimed += batch.positions["ts"].null_count
        sinks.positions.write(batch.positions)
        if batch.static.num_rows:
            sinks.add_static(batch.static)
        if batch.rejected.num_rows:
            counts["rejected"].update(batch.rejected["reason"].to_pylist())
            sinks.rejected.write_table(batch.rejected.cast(schema.REJECTED))
        summary.duplicates += batch.duplicates


def _rejected_writer(folder: Path) -> pq.ParquetWriter:
    """Every refused line with its reason, so nothing disappears silently."""
    folder.mkdir(parents=True, exist_ok=True)
    return pq.ParquetWriter(folder / "rejected.parquet", schema.REJECTED, compression="zstd")
