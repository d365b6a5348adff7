"""Storing sightings: the report, its vessels (with AIS match and watchlist hits) and its photos,
in one transaction, every row carrying the markings the caller gives (the same defaults as
``neonwatch publish``: the originator's lowest classified level, REL TO CAN, JPN)."""

from __future__ import annotations

import socket
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, bindparam, func, insert, select

from neonwatch.screen import match_vessels
from neonwatch.sightings.correlate import Correlation
from neonwatch.sightings.model import Sighting
from neonwatch.store.engine import Store
from neonwatch.store.models import SightingPhoto, SightingRecord, SightingVessel, utcnow
from neonwatch.store.publish import (
    DEFAULT_CLASSIFICATION,
    DEFAULT_GROUP,
    DEFAULT_RELEASABILITY,
    Markings,
)

# statements built once: the API stores a sighting on every POST, and building an INSERT of
# some thirty values costs more than running it
_EXISTS = (
    select(func.count()).select_from(SightingRecord).where(SightingRecord.id == bindparam("id"))
)
_INSERT_SIGHTING = insert(SightingRecord)
_INSERT_VESSEL = insert(SightingVessel)
_INSERT_PHOTO = insert(SightingPhoto)

_HIT_FIELDS = ("list_id", "entry_id", "listed_name", "listed_imo", "matched_on", "score", "why")


def list_hits(sighting: Sighting, watchlist: pa.Table) -> list[list[dict[str, Any]]]:
    """For each observed vessel, its watchlist hits (:func:`neonwatch.screen.match_vessels` on
    its MMSI, IMO, name and painted name), best first."""
    rows: list[tuple[int, int | None, int | None, str | None]] = []
    for i, v in enumerate(sighting.vessels):
        names: list[str | None] = [n for n in dict.fromkeys((v.name, v.painted_name)) if n]
        rows += [(i, v.mmsi, v.imo, n) for n in names or [None]]
    out: list[list[dict[str, Any]]] = [[] for _ in sighting.vessels]
    if not rows:
        return out
    table = pa.table(
        {
            "mmsi": pa.array([r[1] for r in rows], pa.int32()),
            "imo": pa.array([r[2] for r in rows], pa.int32()),
            "name": pa.array([r[3] for r in rows], pa.string()),
        }
    )
    hits = match_vessels(table, watchlist).to_pylist()
    seen: set[tuple[int, str, str]] = set()
    for h in hits:
        for i, mmsi, imo, name in rows:
            same = (h["mmsi"], h["imo"], h["name"]) == (mmsi, imo, name)
            key = (i, str(h["entry_id"]), str(h["matched_on"]))
            if same and key not in seen:
                seen.add(key)
                out[i].append({k: h[k] for k in _HIT_FIELDS})
    for hs in out:
        hs.sort(key=lambda h: -float(h["score"] or 0))
    return out


@dataclass
class AddResult:
    """What :func:`add_sighting` stored (``added`` is False when the id was already stored)."""

    id: str
    added: bool
    store: str
    markings: Markings
    sighting: Sighting
    correlation: Correlation | None = None
    hits: list[list[dict[str, Any]]] = field(default_factory=list)
    # the rows written, by table name, exactly as stored: the API answers a post from them
    # rather than reading back what it has just written
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """As ``neonwatch sightings add --json`` prints it."""
        return {
            "id": self.id,
            "added": self.added,
            "store": self.store,
            "markings": self.markings.__dict__,
            "sighting": self.sighting.model_dump(mode="json"),
            "position": self.sighting.position.describe() if self.sighting.position else None,
            "correlation": self.correlation.to_json() if self.correlation else None,
            "vessels": [
                {
                    "vessel": v.label(),
                    "listed": bool(self.hits[i]) if self.hits else False,
                    "hits": self.hits[i] if self.hits else [],
                }
                for i, v in enumerate(self.sighting.vessels)
            ],
        }


