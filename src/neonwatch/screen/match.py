"""Matching vessels against watchlists: exact identifiers first, then names, each hit with why.

A vessel is known to AIS by MMSI, IMO, call sign and name, and to a sanctions list by whatever
the publisher wrote down. Exact identifiers are the strong evidence: an IMO (only when its
check digit is valid, since a broken IMO is a typo or a forgery and is reported by
:mod:`neonwatch.screen.identity` instead), an MMSI, a call sign. Names are the weak but
indispensable evidence: patrol sightings often have nothing else, and North Korean ship names
are written many ways ("RYE SONG GANG NO.1", "RYESONGGANG 1", "RYE SONG KANG 1"). Names are
therefore brought to one canonical form (upper case, punctuation and "NO." removed, spacing
collapsed, a few documented transliteration variants folded) and compared without spaces with
rapidfuzz's normalised Indel similarity, so a split or joined word costs nothing and a typo
costs a few points. Hull numbers must agree: "JI SONG 6" and "JI SONG 8" are sister ships, not
spellings of one ship.

Every step is vectorised (polars for normalising, joins for identifiers, ``rapidfuzz.process.
cdist`` over unique names for fuzzy matching), so 100,000 vessels screen in seconds.
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np
import polars as pl
import pyarrow as pa
from rapidfuzz import fuzz, process

from neonwatch.screen.identifiers import imo_check_digit_ok
from neonwatch.screen.schema import HITS

# Transliteration variants of Korean syllables seen in ship names, folded token by token to one
# canonical spelling before names are compared. North Korea writes McCune-Reischauer with an
# initial R (RI, RYE, RYONG), South Korea and Chinese/English registries often L, Y or I;
# aspirated and plain consonants swap (KANG/GANG, PAEK/BAEK, CHONG/JONG, TONG/DONG); OFAC and
# UN entries and press reports mix them for the same hull. Kept deliberately small: each row is
# a variant we have seen for one syllable; a wider table would start merging different names.
# (variant, canonical, what it is)
TRANSLITERATION: tuple[tuple[str, str, str], ...] = (
    ("LI", "RI", "리/이: North RI, South LI/YI/LEE"),
    ("YI", "RI", "리/이"),
    ("LEE", "RI", "리/이"),
    ("RHEE", "RI", "리/이"),
    ("YE", "RYE", "례: North RYE, South YE"),
    ("RE", "RYE", "례"),
    ("LYONG", "RYONG", "룡: North RYONG, South YONG/LYONG"),
    ("RIONG", "RYONG", "룡"),
    ("KANG", "GANG", "강: KANG (McCune-Reischauer initial) / GANG (Revised Romanization)"),
    ("SONGG", "SONG", "송: doubled final G in some registry entries"),
    ("CHONG", "JONG", "정: CHONG / JONG / JEONG"),
    ("JEONG", "JONG", "정"),
    ("HAO", "HO", "호 (ship-name suffix 'No.'): Chinese-style HAO / Korean HO"),
    ("GUM", "KUM", "금: KUM / GUM / GEUM"),
    ("GEUM", "KUM", "금"),
    ("BAEK", "PAEK", "백: PAEK / BAEK / PAIK"),
    ("PAIK", "PAEK", "백"),
    ("DONG", "TONG", "동: TONG initial / DONG medial"),
    ("PHYONG", "PYONG", "평: PHYONG / PYONG / PYEONG"),
    ("PYEONG", "PYONG", "평"),
    ("BONG", "PONG", "봉: PONG / BONG"),
    ("GWANG", "KWANG", "광: KWANG / GWANG"),
    ("CHEON", "CHON", "천: CHON / CHEON"),
)
_TOKEN_MAP = {variant: canonical for variant, canonical, _ in TRANSLITERATION}

# Words that say what a ship is rather than which ship: "M/V", "MT", "S.S." before a name.
_PREFIXES = r"^(?:M ?V|M ?T|S ?S|MY|FV)\s+"
# Words that say what a company is (for owner names): dropped so "X SHIPPING CO LTD" meets "X".
_COMPANY_WORDS = r"\b(?:CO|LTD|LIMITED|COMPANY|CORP|CORPORATION|INC|LLC|SA|PTE|GROUP)\b"

NAME_SCORER = "rapidfuzz.fuzz.ratio of the names without spaces"
_CHUNK = 20_000  # query names per cdist call: bounds the score matrix at _CHUNK x list names


def _normalise_series(
    names: pl.Series, *, company: bool = False, transliterate: bool = True
) -> pl.Series:
    s = names.cast(pl.String).str.to_uppercase()
    # "NO.6", "NO 6", "NO6", "No. 6" -> "6" (the number stays; the word says nothing).
    s = s.str.replace_all(r"\bN[O0]\s*\.?\s*(\d)", "${1}")
    s = s.str.replace_all(r"[^A-Z0-9]+", " ")
    # Letters and digits apart, so "GANG1" and "GANG 1" are the same tokens.
    s = s.str.replace_all(r"([A-Z])(\d)", "${1} ${2}").str.replace_all(r"(\d)([A-Z])", "${1} ${2}")
    s = s.str.replace_all(r"\s+", " ").str.strip_chars()
    s = s.str.replace(_PREFIXES, "")
    if company:
        s = s.str.replace_all(_COMPANY_WORDS, " ").str.replace_all(r"\s+", " ").str.strip_chars()
    if transliterate:
        s = s.str.split(" ").list.eval(pl.element().replace(_TOKEN_MAP)).list.join(" ")
    return pl.Series(names.name, s).replace("", None)


@overload
def normalise_name(
    names: str, *, compact: bool = ..., company: bool = ..., transliterate: bool = ...
) -> str: ...
@overload
def normalise_name(
    names: list[str | None] | tuple[str | None, ...] | pa.Array | pa.ChunkedArray | pl.Series,
    *,
    compact: bool = ...,
    company: bool = ...,
    transliterate: bool = ...,
) -> list[str | None]: ...
def normalise_name(
    names: str | list[str | None] | tuple[str | None, ...] | pa.Array | pa.ChunkedArray | pl.Series,
    *,
    compact: bool = False,
    company: bool = False,
    transliterate: bool = True,
) -> str | list[str | None]:
    """The canonical form of ship names, in which spellings of one name agree.

    Upper case; "NO." before a hull number, punctuation and "M/V"-style prefixes removed; letters
    and digits separated; spacing collapsed; :data:`TRANSLITERATION` variants folded. With
    ``compact=True`` the spaces go too, so "RYESONGGANG 1" and "RYE SONG GANG NO.1" both become
    "RYESONGGANG1". ``company=True`` also drops words like CO and LTD (for owner names);
    ``transliterate=False`` keeps the spelling of each syllable.
    Empty names become None. A single string gives a string; anything else a list.
    """
    single = isinstance(names, str)
    series = pl.Series("name", [names] if single else _as_list(names), dtype=pl.String)
    out = _normalise_series(series, company=company, transliterate=transliterate)
    if compact:
        out = out.str.replace_all(" ", "", literal=True)
    values = out.to_list()
    if single:
        return values[0] or ""
    return values


def _as_list(names: Any) -> list[str | None]:
    if isinstance(names, pl.Series):
        return list(names.to_list())
    if isinstance(names, pa.Array | pa.ChunkedArray):
        return list(names.to_pylist())
    return list(names)


def _digits(compact: pl.Expr) -> pl.Expr:
    return compact.str.replace_all(r"[^0-9]", "")


def _vessel_frame(vessels: pa.Table) -> pl.DataFrame:
    """The identifying columns of any vessels table (ingest's, the simulator's, sightings),
    deduplicated: a history of one ship screens once per distinct identity."""
    df = pl.from_arrow(vessels)
    assert isinstance(df, pl.DataFrame)
    wanted = {
        "mmsi": pl.Int32,
        "imo": pl.Int32,
        "name": pl.String,
        "callsign": pl.String,
        "owner": pl.String,
    }
    cols = []
    for col, dtype in wanted.items():
        if col in df.columns:
            cols.append(pl.col(col).cast(dtype, strict=False))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(col))
    out = df.select(cols).unique(maintain_order=True)
    return out.with_columns(
        pl.col("name").str.strip_chars().replace("", None),
        pl.col("callsign").str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "").replace("", None),
    )


def _watch_frame(watchlist: pa.Table) -> pl.DataFrame:
    df = pl.from_arrow(watchlist)
    assert isinstance(df, pl.DataFrame)
    return df.with_columns(
        pl.col("callsign").str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "").replace("", None),
        pl.col("program").fill_null(""),
    )


def _label() -> pl.Expr:
    """' of RYE SONG GANG 1 (ofac-sdn@2021-07 entry 23186, DPRK4)' for a hit's why."""
    return pl.format(
        " of {} ({} entry {}{})",
        pl.col("listed_name"),
        pl.col("list_id"),
        pl.col("entry_id"),
        pl.when(pl.col("program") != "")
        .then(pl.lit(", ") + pl.col("program"))
        .otherwise(pl.lit("")),
    )


