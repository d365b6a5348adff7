"""Identity checks: the ways a vessel's broadcast identity gives itself away.

North Korean tankers and their partners hide behind identities: an IMO number with a broken
check digit, an IMO one digit off a designated ship's (a borrowed identity), an MMSI whose
Maritime Identification Digits (MID) disagree with the flag the ship claims, the North Korean
MID 445 itself, names, flags, call signs and types that change from one report to the next
(flag hopping), and two transmitters broadcasting one IMO at once. Each check here is a
vectorised pass over a vessels history (ingest's VESSELS: one row per identity run of an MMSI)
or any table with some of its columns (a sightings table with name, IMO and flag), and each
anomaly says in words what was seen and why it is odd.

The MID table (``data/mid.csv``) is ITU's public MID allocation as carried by pyais (MIT), built
by ``scripts/build_mid_table.py``; see ``data/SOURCE-mid.txt``.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

import numpy as np
import polars as pl
import pyarrow as pa

from neonwatch.screen.identifiers import imo_check_digit_ok, imo_expected_check_digit
from neonwatch.screen.schema import ANOMALIES

NORTH_KOREA_MID = 445


class Check:
    """Names of the identity checks (the ``check`` column; weights in ``risk.toml [identity]``)."""

    INVALID_IMO = "invalid_imo"
    IMO_ONE_DIGIT_OFF_LISTED = "imo_one_digit_off_listed"
    IMO_NEAR_LISTED = "imo_near_listed"
    MID_445 = "mid_445"
    MID_FLAG_MISMATCH = "mid_flag_mismatch"
    MID_UNALLOCATED = "mid_unallocated"
    NAME_CHANGED = "name_changed"
    CALLSIGN_CHANGED = "callsign_changed"
    SHIP_TYPE_CHANGED = "ship_type_changed"
    IMO_CHANGED = "imo_changed"
    FLAG_CHANGED = "flag_changed"
    IMO_SHARED = "imo_shared"

    ALL = (
        INVALID_IMO,
        IMO_ONE_DIGIT_OFF_LISTED,
        IMO_NEAR_LISTED,
        MID_445,
        MID_FLAG_MISMATCH,
        MID_UNALLOCATED,
        NAME_CHANGED,
        CALLSIGN_CHANGED,
        SHIP_TYPE_CHANGED,
        IMO_CHANGED,
        FLAG_CHANGED,
        IMO_SHARED,
    )


# Country names as lists and sightings write them, beyond the short names of the MID table
# (normalised: upper case, "&" as AND, punctuation, AND, THE, OF and parentheses dropped).
COUNTRY_ALIASES: dict[str, str] = {
    "DEMOCRATIC PEOPLES REPUBLIC KOREA": "KP",
    "DPR KOREA": "KP",
    "DPRK": "KP",
    "NORTH KOREA": "KP",
    "KOREA NORTH": "KP",
    "REPUBLIC KOREA": "KR",
    "SOUTH KOREA": "KR",
    "KOREA SOUTH": "KR",
    "RUSSIAN FEDERATION": "RU",
    "UNITED STATES": "US",
    "UNITED STATES AMERICA": "US",
    "GREAT BRITAIN": "GB",
    "UNITED ARAB EMIRATES": "AE",
    "VIET NAM": "VN",
    "IRAN ISLAMIC REPUBLIC": "IR",
    "TANZANIA UNITED REPUBLIC": "TZ",
    "SYRIAN ARAB REPUBLIC": "SY",
    "CZECHIA": "CZ",
    "COTE D IVOIRE": "CI",
    "MARSHALL ISLANDS": "MH",
    "CAYMAN ISLANDS": "KY",
    "COOK ISLANDS": "CK",
    "SOLOMON ISLANDS": "SB",
    "FAROE ISLANDS": "FO",
    "ESWATINI": "SZ",
    "NORTH MACEDONIA": "MK",
}
_ISO_ALIASES = {"UK": "GB"}  # the MID table writes the United Kingdom both ways


def _country_key(text: str) -> str:
    s = re.sub(r"\(.*?\)", " ", text.upper()).replace("&", " AND ")
    s = s.replace("'", "").replace("\u2019", "")
    s = re.sub(r"\bSAINT\b|\bST\b\.?", "ST", s)
    s = re.sub(r"[^A-Z ]+", " ", s)
    words = [w for w in s.split() if w not in ("AND", "THE", "OF")]
    return " ".join(words)


@cache
def mid_table() -> dict[int, tuple[str, str]]:
    """MID -> (ISO 3166 alpha-2, country) from ``data/mid.csv`` (ITU MID table via pyais)."""
    text = resources.files("neonwatch.screen").joinpath("data", "mid.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return {int(r["mid"]): (_ISO_ALIASES.get(r["iso2"], r["iso2"]), r["country"]) for r in rows}


@cache
def _country_index() -> dict[str, str]:
    index = {_country_key(country): iso for iso, country in mid_table().values()}
    index.update(COUNTRY_ALIASES)
    return index


def flag_iso2(flag: str | None) -> str | None:
    """The ISO alpha-2 code of a flag as written ("Democratic People's Republic of Korea",
    "St. Kitts & Nevis", "China (flag shown)", "PA"), or None when it names no known flag."""
    if not flag or not flag.strip():
        return None
    raw = flag.strip()
    codes = {iso for iso, _ in mid_table().values()}
    if len(raw) == 2 and raw.upper() in codes:
        return _ISO_ALIASES.get(raw.upper(), raw.upper())
    return _country_index().get(_country_key(raw))


def mid_of(mmsi: int) -> int | None:
    """The MID of a ship station's nine-digit MMSI (2xx..7xx), else None."""
    return mmsi // 1_000_000 if 200_000_000 <= mmsi <= 799_999_999 else None


