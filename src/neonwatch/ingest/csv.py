"""Position CSVs: Danish Maritime Authority, NOAA Marine Cadastre, or any CSV with a mapping.

Most open AIS arrives as CSV rather than NMEA, each publisher with its own columns, units and
"not available" spellings. This module turns every such file into the same canonical tables
(:data:`neonwatch.ingest.schema.POSITIONS` and ``STATIC_REPORTS``) that the NMEA decoder
produces, so nothing downstream needs to know where a position came from.

How a file is read, and why:

* **Bounded memory.** The input (plain, gzip or zstd) is read in blocks of whole lines; each
  block is parsed on its own (pyarrow, the needed columns as text) and converted with Polars
  expressions, with no Python loop over rows, so memory follows the block size, not the file's:
  a 3 GB day of DMA data reads in the same few hundred MB as a small one.
* **Nothing disappears silently.** Every non-empty line ends up in exactly one place: a position,
  a duplicate dropped within its block, or a ``rejected`` row carrying the source path, the
  physical line number, a short reason and the line's exact text (sliced from the input
  buffer, not reconstructed), so ``rows == positions + rejected + duplicates`` per batch.
* **"Not available" is null, not a number.** ITU-R M.1371 sentinels (lat 91, lon 181, SOG 102.3,
  heading 511, COG 360, nav status 15) and publishers' words ("Unknown", "Undefined") become
  nulls, as the NMEA decoder does, so no later stage mistakes 511 for a heading.
* **One record per line.** AIS CSVs never put newlines inside quoted values, so a line whose
  double quotes do not balance is refused as a "malformed row" on its own, instead of letting
  its open quote swallow the lines after it; this also keeps line numbers exact.
"""

from __future__ import annotations

import csv as _csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from neonwatch.ingest import schema
from neonwatch.ingest.sources import open_input

__all__ = [
    "CANONICAL_COLUMNS",
    "CUSTOM",
    "DMA",
    "LAYOUTS",
    "MARINE_CADASTRE",
    "CsvBatch",
    "Reason",
    "detect_layout",
    "read_csv",
]

CUSTOM = "csv"
DMA = "dma"
MARINE_CADASTRE = "marine_cadastre"
LAYOUTS = (DMA, MARINE_CADASTRE, CUSTOM)

CHUNK_BYTES = 4 << 20  # a block of lines: big enough to vectorise; peak memory is ~30x this

# Canonical names a --columns mapping may target: every POSITIONS column plus the static fields.
_STATIC_FIELDS = tuple(
    f.name for f in schema.STATIC_REPORTS if f.name not in ("mmsi", "ts", "msg_type", "part")
)
CANONICAL_COLUMNS = tuple(schema.POSITIONS.names) + _STATIC_FIELDS
_REQUIRED = ("mmsi", "ts", "lat", "lon")


class Reason:
    """Why a CSV row was refused (keys of the summary's ``rejected`` counts).

    The coordinate and MMSI wordings are the NMEA decoder's, so one count covers both sources.
    """

    MALFORMED = "malformed row"  # wrong number of fields, or unbalanced quotes
    NOT_A_VESSEL = "not a vessel"  # DMA rows from base stations, AtoN and SAR aircraft
    BAD_MMSI = "invalid MMSI"
    BAD_TIME = "unparseable time"
    NON_NUMERIC = "non-numeric value"
    BAD_COORDINATES = "impossible coordinates"


@dataclass
class CsvBatch:
    """One block of a CSV, in canonical tables.

    ``rows`` counts the non-empty data lines of the block; each is in exactly one of
    ``positions``, ``rejected`` or ``duplicates`` (exact repeats of mmsi, ts, lat, lon).
    ``static`` has one report per kept row for layouts that carry vessel identity.
    """

    positions: pa.Table
    static: pa.Table
    rejected: pa.Table
    rows: int
    duplicates: int = 0


# --------------------------------------------------------------------------------------------
# Layouts
# --------------------------------------------------------------------------------------------