def _exact(
    v: pl.DataFrame, w: pl.DataFrame, key: str, label: str, valid: pl.Expr | None = None
) -> pl.DataFrame:
    left = v.filter(pl.col(key).is_not_null())
    if valid is not None:
        left = left.filter(valid)
    right = w.filter(pl.col(key).is_not_null()).select(
        pl.col(key),
        "list_id",
        "entry_id",
        pl.col("name").alias("listed_name"),
        pl.col("imo").alias("listed_imo"),
        "program",
        "entity_type",
    )
    if key == "imo":
        right = right.filter(pl.col("entity_type") == "vessel")
    joined = left.join(right, on=key, how="inner")
    extra = " (check digit valid)" if key == "imo" else ""
    return joined.with_columns(
        pl.lit(key).alias("matched_on"),
        pl.lit(100.0).alias("score"),
        (
            pl.lit(f"{label} ")
            + pl.col(key).cast(pl.String)
            + pl.lit(f"{extra} equals the listed {label}")
            + _label()
        ).alias("why"),
    )


def _listed_names(w: pl.DataFrame, entity_types: tuple[str, ...]) -> pl.DataFrame:
    """One row per (entry, primary name or alias) of the given entity types."""
    base = w.filter(pl.col("entity_type").is_in(entity_types)).select(
        "list_id",
        "entry_id",
        pl.col("name").alias("listed_name"),
        pl.col("imo").alias("listed_imo"),
        "program",
        "aliases",
    )
    primary = base.select(
        pl.exclude("aliases"),
        pl.col("listed_name").alias("candidate"),
        pl.lit(False).alias("alias"),
    )
    aliases = (
        base.explode("aliases")
        .filter(pl.col("aliases").is_not_null())
        .select(
            pl.exclude("aliases"), pl.col("aliases").alias("candidate"), pl.lit(True).alias("alias")
        )
    )
    return pl.concat([primary, aliases]).filter(pl.col("candidate").is_not_null())


