"""Filtered views of the picture: the one place that turns a page's filters (kind, risk, time,
area, list hit) into a store query, for the web's lists and map (``/api/v1/views/...``) and for
exports of the same view (:mod:`neonwatch.api.exports`), so what a reader exports is exactly
what they were looking at.

Every statement built here is filtered by policy in its WHERE clause (the row's and, for the
risk and list-hit filters, the risk row's), so a refused record is not counted, not listed and
does not change a filter's answer. Each view answer carries the banner of the page: the highest
marking among its records (see :func:`banner`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import Select, String, and_, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from neonwatch.api.deps import ApiContext, Auth, Ctx, Limit, Offset, Total
from neonwatch.api.events import events_out, risk_key, risk_subject
from neonwatch.api.records import PREFIX, record, to_json, utc
from neonwatch.api.sightings import sightings_out
from neonwatch.share import audit
from neonwatch.share.markings import (
    Marking,
    MarkingError,
    in_scheme,
    level,
    render_releasability,
    scheme,
)
from neonwatch.share.policy import Principal
from neonwatch.store.models import Event, Risk, SightingRecord, SightingVessel, Vessel
from neonwatch.store.publish import DEFAULT_CLASSIFICATION

router = APIRouter(prefix=PREFIX, tags=["picture"])


# --- the banner of a page --------------------------------------------------------------------


def banner(rows: list[Any], reader: Principal) -> dict[str, Any]:
    """The marking of a page or file showing ``rows``: the highest classification among them
    (in the reader's scheme and in its originator's), releasable only to the nations every row
    is released to. With no rows, the reader's lowest classified level."""
    best: tuple[int, Marking] | None = None
    nations: set[str] | None = None
    originators: set[str] = set()
    for r in rows:
        try:
            m = Marking.of(r.originator_nation, r.classification, r.releasability)
        except MarkingError:
            continue
        originators.add(m.originator)
        nations = set(m.releasability) if nations is None else nations & set(m.releasability)
        if best is None or m.rank > best[0]:
            best = (m.rank, m)
    if best is None:
        name = DEFAULT_CLASSIFICATION.get(reader.nation) or scheme().unclassified.name
        lowest = level(name, reader.nation)
        text = f"{lowest.name} // {render_releasability([reader.nation])}"
        return {
            "rank": lowest.rank,
            "in_reader_scheme": text,
            "in_originator_scheme": text,
            "originators": [],
            "releasability": [reader.nation],
            "empty": True,
        }
    rank, m = best
    rel = sorted(nations or set())
    top = Marking(m.originator, m.classification, tuple(rel) or m.releasability)
    return {
        "rank": rank,
        "in_reader_scheme": in_scheme(top, reader.nation),
        "in_originator_scheme": in_scheme(top, top.originator),
        "originators": sorted(originators),
        "releasability": rel,
        "empty": False,
    }


def marking_line(b: dict[str, Any]) -> str:
    """A banner as one line for a file header: reader's scheme, then originator's."""
    if b["in_reader_scheme"] == b["in_originator_scheme"]:
        return str(b["in_reader_scheme"])
    return f"{b['in_reader_scheme']} (originator: {b['in_originator_scheme']})"


