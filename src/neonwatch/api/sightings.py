"""``/api/v1/sightings``: patrol sighting reports, their photos and AIS correlation."""

import uuid
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, cast

from fastapi import APIRouter, File, HTTPException, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import Field
from sqlalchemy import (
    BindParameter,
    Connection,
    Integer,
    Select,
    Table,
    bindparam,
    func,
    literal,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from neonwatch.api.deps import ApiContext, Auth, Ctx, Limit, MarkingIn, Offset, Total
from neonwatch.api.records import NOT_FOUND, PREFIX, json_response, record, to_json
from neonwatch.share import audit
from neonwatch.share.policy import Principal, readable
from neonwatch.sightings.model import Sighting
from neonwatch.sightings.photos import sniff
from neonwatch.store.models import MARKING_COLUMNS, SightingPhoto, SightingRecord, SightingVessel

router = APIRouter(prefix=PREFIX, tags=["sightings"])
_VESSELS = cast(Table, SightingVessel.__table__)
_PHOTOS = cast(Table, SightingPhoto.__table__)


class SightingIn(Sighting):
    """A sighting report (see :class:`neonwatch.sightings.Sighting`) and its markings."""

    marking: MarkingIn = Field(default_factory=MarkingIn)


# The three routes every patrol client calls all day (post, get, list) run statements built
# once per reader and set of filters, with bound parameters: building a statement and
# computing its cache key (the policy filter is a CASE over every level of every scheme)
# cost more CPU than PostgreSQL spends running it. Rows come back as plain SQL rows.
_SIGHTINGS = cast(Table, SightingRecord.__table__)
_LISTED = [c for c in _SIGHTINGS.columns if c.key != "report"]  # its columns say it all
_CHILDREN = ((_VESSELS, _VESSELS.c.position), (_PHOTOS, _PHOTOS.c.sha256))


@lru_cache(maxsize=1024)
def _child_statements(p: Principal) -> tuple[Select[Any], ...]:
    """The vessels and the photos of the sightings ``:ids`` that ``p`` may read."""
    ids: BindParameter[Any] = bindparam("ids", expanding=True)
    return tuple(
        select(table).where(table.c.sighting_id.in_(ids), readable(p, table.c)).order_by(order)
        for table, order in _CHILDREN
    )


@lru_cache(maxsize=1024)
def _get_statement(p: Principal) -> Select[Any]:
    """The sighting ``:id`` if ``p`` may read it."""
    t = _SIGHTINGS.c
    return select(*_LISTED).where(t.id == bindparam("id"), readable(p, t))


@lru_cache(maxsize=1024)
def _list_statements(
    p: Principal, since: bool, until: bool, asset: bool
) -> tuple[Select[Any], Select[Any]]:
    """The count (of at most ``:count_limit`` rows: :class:`Total`) and one page
    (``:limit``, ``:offset``) of the sightings ``p`` may read, filtered by ``:since``,
    ``:until`` and ``:asset`` where those are given."""
    t = _SIGHTINGS.c
    where = [readable(p, t)]
    if since:
        where.append(t.date >= bindparam("since"))
    if until:
        where.append(t.date <= bindparam("until"))
    if asset:
        where.append(t.asset == bindparam("asset"))
    counted = select(literal(1)).where(*where).limit(bindparam("count_limit", type_=Integer))
    count = select(func.count()).select_from(counted.subquery())
    page = (
        select(*_LISTED)
        .where(*where)
        .order_by(t.date.desc(), t.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )
    return count, page


def sightings_out(conn: Connection, p: Principal, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Sightings as JSON with the vessels and photos the caller may read."""
    ids = [r.id for r in rows]
    children: list[dict[Any, list[Any]]] = [{i: [] for i in ids} for _ in _CHILDREN]
    if ids:
        for stmt, into in zip(_child_statements(p), children, strict=True):
            for child in conn.execute(stmt, {"ids": ids}):
                into[child.sighting_id].append(child)
    vessels, photos = children
    return [_sighting_json(p, r, vessels[r.id], photos[r.id]) for r in rows]


def _sighting_json(p: Principal, row: Any, vessels: Sequence[Any], photos: Sequence[Any]) -> Any:
    """One sighting (a stored row, or the values it was inserted with) and its children."""
    skip = ("id", "sighting_id")
    item = record(row, p, skip=("report",), table=_SIGHTINGS)
    item["vessels"] = [record(v, p, skip, table=_VESSELS) for v in vessels]
    item["photos"] = [record(f, p, skip, table=_PHOTOS) for f in photos]
    return item


@router.get("/sightings", response_model=dict[str, Any])
async def list_sightings(
    p: Auth,
    ctx: Ctx,
    since: date | None = None,
    until: date | None = None,
    asset: Annotated[str | None, Query(max_length=128)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Sightings the caller may read (``since``/``until``: UTC dates, inclusive)."""
    page = await run_in_threadpool(_list, ctx, p, since, until, asset, limit, offset)
    return json_response(page)


def _list(
    ctx: ApiContext,
    p: Principal,
    since: date | None,
    until: date | None,
    asset: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    count, page = _list_statements(p, since is not None, until is not None, bool(asset))
    params = {"since": since, "until": until, "asset": asset, "limit": limit, "offset": offset}
    with ctx.engine.begin() as conn:
        counted = conn.execute(count, params | {"count_limit": Total.rows_to_count(offset)})
        total = Total.of(counted.scalar_one(), offset)
        items = sightings_out(conn, p, conn.execute(page, params).all())
        filters = {**params, "since": to_json(since), "until": to_json(until)}
        detail = {"filters": filters, **total.to_json(), "ids": [i["id"] for i in items]}
        audit.append(conn, p.user, "sightings.list", "sightings", None, detail)
    return {**total.to_json(), "limit": limit, "offset": offset, "items": items}


@router.get("/sightings/{sighting_id}", response_model=dict[str, Any])
async def get_sighting(p: Auth, ctx: Ctx, sighting_id: uuid.UUID) -> Response:
    """One sighting with its vessels and photos (404 when missing or not releasable)."""
    return json_response(await run_in_threadpool(_read_sighting, ctx, p, sighting_id))


def _read_sighting(ctx: ApiContext, p: Principal, sighting_id: uuid.UUID) -> dict[str, Any]:
    with ctx.engine.begin() as conn:
        row = conn.execute(_get_statement(p), {"id": sighting_id}).first()
        if row is None:
            ctx.audit_missing(conn, p, "sightings", _SIGHTINGS.c.id, sighting_id)
        else:
            out = sightings_out(conn, p, [row])[0]
            detail = {"found": True}
            audit.append(conn, p.user, "sightings.read", "sightings", str(sighting_id), detail)
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    return out


@router.post("/sightings", status_code=201, response_model=dict[str, Any])
async def post_sighting(p: Auth, ctx: Ctx, body: SightingIn, request: Request) -> Response:
    """Record a sighting (position as lat/lon or distance and bearing from a reference
    point), correlate it with AIS when the server has a dataset, match its vessels against
    the watchlists. A client-chosen ``id`` makes retries safe: an id already stored is a
    409 and nothing is written twice."""
    return json_response(await run_in_threadpool(_post, ctx, p, body, request), 201)


def _post(ctx: ApiContext, p: Principal, body: SightingIn, request: Request) -> dict[str, Any]:
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
        with ctx.engine.begin() as conn:
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
                connection=conn,
            )
            if not added.added:
                raise conflict
            # answered from the rows just written (marking_for made sure p may read them)
            rows = added.rows
            out = _sighting_json(
                p,
                rows[_SIGHTINGS.name][0],
                rows[_VESSELS.name],
                rows[_PHOTOS.name],
            )
            detail = {
                "marking": mark,
                "asset": sighting.asset,
                "vessels": len(sighting.vessels),
                "correlation": correlation.status if correlation else None,
            }
            audit.append(conn, p.user, "sightings.create", "sightings", str(sighting.id), detail)
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
