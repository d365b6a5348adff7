"""``/api/v1/events``: detected events with their risk, filtered by policy."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import ColumnElement, String, cast, exists, func, or_, select
from sqlalchemy import type_coerce as sa_type_coerce
from sqlalchemy.orm import Session

from neonwatch.api.deps import ApiContext, Auth, Ctx, Limit, Offset
from neonwatch.api.records import NOT_FOUND, PREFIX, markings, record, to_json, utc
from neonwatch.share import audit
from neonwatch.share.policy import Principal
from neonwatch.store.models import Event, Risk

router = APIRouter(prefix=PREFIX, tags=["events"])


def risk_key(s: Session) -> ColumnElement[Any]:
    """Event.event_id as the text screening writes in Risk.subject_id."""
    if s.get_bind().dialect.name == "postgresql":
        return func.lower(cast(Event.event_id, String))
    return func.lower(sa_type_coerce(Event.event_id, String))  # 32 hex digits on SQLite


def risk_subject(s: Session) -> ColumnElement[Any]:
    """Risk.subject_id in the form risk_key gives (lower case, no hyphens on SQLite)."""
    if s.get_bind().dialect.name == "postgresql":
        return func.lower(Risk.subject_id)
    return func.replace(func.lower(Risk.subject_id), "-", "")


def events_out(ctx: ApiContext, s: Session, p: Principal, rows: list[Event]) -> list[Any]:
    """Events as JSON, each with its risk when the caller may read that too."""
    ids = [str(r.event_id) for r in rows]
    risks: dict[str, Risk] = {}
    if ids:
        for r in s.scalars(
            select(Risk).where(
                Risk.subject == "event", Risk.subject_id.in_(ids), ctx.readable(p, Risk)
            )
        ):
            risks[r.subject_id.lower()] = r
    out = []
    for row in rows:
        item = record(row, p)
        risk = risks.get(str(row.event_id))
        item["risk"] = (
            None
            if risk is None
            else {
                "score": risk.score,
                "top_factors": risk.top_factors,
                "factors": risk.factors,
                "markings": markings(risk, p),
            }
        )
        out.append(item)
    return out


@router.get("/events")
def list_events(
    p: Auth,
    ctx: Ctx,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mmsi: int | None = None,
    min_risk: Annotated[float | None, Query(ge=0)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Detected events the caller may read. ``since``/``until`` bound the start (UTC when
    no offset is given); ``mmsi`` matches either vessel; ``min_risk`` keeps events whose
    risk (readable by the caller) scores at least that."""
    stmt = select(Event)
    if kind:
        stmt = stmt.where(Event.kind == kind)
    if since is not None:
        stmt = stmt.where(Event.start >= utc(since))
    if until is not None:
        stmt = stmt.where(Event.start < utc(until))
    if mmsi is not None:
        stmt = stmt.where(or_(Event.mmsi == mmsi, Event.mmsi_2 == mmsi))
    with Session(ctx.engine) as s, s.begin():
        if min_risk is not None:
            stmt = stmt.where(
                exists().where(
                    Risk.subject == "event",
                    risk_subject(s) == risk_key(s),
                    Risk.score >= min_risk,
                    ctx.readable(p, Risk),
                )
            )
        order = (Event.start.desc(), Event.event_id)
        total, rows = ctx.page(s, p, Event, stmt, order, limit, offset)
        items = events_out(ctx, s, p, rows)
        filters = {
            "kind": kind,
            "since": to_json(since),
            "until": to_json(until),
            "mmsi": mmsi,
            "min_risk": min_risk,
            "limit": limit,
            "offset": offset,
        }
        detail = {"filters": filters, **total.to_json(), "ids": [i["event_id"] for i in items]}
        audit.append(s, p.user, "events.list", "events", None, detail)
    return {**total.to_json(), "limit": limit, "offset": offset, "items": items}


@router.get("/events/{event_id}")
def get_event(p: Auth, ctx: Ctx, event_id: uuid.UUID) -> dict[str, Any]:
    """One event with its risk (404 when missing or not releasable to the caller)."""
    with Session(ctx.engine) as s, s.begin():
        row = ctx.get_one(s, p, Event, Event.event_id, event_id)
        if row is not None:
            out = events_out(ctx, s, p, [row])[0]
            audit.append(s, p.user, "events.read", "events", str(event_id), {"found": True})
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    return out
