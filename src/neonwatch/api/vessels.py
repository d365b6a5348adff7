"""``/api/v1/vessels``: vessel identity rows (one per identity change), filtered by policy."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from neonwatch.api.deps import Auth, Ctx, Limit, Offset
from neonwatch.api.records import NOT_FOUND, PREFIX, record
from neonwatch.share import audit
from neonwatch.store.models import Vessel

router = APIRouter(prefix=PREFIX, tags=["vessels"])


@router.get("/vessels")
def list_vessels(
    p: Auth,
    ctx: Ctx,
    mmsi: int | None = None,
    imo: int | None = None,
    q: Annotated[str | None, Query(max_length=64, description="name contains")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Vessel identity rows the caller may read (filters: mmsi, imo, name search)."""
    stmt = select(Vessel)
    if mmsi is not None:
        stmt = stmt.where(Vessel.mmsi == mmsi)
    if imo is not None:
        stmt = stmt.where(Vessel.imo == imo)
    if q:
        stmt = stmt.where(func.upper(Vessel.name).contains(q.upper(), autoescape=True))
    with Session(ctx.engine) as s, s.begin():
        order = (Vessel.mmsi, Vessel.first_seen, Vessel.id)
        total, rows = ctx.page(s, p, Vessel, stmt, order, limit, offset)
        items = [record(r, p) for r in rows]
        filters = {"mmsi": mmsi, "imo": imo, "q": q, "limit": limit, "offset": offset}
        detail = {"filters": filters, **total.to_json(), "ids": [i["id"] for i in items]}
        audit.append(s, p.user, "vessels.list", "vessels", None, detail)
    return {**total.to_json(), "limit": limit, "offset": offset, "items": items}


@router.get("/vessels/{vessel_id}")
def get_vessel(p: Auth, ctx: Ctx, vessel_id: uuid.UUID) -> dict[str, Any]:
    """One vessel identity row (404 when missing or not releasable to the caller)."""
    with Session(ctx.engine) as s, s.begin():
        row = ctx.get_one(s, p, Vessel, Vessel.id, vessel_id)
        if row is not None:
            out = record(row, p)
            audit.append(s, p.user, "vessels.read", "vessels", str(vessel_id), {"found": True})
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    return out