def _mid_label(mid: int) -> str:
    found = mid_table().get(mid)
    return f"MID {mid} = {found[1]} ({found[0]})" if found else f"MID {mid} (unallocated)"


def _history_frame(history: pa.Table) -> pl.DataFrame:
    df = pl.from_arrow(history)
    assert isinstance(df, pl.DataFrame)
    wanted: dict[str, pl.DataType] = {
        "mmsi": pl.Int64(),
        "imo": pl.Int64(),
        "name": pl.String(),
        "callsign": pl.String(),
        "ship_type": pl.Int64(),
        "flag": pl.String(),
        "first_seen": pl.Datetime("ms", "UTC"),
        "last_seen": pl.Datetime("ms", "UTC"),
    }
    cols = [
        pl.col(c).cast(t, strict=False) if c in df.columns else pl.lit(None, dtype=t).alias(c)
        for c, t in wanted.items()
    ]
    return (
        df.select(cols)
        .with_columns(
            pl.col("imo").replace(0, None),
            pl.col("ship_type").replace(0, None),
            pl.col("name").str.to_uppercase().str.replace_all(r"\s+", " ").str.strip_chars(),
            pl.col("callsign").str.to_uppercase().str.replace_all(r"\s+", "").replace("", None),
            pl.col("flag").str.strip_chars().replace("", None),
        )
        .with_columns(pl.col("name").replace("", None))
    )


def _invalid_imo(h: pl.DataFrame) -> list[dict[str, object]]:
    pairs = h.filter(pl.col("imo").is_not_null()).select("mmsi", "imo").unique()
    ok = imo_check_digit_ok(pairs["imo"].to_numpy())
    out = []
    for (mmsi, imo), good in zip(pairs.iter_rows(), ok, strict=True):
        if good:
            continue
        if not 1_000_000 <= imo <= 9_999_999:
            why = f"IMO {imo} is not seven digits"
        else:
            why = (
                f"IMO {imo}: check digit {imo % 10}, but its first six digits weighted 7..2 "
                f"call for {imo_expected_check_digit(imo)}"
            )
        out.append({"mmsi": mmsi, "imo": imo, "check": Check.INVALID_IMO, "evidence": why})
    return out