# --- filters ---------------------------------------------------------------------------------


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``"west,south,east,north"`` in degrees, or None; ValueError says what is wrong."""
    if not text:
        return None
    parts = text.split(",")
    try:
        w, s, e, n = (float(x) for x in parts)
    except ValueError:
        raise ValueError(
            f"bbox {text!r}: expected four numbers west,south,east,north (degrees)"
        ) from None
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s < n <= 90):
        raise ValueError(
            f"bbox {text!r}: longitudes in [-180, 180], latitudes in [-90, 90], south < north"
        )
    return w, s, e, n


def _in_bbox(lat: Any, lon: Any, box: tuple[float, float, float, float]) -> Any:
    w, s, e, n = box
    lon_ok = lon.between(w, e) if w <= e else or_(lon >= w, lon <= e)  # across 180°
    return and_(lat.between(s, n), lon_ok)


Bbox = Annotated[
    str | None,
    Query(max_length=100, description="area: west,south,east,north in degrees"),
]


@dataclass(frozen=True)
class EventFilter:
    """The filters of the events view (those of ``GET /events`` and area and list hit)."""

    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    mmsi: int | None = None
    min_risk: float | None = None
    bbox: str | None = None
    listed: bool | None = None

    def statement(self, ctx: ApiContext, s: Session, p: Principal) -> Select[Any]:
        """The events matching, policy not yet applied (:meth:`ApiContext.page` adds it)."""
        stmt = select(Event)
        if self.kind:
            stmt = stmt.where(Event.kind == self.kind)
        if self.since is not None:
            stmt = stmt.where(Event.start >= utc(self.since))
        if self.until is not None:
            stmt = stmt.where(Event.start < utc(self.until))
        if self.mmsi is not None:
            stmt = stmt.where(or_(Event.mmsi == self.mmsi, Event.mmsi_2 == self.mmsi))
        box = parse_bbox(self.bbox)
        if box is not None:
            stmt = stmt.where(_in_bbox(Event.lat, Event.lon, box))
        event_risk = [Risk.subject == "event", risk_subject(s) == risk_key(s)]
        if self.min_risk is not None:
            stmt = stmt.where(
                exists().where(*event_risk, Risk.score >= self.min_risk, ctx.readable(p, Risk))
            )
        if self.listed is not None:
            hit = exists().where(
                *event_risk,
                cast(Risk.factors, String).like('%"party_listed%'),
                ctx.readable(p, Risk),
            )
            stmt = stmt.where(hit if self.listed else ~hit)
        return stmt

    order = (Event.start.desc(), Event.event_id)


def event_filter(
    kind: Annotated[str | None, Query(max_length=32)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mmsi: int | None = None,
    min_risk: Annotated[float | None, Query(ge=0)] = None,
    bbox: Bbox = None,
    listed: Annotated[bool | None, Query(description="a party is on a watchlist")] = None,
) -> EventFilter:
    """The events view's filters from the query string (a FastAPI dependency)."""
    f = EventFilter(kind, since, until, mmsi, min_risk, bbox, listed)
    _check_bbox(f.bbox)
    return f


def _check_bbox(text: str | None) -> None:
    try:
        parse_bbox(text)
    except ValueError as exc:
        raise HTTPException(422, f"bbox (query parameter): {exc}") from None


@dataclass(frozen=True)
class VesselFilter:
    """The vessels view: identity rows by MMSI, IMO, name, and list hit."""

    mmsi: int | None = None
    imo: int | None = None
    q: str | None = None
    listed: bool | None = None

    def statement(self, ctx: ApiContext, s: Session, p: Principal) -> Select[Any]:
        stmt = select(Vessel)
        if self.mmsi is not None:
            stmt = stmt.where(Vessel.mmsi == self.mmsi)
        if self.imo is not None:
            stmt = stmt.where(Vessel.imo == self.imo)
        if self.q:
            stmt = stmt.where(func.upper(Vessel.name).contains(self.q.upper(), autoescape=True))
        if self.listed is not None:
            hit = exists().where(
                Risk.subject == "vessel",
                Risk.subject_id == cast(Vessel.mmsi, String),
                cast(Risk.factors, String).like('%"listed%'),
                ctx.readable(p, Risk),
            )
            stmt = stmt.where(hit if self.listed else ~hit)
        return stmt

    order = (Vessel.mmsi, Vessel.first_seen, Vessel.id)


def vessel_filter(
    mmsi: int | None = None,
    imo: int | None = None,
    q: Annotated[str | None, Query(max_length=64, description="name contains")] = None,
    listed: Annotated[bool | None, Query(description="on a watchlist")] = None,
) -> VesselFilter:
    """The vessels view's filters from the query string."""
    return VesselFilter(mmsi, imo, q, listed)


@dataclass(frozen=True)
class SightingFilter:
    """The sightings view: UTC dates, asset, area, and whether an observed vessel is listed."""

    since: date | None = None
    until: date | None = None
    asset: str | None = None
    bbox: str | None = None
    listed: bool | None = None

    def statement(self, ctx: ApiContext, s: Session, p: Principal) -> Select[Any]:
        stmt = select(SightingRecord)
        if self.since is not None:
            stmt = stmt.where(SightingRecord.date >= self.since)
        if self.until is not None:
            stmt = stmt.where(SightingRecord.date <= self.until)
        if self.asset:
            stmt = stmt.where(SightingRecord.asset == self.asset)
        box = parse_bbox(self.bbox)
        if box is not None:
            stmt = stmt.where(_in_bbox(SightingRecord.lat, SightingRecord.lon, box))
        if self.listed is not None:
            hit = exists().where(
                SightingVessel.sighting_id == SightingRecord.id,
                SightingVessel.listed.is_(True),
                ctx.readable(p, SightingVessel),
            )
            stmt = stmt.where(hit if self.listed else ~hit)
        return stmt

    order = (SightingRecord.date.desc(), SightingRecord.id)


