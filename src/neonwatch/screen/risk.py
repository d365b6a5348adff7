"""Risk with reasons: a score per vessel and per event, as a sum of named, weighted factors.

An analyst does not act on a number but on the reasons behind it, so the score is nothing but
the sum of the factors found, and every factor is a row (:data:`~neonwatch.screen.schema.
RISK_FACTORS`) with its weight and its evidence in words: "IMO 7389704 equals the listed IMO of
RYE SONG GANG 1 (ofac-sdn@2021-07 entry 23186)", "MMSI 445... went dark 14 h, 3 h before the
encounter". The weights are data (``risk.toml``, each with its reason and source), overridable
from a TOML file like the detection thresholds; the known transfer areas are data too
(``data/transfer-areas.geojson``).

Vessel factors: listed (by identifier, by name, by owner), North Korean flag, tanker type,
identity anomalies, and from events: STS encounters, dark rendezvous, AIS disabling and gaps,
loitering in a transfer area (and positions in one, when positions are given). Event factors:
a party listed or North Korean or a tanker or with identity anomalies, the event an STS at sea or
a dark rendezvous, a party dark within a window of the event, the event in a transfer area.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from neonwatch.screen.identity import NORTH_KOREA_MID, flag_iso2, mid_of
from neonwatch.screen.schema import RISK_FACTORS

IDENTIFIER_MATCHES = ("imo", "mmsi", "callsign")
EVENT_AREA_KINDS = ("encounter", "loitering", "dark_rendezvous", "gap", "ais_disabling")


@dataclass(frozen=True)
class RiskConfig:
    """The weights of ``risk.toml`` (sections vessel, event, identity) and its params."""

    vessel: dict[str, float]
    event: dict[str, float]
    identity: dict[str, float]
    params: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps(
            {
                "vessel": self.vessel,
                "event": self.event,
                "identity": self.identity,
                "params": self.params,
            },
            sort_keys=True,
        )


def _defaults() -> dict[str, dict[str, Any]]:
    text = resources.files("neonwatch.screen").joinpath("risk.toml").read_text("utf-8")
    return tomllib.loads(text)


def load_risk_config(path: Path | str | None = None) -> RiskConfig:
    """The default weights, overridden by the sections and keys of the TOML file at ``path``.

    Unknown sections or keys are refused (a misspelt weight would otherwise be silently
    ignored and the analyst would believe it applied)."""
    data = _defaults()
    if path is not None:
        user = tomllib.loads(Path(path).read_text("utf-8"))
        for section, values in user.items():
            if section not in data or not isinstance(values, dict):
                raise ValueError(
                    f"{path}: unknown section [{section}]; known: {', '.join(sorted(data))}"
                )
            unknown = set(values) - set(data[section])
            if unknown:
                raise ValueError(
                    f"{path}: unknown key(s) {', '.join(sorted(unknown))} in [{section}]; "
                    f"known: {', '.join(sorted(data[section]))}"
                )
            data[section].update(values)
    return RiskConfig(
        vessel={k: float(v) for k, v in data["vessel"].items()},
        event={k: float(v) for k, v in data["event"].items()},
        identity={k: float(v) for k, v in data["identity"].items()},
        params=dict(data["params"]),
    )


# --- transfer areas ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    ring: np.ndarray  # (n, 2) lon, lat; closed


@cache
def transfer_areas() -> tuple[Area, ...]:
    """The known transfer areas (``data/transfer-areas.geojson``; approximate, see its SOURCE)."""
    text = (
        resources.files("neonwatch.screen")
        .joinpath("data", "transfer-areas.geojson")
        .read_text("utf-8")
    )
    areas = []
    for feature in json.loads(text)["features"]:
        ring = np.asarray(feature["geometry"]["coordinates"][0], dtype=np.float64)
        props = feature["properties"]
        areas.append(Area(props["id"], props["name"], ring))
    return tuple(areas)


def _inside(ring: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Even-odd ray casting, vectorised over points (polygons here are small and far from the
    antimeridian, so plain lon/lat is exact enough)."""
    inside = np.zeros(lon.shape, dtype=bool)
    x0, y0 = ring[:-1, 0], ring[:-1, 1]
    x1, y1 = ring[1:, 0], ring[1:, 1]
    for ax, ay, bx, by in zip(x0, y0, x1, y1, strict=True):
        crosses = (ay > lat) != (by > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = ax + (lat - ay) * (bx - ax) / (by - ay)
        inside ^= crosses & (lon < x_at)
    return inside


def area_of(lat: Iterable[float | None], lon: Iterable[float | None]) -> list[str | None]:
    """The id of the transfer area each point lies in, or None."""
    la = np.asarray([np.nan if v is None else v for v in lat], dtype=np.float64)
    lo = np.asarray([np.nan if v is None else v for v in lon], dtype=np.float64)
    out: list[str | None] = [None] * len(la)
    for area in transfer_areas():
        hit = _inside(area.ring, lo, la)
        for i in np.flatnonzero(hit):
            if out[i] is None:
                out[i] = area.id
    return out


def _area_names() -> dict[str, str]:
    return {a.id: a.name for a in transfer_areas()}


# --- subjects ----------------------------------------------------------------------------------


def _subject_expr() -> pl.Expr:
    """A vessel's subject id: its MMSI, else "IMO n", else "name X" (sightings may have only a
    name)."""
    return (
        pl.when(pl.col("mmsi").is_not_null())
        .then(pl.col("mmsi").cast(pl.String))
        .when(pl.col("imo").is_not_null())
        .then(pl.lit("IMO ") + pl.col("imo").cast(pl.String))
        .otherwise(pl.lit("name ") + pl.col("name").fill_null("?"))
    )


def _frame(table: pa.Table | pl.DataFrame | None, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    if table is None:
        return pl.DataFrame(schema=columns)
    df = table if isinstance(table, pl.DataFrame) else pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    return df.select(
        [
            pl.col(c).cast(t, strict=False) if c in df.columns else pl.lit(None, dtype=t).alias(c)
            for c, t in columns.items()
        ]
    )


_VESSEL_COLS: dict[str, pl.DataType] = {
    "mmsi": pl.Int64(),
    "imo": pl.Int64(),
    "name": pl.String(),
    "ship_type": pl.Int64(),
    "flag": pl.String(),
}
_HIT_COLS: dict[str, pl.DataType] = {
    "mmsi": pl.Int64(),
    "imo": pl.Int64(),
    "name": pl.String(),
    "entry_id": pl.String(),
    "list_id": pl.String(),
    "matched_on": pl.String(),
    "score": pl.Float64(),
    "why": pl.String(),
}
_ANOMALY_COLS: dict[str, pl.DataType] = {
    "mmsi": pl.Int64(),
    "imo": pl.Int64(),
    "check": pl.String(),
    "evidence": pl.String(),
}


def _vessels(vessels: pa.Table | None) -> pl.DataFrame:
    """One row per subject: the last non-null of each identifying column."""
    v = _frame(vessels, _VESSEL_COLS).with_columns(
        pl.col("ship_type").replace(0, None), pl.col("imo").replace(0, None)
    )
    v = v.with_columns(_subject_expr().alias("subject_id"))
    return v.group_by("subject_id", maintain_order=True).agg(
        pl.col("mmsi").drop_nulls().last(),
        pl.col("imo").drop_nulls().last(),
        pl.col("name").drop_nulls().last(),
        pl.col("ship_type").drop_nulls().last(),
        pl.col("flag").drop_nulls().last(),
    )


def _join_evidence(texts: pl.Expr, limit: int = 3) -> pl.Expr:
    """Up to ``limit`` distinct pieces of evidence joined by "; ", with how many more."""
    distinct = texts.unique(maintain_order=True)
    head = distinct.head(limit).str.join("; ")
    more = distinct.len().cast(pl.Int64) - limit  # len() is unsigned: 1 - 3 must not wrap
    return pl.when(more > 0).then(head + pl.format(" (and {} more)", more)).otherwise(head)


_FACTOR_COLS: dict[str, pl.DataType] = {
    "subject_id": pl.String(),
    "factor": pl.String(),
    "weight": pl.Float64(),
    "evidence": pl.String(),
}
_FACTOR_SCHEMA = pl.Schema(_FACTOR_COLS)


def _empty_factors() -> pl.DataFrame:
    return pl.DataFrame(schema=_FACTOR_COLS)


def _static_factors(
    v: pl.DataFrame,
    hits: pa.Table | None,
    anomalies: pa.Table | None,
    weights: dict[str, float],
    identity: dict[str, float],
    params: dict[str, Any],
) -> pl.DataFrame:
    """Factors of what a vessel is (lists, flag, type, identity), by subject id; keys of
    ``weights``: listed, listed_name, listed_owner, dprk_flag, tanker."""
    parts: list[pl.DataFrame] = []
    h = _frame(hits, _HIT_COLS).with_columns(_subject_expr().alias("subject_id"))
    exact = h.filter(pl.col("matched_on").is_in(IDENTIFIER_MATCHES))
    if exact.height:
        parts.append(
            exact.group_by("subject_id", maintain_order=True).agg(
                pl.lit("listed").alias("factor"),
                pl.lit(weights["listed"]).alias("weight"),
                _join_evidence(pl.col("why")).alias("evidence"),
            )
        )
    exact_entries = exact.select("subject_id", "list_id", "entry_id").unique()
    for matched_on, factor in (("name", "listed_name"), ("owner", "listed_owner")):
        fuzzy = h.filter(pl.col("matched_on") == matched_on).join(
            exact_entries, on=["subject_id", "list_id", "entry_id"], how="anti"
        )
        if fuzzy.height == 0:
            continue
        parts.append(
            fuzzy.sort("score", descending=True)
            .group_by("subject_id", maintain_order=True)
            .agg(
                pl.lit(factor).alias("factor"),
                (pl.col("score").max() / 100.0 * weights[factor]).round(2).alias("weight"),
                _join_evidence(pl.col("why"), 2).alias("evidence"),
            )
        )
    # North Korean flag: MID 445, or a flag column naming North Korea.
    dprk_rows = []
    for subject, mmsi, flag in v.select("subject_id", "mmsi", "flag").iter_rows():
        why = []
        if mmsi is not None and mid_of(int(mmsi)) == NORTH_KOREA_MID:
            why.append(f"MMSI {mmsi}: MID 445 = North Korea (ITU MID table)")
        if flag is not None and flag_iso2(flag) == "KP":
            why.append(f"flag given as {flag}")
        if why:
            dprk_rows.append((subject, "; ".join(why)))
    if dprk_rows:
        parts.append(
            pl.DataFrame(
                {
                    "subject_id": [s for s, _ in dprk_rows],
                    "factor": "dprk_flag",
                    "weight": weights["dprk_flag"],
                    "evidence": [e for _, e in dprk_rows],
                }
            )
        )
    lo, hi = int(params["tanker_type_min"]), int(params["tanker_type_max"])
    tankers = v.filter(pl.col("ship_type").is_between(lo, hi))
    if tankers.height:
        parts.append(
            tankers.select(
                "subject_id",
                pl.lit("tanker").alias("factor"),
                pl.lit(weights["tanker"]).alias("weight"),
                pl.format(
                    "AIS ship type {} (tankers are {}-{}, ITU-R M.1371)",
                    pl.col("ship_type"),
                    pl.lit(lo),
                    pl.lit(hi),
                ).alias("evidence"),
            )
        )
    a = _frame(anomalies, _ANOMALY_COLS).with_columns(pl.lit(None, dtype=pl.String).alias("name"))
    a = a.with_columns(_subject_expr().alias("subject_id"))
    weighted = pl.DataFrame(
        {"check": list(identity), "weight": [identity[k] for k in identity]},
        schema={"check": pl.String, "weight": pl.Float64},
    ).filter(pl.col("weight") != 0)
    a = a.join(weighted, on="check")
    if a.height:
        parts.append(
            a.group_by("subject_id", "check", maintain_order=True)
            .agg(pl.col("weight").first(), _join_evidence(pl.col("evidence")).alias("evidence"))
            .select("subject_id", pl.col("check").alias("factor"), "weight", "evidence")
        )
    if not parts:
        return _empty_factors()
    return pl.concat([p.select(list(_FACTOR_COLS)).cast(_FACTOR_SCHEMA) for p in parts])


def _events_frame(events: pa.Table | pl.DataFrame | None) -> pl.DataFrame:
    cols: dict[str, pl.DataType] = {
        "event_id": pl.String(),
        "kind": pl.String(),
        "mmsi": pl.Int64(),
        "mmsi_2": pl.Int64(),
        "start": pl.Datetime("ms", "UTC"),
        "end": pl.Datetime("ms", "UTC"),
        "duration_h": pl.Float64(),
        "lat": pl.Float64(),
        "lon": pl.Float64(),
        "min_distance_m": pl.Float64(),
    }
    e = _frame(events, cols)
    return e.with_columns(
        pl.Series("area", area_of(e["lat"].to_list(), e["lon"].to_list()), dtype=pl.String)
    )


def _describe(row: dict[str, Any]) -> str:
    """'encounter e1a2 of 445000001+412000002 from 2018-01-20 03:10 for 6.5 h at 29.10N
    124.05E'."""
    pair = f"{row['mmsi']}" + (f"+{row['mmsi_2']}" if row["mmsi_2"] is not None else "")
    start = row["start"]
    when = f" from {start:%Y-%m-%d %H:%M}" if start is not None else ""
    hours = f" for {row['duration_h']:.1f} h" if row["duration_h"] is not None else ""
    where = ""
    if row["lat"] is not None and row["lon"] is not None:
        where = f" at {row['lat']:.2f}N {row['lon']:.2f}E"
    return f"{row['kind']} {row['event_id']} of {pair}{when}{hours}{where}"


def _event_factors_of_vessels(e: pl.DataFrame, weights: dict[str, float]) -> pl.DataFrame:
    """Vessel factors from the events each vessel took part in."""
    names = _area_names()
    rows: list[tuple[str, str, str]] = []
    kind_factor = {
        "encounter": "sts_at_sea",
        "dark_rendezvous": "dark_rendezvous",
        "ais_disabling": "ais_disabling",
        "gap": "dark_gap",
    }
    for row in e.iter_rows(named=True):
        parties = [m for m in (row["mmsi"], row["mmsi_2"]) if m is not None]
        text = _describe(row)
        factor = kind_factor.get(row["kind"])
        for m in parties:
            if factor is not None:
                rows.append((str(m), factor, text))
            if row["area"] is not None and row["kind"] in (
                "loitering",
                "encounter",
                "dark_rendezvous",
            ):
                rows.append(
                    (
                        str(m),
                        "loitering_in_transfer_area",
                        f"{text}, inside {names[row['area']]} ({row['area']})",
                    )
                )
    if not rows:
        return _empty_factors()
    df = pl.DataFrame(rows, schema=["subject_id", "factor", "evidence"], orient="row")
    out = df.group_by("subject_id", "factor", maintain_order=True).agg(
        (
            pl.len().cast(pl.String) + pl.lit(" event(s): ") + _join_evidence(pl.col("evidence"), 2)
        ).alias("evidence")
    )
    return out.with_columns(
        pl.col("factor").replace_strict(weights, return_dtype=pl.Float64).alias("weight")
    ).select(list(_FACTOR_COLS))


def _position_factors(positions: Any, weight: float) -> pl.DataFrame:
    """``in_transfer_area`` for vessels with positions inside an area (bounding boxes first)."""
    if positions is None or weight == 0:
        return _empty_factors()
    if isinstance(positions, pa.Table):
        lazy = pl.from_arrow(positions).lazy()  # type: ignore[union-attr]
    elif isinstance(positions, pl.DataFrame):
        lazy = positions.lazy()
    else:
        lazy = positions
    parts = []
    for area in transfer_areas():
        lo_min, la_min = area.ring.min(axis=0)
        lo_max, la_max = area.ring.max(axis=0)
        box = (
            lazy.select("mmsi", "lat", "lon", "ts")
            .filter(
                pl.col("lat").is_between(la_min, la_max) & pl.col("lon").is_between(lo_min, lo_max)
            )
            .collect()
        )
        if box.height == 0:
            continue
        hit = _inside(area.ring, box["lon"].to_numpy(), box["lat"].to_numpy())
        inside = box.filter(pl.Series(hit))
        if inside.height == 0:
            continue
        parts.append(
            inside.group_by("mmsi")
            .agg(
                pl.len().alias("n"),
                pl.col("ts").min().alias("first"),
                pl.col("ts").max().alias("last"),
            )
            .select(
                pl.col("mmsi").cast(pl.String).alias("subject_id"),
                pl.lit("in_transfer_area").alias("factor"),
                pl.lit(weight).alias("weight"),
                pl.format(
                    "{} positions inside {} ({}) from {} to {}",
                    pl.col("n"),
                    pl.lit(area.name),
                    pl.lit(area.id),
                    pl.col("first").dt.strftime("%Y-%m-%d %H:%M"),
                    pl.col("last").dt.strftime("%Y-%m-%d %H:%M"),
                ).alias("evidence"),
            )
        )
    if not parts:
        return _empty_factors()
    return (
        pl.concat(parts)
        .group_by("subject_id", "factor", maintain_order=True)
        .agg(pl.col("weight").first(), pl.col("evidence").str.join("; "))
    )


def _top(factors: pl.DataFrame, n: int) -> pl.DataFrame:
    """score (sum of weights), number of factors and the top ``n`` as "name weight; ..." by
    subject."""
    return (
        factors.sort(["subject_id", "weight"], descending=[False, True])
        .group_by("subject_id", maintain_order=True)
        .agg(
            pl.col("weight").sum().round(2).alias("score"),
            pl.len().cast(pl.Int32).alias("factors"),
            pl.format("{} {}", pl.col("factor"), pl.col("weight").round(1))
            .head(n)
            .str.join("; ")
            .alias("top_factors"),
        )
    )


def _factors_table(subject: str, factors: pl.DataFrame) -> pa.Table:
    out = factors.select(
        pl.lit(subject).alias("subject"), "subject_id", "factor", "weight", "evidence"
    ).sort(["subject_id", "weight"], descending=[False, True])
    return out.to_arrow().cast(RISK_FACTORS)


def vessel_risk(
    vessels: pa.Table,
    hits: pa.Table | None,
    anomalies: pa.Table | None,
    events: pa.Table | None = None,
    positions: pa.Table | pl.DataFrame | pl.LazyFrame | None = None,
    *,
    config: RiskConfig | None = None,
) -> tuple[pa.Table, pa.Table]:
    """(scores, factors) per vessel.

    ``scores`` has one row per vessel of ``vessels`` (subject_id = MMSI, else "IMO n", else
    "name X"): mmsi, imo, name, score, factors, top_factors, highest score first; ``factors``
    is :data:`~neonwatch.screen.schema.RISK_FACTORS`, one row per factor with its weight and
    evidence. ``hits`` come from :func:`~neonwatch.screen.match.match_vessels`, ``anomalies``
    from :func:`~neonwatch.screen.identity.identity_checks`, ``events`` from detection;
    ``positions`` (optional, may be lazy) add time spent in a transfer area.
    """
    cfg = config or load_risk_config()
    v = _vessels(vessels)
    parts = [_static_factors(v, hits, anomalies, cfg.vessel, cfg.identity, cfg.params)]
    if events is not None:
        parts.append(_event_factors_of_vessels(_events_frame(events), cfg.vessel))
    parts.append(_position_factors(positions, cfg.vessel["in_transfer_area"]))
    factors = pl.concat([p.cast(_FACTOR_SCHEMA) for p in parts]).filter(pl.col("weight") != 0)
    top = _top(factors, int(cfg.params["top_factors"]))
    scores = (
        v.select("subject_id", "mmsi", "imo", "name")
        .join(top, on="subject_id", how="full", coalesce=True)
        .with_columns(
            pl.col("score").fill_null(0.0),
            pl.col("factors").fill_null(0),
            pl.col("top_factors").fill_null(""),
            # Vessels known only from events (not in the vessels table) keep their MMSI.
            pl.when(pl.col("mmsi").is_null() & pl.col("subject_id").str.contains(r"^\d+$"))
            .then(pl.col("subject_id").cast(pl.Int64, strict=False))
            .otherwise(pl.col("mmsi"))
            .alias("mmsi"),
        )
        .sort(["score", "subject_id"], descending=[True, False])
    )
    scores_table = scores.select(
        "subject_id",
        pl.col("mmsi").cast(pl.Int32),
        pl.col("imo").cast(pl.Int32),
        "name",
        "score",
        "factors",
        "top_factors",
    ).to_arrow()
    return scores_table, _factors_table("vessel", factors)


def event_risk(
    events: pa.Table,
    vessels: pa.Table | None,
    hits: pa.Table | None,
    anomalies: pa.Table | None,
    *,
    config: RiskConfig | None = None,
) -> tuple[pa.Table, pa.Table]:
    """(scores, factors) per event.

    Factors of an event: each party listed (by identifier, name or owner), under a North Korean
    flag, a tanker, or with identity anomalies (evidence names the party); the event an STS
    encounter at sea or a dark rendezvous; a party dark (gap or likely AIS disabling) within
    ``params.dark_window_h`` of the event; the event's centroid in a transfer area.
    """
    cfg = config or load_risk_config()
    w = cfg.event
    e = _events_frame(events)
    v = _vessels(vessels)
    party_weights = {
        "listed": w["party_listed"],
        "listed_name": w["party_listed_name"],
        "listed_owner": w["party_listed_owner"],
        "dprk_flag": w["party_dprk_flag"],
        "tanker": w["party_tanker"],
    }
    # Parties known only from events still have an MMSI (MID 445 is evidence on its own).
    seen = set(v["subject_id"].to_list())
    extra = sorted(
        {str(m) for m in e["mmsi"].drop_nulls().to_list() + e["mmsi_2"].drop_nulls().to_list()}
        - seen
    )
    if extra:
        v = pl.concat(
            [v, pl.DataFrame({"subject_id": extra, "mmsi": [int(x) for x in extra]})],
            how="diagonal_relaxed",
        )
    static = _static_factors(v, hits, anomalies, party_weights, cfg.identity, cfg.params)
    rename = {
        "listed": "party_listed",
        "listed_name": "party_listed_name",
        "listed_owner": "party_listed_owner",
        "dprk_flag": "party_dprk_flag",
        "tanker": "party_tanker",
    }
    by_party: dict[str, list[tuple[str, float, str]]] = {}
    for subject, factor, weight, evidence in static.iter_rows():
        by_party.setdefault(subject, []).append((rename.get(factor, factor), weight, evidence))
    window = timedelta(hours=float(cfg.params["dark_window_h"]))
    dark: dict[int, list[dict[str, Any]]] = {}
    for row in e.filter(pl.col("kind").is_in(["gap", "ais_disabling"])).iter_rows(named=True):
        for m in (row["mmsi"], row["mmsi_2"]):
            if m is not None:
                dark.setdefault(int(m), []).append(row)
    names = _area_names()
    rows: list[tuple[str, str, float, str]] = []
    for row in e.iter_rows(named=True):
        event_id = row["event_id"]
        parties = [int(m) for m in (row["mmsi"], row["mmsi_2"]) if m is not None]
        for m in parties:
            for factor, weight, evidence in by_party.get(str(m), []):
                rows.append((event_id, factor, weight, f"MMSI {m}: {evidence}"))
            for gap in dark.get(m, []):
                if gap["event_id"] == event_id:
                    continue
                text = _dark_near(gap, row, window)
                if text:
                    rows.append((event_id, "party_dark_gap", w["party_dark_gap"], text))
        if row["kind"] == "encounter":
            rows.append((event_id, "sts_at_sea", w["sts_at_sea"], _describe(row) + _dist(row)))
        elif row["kind"] == "dark_rendezvous":
            rows.append((event_id, "dark_rendezvous", w["dark_rendezvous"], _describe(row)))
        if row["area"] is not None and row["kind"] in EVENT_AREA_KINDS:
            rows.append(
                (
                    event_id,
                    "in_transfer_area",
                    w["in_transfer_area"],
                    f"centroid {row['lat']:.2f}N {row['lon']:.2f}E inside {names[row['area']]} "
                    f"({row['area']}; approximate area, data/transfer-areas.geojson)",
                )
            )
    if rows:
        factors = pl.DataFrame(
            rows, schema=["subject_id", "factor", "weight", "evidence"], orient="row"
        ).cast(_FACTOR_SCHEMA)
        # A party dark twice near one event counts once, with both gaps as evidence.
        factors = (
            factors.filter(pl.col("weight") != 0)
            .group_by("subject_id", "factor", maintain_order=True)
            .agg(pl.col("weight").first(), _join_evidence(pl.col("evidence")).alias("evidence"))
        )
    else:
        factors = _empty_factors()
    top = _top(factors, int(cfg.params["top_factors"]))
    scores = (
        e.select("event_id", "kind", "mmsi", "mmsi_2", "start", "duration_h", "lat", "lon")
        .join(top.rename({"subject_id": "event_id"}), on="event_id", how="left")
        .with_columns(
            pl.col("score").fill_null(0.0),
            pl.col("factors").fill_null(0),
            pl.col("top_factors").fill_null(""),
            pl.col("mmsi").cast(pl.Int32),
            pl.col("mmsi_2").cast(pl.Int32),
        )
        .sort(["score", "event_id"], descending=[True, False])
    )
    return scores.to_arrow(), _factors_table("event", factors)


def _dist(row: dict[str, Any]) -> str:
    d = row.get("min_distance_m")
    return f", closest {d:.0f} m" if d is not None and np.isfinite(d) else ""


def _dark_near(gap: dict[str, Any], event: dict[str, Any], window: timedelta) -> str | None:
    """Evidence when ``gap`` overlaps ``event`` widened by ``window`` on each side."""
    g0, g1 = gap["start"], gap["end"]
    e0, e1 = event["start"], event["end"]
    if g0 is None or g1 is None or e0 is None or e1 is None:
        return None
    if g1 < e0 - window or g0 > e1 + window:
        return None
    party = gap["mmsi"]
    return (
        f"MMSI {party} dark {gap['duration_h']:.1f} h from {g0:%Y-%m-%d %H:%M} "
        f"({gap['kind']} {gap['event_id']}), {_relative(g0, g1, e0, e1)}"
    )


def _relative(g0: datetime, g1: datetime, e0: datetime, e1: datetime) -> str:
    if g1 < e0:
        return f"ending {(e0 - g1).total_seconds() / 3600:.1f} h before the event"
    if g0 > e1:
        return f"starting {(g0 - e1).total_seconds() / 3600:.1f} h after the event"
    return "overlapping the event"


__all__ = [
    "Area",
    "RiskConfig",
    "area_of",
    "event_risk",
    "load_risk_config",
    "transfer_areas",
    "vessel_risk",
]
