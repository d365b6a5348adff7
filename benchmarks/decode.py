"""Decode throughput: neonwatch vs pyais vs aiscat on the same ~1M-line USCG NAIS log.

Run ``make bench`` (or ``python benchmarks/decode.py``); see ``benchmarks/README.md``.

The input is the 100,000-line USCG NAIS log in ``../shared/data/nmea`` repeated ``--copies``
times (default 10). Every copy's tag-block ``c:`` receive time is shifted by ``k * 3600`` s and the
tag-block checksum recomputed, so the copies are not duplicates of each other: neonwatch drops a
message heard again within 60 s, and byte-identical copies would turn 90% of the input into
artificial duplicates.

The last line is machine-readable::

    decode: neonwatch=N msg/s pyais_ratio=X aiscat_ratio=Y

aiscat (GPL-3.0) is used here only, as a comparison; neonwatch itself never imports it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
DATA_ENV = "NEONWATCH_SHARED_DATA"
LOG = Path("nmea", "uscg-nais-maritimeviz", "ais_2016_07_28_aa")
SHIFT_S = 3600  # per copy; far beyond neonwatch's 60 s de-duplication window

BAR_RATE = 1_000_000
BAR_PYAIS = 8.0
BAR_AISCAT = 1.3

# The position rows aiscat's end-to-end path writes: neonwatch's positions schema minus
# ``station`` (aiscat's dicts do not carry the tag-block s: field).
POSITION_TYPES = frozenset((1, 2, 3, 18, 19, 27))
AISCAT_POSITIONS = pa.schema(
    [
        ("mmsi", pa.int32()),
        ("ts", pa.timestamp("ms", tz="UTC")),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("sog", pa.float32()),
        ("cog", pa.float32()),
        ("heading", pa.int16()),
        ("nav_status", pa.int8()),
        ("msg_type", pa.int8()),
    ]
)
AISCAT_BATCH = 256 * 1024  # messages per Parquet write, so memory stays bounded


def say(text: str) -> None:
    """Progress on stderr, so stdout holds only the results."""
    print(text, file=sys.stderr, flush=True)


def source_log() -> Path:
    data = Path(os.environ.get(DATA_ENV) or REPO.parent / "shared" / "data")
    path = data / LOG
    if not path.is_file():
        sys.exit(
            f"benchmarks/decode.py: input log not found: {path}\n"
            f"It is the USCG NAIS sample in the shared data folder ({REPO.parent / 'shared/data'} "
            f"by default). Point {DATA_ENV} at the folder that holds nmea/, e.g.\n"
            f"  {DATA_ENV}=/path/to/shared/data python benchmarks/decode.py"
        )
    return path


# --------------------------------------------------------------------------- input


def tag_block_checksum(body: bytes) -> bytes:
    """XOR of the characters between the backslash and the ``*``, two uppercase hex digits."""
    x = 0
    for c in body:
        x ^= c
    return b"%02X" % x


def shift_line(line: bytes, seconds: int) -> bytes:
    """``line`` with its tag-block ``c:`` moved ``seconds`` later (checksum recomputed)."""
    if not seconds or not line.startswith(b"\\"):
        return line
    end = line.find(b"\\", 1)
    if end < 0:
        return line
    body, star, _ = line[1:end].partition(b"*")
    fields = body.split(b",")
    changed = False
    for i, f in enumerate(fields):
        if f.startswith(b"c:") and f[2:].isdigit():
            t = int(f[2:])
            t += seconds * 1000 if t > 100_000_000_000 else seconds  # epoch ms or s
            fields[i] = b"c:%d" % t
            changed = True
    if not changed:
        return line
    new_body = b",".join(fields)
    tail = star + tag_block_checksum(new_body) if star else b""
    return b"\\" + new_body + tail + line[end:]


def build_input(src: Path, dest: Path, copies: int) -> int:
    """Write ``copies`` time-shifted copies of ``src`` to ``dest``; return the line count."""
    lines = src.read_bytes().splitlines(keepends=True)
    if lines and not lines[-1].endswith(b"\n"):
        lines[-1] += b"\n"
    with open(dest, "wb") as out:
        for k in range(copies):
            out.writelines(shift_line(line, k * SHIFT_S) for line in lines)
    return len(lines) * copies


def head_lines(src: Path, dest: Path, n: int) -> int:
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        count = 0
        for line in fin:
            if count == n:
                break
            fout.write(line)
            count += 1
    return count


# --------------------------------------------------------------------------- timing


@dataclass
class Result:
    name: str
    what: str
    lines: int
    messages: int
    seconds: float
    cpu: float  # process CPU seconds (all threads) of the timed run

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def best_of(repeat: int, run: Callable[[], int]) -> tuple[float, float, int]:
    """Fastest wall time of ``repeat`` calls of ``run`` (which returns its message count), the
    process CPU time of that call, and the count."""
    best, best_cpu = float("inf"), 0.0
    count = 0
    for _ in range(repeat):
        cpu = time.process_time()
        started = time.perf_counter()
        count = run()
        wall = time.perf_counter() - started
        if wall < best:
            best, best_cpu = wall, time.process_time() - cpu
    return best, best_cpu, count


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --------------------------------------------------------------------------- the tools


def bench_neonwatch(path: Path, work: Path, lines: int, repeat: int) -> tuple[Result, dict]:
    from neonwatch.ingest.pipeline import ingest

    runs = iter(range(1_000_000))
    last: dict = {}

    def run() -> int:
        out = work / f"neonwatch-out-{next(runs)}"
        summary = ingest([path], out)
        last.update(
            messages=summary.messages,
            duplicates=summary.duplicates,
            positions=summary.positions,
            lines=summary.lines,
            rejected=sum(summary.rejected.values()),
        )
        return summary.messages

    say("neonwatch: warm-up run (numba compiles or loads its cache) ...")
    run()
    shutil.rmtree(work / "neonwatch-out-0", ignore_errors=True)
    say(f"neonwatch: best of {repeat} ...")
    seconds, cpu, messages = best_of(repeat, run)
    for out in work.glob("neonwatch-out-*"):
        shutil.rmtree(out, ignore_errors=True)
    result = Result(
        "neonwatch",
        "read, decode, de-duplicate, Parquet",
        lines,
        messages,
        seconds,
        cpu,
    )
    return result, last


def bench_pyais(path: Path, lines: int, repeat: int) -> tuple[Result, int]:
    from pyais.stream import FileReaderStream

    errors = 0

    def run() -> int:
        nonlocal errors
        decoded = errors = 0
        # FileReaderStream parses tag blocks and reassembles multipart messages.
        for msg in FileReaderStream(str(path)):
            try:
                msg.decode()
            except Exception:  # unsupported types and malformed payloads
                errors += 1
            else:
                decoded += 1
        return decoded

    say(f"pyais: first {lines:,} lines, best of {repeat} ...")
    seconds, cpu, messages = best_of(repeat, run)
    return Result("pyais", "decode only", lines, messages, seconds, cpu), errors


def aiscat_rows(path: Path) -> Iterator[tuple[int, list[list]]]:
    """(messages read, position columns) per batch of aiscat dicts."""
    import aiscat

    def empty() -> list[list]:
        return [[] for _ in AISCAT_POSITIONS]

    cols = empty()
    mmsi, ts, lat, lon, sog, cog, heading, status, mtype = cols
    n = 0
    for d in aiscat.from_file(str(path)):
        n += 1
        t = d["type"]
        if t in POSITION_TYPES:
            mmsi.append(d["mmsi"])
            toa = d.get("toa_ns")
            ts.append(None if toa is None else toa // 1_000_000)
            lat.append(d.get("lat"))
            lon.append(d.get("lon"))
            sog.append(d.get("speed"))
            cog.append(d.get("course"))
            heading.append(d.get("heading"))
            status.append(d.get("status"))
            mtype.append(t)
        if n % AISCAT_BATCH == 0:
            yield n, cols
            n = 0
            cols = empty()
            mmsi, ts, lat, lon, sog, cog, heading, status, mtype = cols
    yield n, cols


def bench_aiscat(path: Path, work: Path, lines: int, repeat: int) -> tuple[Result, Result]:
    import aiscat

    def decode_only() -> int:
        n = 0
        for _ in aiscat.from_file(str(path)):
            n += 1
        return n

    def to_parquet() -> int:
        total = 0
        out = work / "aiscat-positions.parquet"
        with pq.ParquetWriter(out, AISCAT_POSITIONS, compression="zstd") as writer:
            for n, cols in aiscat_rows(path):
                total += n
                arrays = [
                    pa.array(c, type=f.type) for c, f in zip(cols, AISCAT_POSITIONS, strict=True)
                ]
                writer.write_table(pa.Table.from_arrays(arrays, schema=AISCAT_POSITIONS))
        out.unlink()
        return total

    say(f"aiscat: decode only, best of {repeat} ...")
    s1, c1, n1 = best_of(repeat, decode_only)
    say(f"aiscat: to Parquet, best of {repeat} ...")
    s2, c2, n2 = best_of(repeat, to_parquet)
    return (
        Result("aiscat", "decode only (dicts)", lines, n1, s1, c1),
        Result("aiscat", "decode, dicts -> Parquet", lines, n2, s2, c2),
    )


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=10, help="copies of the log (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per tool (best kept)")
    parser.add_argument(
        "--pyais-lines", type=int, default=200_000, help="lines pyais decodes (default 200000)"
    )
    args = parser.parse_args()

    try:
        import aiscat  # noqa: F401
        import pyais  # noqa: F401
    except ImportError as exc:
        sys.exit(f"benchmarks/decode.py needs {exc.name}: pip install -e '.[bench]'")

    src = source_log()
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores

    with tempfile.TemporaryDirectory(prefix="neonwatch-bench-") as tmp:
        work = Path(tmp)
        path = work / f"uscg-nais-x{args.copies}.nmea"
        say(f"input: {args.copies} time-shifted copies of {src} -> {path} ...")
        lines = build_input(src, path, args.copies)
        size_mb = path.stat().st_size / 1e6
        head = work / "pyais-head.nmea"
        pyais_lines = head_lines(path, head, args.pyais_lines)

        nw, nw_info = bench_neonwatch(path, work, lines, args.repeat)
        rss_neonwatch = peak_rss_mib()
        py, py_errors = bench_pyais(head, pyais_lines, args.repeat)
        ac_decode, ac_parquet = bench_aiscat(path, work, lines, args.repeat)

    py_ratio = nw.rate / py.rate if py.rate else float("inf")
    ac_ratio = nw.rate / ac_parquet.rate if ac_parquet.rate else float("inf")
    ac_decode_ratio = nw.rate / ac_decode.rate if ac_decode.rate else float("inf")

    table = Table(title=f"AIS decode throughput, {lines:,} lines ({size_mb:.1f} MB)")
    table.add_column("tool")
    table.add_column("timed")
    table.add_column("lines", justify="right")
    table.add_column("messages", justify="right")
    table.add_column("best s", justify="right")
    table.add_column("cpu s", justify="right")
    table.add_column("msg/s", justify="right")
    table.add_column("neonwatch ×", justify="right")
    for r in (nw, py, ac_decode, ac_parquet):
        table.add_row(
            r.name,
            r.what,
            f"{r.lines:,}",
            f"{r.messages:,}",
            f"{r.seconds:.3f}",
            f"{r.cpu:.3f}",
            f"{r.rate:,.0f}",
            "-" if r is nw else f"{nw.rate / r.rate:.2f}",
        )
    Console(width=max(shutil.get_terminal_size().columns, 120)).print(table)

    print(
        f"input: {src.name} x{args.copies}, copy k's tag-block c: shifted by k*{SHIFT_S} s "
        f"(checksums recomputed) = {lines:,} lines"
    )
    print(
        f"neonwatch: messages = IngestSummary.messages = AIS messages read and accepted, "
        f"all types, multipart counted once, duplicates included, rejected excluded "
        f"({nw_info['duplicates']:,} duplicates dropped, {nw_info['positions']:,} positions "
        f"written, {nw_info['rejected']:,} lines rejected); warm-up run, then best of "
        f"{args.repeat}"
    )
    unique = nw.messages - nw_info["duplicates"]
    print(
        f"neonwatch: only {unique:,} of those messages are not duplicates "
        f"({unique / nw.seconds:,.0f} unique msg/s); the pipeline may drop duplicates without "
        f"decoding them, whereas pyais and aiscat decode every message"
    )
    print(
        f"pyais: FileReaderStream + .decode() on the first {pyais_lines:,} lines only "
        f"({py.messages:,} decoded, {py_errors} failed), msg/s extrapolated to the full input "
        f"(~{nw.messages / py.rate:.1f} s for {nw.messages:,} messages); best of {args.repeat}"
    )
    print(
        f"aiscat decode-only (dicts, no output): {ac_decode.rate:,.0f} msg/s, "
        f"neonwatch ratio {ac_decode_ratio:.2f}"
    )
    print(
        f"aiscat to Parquet (position dicts -> pyarrow -> zstd Parquet, no de-duplication, "
        f"no station column): {ac_parquet.rate:,.0f} msg/s, neonwatch ratio {ac_ratio:.2f}"
    )
    print(
        f"cores: os.cpu_count()={cores}, usable={usable}; peak RSS (whole process): "
        f"{rss_neonwatch:,.0f} MiB after neonwatch, {peak_rss_mib():,.0f} MiB at the end"
    )
    bars = (
        (nw.rate >= BAR_RATE, f"neonwatch >= {BAR_RATE:,} msg/s end to end ({nw.rate:,.0f})"),
        (py_ratio >= BAR_PYAIS, f"neonwatch >= {BAR_PYAIS:g}x pyais ({py_ratio:.2f}x)"),
        (
            ac_ratio >= BAR_AISCAT,
            f"neonwatch >= {BAR_AISCAT:g}x aiscat to Parquet ({ac_ratio:.2f}x)",
        ),
    )
    for ok, text in bars:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    print(
        f"decode: neonwatch={nw.rate:.0f} msg/s "
        f"pyais_ratio={py_ratio:.2f} aiscat_ratio={ac_ratio:.2f}"
    )


if __name__ == "__main__":
    main()