def sighting_filter(
    since: date | None = None,
    until: date | None = None,
    asset: Annotated[str | None, Query(max_length=128)] = None,
    bbox: Bbox = None,
    listed: Annotated[bool | None, Query(description="an observed vessel is listed")] = None,
) -> SightingFilter:
    """The sightings view's filters from the query string."""
    f = SightingFilter(since, until, asset, bbox, listed)
    _check_bbox(f.bbox)
    return f


AnyFilter = EventFilter | VesselFilter | SightingFilter
MODELS: dict[type, Any] = {
    EventFilter: Event,
    VesselFilter: Vessel,
    SightingFilter: SightingRecord,
}


def rows_of(
    ctx: ApiContext, s: Session, p: Principal, f: AnyFilter, limit: int, offset: int
) -> tuple[Total, list[Any]]:
    """The total and one page of a view, policy applied inside the query."""
    model = MODELS[type(f)]
    return ctx.page(s, p, model, f.statement(ctx, s, p), f.order, limit, offset)


def items_of(ctx: ApiContext, s: Session, p: Principal, rows: list[Any]) -> list[Any]:
    """Rows of a view as the API's JSON (with risk for events, vessels and photos for
    sightings), markings in both schemes."""
    if not rows:
        return []
    if isinstance(rows[0], Event):
        return events_out(ctx, s, p, rows)
    if isinstance(rows[0], SightingRecord):
        return sightings_out(s.connection(), p, rows)
    return [record(r, p) for r in rows]


def filters_json(f: AnyFilter) -> dict[str, Any]:
    """A view's filters as JSON (for the audit log)."""
    return {k: to_json(v) for k, v in asdict(f).items()}


def _view(
    name: str, p: Principal, ctx: ApiContext, f: AnyFilter, limit: int, offset: int
) -> dict[str, Any]:
    key = "event_id" if isinstance(f, EventFilter) else "id"
    with Session(ctx.engine) as s, s.begin():
        total, rows = rows_of(ctx, s, p, f, limit, offset)
        items = items_of(ctx, s, p, rows)
        mark = banner(rows, p)
        detail = {
            "filters": filters_json(f) | {"limit": limit, "offset": offset},
            **total.to_json(),
            "ids": [i[key] for i in items],
        }
        audit.append(s, p.user, f"{name}.list", name, None, detail)
    return {**total.to_json(), "limit": limit, "offset": offset, "marking": mark, "items": items}


@router.get("/views/events")
def view_events(
    p: Auth,
    ctx: Ctx,
    f: Annotated[EventFilter, Depends(event_filter)],
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Events for the picture's map and list: the filters of ``GET /events`` plus ``bbox`` and
    ``listed``, and the page's banner (``marking``: the highest marking shown)."""
    return _view("events", p, ctx, f, limit, offset)


@router.get("/views/vessels")
def view_vessels(
    p: Auth,
    ctx: Ctx,
    f: Annotated[VesselFilter, Depends(vessel_filter)],
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Vessel identity rows for the picture's list, with ``listed`` and the page's banner."""
    return _view("vessels", p, ctx, f, limit, offset)


@router.get("/views/sightings")
def view_sightings(
    p: Auth,
    ctx: Ctx,
    f: Annotated[SightingFilter, Depends(sighting_filter)],
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Sightings for the picture's map and list, with ``bbox``, ``listed`` and the banner."""
    return _view("sightings", p, ctx, f, limit, offset)


__all__ = [
    "EventFilter",
    "SightingFilter",
    "VesselFilter",
    "banner",
    "event_filter",
    "items_of",
    "marking_line",
    "parse_bbox",
    "rows_of",
    "sighting_filter",
    "vessel_filter",
]