# Built-in mappings, canonical -> candidate header names (matched case-insensitively).
_DMA_COLUMNS: dict[str, tuple[str, ...]] = {
    "mmsi": ("mmsi",),
    "ts": ("# timestamp", "timestamp"),
    "lat": ("latitude",),
    "lon": ("longitude",),
    "sog": ("sog",),
    "cog": ("cog",),
    "heading": ("heading",),
    "nav_status": ("navigational status",),
    "imo": ("imo",),
    "name": ("name",),
    "callsign": ("callsign",),
    "ship_type": ("ship type",),
    "draught": ("draught",),
    "destination": ("destination",),
    # A, B, C, D are ITU-R M.1371's own letters for the antenna offsets: A to bow, B to stern,
    # C to port, D to starboard. (Some copies of DMA's column notes swap C and D in words; the
    # letters follow ITU, whose message 5 the values come from.)
    "to_bow": ("a", "size a"),
    "to_stern": ("b", "size b"),
    "to_port": ("c", "size c"),
    "to_starboard": ("d", "size d"),
}
# Marine Cadastre, both the CamelCase layout of its zipped daily files (MMSI,BaseDateTime,...,
# column order varying) and the snake_case one of the csv2 .csv.zst files (mmsi,base_date_time).
# Length and Width are not mapped: they are to_bow + to_stern and to_port + to_starboard, and
# no rule recovers where the antenna sits, so the four offset fields stay null.
_MC_COLUMNS: dict[str, tuple[str, ...]] = {
    "mmsi": ("mmsi",),
    "ts": ("basedatetime", "base_date_time"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "longitude"),
    "sog": ("sog",),
    "cog": ("cog",),
    "heading": ("heading",),
    "nav_status": ("status",),
    "imo": ("imo",),
    "name": ("vesselname", "vessel_name"),
    "callsign": ("callsign", "call_sign"),
    "ship_type": ("vesseltype", "vessel_type"),
    "draught": ("draft",),
}
_BUILTIN = {DMA: _DMA_COLUMNS, MARINE_CADASTRE: _MC_COLUMNS}
# For any layout, an unmapped canonical column defaults to a column of the same name, and
# lat/lon to the usual spellings.
_ALIASES = {"lat": ("lat", "latitude"), "lon": ("lon", "longitude", "lng")}

_DMA_MOBILE = "type of mobile"
_DMA_CARGO = "cargo type"


def _header_names(header_line: str) -> list[str]:
    line = header_line.lstrip("\ufeff").rstrip("\r\n")
    return [name.strip() for name in next(_csv.reader([line]), [])]


def _layout_of(names: list[str]) -> str | None:
    lower = {n.lower() for n in names}
    if "mmsi" in lower and _DMA_MOBILE in lower and lower & {"# timestamp", "timestamp"}:
        return DMA
    if "mmsi" in lower and lower & {"basedatetime", "base_date_time"}:
        return MARINE_CADASTRE
    return None


def detect_layout(header_line: str) -> str | None:
    """``"dma"`` or ``"marine_cadastre"`` from a file's first line, else None.

    Detection reads only the header so that a user never has to say which publisher a file
    came from; anything else needs an explicit ``--columns`` mapping.
    """
    return _layout_of(_header_names(header_line))


@dataclass
class _Plan:
    """How one file's columns become canonical ones (resolved once, from its header)."""

    names: list[str]  # header names made unique, in file order
    source: dict[str, str]  # canonical -> header name
    layout: str | None  # built-in layout whose value conventions apply
    mobile: str | None  # DMA "Type of mobile"
    cargo: str | None  # DMA "Cargo type" (second digit of category ship types)

    @property
    def has_static(self) -> bool:
        return any(f in self.source for f in _STATIC_FIELDS)

    @property
    def needed(self) -> list[str]:
        cols = [*self.source.values(), self.mobile, self.cargo]
        return list(dict.fromkeys(c for c in cols if c is not None))


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name}_{n + 1}")
    return out