def add_sighting(
    store: Store,
    sighting: Sighting,
    *,
    originator: str = "CAN",
    node: str | None = None,
    classification: str | None = None,
    releasability: str = DEFAULT_RELEASABILITY,
    group: str = DEFAULT_GROUP,
    correlation: Correlation | None = None,
    watchlist: pa.Table | None = None,
    connection: Connection | None = None,
    hits: list[list[dict[str, Any]]] | None = None,
) -> AddResult:
    """Store ``sighting`` with its ``correlation`` and its vessels' hits on ``watchlist``, in
    one transaction. A sighting whose id is already stored is left as it is (``added`` False),
    so loading the same cases twice adds nothing. With ``connection`` the rows are written in
    that connection's open transaction (the caller commits, e.g. with its audit entry).
    ``hits`` gives the vessels' watchlist hits already computed (one list per vessel) in place
    of matching them against ``watchlist`` here."""
    markings = Markings(
        originator_nation=originator,
        originating_node=node or socket.gethostname(),
        classification=classification or DEFAULT_CLASSIFICATION.get(originator, ""),
        releasability=releasability,
        group=group,
    )
    markings.check()
    if hits is None:
        hits = list_hits(sighting, watchlist) if watchlist is not None else []
    elif len(hits) != len(sighting.vessels):
        raise ValueError(f"hits: {len(hits)} lists for {len(sighting.vessels)} vessels")
    result = AddResult(str(sighting.id), False, store.url, markings, sighting, correlation, hits)
    stamp = {**markings.__dict__, "created_at": utcnow()}
    matched = {m["index"]: m["mmsi"] for m in correlation.matched} if correlation else {}
    dark = {d["index"] for d in correlation.dark} if correlation else set()
    correlated = correlation is not None and correlation.status == "ok"
    pos = sighting.position
    obs = sighting.observations
    with nullcontext(connection) if connection is not None else store.engine.begin() as conn:
        exists = conn.execute(_EXISTS, {"id": sighting.id}).scalar_one()
        if exists:
            return result
        sighting_row = {
            "id": sighting.id,
            "asset": sighting.asset,
            "date": sighting.date,
            "observed_at": sighting.at,
            "time_of_day": sighting.time_of_day,
            "lat": pos.lat if pos else None,
            "lon": pos.lon if pos else None,
            "reference": pos.reference if pos else None,
            "distance_km": pos.distance_km if pos else None,
            "bearing_deg": pos.bearing_deg if pos else None,
            "bearing": pos.bearing if pos else None,
            "position_computed": bool(pos and pos.computed),
            "alongside": obs.alongside,
            "hoses_connected": obs.hoses_connected,
            "lights_at_night": obs.lights_at_night,
            "notes": obs.notes,
            "source": sighting.source,
            "report": sighting.model_dump(mode="json"),
            "correlation": correlation.to_json() if correlation else None,
            **stamp,
        }
        conn.execute(_INSERT_SIGHTING, sighting_row)
        vessel_rows = [
            {
                "id": uuid.uuid5(sighting.id, f"vessel:{i}"),
                "sighting_id": sighting.id,
                "position": i,
                "role": v.role,
                "name": v.name,
                "imo": v.imo,
                "mmsi": v.mmsi,
                "flag": v.flag,
                "painted_name": v.painted_name,
                "ais_mmsi": matched.get(i),
                "dark": (i in dark) if correlated else None,
                "listed": bool(hits and hits[i]),
                "list_hits": hits[i] if hits else [],
                **stamp,
            }
            for i, v in enumerate(sighting.vessels)
        ]
        if vessel_rows:
            conn.execute(_INSERT_VESSEL, vessel_rows)
        photo_rows = [
            {
                "id": uuid.uuid5(sighting.id, f"photo:{p.sha256}"),
                "sighting_id": sighting.id,
                "sha256": p.sha256,
                "size": p.size,
                "mime": p.mime,
                "filename": p.filename,
                **stamp,
            }
            for p in {p.sha256: p for p in sighting.photos}.values()
        ]
        if photo_rows:
            conn.execute(_INSERT_PHOTO, photo_rows)
    result.added = True
    result.rows = {
        SightingRecord.__tablename__: [sighting_row],
        SightingVessel.__tablename__: vessel_rows,
        SightingPhoto.__tablename__: photo_rows,
    }
    return result
