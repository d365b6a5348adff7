"""Property tests: corrupted real logs never crash ingest, and every line is accounted for.

Runs of consecutive real lines (USCG tag blocks and multipart, DMA $PGHP, exactEarth groups,
libais trailing fields, gpsd's sample) are corrupted at random: truncated, characters flipped,
inserted or deleted, lines duplicated, dropped or swapped, random bytes (non-UTF-8 included)
spliced in. Whatever comes out, each input line ends as part of a message, skipped, or
rejected with a reason:

    lines == message_lines + sum(rejected.values()) + sum(skipped.values())

and ``rejected.parquet`` holds one row per rejected line, except that a multipart message
refused after reassembly (bad 6-bit character, bit length, coordinates, MMSI) is one row at its
first line while the summary counts each of its lines (see ``pipeline._decode_and_write``).
"""

from __future__ import annotations

import gzip
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from neonwatch.ingest import IngestSummary, decode_nmea, ingest

DATA = Path(__file__).parent / "data"

# Reasons given to a whole reassembled message (one rejected.parquet row, one count per line).
MESSAGE_REASONS = {
    "illegal 6-bit character",
    "wrong bit length",
    "impossible coordinates",
    "invalid MMSI",
}


def _lines(name: str, start: int, stop: int) -> list[bytes]:
    raw = (DATA / name).read_bytes()
    data = gzip.decompress(raw) if name.endswith(".gz") else raw
    return data.split(b"\n")[start:stop]


POOL: list[bytes] = (
    _lines("uscg-nais-2016-07-28-head3000.nmea.gz", 0, 260)
    + _lines("dma-aislib-stream-head2000.nmea.gz", 0, 120)
    + _lines("amsa-exact-earth-with-tag-block.txt", 0, 70)
    + _lines("libais-test.aivdm", 0, 40)
    + _lines("gpsd-sample.aivdm", 1000, 1121)
)
ANCHOR = POOL[21]  # a real USCG type 1 line, first in every file ingest sees (format sniffing)
assert b"VDM," in ANCHOR


def with_checksum(line: bytes) -> bytes:
    """Recompute a sentence's checksum after its payload was changed (if it still has one)."""
    bang = line.find(b"!", line.rfind(b"\\") + 1)
    star = line.find(b"*", bang)
    if bang < 0 or star < 0 or len(line) < star + 3:
        return line
    x = 0
    for b in line[bang + 1 : star]:
        x ^= b
    return line[: star + 1] + b"%02X" % x + line[star + 3 :]


def edit_payload(line: bytes, pos: int, new: bytes, cut: bool) -> bytes:
    """Change or cut a sentence's payload (field 6) and fix the checksum, so the damage gets
    past the sentence checks to the message decoder."""
    head, sep, sentence = line.rpartition(b"\\")
    fields = sentence.split(b",")
    if len(fields) < 7:
        return line
    payload = fields[5]
    pos = min(pos, len(payload))
    fields[5] = payload[:pos] if cut else payload[:pos] + new + payload[pos + 1 :]
    return with_checksum(head + sep + b",".join(fields))


