"""What the web picture needs beyond the records themselves: who the reader is, the land
basemap, an event's tracks, a vessel's identity history and list hits.

Each route is authenticated, policy-filtered inside its query and audited like the rest of the
API: a track is served only for an event the caller may read (otherwise the 404 of a missing
id), and a vessel's history only lists identity rows the caller may read.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from neonwatch.api.deps import Auth, Ctx
from neonwatch.api.records import NOT_FOUND, PREFIX, markings, record
from neonwatch.api.views import banner
from neonwatch.geo.landshape import MAX_CELLS, land_multipolygon, snap_resolution
from neonwatch.share import audit
from neonwatch.share.markings import scheme
from neonwatch.sightings.model import reference_points
from neonwatch.store.models import Event, Risk, Vessel

router = APIRouter(prefix=PREFIX, tags=["picture"])


@router.get("/me")
def me(p: Auth, ctx: Ctx) -> dict[str, Any]:
    """The caller (nation, clearance, groups), the banner of an empty page in their scheme,
    the ranks of every level (so a page can compare markings), and the reference points a
    sighting position may be given from."""
    sch = scheme()
    levels = {n: {lv.name: lv.rank for lv in sch.levels_of(n)} for n in sch.nations()}
    with Session(ctx.engine) as s, s.begin():
        audit.append(s, p.user, "me.read", "user", p.user, {})
    points = [
        {"name": name, "lat": float(v["lat"]), "lon": float(v["lon"])}
        for name, v in reference_points().items()
    ]
    return {
        "username": p.user,
        "nation": p.nation,
        "clearance": p.clearance,
        "groups": sorted(p.groups),
        "empty_marking": banner([], p),
        "levels": levels,
        "reference_points": points,
    }


@router.get("/geo/land")
def land(
    p: Auth,
    ctx: Ctx,
    request: Request,
    bbox: Annotated[str, Query(max_length=100)] = "-180,-90,180,90",
    res: Annotated[float, Query(gt=0, le=60, description="cells per degree")] = 1,
) -> dict[str, Any]:
    """Natural Earth land (public data) in ``bbox`` as a GeoJSON MultiPolygon, at ``res``
    cells per degree (snapped to a divisor of 60); refused beyond 2 million cells."""
    try:
        w, s_, e, n = (float(x) for x in bbox.split(","))
        coords = land_multipolygon(
            max(w, -180), max(s_, -90), min(e, 180), min(n, 90), snap_resolution(res)
        )
    except ValueError as exc:
        raise ctx.refuse(
            p, request, 422, f"bbox/res: {exc} (at most {MAX_CELLS:,} cells)"
        ) from None
    return {
        "type": "Feature",
        "properties": {
            "source": "Natural Earth 10m land (public domain)",
            "res": snap_resolution(res),
        },
        "geometry": {"type": "MultiPolygon", "coordinates": coords},
    }


@router.get("/events/{event_id}/track")
def event_track(
    p: Auth,
    ctx: Ctx,
    event_id: uuid.UUID,
    pad_h: Annotated[float, Query(ge=0, le=72, description="hours around the event")] = 6.0,
    gap_h: Annotated[float, Query(gt=0, le=72, description="shortest gap listed, hours")] = 1.0,
) -> dict[str, Any]:
    """Both vessels' AIS positions around a readable event (from the server's ``--dataset``),
    their gaps, the distance between them and their speeds; the event's markings."""
    from neonwatch.api.eventtrack import event_track as compute

    with Session(ctx.engine) as s, s.begin():
        row = ctx.get_one(s, p, Event, Event.event_id, event_id)
        if row is not None:
            audit.append(s, p.user, "events.track", "events", str(event_id), {"found": True})
            mark = markings(row, p)
            mmsis = [m for m in (row.mmsi, row.mmsi_2) if m is not None]
            start, end = row.start, row.end or row.start
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    ais = ctx.ais()
    if ais is None or start is None:
        out: dict[str, Any] = {"vessels": [], "distance_m": [], "available": False}
    else:
        out = compute(ais[0], mmsis, start, end, pad_h=pad_h, gap_h=gap_h)
        out["available"] = True
    out["event_id"] = str(event_id)
    out["markings"] = mark
    return out


@router.get("/vessels/{vessel_id}/history")
def vessel_history(p: Auth, ctx: Ctx, vessel_id: uuid.UUID) -> dict[str, Any]:
    """Every identity row of the vessel's MMSI the caller may read (names, flags, IMO, call
    signs over time), its readable risk with the list hits among its factors, and the banner
    of the highest marking among them."""
    with Session(ctx.engine) as s, s.begin():
        row = ctx.get_one(s, p, Vessel, Vessel.id, vessel_id)
        if row is not None:
            rows = list(
                s.scalars(
                    select(Vessel)
                    .where(Vessel.mmsi == row.mmsi, ctx.readable(p, Vessel))
                    .order_by(Vessel.first_seen, Vessel.id)
                )
            )
            risk = s.scalars(
                select(Risk).where(
                    Risk.subject == "vessel",
                    Risk.subject_id == cast(row.mmsi, String),
                    ctx.readable(p, Risk),
                )
            ).first()
            shown = [*rows, *([risk] if risk is not None else [])]
            out = {
                "vessel": record(row, p),
                "history": [record(r, p) for r in rows],
                "risk": None
                if risk is None
                else {
                    "score": risk.score,
                    "top_factors": risk.top_factors,
                    "factors": risk.factors,
                    "markings": markings(risk, p),
                },
                "list_hits": []
                if risk is None
                else [f for f in risk.factors if str(f.get("factor", "")).startswith("listed")],
                "marking": banner(shown, p),
            }
            audit.append(
                s,
                p.user,
                "vessels.history",
                "vessels",
                str(vessel_id),
                {"found": True, "ids": [str(r.id) for r in rows]},
            )
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    return out