def _compact(names: pl.Series, *, company: bool, transliterate: bool) -> pl.Series:
    return _normalise_series(names, company=company, transliterate=transliterate).str.replace_all(
        " ", "", literal=True
    )


def _with_forms(df: pl.DataFrame, column: str, prefix: str, company: bool) -> pl.DataFrame:
    """Add the two compact forms compared: with transliteration folded ("canon") and without
    ("plain"), so a typo inside a folded syllable ("BAE MA KANG" for "BAEK MA KANG") is still
    a one-letter miss in the plain form."""
    return df.with_columns(
        _compact(df[column], company=company, transliterate=True).alias(f"{prefix}canon"),
        _compact(df[column], company=company, transliterate=False).alias(f"{prefix}plain"),
    ).filter(pl.col(f"{prefix}canon").str.len_chars() >= 3)


def _fuzzy(
    v: pl.DataFrame,
    w: pl.DataFrame,
    *,
    column: str,
    entity_types: tuple[str, ...],
    min_score: float,
    company: bool,
) -> pl.DataFrame:
    """Fuzzy hits of ``v[column]`` against the names and aliases of listed ``entity_types``.

    Scores are computed over unique forms only (``rapidfuzz.process.cdist`` on all cores, in
    chunks so the score matrix stays small); the best of the folded and plain forms counts."""
    listed = _listed_names(w, entity_types)
    queries = v.filter(pl.col(column).is_not_null())
    if listed.height == 0 or queries.height == 0:
        return pl.DataFrame()
    listed = _with_forms(listed, "candidate", "listed_", company)
    names = _with_forms(queries.select(pl.col(column).alias("raw")).unique(), "raw", "", company)
    q_keys = names.select("canon", "plain").unique(maintain_order=True)
    l_keys = listed.select("listed_canon", "listed_plain").unique(maintain_order=True)
    if q_keys.height == 0 or l_keys.height == 0:
        return pl.DataFrame()
    q_canon, q_plain = q_keys["canon"].to_list(), q_keys["plain"].to_list()
    l_canon, l_plain = l_keys["listed_canon"].to_list(), l_keys["listed_plain"].to_list()
    pairs_q: list[np.ndarray] = []
    pairs_l: list[np.ndarray] = []
    for lo in range(0, len(q_canon), _CHUNK):
        best = None
        for queries_form, listed_form in ((q_canon, l_canon), (q_plain, l_plain)):
            matrix = process.cdist(
                queries_form[lo : lo + _CHUNK],
                listed_form,
                scorer=fuzz.ratio,
                score_cutoff=min_score,
                dtype=np.uint8,
                workers=-1,
            )
            best = matrix if best is None else np.maximum(best, matrix)
        assert best is not None
        qi, li = np.nonzero(best)
        pairs_q.append(qi + lo)
        pairs_l.append(li)
    qi = np.concatenate(pairs_q)
    li = np.concatenate(pairs_l)
    if qi.size == 0:
        return pl.DataFrame()
    # cdist's uint8 scores are rounded: rescore the few survivors exactly.
    folded = [fuzz.ratio(q_canon[a], l_canon[b]) for a, b in zip(qi, li, strict=True)]
    plain = [fuzz.ratio(q_plain[a], l_plain[b]) for a, b in zip(qi, li, strict=True)]
    pairs = pl.concat([q_keys[qi], l_keys[li]], how="horizontal").with_columns(
        pl.Series("folded", folded, dtype=pl.Float64),
        pl.Series("unfolded", plain, dtype=pl.Float64),
    )
    pairs = pairs.with_columns(
        pl.max_horizontal("folded", "unfolded").alias("score"),
        pl.when(pl.col("folded") >= pl.col("unfolded"))
        .then(pl.format("'{}' vs '{}'", pl.col("canon"), pl.col("listed_canon")))
        .otherwise(pl.format("'{}' vs '{}'", pl.col("plain"), pl.col("listed_plain")))
        .alias("compared"),
    ).filter(pl.col("score") >= min_score)
    # Hull numbers must agree when both names carry one.
    pairs = pairs.filter(
        (_digits(pl.col("canon")) == _digits(pl.col("listed_canon")))
        | (_digits(pl.col("canon")) == "")
        | (_digits(pl.col("listed_canon")) == "")
    )
    hits = (
        pairs.join(names, on=["canon", "plain"])
        .join(queries, left_on="raw", right_on=column)
        .with_columns(pl.col("raw").alias(column))
        .join(listed, on=["listed_canon", "listed_plain"])
    )
    return hits.rename({"raw": "_raw"})


