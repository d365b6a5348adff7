"""Watchlists: loaders for the official formats and a store that keeps every list version.

A hit is only as good as the list behind it, so each list is kept as published, with its date
and the sha256 of the files it came from, and every entry carries its ``list_id``
(``"<list_name>@<list_version>"``, e.g. ``"ofac-sdn@2021-07"``): a finding names the exact list
version that matched, and a newer version of a list sits beside the older one rather than
silently replacing it. All loaders return the :data:`~neonwatch.screen.schema.WATCHLIST` table.

Formats
-------
``ofac-sdn`` (+ ``ofac-alt``, ``ofac-add``)
    OFAC's legacy SDN CSV files: ``sdn.csv`` (headerless; ent_num, SDN_Name, SDN_Type, Program,
    Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks; ``-0-`` is
    empty), ``alt.csv`` (ent_num, alt_num, alt_type, alt_name, alt_remarks) with the aliases,
    and ``add.csv`` with the addresses (recorded as a source, not used for screening). The files
    carry no date, so the version comes from the caller or from a date in the file name
    (``sdn_2021-07.csv``).
``un-consolidated``
    The UN Security Council consolidated list XML (``CONSOLIDATED_LIST``, dated by its
    ``dateGenerated`` attribute): entities and individuals with their aliases.
``csv``
    Any other list (the UN 1718 Committee's designated vessels, EU or national lists), written
    by hand or converted, in this documented format (also in ``docs/watchlists.md``):

    * UTF-8, comma-separated, with a header row naming the columns; order is free.
    * Required columns: ``list_name`` (letters, digits, ``.``, ``_``, ``-``), ``list_version``
      (publisher's date, ``YYYY-MM-DD`` or ``YYYY-MM``), ``entry_id`` (unique in the file),
      ``entity_type`` (``vessel``, ``organization`` or ``individual``), ``name``.
    * Optional columns: ``aliases`` (separated by ``;``), ``imo`` (7 digits with a valid check
      digit, ``IMO`` prefix allowed), ``mmsi`` (9 digits), ``callsign``, ``flag``, ``owner``,
      ``program``, ``remarks``. Empty cells are empty values.
    * One list version per file: every row has the same ``list_name`` and ``list_version``.
    * A bad row is refused with a ``ValueError`` naming the file, line and column; nothing of
      the file is loaded, since a half-loaded list would screen against the wrong set.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from neonwatch.ingest.sources import open_input
from neonwatch.screen.identifiers import imo_check_digit_ok, imo_expected_check_digit
from neonwatch.screen.schema import WATCHLIST

ListFormat = Literal["ofac-sdn", "ofac-alt", "ofac-add", "un-consolidated", "csv"]

ENTITY_TYPES = ("vessel", "organization", "individual")
OFAC_SDN_COLUMNS = [
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
]
OFAC_ALT_COLUMNS = ["ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks"]
OFAC_ADD_COLUMNS = ["ent_num", "add_num", "address", "city_state_zip", "country", "add_remarks"]
OFAC_EMPTY = "-0-"
CSV_COLUMNS = [
    "list_name",
    "list_version",
    "entry_id",
    "entity_type",
    "name",
    "aliases",
    "imo",
    "mmsi",
    "callsign",
    "flag",
    "owner",
    "program",
    "remarks",
]
CSV_REQUIRED = CSV_COLUMNS[:5]
DEFAULT_LISTS_DIR = "neonwatch-lists"
INDEX_FILE = "index.json"

_VERSION_IN_NAME = re.compile(r"(?<!\d)(\d{4}-\d{2}(?:-\d{2})?)(?!\d)")
_VERSION = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")
_LIST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_DIGITS = re.compile(r"^\d+$")
_EXAMPLE_DIR = Path(__file__).resolve().parent / "data"
EXAMPLE_1718_CSV = _EXAMPLE_DIR / "un-1718-vessels-example.csv"


# ---------------------------------------------------------------------------------------------
# reading files


def _read_bytes(path: Path) -> bytes:
    """The whole file, decompressed if gzip or zstd (lists are a few MB at most)."""
    chunks = []
    with open_input(path) as stream:
        while chunk := stream.read(1 << 20):
            chunks.append(chunk)
    return b"".join(chunks)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM); older OFAC files are Windows-1252, so fall back to it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _source(path: Path, data: bytes) -> dict[str, Any]:
    return {
        "file": path.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
    }


def _source_text(sources: Sequence[dict[str, Any]]) -> str:
    return "; ".join(f"{s['file']} sha256:{s['sha256']}" for s in sources)


def _check_version(version: str, where: str) -> str:
    if not _VERSION.match(version):
        raise ValueError(f"{where}: list version {version!r} is not a date (YYYY-MM-DD or YYYY-MM)")
    return version


def version_from_name(path: Path | str) -> str | None:
    """The date in a file name such as ``ofac_sdn_2021-07.csv`` (the OFAC files carry none)."""
    match = _VERSION_IN_NAME.search(Path(path).name)
    return match.group(1) if match and _VERSION.match(match.group(1)) else None


def detect_list_format(path: Path | str) -> ListFormat:
    """Which watchlist format a file holds, told by its content rather than its name
    (OFAC publishes every file as ``*.csv``; people rename downloads)."""
    path = Path(path)
    with open_input(path) as stream:
        head = _decode_head(stream.read(1 << 16))
    stripped = head.lstrip()
    if stripped.startswith("<"):
        if "<CONSOLIDATED_LIST" in stripped:
            return "un-consolidated"
        raise ValueError(f"{path}: XML but not the UN consolidated list (no CONSOLIDATED_LIST)")
    first_line = stripped.splitlines()[0] if stripped else ""
    fields = next(csv.reader([first_line]), [])
    names = {f.strip().lower() for f in fields}
    if {"list_name", "name"} <= names:
        return "csv"
    numbered = len(fields) >= 2 and all(_DIGITS.match(f.strip()) for f in fields[:2])
    if fields and _DIGITS.match(fields[0].strip()):
        if len(fields) == len(OFAC_SDN_COLUMNS):
            return "ofac-sdn"
        if numbered and len(fields) == len(OFAC_ALT_COLUMNS):
            return "ofac-alt"
        if numbered and len(fields) == len(OFAC_ADD_COLUMNS):
            return "ofac-add"
    raise ValueError(
        f"{path}: not a known watchlist format (OFAC SDN/ALT/ADD legacy CSV, UN consolidated "
        f"XML, or the documented CSV with a header starting list_name,list_version,...)"
    )


def _decode_head(data: bytes) -> str:
    # The head may end inside a multi-byte character; it is only sniffed, so ignore that.
    return data.decode("utf-8-sig", errors="ignore")


# ---------------------------------------------------------------------------------------------
# OFAC


def _ofac_frame(data: bytes, columns: list[str], path: Path) -> pl.DataFrame:
    """A headerless OFAC CSV as text columns, ``-0-`` as null, the trailing ^Z line dropped."""
    try:
        frame = pl.read_csv(
            io.BytesIO(_decode(data).encode()),
            has_header=False,
            new_columns=columns,
            infer_schema=False,
            truncate_ragged_lines=True,
            quote_char='"',
        )
    except pl.exceptions.PolarsError as exc:
        raise ValueError(f"{path}: not a readable OFAC CSV ({exc})") from None
    if frame.width != len(columns):
        raise ValueError(f"{path}: expected {len(columns)} columns, found {frame.width}")
    stripped = [pl.col(c).str.strip_chars() for c in columns]
    frame = frame.with_columns(
        pl.when(c.is_in([OFAC_EMPTY, ""])).then(None).otherwise(c).name.keep() for c in stripped
    )
    return frame.filter(pl.col("ent_num").str.contains(r"^\d+$"))


def load_ofac(
    sdn_path: Path | str,
    alt_path: Path | str | None = None,
    add_path: Path | str | None = None,
    version: str | None = None,
) -> pa.Table:
    """The OFAC SDN list (legacy CSV files) as a WATCHLIST table, list_name ``ofac-sdn``.

    Vessels get their IMO and MMSI from the remarks ("Vessel Registration Identification IMO
    7389704; MMSI 445...") and call sign, flag and owner from their columns; when the owner
    column is empty, the parties the entry is "Linked To" stand in for it (that is how OFAC
    names a vessel's owners and managers). Aliases come from the ALT file, joined by ent_num,
    and for vessels also from the former names in the remarks ("f.k.a. 'SAM 5'"), which OFAC
    does not repeat in ALT. ``entity_type`` is OFAC's SDN_Type, with its blank type (an
    entity) as ``organization``; aircraft stay ``aircraft``. Company IMO numbers of
    organisations ("Identification Number IMO 5848165") stay in the remarks, not in ``imo``,
    so that they never match a ship.
    """
    sdn_path = Path(sdn_path)
    version = _check_version(
        version or version_from_name(sdn_path) or _missing_version(sdn_path), str(sdn_path)
    )
    sdn_data = _read_bytes(sdn_path)
    sources = [_source(sdn_path, sdn_data)]
    sdn = _ofac_frame(sdn_data, OFAC_SDN_COLUMNS, sdn_path)
    if sdn.height == 0:
        raise ValueError(f"{sdn_path}: no SDN entries")

    is_vessel = pl.col("SDN_Type") == "vessel"
    parts = (
        sdn.select(
            "ent_num",
            is_vessel.alias("vessel"),
            pl.col("Remarks").str.strip_chars_end(".").str.split("; ").alias("part"),
        )
        .explode("part")
        .drop_nulls("part")
    )
    linked = (
        parts.filter(pl.col("vessel") & pl.col("part").str.starts_with("Linked To: "))
        .group_by("ent_num", maintain_order=True)
        .agg(pl.col("part").str.strip_prefix("Linked To: ").str.join("; ").alias("linked"))
    )
    remark_aliases = (
        parts.filter(pl.col("vessel"))
        .select(
            "ent_num",
            pl.col("part").str.extract(r"^(?:alt\. )?[afn]\.k\.a\. '(.+)'$", 1).alias("alias"),
        )
        .drop_nulls("alias")
        .group_by("ent_num", maintain_order=True)
        .agg(pl.col("alias").alias("remark_aliases"))
    )
    frame = sdn.join(linked, on="ent_num", how="left").join(
        remark_aliases, on="ent_num", how="left"
    )

    alt_aliases = pl.lit(None, dtype=pl.List(pl.String))
    if alt_path is not None:
        alt_path = Path(alt_path)
        alt_data = _read_bytes(alt_path)
        sources.append(_source(alt_path, alt_data))
        alt = _ofac_frame(alt_data, OFAC_ALT_COLUMNS, alt_path)
        grouped = (
            alt.drop_nulls("alt_name")
            .sort(pl.col("ent_num").cast(pl.Int64), pl.col("alt_num").cast(pl.Int64, strict=False))
            .group_by("ent_num", maintain_order=True)
            .agg(pl.col("alt_name").alias("alt_aliases"))
        )
        frame = frame.join(grouped, on="ent_num", how="left")
        alt_aliases = pl.col("alt_aliases")
    if add_path is not None:
        add_path = Path(add_path)
        add_data = _read_bytes(add_path)
        _ofac_frame(add_data, OFAC_ADD_COLUMNS, add_path)  # refuse a file that is not ADD
        sources.append(_source(add_path, add_data))

    remarks = pl.col("Remarks")
    vessel_text = lambda column: pl.when(is_vessel).then(pl.col(column))  # noqa: E731
    table = frame.select(
        pl.lit(f"ofac-sdn@{version}").alias("list_id"),
        pl.lit("ofac-sdn").alias("list_name"),
        pl.lit(version).alias("list_version"),
        pl.lit(_source_text(sources)).alias("source"),
        pl.col("ent_num").alias("entry_id"),
        pl.col("SDN_Type").fill_null("organization").alias("entity_type"),
        pl.col("SDN_Name").alias("name"),
        pl.concat_list(
            alt_aliases.fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("remark_aliases").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        )
        .list.unique(maintain_order=True)
        .alias("aliases"),
        pl.when(is_vessel)
        .then(remarks.str.extract(r"Vessel Registration Identification (?:IMO )?(\d{7})\b", 1))
        .cast(pl.Int32)
        .alias("imo"),
        pl.when(is_vessel)
        .then(remarks.str.extract(r"\bMMSI (\d{9})\b", 1))
        .cast(pl.Int32)
        .alias("mmsi"),
        vessel_text("Call_Sign").alias("callsign"),
        pl.when(is_vessel & (pl.col("Vess_flag") != "None Identified"))
        .then(pl.col("Vess_flag"))
        .alias("flag"),
        pl.when(is_vessel).then(pl.coalesce(pl.col("Vess_owner"), pl.col("linked"))).alias("owner"),
        pl.col("Program").str.replace_all(r"\]\s*\[", "; ").alias("program"),
        pl.concat_str(
            pl.format("Title {}", pl.col("Title")),
            pl.format("Vessel type {}", pl.col("Vess_type")),
            pl.format("Tonnage {}", pl.col("Tonnage")),
            pl.format("GRT {}", pl.col("GRT")),
            remarks,
            separator="; ",
            ignore_nulls=True,
        ).alias("remarks"),
    )
    return _to_watchlist(table.to_arrow())


def _missing_version(path: Path) -> str:
    raise ValueError(
        f"{path}: OFAC files carry no date; give the list version (e.g. --list-version "
        f"2021-07) or put the date in the file name (sdn_2021-07.csv)"
    )


def _to_watchlist(table: pa.Table) -> pa.Table:
    """Cast to the WATCHLIST schema (polars writes large strings and lists)."""
    return table.select(WATCHLIST.names).cast(WATCHLIST)


# ---------------------------------------------------------------------------------------------
# UN consolidated list


def _text(element: ET.Element, tag: str) -> str | None:
    child = element.find(tag)
    if child is None or child.text is None:
        return None
    value = " ".join(child.text.split())
    return value or None


def load_un_consolidated(xml_path: Path | str) -> pa.Table:
    """The UN Security Council consolidated list XML as a WATCHLIST table.

    list_name ``un-consolidated``, version the date of ``dateGenerated``; entry_id the UN
    reference number ("KPe.020"), program the regime (``UN_LIST_TYPE``, "DPRK" for the 1718
    Committee). Aliases are the listed a.k.a./f.k.a. names plus the name in original script.
    The remarks start with the listing date. The list has no vessels: the 1718 Committee's
    designated vessels are published separately (load them with the CSV format).
    """
    path = Path(xml_path)
    data = _read_bytes(path)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"{path}: not well-formed XML ({exc})") from None
    if root.tag != "CONSOLIDATED_LIST":
        raise ValueError(f"{path}: root element is {root.tag}, not CONSOLIDATED_LIST")
    generated = root.get("dateGenerated")
    if not generated:
        raise ValueError(f"{path}: CONSOLIDATED_LIST has no dateGenerated attribute")
    version = _check_version(generated[:10], str(path))
    source = _source_text([_source(path, data)])

    columns: dict[str, list[Any]] = {name: [] for name in WATCHLIST.names}
    for section, kind, alias_tag in (
        ("INDIVIDUALS/INDIVIDUAL", "individual", "INDIVIDUAL_ALIAS"),
        ("ENTITIES/ENTITY", "organization", "ENTITY_ALIAS"),
    ):
        for element in root.iterfind(section):
            name = " ".join(
                part
                for tag in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
                if (part := _text(element, tag))
            )
            aliases: list[str] = []
            for alias in element.iterfind(f"{alias_tag}/ALIAS_NAME"):
                value = " ".join((alias.text or "").split())
                if value and value not in aliases:
                    aliases.append(value)
            original = _text(element, "NAME_ORIGINAL_SCRIPT")
            if original and original not in aliases:
                aliases.append(original)
            listed_on, comments = _text(element, "LISTED_ON"), _text(element, "COMMENTS1")
            remarks = "; ".join(
                part for part in (listed_on and f"Listed on {listed_on}", comments) if part
            )
            row = {
                "list_id": f"un-consolidated@{version}",
                "list_name": "un-consolidated",
                "list_version": version,
                "source": source,
                "entry_id": _text(element, "REFERENCE_NUMBER") or _text(element, "DATAID"),
                "entity_type": kind,
                "name": name,
                "aliases": aliases,
                "program": _text(element, "UN_LIST_TYPE"),
                "remarks": remarks or None,
            }
            for column in WATCHLIST.names:
                columns[column].append(row.get(column))
    if not columns["name"]:
        raise ValueError(f"{path}: no INDIVIDUAL or ENTITY entries")
    return pa.table(columns, schema=WATCHLIST)


# ---------------------------------------------------------------------------------------------
# the documented CSV format


def load_csv_list(path: Path | str) -> pa.Table:
    """A list in the documented CSV format (see the module docstring) as a WATCHLIST table.

    Every cell is checked before anything is returned; the first bad one raises a ValueError
    naming the line (as an editor counts them) and the column, so the person who typed the
    list can fix it.
    """
    path = Path(path)
    data = _read_bytes(path)
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise ValueError(f"{path}: empty file; the first line must name the columns")
    header = [h.strip().lower() for h in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise ValueError(
            f"{path}: line 1: unknown column(s) {', '.join(unknown)}; "
            f"known: {', '.join(CSV_COLUMNS)}"
        )
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise ValueError(f"{path}: line 1: missing required column(s) {', '.join(missing)}")
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise ValueError(f"{path}: line 1: column(s) named twice: {', '.join(duplicated)}")

    source = _source_text([_source(path, data)])
    columns: dict[str, list[Any]] = {name: [] for name in WATCHLIST.names}
    seen: dict[str, int] = {}
    first: tuple[str, str] | None = None
    line = 1
    for fields in reader:
        line_start = line + 1
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue

        def bad(column: str, why: str, at: int = line_start) -> ValueError:
            return ValueError(f"{path}: line {at}, column {column}: {why}")

        if len(fields) != len(header):
            raise bad("*", f"{len(fields)} fields where the header has {len(header)}")
        cells = {h: f.strip() for h, f in zip(header, fields, strict=True)}
        for column in CSV_REQUIRED:
            if not cells.get(column):
                raise bad(column, "empty; this column is required")
        row = _csv_row(cells, bad)
        key = (row["list_name"], row["list_version"])
        if first is None:
            first = key
        elif key != first:
            raise bad(
                "list_name" if key[0] != first[0] else "list_version",
                f"{key[0]}@{key[1]} differs from {first[0]}@{first[1]} of the first row; "
                "one file holds one version of one list",
            )
        if row["entry_id"] in seen:
            raise bad(
                "entry_id", f"{row['entry_id']!r} already used on line {seen[row['entry_id']]}"
            )
        seen[row["entry_id"]] = line_start
        row["list_id"] = f"{row['list_name']}@{row['list_version']}"
        row["source"] = source
        for column in WATCHLIST.names:
            columns[column].append(row.get(column))
    if first is None:
        raise ValueError(f"{path}: no entries below the header")
    return pa.table(columns, schema=WATCHLIST)


def _csv_row(cells: dict[str, str], bad: Any) -> dict[str, Any]:
    """One CSV row checked and converted; ``bad(column, why)`` builds the error to raise."""
    if not _LIST_NAME.match(cells["list_name"]):
        raise bad("list_name", f"{cells['list_name']!r}: use letters, digits, '.', '_', '-'")
    if not _VERSION.match(cells["list_version"]):
        raise bad("list_version", f"{cells['list_version']!r} is not YYYY-MM-DD or YYYY-MM")
    entity_type = cells["entity_type"].lower()
    if entity_type not in ENTITY_TYPES:
        raise bad("entity_type", f"{cells['entity_type']!r}; use {', '.join(ENTITY_TYPES)}")
    imo = None
    if text := cells.get("imo", ""):
        digits = re.sub(r"^IMO\s*:?\s*", "", text, flags=re.IGNORECASE)
        if not re.fullmatch(r"\d{7}", digits):
            raise bad("imo", f"{text!r} is not a 7-digit IMO number")
        imo = int(digits)
        if not imo_check_digit_ok(np.array([imo]))[0]:
            raise bad(
                "imo",
                f"{imo} fails the IMO check digit (the first six digits call for "
                f"{imo_expected_check_digit(imo)}, not {imo % 10})",
            )
    mmsi = None
    if text := cells.get("mmsi", ""):
        if not re.fullmatch(r"\d{9}", text):
            raise bad("mmsi", f"{text!r} is not a 9-digit MMSI")
        mmsi = int(text)
    aliases = [a.strip() for a in cells.get("aliases", "").split(";") if a.strip()]
    return {
        "list_name": cells["list_name"],
        "list_version": cells["list_version"],
        "entry_id": cells["entry_id"],
        "entity_type": entity_type,
        "name": cells["name"],
        "aliases": aliases,
        "imo": imo,
        "mmsi": mmsi,
        **{c: cells.get(c) or None for c in ("callsign", "flag", "owner", "program", "remarks")},
    }


# ---------------------------------------------------------------------------------------------
# the list store


def default_lists_dir() -> Path:
    """``$NEONWATCH_LISTS`` or ``./neonwatch-lists``: one place per team, set once."""
    return Path(os.environ.get("NEONWATCH_LISTS") or DEFAULT_LISTS_DIR)


@dataclass
class _Loaded:
    table: pa.Table
    sources: list[dict[str, Any]]


def _file_sources(paths: Iterable[Path]) -> list[dict[str, Any]]:
    return [_source(p, _read_bytes(p)) for p in paths]


def _write_atomic(path: Path, write: Any) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class ListStore:
    """Every list version loaded, one Parquet file each plus ``index.json``.

    The index records for each list its id, name, version, the source files with their sha256,
    when it was added (UTC) and how many entries and vessels it holds, so a hit can be traced
    to the exact files behind it. Adding a list version already stored replaces it; adding the
    very same files again changes nothing (not even ``added_at``).
    """

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_lists_dir()

    @property
    def index_path(self) -> Path:
        return self.directory / INDEX_FILE

    def _read_index(self) -> list[dict[str, Any]]:
        if not self.index_path.exists():
            return []
        try:
            data = json.loads(self.index_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{self.index_path}: unreadable list index ({exc})") from None
        return list(data.get("lists", []))

    def _write_index(self, lists: list[dict[str, Any]]) -> None:
        lists = sorted(lists, key=lambda e: e["list_id"])
        text = json.dumps({"lists": lists}, indent=2, ensure_ascii=False) + "\n"
        _write_atomic(self.index_path, lambda tmp: tmp.write_text(text))

    def _parquet(self, list_id: str) -> Path:
        return self.directory / f"{list_id}.parquet"

    def add(self, paths: Iterable[Path | str], version: str | None = None) -> list[str]:
        """Load files into the store; returns the ids of the lists they make up.

        Each file's format is told by content. OFAC's SDN, ALT and ADD files given together
        are one list (paired by the date in their names when several SDN files are given);
        ``version`` names the OFAC version when the file names carry no date.
        """
        loaded = self._load(
            [Path(p) for p in paths], version
        )  # everything is parsed before the store changes
        self.directory.mkdir(parents=True, exist_ok=True)
        index = {e["list_id"]: e for e in self._read_index()}
        ids = []
        for item in loaded:
            table = item.table
            list_id = str(table["list_id"][0].as_py())
            entry = {
                "list_id": list_id,
                "list_name": table["list_name"][0].as_py(),
                "list_version": table["list_version"][0].as_py(),
                "sources": item.sources,
                "added_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                "entries": table.num_rows,
                "vessels": int(pc.sum(pc.equal(table["entity_type"], "vessel")).as_py() or 0),
                "vessels_with_imo": int(
                    pc.sum(
                        pc.and_(pc.equal(table["entity_type"], "vessel"), pc.is_valid(table["imo"]))
                    ).as_py()
                    or 0
                ),
            }
            old = index.get(list_id)
            same = (
                old is not None
                and old.get("sources") == entry["sources"]
                and self._parquet(list_id).exists()
            )
            if same and old is not None:
                entry["added_at"] = old["added_at"]
            else:
                _write_atomic(self._parquet(list_id), lambda tmp, t=table: pq.write_table(t, tmp))
            index[list_id] = entry
            ids.append(list_id)
        self._write_index(list(index.values()))
        return ids

    def _load(self, paths: list[Path], version: str | None) -> list[_Loaded]:
        for path in paths:
            if not path.is_file():
                raise ValueError(f"{path}: not found")
        kinds: dict[str, list[Path]] = {}
        for path in paths:
            kinds.setdefault(detect_list_format(path), []).append(path)
        loaded: list[_Loaded] = []
        for path in kinds.get("un-consolidated", []):
            loaded.append(_Loaded(load_un_consolidated(path), _file_sources([path])))
        for path in kinds.get("csv", []):
            loaded.append(_Loaded(load_csv_list(path), _file_sources([path])))
        for sdn, alt, add in _pair_ofac(
            kinds.get("ofac-sdn", []), kinds.get("ofac-alt", []), kinds.get("ofac-add", [])
        ):
            table = load_ofac(sdn, alt, add, version)
            files = [p for p in (sdn, alt, add) if p is not None]
            loaded.append(_Loaded(table, _file_sources(files)))
        seen: dict[str, str] = {}
        for item in loaded:
            list_id = str(item.table["list_id"][0].as_py())
            names = ", ".join(s["file"] for s in item.sources)
            if list_id in seen:
                raise ValueError(f"{seen[list_id]} and {names} are both {list_id}; give one")
            seen[list_id] = names
        return loaded

    def lists(self) -> list[dict[str, Any]]:
        """The index: one dict per stored list version, sorted by list_id."""
        return sorted(self._read_index(), key=lambda e: e["list_id"])

    def entries(self, list_ids: Iterable[str] | None = None) -> pa.Table:
        """The entries of the given stored lists (all of them by default), one table."""
        stored = [e["list_id"] for e in self.lists()]
        wanted = stored if list_ids is None else list(list_ids)
        unknown = [i for i in wanted if i not in stored]
        if unknown:
            raise ValueError(self._unknown(unknown))
        tables = [pq.read_table(self._parquet(i)).cast(WATCHLIST) for i in wanted]
        return pa.concat_tables(tables) if tables else WATCHLIST.empty_table()

    def remove(self, list_id: str) -> None:
        """Forget one list version (its Parquet file and its index entry)."""
        lists = self._read_index()
        kept = [e for e in lists if e["list_id"] != list_id]
        if len(kept) == len(lists):
            raise ValueError(self._unknown([list_id]))
        self._write_index(kept)
        self._parquet(list_id).unlink(missing_ok=True)

    def _unknown(self, ids: list[str]) -> str:
        stored = [e["list_id"] for e in self._read_index()]
        return (
            f"no list {', '.join(ids)} in {self.directory}; "
            f"stored: {', '.join(stored) if stored else 'none'}"
        )


def _pair_ofac(
    sdns: list[Path], alts: list[Path], adds: list[Path]
) -> list[tuple[Path, Path | None, Path | None]]:
    """Group OFAC files into lists: one SDN file takes every ALT and ADD given with it;
    several SDN files take the ALT/ADD whose file-name date matches theirs."""
    if (alts or adds) and not sdns:
        extra = ", ".join(str(p) for p in alts + adds)
        raise ValueError(f"{extra}: OFAC ALT/ADD files need their SDN file in the same add")
    groups: list[tuple[Path, Path | None, Path | None]] = []
    for sdn in sdns:
        date = version_from_name(sdn)
        mine = [
            [p for p in side if len(sdns) == 1 or version_from_name(p) == date]
            for side in (alts, adds)
        ]
        for side, label in zip(mine, ("ALT", "ADD"), strict=True):
            if len(side) > 1:
                raise ValueError(
                    f"{sdn}: more than one OFAC {label} file goes with it: "
                    f"{', '.join(str(p) for p in side)}"
                )
        groups.append((sdn, mine[0][0] if mine[0] else None, mine[1][0] if mine[1] else None))
    used = {p for _, alt, add in groups for p in (alt, add) if p is not None}
    left = [p for p in alts + adds if p not in used]
    if left:
        raise ValueError(
            f"{', '.join(str(p) for p in left)}: no SDN file with the same date in its name"
        )
    return groups