def _plan(
    path: Path, header_names: list[str], layout: str, columns: dict[str, str] | None
) -> _Plan:
    names = _unique(header_names)
    lower: dict[str, str] = {}
    for name in names:
        lower.setdefault(name.lower(), name)
    effective = layout if layout != CUSTOM else _layout_of(names)
    source: dict[str, str] = {}
    for canon, candidates in _BUILTIN.get(effective or "", {}).items():
        found = next((lower[c] for c in candidates if c in lower), None)
        if found is not None:
            source[canon] = found
    for canon in CANONICAL_COLUMNS:
        if canon not in source:
            found = next((lower[c] for c in _ALIASES.get(canon, (canon,)) if c in lower), None)
            if found is not None:
                source[canon] = found
    for canon, col in (columns or {}).items():
        if canon not in CANONICAL_COLUMNS:
            raise ValueError(
                f"--columns {canon}={col}: '{canon}' is not a canonical column; "
                f"use one of {', '.join(CANONICAL_COLUMNS)}"
            )
        actual = col if col in names else lower.get(col.lower())
        if actual is None:
            raise ValueError(
                f"{path}: --columns {canon}={col}, but the file has no column '{col}'; "
                f"its columns are: {', '.join(names)}"
            )
        source[canon] = actual
    for canon in _REQUIRED:
        if canon not in source:
            raise ValueError(
                f"{path}: no column for '{canon}' (required). Name the column that holds it "
                f"with --columns, e.g. --columns {canon}=<column>; the file's columns are: "
                f"{', '.join(names)}"
            )
    return _Plan(
        names=names,
        source=source,
        layout=effective,
        mobile=lower.get(_DMA_MOBILE) if effective == DMA else None,
        cargo=lower.get(_DMA_CARGO) if effective == DMA else None,
    )


# --------------------------------------------------------------------------------------------
# Value conventions
# --------------------------------------------------------------------------------------------

# Words that mean "no value" in a numeric column (compared lower-case).
_NULL_WORDS = ["", "unknown", "undefined", "not available", "n/a", "na", "null", "none", "nan"]
# ... and in a text column (a vessel may well be called NONE; "Unknown" is DMA's null).
_NULL_TEXT = ["", "unknown", "undefined"]

# DMA's navigational status texts -> ITU-R M.1371 codes (keys normalised by _norm). 15
# ("Unknown value", not defined) is null, as the NMEA decoder makes it. DMA writes the codes with
# no name as "Reserved for future use [11]" etc., so the code is in the text.
_NAV_STATUS_TEXT = {
    "under way using engine": 0,
    "at anchor": 1,
    "not under command": 2,
    "restricted maneuverability": 3,
    "restricted manoeuvrability": 3,
    "restricted manoeuverability": 3,
    "constrained by her draught": 4,
    "moored": 5,
    "aground": 6,
    "engaged in fishing": 7,
    "under way sailing": 8,
    "reserved for future amendment hsc": 9,
    "reserved for future amendment wig": 10,
    "reserved for future use 11": 11,
    "power driven vessel towing astern": 11,
    "reserved for future use 12": 12,
    "power driven vessel pushing ahead or towing alongside": 12,
    "reserved for future use 13": 13,
    "ais sart": 14,
}
# DMA ship type texts that name exactly one ITU code.
_SHIP_TYPE_TEXT = {
    "fishing": 30,
    "towing": 31,
    "towing long wide": 32,
    "dredging": 33,
    "diving": 34,
    "military": 35,
    "sailing": 36,
    "pleasure": 37,
    "pilot": 50,
    "sar": 51,
    "tug": 52,
    "port tender": 53,
    "anti pollution": 54,
    "law enforcement": 55,
    "spare 1": 56,
    "spare 2": 57,
    "medical": 58,
    "not party to conflict": 59,
}
# DMA texts that name a decade of codes (WIG 2x, HSC 4x, passenger 6x, cargo 7x, tanker 8x,
# other 9x). The second digit comes from DMA's "Cargo type": ITU x1..x4 are hazard categories
# X, Y, Z, OS and x9 "no additional information"; with no cargo type (or "Reserved for future
# use", x5..x8, ambiguous) we use x0, ITU's "all ships of this type", which keeps the category
# that screening needs (tankers are 80-89) without claiming a hazard class.
_SHIP_CATEGORY_TEXT = {"wig": 2, "hsc": 4, "passenger": 6, "cargo": 7, "tanker": 8, "other": 9}
_CARGO_DIGIT_TEXT = {
    "category x": 1,
    "category y": 2,
    "category z": 3,
    "category os": 4,
    "no additional information": 9,
}
# DMA mobile types that are not vessels: their positions would be fixed "ships" to the
# detectors (the NMEA path keeps base stations apart and skips AtoN and aircraft reports).
_NOT_VESSEL_TEXT = ["base station", "aton", "sar airborne"]

