"""NMEA 0183 AIS framing: a chunk of a log -> checked sentences -> reassembled messages.

Recognised line shapes (any talker, VDM or VDO):

* ``!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C``
* with an NMEA 4.0 tag block: ``\\g:1-2-0738,s:D08MN-NO-BSABS1,c:1469663999*0E\\!SAVDM,...``
* after a Danish Maritime Authority time line: ``$PGHP,1,2010,6,11,11,46,11,390,...``
* with a trailing receive time: ``!AIVDM,...,0*51,1327992119173`` (epoch s or ms)

Every line ends in exactly one of: part of a message, skipped (comments, blank lines, other
NMEA sentences, time lines), or rejected with a reason. The byte scan is in ``scan.py``; the rest
(receive times, tag-block groups, multipart reassembly) is vectorised over whole columns here.
Tag-block checksums are not enforced: real feeds (exactEarth among them) write ``*00``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from neonwatch.ingest import scan as sc
from neonwatch.ingest.bits import SIXBIT, ByteArray, IntArray, factorize

NO_TIME = sc.NO_TIME
MAX_PART_SPAN = 50  # lines: parts of one multipart message further apart than this are orphans


class Reason:
    """Why a line or message was rejected (the keys of the summary's ``rejected`` counts)."""

    BAD_CHECKSUM = "bad checksum"
    TRUNCATED = "truncated sentence"
    BAD_FIELDS = "malformed sentence fields"
    GARBAGE = "not an NMEA sentence"
    BAD_TAG_BLOCK = "malformed tag block"
    BAD_TIME_LINE = "malformed $PGHP time line"
    TRAILING = "trailing text after checksum"
    ORPHAN = "orphaned multipart fragment"
    BAD_PAYLOAD_CHAR = "illegal 6-bit character"
    BAD_BIT_LENGTH = "wrong bit length"
    BAD_COORDINATES = "impossible coordinates"
    BAD_MMSI = "invalid MMSI"


class Skip:
    """Lines that carry no AIS message and are not errors (the summary's ``skipped``)."""

    COMMENT = "comment or blank"
    OTHER_SENTENCE = "other NMEA sentence"
    TIME_LINE = "time line ($PGHP)"
    TAG_ONLY = "tag block without sentence"


_KIND_LABELS = {
    sc.COMMENT: Skip.COMMENT,
    sc.TAG_ONLY: Skip.TAG_ONLY,
    sc.PGHP: Skip.TIME_LINE,
    sc.OTHER_SENTENCE: Skip.OTHER_SENTENCE,
    sc.GARBAGE: Reason.GARBAGE,
    sc.BAD_TAG_BLOCK: Reason.BAD_TAG_BLOCK,
    sc.TRUNCATED: Reason.TRUNCATED,
    sc.BAD_CHECKSUM: Reason.BAD_CHECKSUM,
    sc.BAD_FIELDS: Reason.BAD_FIELDS,
    sc.TRAILING: Reason.TRAILING,
    sc.BAD_TIME_LINE: Reason.BAD_TIME_LINE,
}
_SKIP_KINDS = (sc.COMMENT, sc.TAG_ONLY, sc.PGHP, sc.OTHER_SENTENCE)
_ORPHAN = 100  # kind code for orphaned fragments, after reassembly


@dataclass
class FramerState:
    """What one chunk hands to the next: the last $PGHP time and the next line number."""

    pghp_ms: int = NO_TIME
    next_line_no: int = 1


@dataclass
class Messages:
    """Reassembled AIS messages of one chunk: payloads as 6-bit values, one row per message."""

    sixbit: ByteArray  # concatenated 6-bit values of every message's payload
    offsets: IntArray  # message i is sixbit[offsets[i]:offsets[i+1]]
    fill: IntArray  # fill bits of the last part
    digest: npt.NDArray[np.uint64]  # 64-bit hash of the payload, for de-duplication
    ts_ms: IntArray  # receive time, epoch ms UTC, NO_TIME when unknown
    station_code: IntArray  # index into ``stations``, -1 when unknown
    line_no: IntArray  # 1-based line (within the source) of the message's first part
    n_parts: IntArray  # sentences (lines) the message was made of
    line_start: IntArray  # byte range of the first part's line within the chunk
    line_end: IntArray
    stations: list[str]

    @property
    def size(self) -> int:
        return int(self.fill.size)


@dataclass
class Framed:
    """The framer's answer for one chunk.

    The messages themselves are assembled on first access to :attr:`messages`, so that a
    pipeline can do that stateless work on another thread than the sequential framing.
    """

    rejected_line_no: IntArray  # 1-based line numbers within the source
    rejected_reasons: list[str]
    rejected_text: list[bytes]
    skipped: dict[str, int]
    lines: int
    carry: bytes  # trailing lines held back for the next chunk (incomplete multipart)
    _parts: tuple[Any, ...] = field(repr=False)
    _messages: Messages | None = field(default=None, repr=False)

    @property
    def messages(self) -> Messages:
        if self._messages is None:
            self._messages = _build_messages(*self._parts)
            self._parts = ()
        return self._messages


def frame(data: bytes, state: FramerState, final: bool = True) -> Framed:
    """Split a chunk of a log into AIS messages, skipped lines and rejected lines.

    ``data`` must end at a line boundary unless ``final``. Multipart messages still incomplete
    at the end of a non-final chunk come back in ``carry``, to be put before the next chunk.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    lines = sc.scan(buf, len(data))
    n_lines = lines.start.size
    kind = lines.kind.astype(np.int64)

    ts = _receive_times(lines, kind, state)
    station = lines.station_hash.copy()
    _inherit_from_group_head(lines, ts, station)

    sentence = np.flatnonzero(kind == sc.SENTENCE)
    slots, orphan_rows, cut = _reassemble(lines, sentence, station, n_lines, final)
    kind[sentence[orphan_rows]] = _ORPHAN

    carry = b""
    if cut < n_lines:
        carry = data[int(lines.start[cut]) :]
        pghp_kept = np.flatnonzero(kind[:cut] == sc.PGHP)
        if pghp_kept.size:
            state.pghp_ms = int(lines.ts_ms[pghp_kept[-1]])
    first_line_no = state.next_line_no
    state.next_line_no += cut

    kept = kind[:cut]
    skipped = {_KIND_LABELS[k]: int(c) for k in _SKIP_KINDS if (c := np.count_nonzero(kept == k))}
    rejected = np.flatnonzero(
        (kept != sc.SENTENCE) & ~np.isin(kept, np.array(_SKIP_KINDS, dtype=np.int64))
    )
    labels = {**_KIND_LABELS, _ORPHAN: Reason.ORPHAN}
    return Framed(
        _parts=(buf, data, lines, slots, ts, station, first_line_no),
        rejected_line_no=rejected + first_line_no,
        rejected_reasons=[labels[int(k)] for k in kept[rejected]],
        rejected_text=[data[lines.start[i] : lines.end[i]] for i in rejected.tolist()],
        skipped=skipped,
        lines=cut,
        carry=carry,
    )


def _receive_times(lines: sc.LineScan, kind: IntArray, state: FramerState) -> IntArray:
    """Receive time of every line: its tag block ``c:`` or trailing epoch, else the last
    ``$PGHP`` line before it (from an earlier chunk if need be). Updates ``state``."""
    n = kind.size
    is_pghp = kind == sc.PGHP
    last = np.where(is_pghp, np.arange(n), -1)
    last = np.maximum.accumulate(last) if n else last
    from_pghp = np.where(last >= 0, lines.ts_ms[np.maximum(last, 0)], state.pghp_ms)
    ts = np.where((lines.ts_ms == NO_TIME) | is_pghp, from_pghp, lines.ts_ms)
    if is_pghp.any():
        state.pghp_ms = int(lines.ts_ms[np.flatnonzero(is_pghp)[-1]])
    return ts


def _inherit_from_group_head(lines: sc.LineScan, ts: IntArray, station: IntArray) -> None:
    """Later lines of a tag-block group (``g:2-3-id``) carry only ``g:``; give them the
    station and time of the group's first line."""
    sc.inherit_from_group_head(lines.group_num, lines.group_id, ts, station, MAX_PART_SPAN, NO_TIME)


def _reassemble(
    lines: sc.LineScan, sentence: IntArray, station: IntArray, n_lines: int, final: bool
) -> tuple[list[IntArray], IntArray, int]:
    """Group sentence lines into messages.

    Returns one array per part position (``slots[p][m]``: the line of part p+1 of message m,
    -1 where message m has fewer parts), the positions in ``sentence`` of orphaned fragments,
    and the first line to carry to the next chunk. Parts match on (station, channel, sequence
    id, part count), or on the tag-block group when there is one, so messages interleaved
    across channels and sequence ids come apart.
    """
    count_all = lines.frag_count[sentence]
    singles = sentence[count_all == 1]
    multi_pos = np.flatnonzero(count_all > 1)
    if multi_pos.size == 0:
        return [singles], np.zeros(0, np.int64), n_lines
    multi = sentence[multi_pos]
    count = lines.frag_count[multi]
    gid = lines.group_id[multi]
    with np.errstate(over="ignore"):
        plain_key = (
            (station[multi] * 1_000_003 + lines.channel[multi]) * 31 + lines.seq[multi] + 1
        ) * 11 + count
    key = np.where(gid >= 0, gid * 11 + count, plain_key)
    group_key = np.where(gid >= 0, 1, 0)
    sort = np.lexsort((multi, key, group_key))
    order, key_s, grp_s = multi[sort], key[sort], group_key[sort]
    num, count_s = lines.frag_num[order], count[sort]

    consumed = np.zeros(order.size, dtype=bool)
    last_parts: dict[int, IntArray] = {}
    index = np.arange(order.size)
    for k in (int(v) for v in np.unique(count_s)):
        last = np.flatnonzero((count_s == k) & (num == k) & (index >= k - 1))
        ok = np.ones(last.size, dtype=bool)
        for back in range(1, k):
            j = last - back
            ok &= (key_s[j] == key_s[last]) & (grp_s[j] == grp_s[last])
            ok &= (num[j] == k - back) & ~consumed[j]
        ok &= (order[last] - order[last - (k - 1)]) < MAX_PART_SPAN
        last = last[ok]
        for back in range(k):
            consumed[last - back] = True
        last_parts[k] = last

    orphan_lines = order[~consumed]
    messages = {k: [order[last - (k - 1 - p)] for p in range(k)] for k, last in last_parts.items()}
    cut = n_lines
    if not final:
        tail = orphan_lines[orphan_lines >= n_lines - MAX_PART_SPAN]
        if tail.size:
            cut = int(tail.min())
        # A message with parts on both sides of the cut goes to the next chunk whole.
        moved = True
        while moved:
            moved = False
            for parts in messages.values():
                straddles = (parts[0] < cut) & (parts[-1] >= cut)
                if straddles.any():
                    cut = int(parts[0][straddles].min())
                    moved = True

    groups: list[list[IntArray]] = [[singles[singles < cut]]]
    for _, parts in sorted(messages.items()):
        keep = np.all(np.stack(parts) < cut, axis=0)
        groups.append([p[keep] for p in parts])
    max_k = max(len(g) for g in groups)
    slots = [
        np.concatenate([g[p] if p < len(g) else np.full(g[0].size, -1, np.int64) for g in groups])
        for p in range(max_k)
    ]
    orphan_lines = orphan_lines[orphan_lines < cut]
    return slots, np.searchsorted(sentence, orphan_lines), cut


def _build_messages(
    buf: ByteArray,
    data: bytes,
    lines: sc.LineScan,
    slots: list[IntArray],
    ts: IntArray,
    station: IntArray,
    first_line_no: int,
) -> Messages:
    """Concatenate each message's payload parts and translate them to 6-bit values."""
    head = slots[0]
    parts = np.ascontiguousarray(np.stack(slots, axis=1))  # message x part -> line
    sixbit, offsets, fill, n_parts, digest = sc.assemble(buf, parts, lines, SIXBIT)
    hashes, code, first = factorize(station[head])
    names = [
        data[
            lines.station_start[head[i]] : lines.station_start[head[i]] + lines.station_len[head[i]]
        ].decode("ascii", "replace")
        for i in first.tolist()
    ]
    zero = int(np.searchsorted(hashes, 0))
    if zero < hashes.size and hashes[zero] == 0:  # hash 0 means "no station"
        code = np.where(code == zero, -1, np.where(code > zero, code - 1, code))
        del names[zero]
    return Messages(
        sixbit=sixbit,
        offsets=offsets,
        fill=fill,
        digest=digest,
        ts_ms=ts[head],
        station_code=code,
        line_no=head + first_line_no,
        n_parts=n_parts,
        line_start=lines.start[head],
        line_end=lines.end[head],
        stations=names,
    )
