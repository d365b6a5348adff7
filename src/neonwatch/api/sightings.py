"""``/api/v1/sightings``: patrol sighting reports, their photos and AIS correlation."""

import uuid
from datetime import date
from typing import Annotated, Any, cast

from fastapi import APIRouter, File, HTTPException, Query, Request, Response, UploadFile
from pydantic import Field
from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from neonwatch.api.deps import ApiContext, Auth, Ctx, Limit, MarkingIn, Offset
from neonwatch.api.records import NOT_FOUND, PREFIX, record, to_json
from neonwatch.share import audit
from neonwatch.share.policy import Principal
from neonwatch.sightings.model import Sighting
from neonwatch.sightings.photos import sniff
from neonwatch.store.models import MARKING_COLUMNS, SightingPhoto, SightingRecord, SightingVessel

router = APIRouter(prefix=PREFIX, tags=["sightings"])
_VESSELS = cast(Table, SightingVessel.__table__)
_PHOTOS = cast(Table, SightingPhoto.__table__)


class SightingIn(Sighting):
    """A sighting report (see :class:`neonwatch.sightings.Sighting`) and its markings."""

    marking: MarkingIn = Field(default_factory=MarkingIn)


def sightings_out(
    ctx: ApiContext, s: Session, p: Principal, rows: list[SightingRecord]
) -> list[Any]:
    """Sightings as JSON with the vessels and photos the caller may read."""
    ids = [r.id for r in rows]
    vessels: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in ids}
    pics: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        # plain SQL rows, not ORM objects: a list renders some sixty of these
        skip = ("id", "sighting_id")
        for table, model, into, order in (
            (_VESSELS, SightingVessel, vessels, SightingVessel.position),
            (_PHOTOS, SightingPhoto, pics, SightingPhoto.sha256),
        ):
            rows_of = s.execute(
                select(table)
                .where(model.sighting_id.in_(ids), ctx.readable(p, model))
                .order_by(order)
            )
            for child in rows_of:
                into[child.sighting_id].append(record(child, p, skip, table=table))
    out = []
    for r in rows:
        item = record(r, p, skip=("report",))
        item["vessels"] = vessels[r.id]
        item["photos"] = pics[r.id]
        out.append(item)
    return out