_ISO_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M")
_DMA_TIME_FORMAT = "%d/%m/%Y %H:%M:%S"  # 27/02/2024 00:00:00, UTC


def _norm(col: str) -> pl.Expr:
    """Lower case, non-alphanumeric runs to one space: 'Towing long/wide' -> 'towing long wide'."""
    return pl.col(col).str.to_lowercase().str.replace_all(r"[^a-z0-9]+", " ").str.strip_chars()


def _integral(value: pl.Expr, lo: float, hi: float, dtype: pl.DataType) -> pl.Expr:
    """Whole numbers within [lo, hi] (ITU fields are integers; '60.0' is a Marine Cadastre 60)."""
    ok = (value >= lo) & (value <= hi) & (value == value.round(0))
    return pl.when(ok).then(value).otherwise(None).cast(dtype)


def _text(col: str) -> pl.Expr:
    text = pl.col(col)
    return pl.when(text.str.to_lowercase().is_in(_NULL_TEXT)).then(None).otherwise(text)


def _time(col: str, layout: str | None) -> pl.Expr:
    """UTC milliseconds from ISO 8601 (with or without zone), DMA's d/m/Y, or Unix epoch."""
    text = pl.col(col)
    iso = text.str.replace(r"^(\d{4}-\d\d-\d\d) ", "${1}T")
    candidates = [
        iso.str.to_datetime(f, strict=False, time_unit="ms", time_zone="UTC") for f in _ISO_FORMATS
    ]
    if layout == DMA:  # only here: d/m/Y and m/d/Y cannot be told apart in general
        candidates.insert(
            0, text.str.to_datetime(_DMA_TIME_FORMAT, strict=False, time_unit="ms", time_zone="UTC")
        )
    digits = pl.when(text.str.contains(r"^\d{9,13}$")).then(text.cast(pl.Int64, strict=False))
    epoch_ms = pl.when(digits < 100_000_000_000).then(digits * 1000).otherwise(digits)
    candidates.append(epoch_ms.cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"))
    return pl.coalesce(candidates)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def read_csv(
    path: Path,
    layout: str,
    *,
    columns: dict[str, str] | None = None,
    on_progress: Callable[[int], None] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[CsvBatch]:
    """Stream a position CSV as canonical batches, one per block of about ``chunk_bytes``.

    ``layout`` is ``"dma"``, ``"marine_cadastre"`` or :data:`CUSTOM`. ``columns`` maps canonical
    names to the file's (``{"mmsi": "track_id", "ts": "time"}``) and overrides a built-in
    layout, which a custom file whose header is DMA's or Marine Cadastre's still starts from.
    ``on_progress`` receives the number of input bytes consumed (compressed bytes for gzip).
    Raises ValueError, before any batch, when a required column cannot be found.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown CSV layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    path = Path(path)
    with open_input(path) as source:
        read, consumed = source.read, source.consumed
        reported = 0
        plan: _Plan | None = None
        next_line = 2  # line 1 is the header
        rest = b""
        while True:
            block = read(chunk_bytes)
            if on_progress is not None:
                now = consumed()
                on_progress(now - reported)
                reported = now
            final = not block
            data = rest + block
            if plan is None:  # the header: the first line, however long
                end = data.find(b"\n")
                if end < 0 and not final:
                    rest = data
                    continue
                header, data = (data, b"") if end < 0 else (data[: end + 1], data[end + 1 :])
                if not header.strip():
                    return
                names = _header_names(header.decode("utf-8", "replace"))
                plan = _plan(path, names, layout, columns)
            cut = len(data) if final else data.rfind(b"\n") + 1
            rest = data[cut:]
            if cut:
                batch, n_lines = _read_block(path, data[:cut], next_line, plan)
                next_line += n_lines
                if batch.rows:
                    yield batch
            if final:
                return


def _read_block(path: Path, data: bytes, first_line: int, plan: _Plan) -> tuple[CsvBatch, int]:
    """Parse and convert one block of whole lines; returns the batch and its physical lines."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:  # keep going: bad bytes become U+FFFD, lines stay as they were
        data = data.decode("utf-8", "replace").encode("utf-8")
    lines = _Lines(data)
    line_no = first_line + np.arange(lines.count, dtype=np.int64)
    nonempty = np.flatnonzero(lines.ends > lines.starts)
    if nonempty.size == 0:
        return _empty_batch(), lines.count
    # One record per line: a line with an odd number of double quotes would open a quoted value
    # that runs on into the next lines and swallow them, so it is refused on its own before
    # parsing, and the parser sees only lines whose quotes balance. Should the parser still
    # lose track of lines (a stray quote inside a field that also balances), every line with
    # a quote is refused instead, which leaves it nothing to misread.
    quotes = lines.quote_counts()[nonempty]
    for refuse in (quotes % 2 == 1, quotes > 0):
        candidates = nonempty[~refuse]
        try:
            data_in = data if candidates.size == nonempty.size else lines.only(candidates)
            table, bad_rows = _parse(data_in, plan) if candidates.size else (None, [])
        except (_LostCount, pa.ArrowInvalid):
            continue
        # pyarrow numbers records 1.. over the non-empty lines it was given.
        bad = np.zeros(candidates.size, dtype=bool)
        bad[np.asarray(bad_rows, dtype=np.int64) - 1] = True
        parsed_lines = candidates[~bad]
        if parsed_lines.size == (table.num_rows if table is not None else 0):
            malformed = refuse.copy()
            malformed[np.flatnonzero(~refuse)[bad]] = True
            break
    else:  # cannot happen without quotes; refuse the block rather than misnumber or crash
        return _whole_block_rejected(path, lines, nonempty, line_no), lines.count
    if table is None:
        table = pa.table({c: pa.array([], pa.string()) for c in plan.needed})
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    converted = _convert(df, plan).with_columns(_line=pl.Series(parsed_lines))
    rejects = converted.filter(pl.col("_reason").is_not_null())
    kept = converted.filter(pl.col("_reason").is_null())
    unique = kept.unique(["mmsi", "ts", "lat", "lon"], keep="first", maintain_order=True)
    bad_lines = np.concatenate([nonempty[malformed], rejects["_line"].to_numpy()])
    reasons = [Reason.MALFORMED] * int(malformed.sum()) + rejects["_reason"].to_list()
    order = np.argsort(bad_lines, kind="stable")
    rejected = pa.table(
        {
            "source": pa.array([str(path)] * bad_lines.size, pa.string()),
            "line_no": pa.array(line_no[bad_lines[order]], pa.int64()),
            "reason": pa.array(reasons, pa.string()).take(pa.array(order)),
            "line": lines.text(bad_lines[order]),
        },
        schema=schema.REJECTED,
    )
    batch = CsvBatch(
        positions=_positions(unique),
        static=_static(unique) if plan.has_static else schema.STATIC_REPORTS.empty_table(),
        rejected=rejected,
        rows=int(nonempty.size),
        duplicates=kept.height - unique.height,
    )
    return batch, lines.count


class _Lines:
    """Line boundaries of a block (without the line ending), found with numpy."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        buf = np.frombuffer(data, dtype=np.uint8)
        newlines = np.flatnonzero(buf == 10)
        starts = np.concatenate([[0], newlines + 1])
        ends = np.concatenate([newlines, [buf.size]])
        if starts[-1] == buf.size:  # the block ends with a newline: no line after it
            starts, ends = starts[:-1], ends[:-1]
        crlf = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == 13)
        self.starts = starts.astype(np.int64)
        self.ends = (ends - crlf).astype(np.int64)
        self.count = int(self.starts.size)

    def quote_counts(self) -> npt.NDArray[np.int64]:
        """Double quotes per line (a balanced line has an even count: escapes come in pairs)."""
        quotes = np.flatnonzero(np.frombuffer(self.data, dtype=np.uint8) == 34)
        if quotes.size == 0:
            return np.zeros(self.count, dtype=np.int64)
        return np.searchsorted(quotes, self.ends) - np.searchsorted(quotes, self.starts)

    def only(self, idx: npt.NDArray[np.int64]) -> bytes:
        """The block with only the given lines (each with its line ending), by a byte mask."""
        buf = np.frombuffer(self.data, dtype=np.uint8)
        full_end = np.append(self.starts[1:], buf.size)
        edges = np.zeros(buf.size + 1, dtype=np.int64)
        np.add.at(edges, self.starts[idx], 1)
        np.add.at(edges, full_end[idx], -1)
        return bytes(buf[np.cumsum(edges[:-1]) > 0])

    def text(self, idx: npt.NDArray[np.int64]) -> pa.Array:
        """The exact text of the given lines, without copying the block line by line.

        A string array over the whole block whose even elements are the lines and odd ones
        the line endings between them, from which the wanted lines are taken.
        """
        if idx.size == 0:
            return pa.array([], pa.string())
        offsets = np.empty(2 * self.count + 1, dtype=np.int64)
        offsets[0:-1:2] = self.starts
        offsets[1::2] = self.ends
        offsets[-1] = len(self.data)
        whole = pa.LargeStringArray.from_buffers(
            2 * self.count, pa.py_buffer(offsets), pa.py_buffer(self.data)
        )
        return whole.take(pa.array(2 * idx)).cast(pa.string())


def _parse(data: bytes, plan: _Plan) -> tuple[pa.Table, list[int]]:
    """Every needed column as text, plus the record number of each malformed row."""
    malformed: list[int] = []

    lost = False

    def on_invalid(row: pacsv.InvalidRow) -> str:
        # Called only for bad rows, so this Python callback costs nothing on good input.
        nonlocal lost
        if row.number is None or "\n" in (row.text or ""):
            lost = True  # a record over several lines: its number is not a line's
        else:
            malformed.append(row.number)
        return "skip"

    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(
            column_names=plan.names, use_threads=False, block_size=max(len(data), 1 << 20)
        ),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in plan.needed},
            include_columns=plan.needed,
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    if lost:
        raise _LostCount
    return table, malformed


class _LostCount(Exception):
    """The CSV parser could not say which line a bad row came from."""


_NUMERIC_FIELDS = (
    "mmsi", "lat", "lon", "sog", "cog", "heading", "nav_status", "msg_type", "ship_type",
    "to_bow", "to_stern", "to_port", "to_starboard", "draught",
)  # fmt: skip
# Position fields whose non-numeric text refuses the row (a bad static field only nulls itself).
_STRICT_FIELDS = ("lat", "lon", "sog", "cog", "heading")


def _convert(df: pl.DataFrame, plan: _Plan) -> pl.DataFrame:
    """Canonical columns plus ``_reason`` (the first reason to refuse the row, or null).

    Two stages, each a single select: the first parses every source column once (text to
    numbers, times, codes), the second applies the value conventions to those columns. Written
    as one nested expression, Polars would re-parse a column for every rule that reads it.
    """
    src = plan.source
    df = df.with_columns(pl.col(c).str.strip_chars() for c in df.columns)

    parsed: list[pl.Expr] = [_time(src["ts"], plan.layout).alias("ts")]
    for field in _NUMERIC_FIELDS:
        if field in src:
            value = pl.col(src[field]).cast(pl.Float64, strict=False).fill_nan(None)
            parsed.append(value.alias(f"n.{field}"))
            if field in _STRICT_FIELDS:
                blank = pl.col(src[field]).str.to_lowercase().is_in(_NULL_WORDS)
                parsed.append((value.is_null() & ~blank).alias(f"bad.{field}"))
    if "nav_status" in src:
        nav_text = _norm(src["nav_status"])
        parsed.append(
            nav_text.replace_strict(_NAV_STATUS_TEXT, default=None, return_dtype=pl.Int8).alias(
                "text.nav_status"
            )
        )
    if "ship_type" in src:
        ship_text = _norm(src["ship_type"])
        parsed.append(
            ship_text.replace_strict(_SHIP_TYPE_TEXT, default=None, return_dtype=pl.Int16).alias(
                "text.ship_type"
            )
        )
        digit = (
            _norm(plan.cargo).replace_strict(_CARGO_DIGIT_TEXT, default=0, return_dtype=pl.Int16)
            if plan.cargo is not None
            else pl.lit(0, pl.Int16)
        )
        decade = ship_text.replace_strict(_SHIP_CATEGORY_TEXT, default=None, return_dtype=pl.Int16)
        parsed.append((decade * 10 + digit).alias("decade.ship_type"))
    if "imo" in src:  # 'IMO7702774' (Marine Cadastre) or '7702774'
        digits = pl.col(src["imo"]).str.to_uppercase().str.strip_prefix("IMO").str.strip_chars()
        parsed.append(digits.cast(pl.Float64, strict=False).alias("n.imo"))
    for field in ("name", "callsign", "destination", "station"):
        if field in src:
            parsed.append(_text(src[field]).alias(field))
    not_vessel = _norm(plan.mobile).is_in(_NOT_VESSEL_TEXT) if plan.mobile else pl.lit(False)
    parsed.append(not_vessel.alias("not_vessel"))
    df = df.select(parsed)

    def n(field: str) -> pl.Expr:
        return pl.col(f"n.{field}")

    out: dict[str, pl.Expr] = {
        "mmsi": _integral(n("mmsi"), 1, 999_999_999, pl.Int32()),
        "ts": pl.col("ts"),
    }
    lat, lon = n("lat"), n("lon")
    # Either sentinel (or an empty cell) makes the whole position "not available", as in NMEA.
    na = (lat == 91.0) | (lon == 181.0) | lat.is_null() | lon.is_null()
    impossible = ~na & ((lat.abs() > 90) | (lon.abs() > 180))
    out["lat"] = pl.when(na).then(None).otherwise(lat)
    out["lon"] = pl.when(na).then(None).otherwise(lon)
    if "sog" in src:  # 102.3: not available
        out["sog"] = pl.when((n("sog") >= 0) & (n("sog") < 102.25)).then(n("sog"))
    if "cog" in src:
        tenths = (n("cog") * 10).round(0)
        if plan.layout == MARINE_CADASTRE:
            # Marine Cadastre's CamelCase files (2020 seen) hold COG as a *signed* 12-bit tenths:
            # courses from 204.8 degrees up come out 409.6 too low (-204.8..-0.1), and "not
            # available" (360.0) as -49.6. In the NY Harbor file of 2020-06-30, -49.6 is the
            # commonest COG (777 rows, no 360.0 at all), and CG SHRIKE at 19 kn heading 349 has
            # COG -61.8, i.e. 347.8. A valid COG is never negative, so this undoes it exactly.
            tenths = pl.when(tenths < 0).then(tenths + 4096).otherwise(tenths)
        out["cog"] = pl.when((tenths >= 0) & (tenths < 3600)).then(tenths / 10)  # 360: n/a
    if "heading" in src:
        out["heading"] = _integral(n("heading"), 0, 359, pl.Int16())  # 511: not available
    if "nav_status" in src:  # 15 (not defined) is null, as in the NMEA decoder
        out["nav_status"] = pl.coalesce(
            _integral(n("nav_status"), 0, 14, pl.Int8()), pl.col("text.nav_status")
        )
    if "msg_type" in src:
        out["msg_type"] = _integral(n("msg_type"), 1, 27, pl.Int8())
    for field in ("station", "name", "callsign", "destination"):
        if field in src:
            out[field] = pl.col(field)
    if "imo" in src:
        out["imo"] = _integral(n("imo"), 1, 999_999_999, pl.Int32())  # 0: not available
    if "ship_type" in src:  # a number (0: not available), else DMA's words
        out["ship_type"] = pl.coalesce(
            _integral(n("ship_type"), 1, 255, pl.Int16()),
            pl.col("text.ship_type"),
            pl.col("decade.ship_type"),
        )
    for field in ("to_bow", "to_stern", "to_port", "to_starboard"):
        if field in src:
            out[field] = _integral(n(field), 0, 511, pl.Int16())
    if "draught" in src:  # 0: not available
        out["draught"] = pl.when(n("draught") > 0).then(n("draught"))

    bad_numbers = [pl.col(c) for c in df.columns if c.startswith("bad.")]
    reason = (
        pl.when(pl.col("not_vessel"))
        .then(pl.lit(Reason.NOT_A_VESSEL))
        .when(out["mmsi"].is_null())
        .then(pl.lit(Reason.BAD_MMSI))
        .when(pl.col("ts").is_null())
        .then(pl.lit(Reason.BAD_TIME))
        .when(pl.any_horizontal(bad_numbers) if bad_numbers else pl.lit(False))
        .then(pl.lit(Reason.NON_NUMERIC))
        .when(impossible)
        .then(pl.lit(Reason.BAD_COORDINATES))
        .otherwise(None)
    )
    return df.select([e.alias(k) for k, e in out.items()] + [reason.alias("_reason")])


def _column(df: pl.DataFrame, name: str, typ: pa.DataType) -> pa.Array | pa.ChunkedArray:
    if name not in df.columns:
        return pa.nulls(df.height, typ)
    arr = df[name].to_arrow()
    if pa.types.is_dictionary(typ):
        return pc.dictionary_encode(arr.cast(pa.string())).cast(typ)
    return arr.cast(typ)


def _positions(df: pl.DataFrame) -> pa.Table:
    return pa.table(
        [_column(df, f.name, f.type) for f in schema.POSITIONS], schema=schema.POSITIONS
    )


def _static(df: pl.DataFrame) -> pa.Table:
    """One report per row with any identity value (rows with none say nothing about a vessel)."""
    present = [f for f in _STATIC_FIELDS if f in df.columns]
    if present:
        df = df.filter(pl.any_horizontal([pl.col(f).is_not_null() for f in present]))
    return pa.table(
        [_column(df, f.name, f.type) for f in schema.STATIC_REPORTS],
        schema=schema.STATIC_REPORTS,
    )


def _empty_batch() -> CsvBatch:
    return CsvBatch(
        positions=schema.POSITIONS.empty_table(),
        static=schema.STATIC_REPORTS.empty_table(),
        rejected=schema.REJECTED.empty_table(),
        rows=0,
    )


def _whole_block_rejected(
    path: Path, lines: _Lines, nonempty: npt.NDArray[np.int64], line_no: npt.NDArray[np.int64]
) -> CsvBatch:
    n = int(nonempty.size)
    batch = _empty_batch()
    batch.rows = n
    batch.rejected = pa.table(
        {
            "source": pa.array([str(path)] * n, pa.string()),
            "line_no": pa.array(line_no[nonempty], pa.int64()),
            "reason": pa.array([Reason.MALFORMED] * n, pa.string()),
            "line": lines.text(nonempty),
        },
        schema=schema.REJECTED,
    )
    return batch