@st.composite
def corrupted_lines(draw: st.DrawFn) -> list[bytes]:
    start = draw(st.integers(0, len(POOL) - 1))
    lines = list(POOL[start : start + draw(st.integers(0, 40))])
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(
            st.sampled_from(
                ["truncate", "flip", "insert", "delete", "duplicate", "drop", "swap", "bytes"]
                + ["payload", "cut payload"] * 2
            )
        )
        if not lines or kind == "bytes":
            at = draw(st.integers(0, len(lines)))
            lines.insert(at, draw(st.binary(max_size=100)))
            continue
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        pos = draw(st.integers(0, len(line)))
        if kind == "truncate":
            lines[i] = line[:pos]
        elif kind == "flip" and line:
            pos = min(pos, len(line) - 1)
            lines[i] = line[:pos] + bytes([draw(st.integers(0, 255))]) + line[pos + 1 :]
        elif kind == "insert":
            lines[i] = line[:pos] + draw(st.binary(min_size=1, max_size=8)) + line[pos:]
        elif kind == "delete":
            lines[i] = line[:pos] + line[pos + draw(st.integers(1, 8)) :]
        elif kind == "duplicate":
            lines.insert(i, line)
        elif kind == "drop":
            del lines[i]
        elif kind in ("payload", "cut payload"):
            new = draw(st.sampled_from([b"x", b"!", b"~", b" ", b"0", b"w", b"W", b"`", b"@"]))
            lines[i] = edit_payload(line, pos // 3, new, kind == "cut payload")
        elif kind == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return lines


def join(lines: list[bytes], crlf: bool, final_newline: bool) -> bytes:
    sep = b"\r\n" if crlf else b"\n"
    return sep.join(lines) + (sep if final_newline and lines else b"")


def line_count(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted_lines(), st.booleans(), st.booleans())
def test_decode_nmea_accounts_for_every_line(
    lines: list[bytes], crlf: bool, final_newline: bool
) -> None:
    data = join(lines, crlf, final_newline)
    log = decode_nmea(data)
    assert log.lines == line_count(data)
    refused = sum(log.rejected.values()) + sum(log.skipped.values())
    # every accepted message takes at least one of the lines not refused or skipped
    assert 0 <= log.messages <= log.lines - refused
    for msg_type, line_no in log.line_no.items():
        assert ((line_no >= 1) & (line_no <= log.lines)).all(), msg_type
        assert line_no.size == log.fields[msg_type]["mmsi"].size


def _frag_count(line: str) -> int:
    """Parts of the message a rejected first line starts (its NMEA fragment count)."""
    return int(line.split("\\")[-1].split(",")[1])


def check_accounting(summary: IngestSummary, out: Path, data: bytes) -> None:
    """Every line is in a message, skipped or rejected; rejected.parquet matches the counts."""
    rejected = sum(summary.rejected.values())
    assert summary.lines == line_count(data)
    assert summary.lines == summary.message_lines + rejected + sum(summary.skipped.values())
    assert summary.messages <= summary.message_lines
    assert summary.messages == sum(summary.types.values()) + summary.duplicates
    assert summary.positions + summary.duplicates <= summary.messages

    table = pq.read_table(out / "rejected" / "rejected.parquet").to_pylist()
    assert all(1 <= r["line_no"] <= summary.lines for r in table)
    lines_by_reason: Counter[str] = Counter()
    for r in table:
        parts = _frag_count(r["line"]) if r["reason"] in MESSAGE_REASONS else 1
        lines_by_reason[r["reason"]] += parts
    assert lines_by_reason == Counter(summary.rejected)
    assert len({r["line_no"] for r in table}) == len(table)  # one row per line at most


def check_ingest(data: bytes, chunk_bytes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.nmea"
        path.write_bytes(data)
        summary = ingest([path], Path(tmp) / "out")
        check_accounting(summary, Path(tmp) / "out", data)
        chunked = ingest([path], Path(tmp) / "chunked", chunk_bytes=chunk_bytes)
        check_accounting(chunked, Path(tmp) / "chunked", data)
        # Framing does not depend on where chunks are cut (multipart messages, orphans and
        # $PGHP times are carried over). What de-duplication keeps may (see
        # test_ingest_edge_cases: duplicates across chunks), and a duplicate of a refused
        # message is not refused, so message-level counts are not compared here.
        assert chunked.skipped == summary.skipped
        line_level = {k: v for k, v in summary.rejected.items() if k not in MESSAGE_REASONS}
        assert {k: v for k, v in chunked.rejected.items() if k not in MESSAGE_REASONS} == line_level


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted_lines(), st.booleans(), st.booleans(), st.integers(64, 4096))
@example(  # found by this test: DMA type 5 parts with an orphaned fragment between them
    lines=[
        b"!AIVDM,2,1,5,A,53`eSP025ij108M:221<D60`4<f222222222220Q000005?G0>5CQ1D`,0*39",
        b"!BYVDM,2,2,2,B,iQC2F8888888880,2*01",
        b"!AIVDM,2,2,5,A,53mp88888888880,2*3A",
        b"$PGHP,1,2010,6,11,11,46,12,241,232,0,,1,61*24",
    ],
    crlf=False,
    final_newline=False,
    chunk_bytes=64,
)
def test_ingest_accounts_for_every_line(
    lines: list[bytes], crlf: bool, final_newline: bool, chunk_bytes: int
) -> None:
    check_ingest(join([ANCHOR, *lines], crlf, final_newline), chunk_bytes)


def test_ingest_accounting_on_a_whole_real_sample() -> None:
    """The same invariants, uncorrupted, on the 3,000-line USCG sample in 4 KB chunks."""
    check_ingest(
        gzip.decompress((DATA / "uscg-nais-2016-07-28-head3000.nmea.gz").read_bytes()), 4096
    )