@router.get("/sightings")
def list_sightings(
    p: Auth,
    ctx: Ctx,
    since: date | None = None,
    until: date | None = None,
    asset: Annotated[str | None, Query(max_length=128)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Sightings the caller may read (``since``/``until``: UTC dates, inclusive)."""
    stmt = select(SightingRecord).options(defer(SightingRecord.report))  # not in the list
    if since is not None:
        stmt = stmt.where(SightingRecord.date >= since)
    if until is not None:
        stmt = stmt.where(SightingRecord.date <= until)
    if asset:
        stmt = stmt.where(SightingRecord.asset == asset)
    with Session(ctx.engine) as s, s.begin():
        order = (SightingRecord.date.desc(), SightingRecord.id)
        total, rows = ctx.page(s, p, SightingRecord, stmt, order, limit, offset)
        items = sightings_out(ctx, s, p, rows)
        filters = {
            "since": to_json(since),
            "until": to_json(until),
            "asset": asset,
            "limit": limit,
            "offset": offset,
        }
        detail = {"filters": filters, "total": total, "ids": [i["id"] for i in items]}
        audit.append(s, p.user, "sightings.list", "sightings", None, detail)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/sightings/{sighting_id}")
def get_sighting(p: Auth, ctx: Ctx, sighting_id: uuid.UUID) -> dict[str, Any]:
    """One sighting with its vessels and photos (404 when missing or not releasable)."""
    with Session(ctx.engine) as s, s.begin():
        row = ctx.get_one(s, p, SightingRecord, SightingRecord.id, sighting_id)
        if row is not None:
            out = sightings_out(ctx, s, p, [row])[0]
            audit.append(
                s, p.user, "sightings.read", "sightings", str(sighting_id), {"found": True}
            )
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    return out


@router.post("/sightings", status_code=201)
def post_sighting(p: Auth, ctx: Ctx, body: SightingIn, request: Request) -> dict[str, Any]:
    """Record a sighting (position as lat/lon or distance and bearing from a reference
    point), correlate it with AIS when the server has a dataset, match its vessels against
    the watchlists. A client-chosen ``id`` makes retries safe: an id already stored is a
    409 and nothing is written twice."""
    from neonwatch.sightings import add_sighting, correlate

    cfg = ctx.settings
    mark = ctx.marking_for(p, body.marking, request)
    sighting = Sighting(**{name: getattr(body, name) for name in Sighting.model_fields})
    correlation = None
    ais = ctx.ais()
    if ais is not None:
        correlation = correlate(
            sighting, ais[0], radius_km=cfg.radius_km, window_min=cfg.window_min, vessels=ais[1]
        )
    hits = ctx.hits(sighting)
    conflict = HTTPException(
        409,
        f"sighting {sighting.id} exists already: ids are never reused (after a retry, "
        f"GET {PREFIX}/sightings/{sighting.id})",
    )
    try:
        with Session(ctx.engine) as s, s.begin():
            added = add_sighting(
                ctx.store,
                sighting,
                originator=p.nation,
                node=cfg.node,
                classification=mark["classification"],
                releasability=mark["releasability"],
                group=mark["group"],
                correlation=correlation,
                hits=hits,
                connection=s.connection(),
            ).added
            if not added:
                raise conflict
            row = s.get(SightingRecord, sighting.id)
            out = sightings_out(ctx, s, p, [row])[0] if row is not None else {}
            detail = {
                "marking": mark,
                "asset": sighting.asset,
                "vessels": len(sighting.vessels),
                "correlation": correlation.status if correlation else None,
            }
            audit.append(s, p.user, "sightings.create", "sightings", str(sighting.id), detail)
    except HTTPException as exc:
        raise ctx.refuse(p, request, exc.status_code, str(exc.detail)) from None
    except IntegrityError:  # a concurrent post of the same id won the race
        raise ctx.refuse(p, request, 409, str(conflict.detail)) from None
    out["correlation"] = correlation.to_json() if correlation else None
    return out


@router.post("/sightings/{sighting_id}/photos", status_code=201)
def post_photo(
    p: Auth,
    ctx: Ctx,
    sighting_id: uuid.UUID,
    request: Request,
    response: Response,
    file: Annotated[UploadFile, File(description="a JPEG or PNG photo")],
) -> dict[str, Any]:
    """Attach a photo (JPEG or PNG by its bytes, at most the server's limit) to a sighting
    the caller may read and whose originating nation is theirs."""
    limit = ctx.settings.max_photo_bytes
    with Session(ctx.engine, expire_on_commit=False) as s, s.begin():
        row = ctx.get_one(s, p, SightingRecord, SightingRecord.id, sighting_id)
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    if row.originator_nation != p.nation:
        raise ctx.refuse(p, request, 403, "only the originating nation adds photos to a sighting")
    raw = file.file.read(limit + 1)
    name = (file.filename or "")[:256] or None
    if len(raw) > limit:
        raise ctx.refuse(
            p, request, 413, f"file: photo too large: over the limit of {limit:,} bytes"
        )
    if not raw:
        raise ctx.refuse(p, request, 400, "file: photo is empty")
    if sniff(raw[:8]) is None:
        raise ctx.refuse(
            p,
            request,
            415,
            f"file: not a JPEG or PNG photo (its first bytes are "
            f"{raw[:8].hex(' ')}); only JPEG and PNG are accepted",
        )
    ref = ctx.photos.put(raw, filename=name)
    pid = uuid.uuid5(sighting_id, f"photo:{ref.sha256}")
    stamp = {c: getattr(row, c) for c in MARKING_COLUMNS if c != "created_at"}
    with Session(ctx.engine) as s, s.begin():
        existing = s.get(SightingPhoto, pid)
        if existing is None:
            photo = SightingPhoto(
                id=pid,
                sighting_id=sighting_id,
                sha256=ref.sha256,
                size=ref.size,
                mime=ref.mime,
                filename=ref.filename,
                **stamp,
            )
            s.add(photo)
            rec = s.get(SightingRecord, sighting_id)
            if rec is not None:
                report = dict(rec.report)
                report["photos"] = [*report.get("photos", []), ref.model_dump(mode="json")]
                rec.report = report
            s.flush()
        else:
            photo = existing
            response.status_code = 200
        out = record(photo, p, skip=("id",))
        detail = {
            "sha256": ref.sha256,
            "size": ref.size,
            "mime": ref.mime,
            "added": existing is None,
        }
        audit.append(s, p.user, "sightings.photo", "sightings", str(sighting_id), detail)
    return out