def match_vessels(
    vessels: pa.Table,
    watchlist: pa.Table,
    *,
    min_name_score: float = 88.0,
    min_owner_score: float = 90.0,
) -> pa.Table:
    """Hits (:data:`~neonwatch.screen.schema.HITS`) of ``vessels`` against ``watchlist``.

    ``vessels`` is any table with some of the columns mmsi, imo, name, callsign (and owner, for
    sightings that name one): ingest's or the simulator's VESSELS, or a sightings table. Exact
    hits on a check-digit-valid IMO (listed vessels only: company numbers share the format), an
    MMSI or a call sign score 100; names and aliases of listed vessels (and owners against
    listed organisations) score rapidfuzz's similarity of their canonical forms, kept from
    ``min_name_score`` (``min_owner_score``) up. One row per (vessel identity, list entry, way
    of matching), best score first; ``why`` says in words what matched what.
    """
    v = _vessel_frame(vessels)
    w = _watch_frame(watchlist)
    parts = [
        _exact(v, w, "imo", "IMO", pl.col("imo").map_batches(_imo_ok, return_dtype=pl.Boolean)),
        _exact(v, w, "mmsi", "MMSI"),
        _exact(v, w, "callsign", "call sign"),
    ]
    for column, types, cutoff, company in (
        ("name", ("vessel",), min_name_score, False),
        ("owner", ("organization", "entity"), min_owner_score, True),
    ):
        fuzzy = _fuzzy_hits(v, w, column, types, cutoff, company)
        if fuzzy.height:
            parts.append(fuzzy)
    cols = [f.name for f in HITS]
    frames = [p.select(cols) for p in parts if p.height]
    if not frames:
        return HITS.empty_table()
    hits = (
        pl.concat(frames)
        .unique(subset=["mmsi", "imo", "name", "list_id", "entry_id", "matched_on"], keep="first")
        .sort(["score", "list_id", "entry_id"], descending=[True, False, False], nulls_last=True)
    )
    return hits.to_arrow().cast(HITS)


def _imo_ok(imo: pl.Series) -> pl.Series:
    return pl.Series(imo_check_digit_ok(imo.fill_null(0).to_numpy()))


def _fuzzy_hits(
    v: pl.DataFrame,
    w: pl.DataFrame,
    column: str,
    entity_types: tuple[str, ...],
    cutoff: float,
    company: bool,
) -> pl.DataFrame:
    found = _fuzzy(
        v, w, column=column, entity_types=entity_types, min_score=cutoff, company=company
    )
    if found.height == 0:
        return found
    what = "owner" if company else "name"
    why = (
        pl.format(
            "{} '{}' ~ listed {} '{}'",
            pl.lit(what),
            pl.col("_raw"),
            pl.when(pl.col("alias")).then(pl.lit("alias")).otherwise(pl.lit("name")),
            pl.col("candidate"),
        )
        + _label()
        + pl.format(
            ": score {}/100 ({}; {})",
            pl.col("score").round(0).cast(pl.Int64),
            pl.lit(NAME_SCORER),
            pl.col("compared"),
        )
    )
    return found.with_columns(why.alias("why"), pl.lit(what).alias("matched_on"))