def _listed_vessels(watchlist: pa.Table) -> pl.DataFrame:
    w = pl.from_arrow(watchlist)
    assert isinstance(w, pl.DataFrame)
    return w.filter((pl.col("entity_type") == "vessel") & pl.col("imo").is_not_null()).select(
        pl.col("imo").cast(pl.Int64), "mmsi", "name", "list_id", "entry_id", "flag"
    )


def _one_digit_off(h: pl.DataFrame, listed: pl.DataFrame) -> list[dict[str, object]]:
    """A vessel IMO equal to a listed IMO with one digit replaced: all 63 one-digit edits of
    each listed IMO (a few hundred) joined against the vessels' IMOs.

    An edit that breaks the check digit is the borrowed-identity signature
    (``imo_one_digit_off_listed``). About seven edits of any IMO keep a valid check digit and
    are usually other real ships (IMO numbers are allocated densely), so those are reported
    apart, as the much weaker ``imo_near_listed``."""
    if listed.height == 0:
        return []
    imos = listed["imo"].unique().to_numpy().astype(np.int64)
    powers = 10 ** np.arange(6, -1, -1, dtype=np.int64)  # position 1 (leftmost) .. 7
    digits = (imos[:, None] // powers) % 10  # (n, 7)
    base = imos[:, None, None] - digits[:, :, None] * powers[None, :, None]
    variants = base + np.arange(10)[None, None, :] * powers[None, :, None]  # (n, 7, 10)
    position = np.broadcast_to(np.arange(1, 8)[None, :, None], variants.shape)
    source = np.broadcast_to(imos[:, None, None], variants.shape)
    keep = (variants != source) & (variants >= 1_000_000)
    edits = pl.DataFrame(
        {
            "imo": variants[keep],
            "listed_imo": source[keep],
            "position": position[keep],
        }
    )
    seen = h.filter(pl.col("imo").is_not_null()).select("mmsi", "imo").unique()
    seen = seen.filter(~pl.col("imo").is_in(listed["imo"].implode()))
    found = seen.join(edits, on="imo").join(
        listed.rename({"imo": "listed_imo", "mmsi": "listed_mmsi"}), on="listed_imo"
    )
    out = []
    for row in found.iter_rows(named=True):
        imo = int(row["imo"])
        valid = bool(imo_check_digit_ok(np.array([imo]))[0])
        where = "the check digit" if row["position"] == 7 else f"digit {row['position']}"
        out.append(
            {
                "mmsi": row["mmsi"],
                "imo": imo,
                "check": Check.IMO_NEAR_LISTED if valid else Check.IMO_ONE_DIGIT_OFF_LISTED,
                "evidence": (
                    f"IMO {imo} differs only in {where} from IMO {row['listed_imo']} of listed "
                    f"{row['name']} ({row['list_id']} entry {row['entry_id']}); its own check "
                    f"digit is {'valid' if valid else 'invalid'}"
                ),
            }
        )
    return out


def _mid_checks(h: pl.DataFrame, listed: pl.DataFrame) -> list[dict[str, object]]:
    table = mid_table()
    out: list[dict[str, object]] = []
    ids = h.filter(pl.col("mmsi").is_not_null()).select("mmsi", "imo", "flag").unique()
    # The flag a watchlist entry gives the same ship (matched by a valid IMO).
    valid = listed.filter(
        pl.col("flag").is_not_null()
        & pl.col("imo").map_batches(
            lambda s: pl.Series(imo_check_digit_ok(s.to_numpy())), return_dtype=pl.Boolean
        )
    )
    listed_flags: dict[int, list[tuple[str, str]]] = {}
    for row in valid.iter_rows(named=True):
        label = f"{row['list_id']} entry {row['entry_id']} ({row['name']})"
        listed_flags.setdefault(int(row["imo"]), []).append((row["flag"], label))
    reported_445: set[int] = set()
    for mmsi, imo, flag in ids.iter_rows():
        mid = mid_of(int(mmsi))
        if mid is None:
            continue
        if mid not in table:
            out.append(
                {
                    "mmsi": mmsi,
                    "imo": imo,
                    "check": Check.MID_UNALLOCATED,
                    "evidence": f"MMSI {mmsi}: MID {mid} is allocated to no country (ITU)",
                }
            )
            continue
        iso = table[mid][0]
        if mid == NORTH_KOREA_MID and mmsi not in reported_445:
            reported_445.add(mmsi)
            out.append(
                {
                    "mmsi": mmsi,
                    "imo": imo,
                    "check": Check.MID_445,
                    "evidence": f"MMSI {mmsi}: {_mid_label(mid)}, North Korea's MID",
                }
            )
        claims = [(flag, "the report gives flag")] if flag else []
        if imo is not None:
            claims += [(f, f"{label} lists flag") for f, label in listed_flags.get(int(imo), [])]
        for claimed, said in claims:
            claimed_iso = flag_iso2(claimed)
            if claimed_iso is not None and claimed_iso != iso:
                out.append(
                    {
                        "mmsi": mmsi,
                        "imo": imo,
                        "check": Check.MID_FLAG_MISMATCH,
                        "evidence": (
                            f"MMSI {mmsi}: {_mid_label(mid)}, but {said} {claimed} ({claimed_iso})"
                        ),
                    }
                )
    return out


def _when(ts: object) -> str:
    return f" from {ts:%Y-%m-%d %H:%M}" if ts is not None else ""


def _changes(h: pl.DataFrame) -> list[dict[str, object]]:
    """Identity fields taking more than one value for one MMSI (in first-seen order), and one
    IMO broadcast under MMSIs of different flags (re-flagging: a new flag needs a new MMSI)."""
    out: list[dict[str, object]] = []
    fields = (
        ("name", Check.NAME_CHANGED, "name"),
        ("callsign", Check.CALLSIGN_CHANGED, "call sign"),
        ("ship_type", Check.SHIP_TYPE_CHANGED, "ship type"),
        ("imo", Check.IMO_CHANGED, "IMO"),
        ("flag", Check.FLAG_CHANGED, "flag"),
    )
    with_mmsi = h.filter(pl.col("mmsi").is_not_null()).sort(["mmsi", "first_seen"], nulls_last=True)
    for column, check, label in fields:
        distinct = (
            with_mmsi.filter(pl.col(column).is_not_null())
            .group_by("mmsi", maintain_order=True)
            .agg(
                pl.col(column).n_unique().alias("n"),
                pl.col(column),
                pl.col("first_seen"),
                pl.col("imo").drop_nulls().last().alias("imo_last"),
            )
            .filter(pl.col("n") > 1)
        )
        for row in distinct.iter_rows(named=True):
            steps: list[str] = []
            last: object = None
            for value, ts in zip(row[column], row["first_seen"], strict=True):
                if value != last:
                    shown = f"'{value}'" if isinstance(value, str) else str(value)
                    steps.append(f"{shown}{_when(ts)}")
                    last = value
            out.append(
                {
                    "mmsi": row["mmsi"],
                    "imo": row["imo_last"],
                    "check": check,
                    "evidence": f"MMSI {row['mmsi']} {label}: " + " -> ".join(steps),
                }
            )
    # One IMO under MMSIs of different flag administrations, over time.
    by_imo = (
        h.filter(pl.col("imo").is_not_null() & pl.col("mmsi").is_not_null())
        .group_by("imo", "mmsi")
        .agg(pl.col("first_seen").min())
        .sort(["imo", "first_seen"], nulls_last=True)
    )
    table = mid_table()
    for (imo,), group in by_imo.group_by("imo", maintain_order=True):
        if group.height < 2:
            continue
        flags = []
        for mmsi, ts in zip(group["mmsi"], group["first_seen"], strict=True):
            mid = mid_of(int(mmsi))
            flags.append((mmsi, mid, table.get(mid, ("?", "?"))[0] if mid else "?", ts))
        if len({f[2] for f in flags}) < 2:
            continue
        steps = [
            f"MMSI {m} ({_mid_label(mid) if mid else 'no MID'}){_when(ts)}"
            for m, mid, _, ts in flags
        ]
        for mmsi, *_ in flags:
            out.append(
                {
                    "mmsi": mmsi,
                    "imo": imo,
                    "check": Check.FLAG_CHANGED,
                    "evidence": f"IMO {imo} broadcast under " + " -> ".join(steps),
                }
            )
    return out


def _shared_imo(h: pl.DataFrame) -> list[dict[str, object]]:
    """Two or more MMSIs broadcasting one IMO at overlapping times (at any time when the table
    has no times, as for sightings)."""
    spans = (
        h.filter(pl.col("imo").is_not_null() & pl.col("mmsi").is_not_null())
        .group_by("imo", "mmsi")
        .agg(pl.col("first_seen").min(), pl.col("last_seen").max())
    )
    multi = spans.filter(pl.col("mmsi").n_unique().over("imo") > 1).sort(["imo", "first_seen"])
    out: list[dict[str, object]] = []
    for (imo,), group in multi.group_by("imo", maintain_order=True):
        rows = group.rows(named=True)
        involved: dict[int, list[str]] = {}
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                timed = a["first_seen"] is not None and b["first_seen"] is not None
                if timed:
                    a_end = a["last_seen"] or a["first_seen"]
                    b_end = b["last_seen"] or b["first_seen"]
                    if a["first_seen"] > b_end or b["first_seen"] > a_end:
                        continue
                    both = (
                        f"{a['first_seen']:%Y-%m-%d %H:%M}-{a_end:%Y-%m-%d %H:%M} and "
                        f"{b['first_seen']:%Y-%m-%d %H:%M}-{b_end:%Y-%m-%d %H:%M}"
                    )
                    text = f"MMSI {a['mmsi']} and MMSI {b['mmsi']} at overlapping times ({both})"
                else:
                    text = f"MMSI {a['mmsi']} and MMSI {b['mmsi']}"
                for m in (a["mmsi"], b["mmsi"]):
                    involved.setdefault(m, []).append(text)
        for mmsi, texts in involved.items():
            out.append(
                {
                    "mmsi": mmsi,
                    "imo": imo,
                    "check": Check.IMO_SHARED,
                    "evidence": f"IMO {imo} broadcast by " + "; ".join(texts),
                }
            )
    return out


def identity_checks(vessels_history: pa.Table, watchlist: pa.Table | None = None) -> pa.Table:
    """Identity anomalies (:data:`~neonwatch.screen.schema.ANOMALIES`) of a vessels history.

    ``vessels_history`` has some of the columns mmsi, imo, name, callsign, ship_type, flag,
    first_seen, last_seen (ingest's VESSELS, the simulator's, or sightings). ``watchlist``
    supplies the listed IMOs for the one-digit-off check and the listed flags that an MMSI's
    MID is compared with; without it those two checks only use what the history itself claims.
    AIS reports carry no flag, so for them the MID is evidence on its own (MID 445), and the
    claimed flag comes from a sighting's flag column or a list entry for the same IMO.
    """
    h = _history_frame(vessels_history)
    if watchlist is None:
        listed = pl.DataFrame(
            schema={
                "imo": pl.Int64,
                "mmsi": pl.Int32,
                "name": pl.String,
                "list_id": pl.String,
                "entry_id": pl.String,
                "flag": pl.String,
            }
        )
    else:
        listed = _listed_vessels(watchlist)
    rows = (
        _invalid_imo(h)
        + _one_digit_off(h, listed)
        + _mid_checks(h, listed)
        + _changes(h)
        + _shared_imo(h)
    )
    if not rows:
        return ANOMALIES.empty_table()
    df = (
        pl.DataFrame(
            rows,
            schema={"mmsi": pl.Int64, "imo": pl.Int64, "check": pl.String, "evidence": pl.String},
        )
        .unique(maintain_order=True)
        .sort(["mmsi", "check"], nulls_last=True, maintain_order=True)
    )
    return df.to_arrow().cast(ANOMALIES)


__all__ = ["COUNTRY_ALIASES", "Check", "flag_iso2", "identity_checks", "mid_of", "mid_table"]
