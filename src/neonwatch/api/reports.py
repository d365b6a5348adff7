"""Printable reports: one HTML page per event or sighting, shaped like Japan's Ministry of
Defense public releases on suspected ship-to-ship transfers (date, time, position as distance
and bearing from a reference point, the vessels with IMO and flag, photos, what was observed,
the finding), with the record's markings in a banner at the top and the bottom.

Rendered by Jinja2 with autoescape on, so no text a user typed (asset, vessel names, notes)
can become markup; strings come from the web's message catalogue (``?lang=en|fr|ja``). A
report is a read: policy-filtered (a refused id is the 404 of a missing one) and audited.
Photos are served by ``/sightings/{id}/photos/{sha256}``, under the same rules.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from neonwatch.api.deps import Auth, Ctx
from neonwatch.api.events import events_out
from neonwatch.api.records import NOT_FOUND, PREFIX
from neonwatch.api.sightings import sightings_out
from neonwatch.api.views import banner
from neonwatch.share import audit
from neonwatch.sightings.model import PhotoRef
from neonwatch.store.models import Event, SightingPhoto, SightingRecord, SightingVessel
from neonwatch.web import message, pick_language

router = APIRouter(prefix=PREFIX, tags=["reports"])
Lang = Annotated[str | None, Query(max_length=5, description="en, fr or ja")]
_SHA = re.compile(r"^[0-9a-f]{64}$")


@cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("neonwatch.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    return env


def render(kind: str, data: dict[str, Any], mark: dict[str, Any], lang: str) -> str:
    """The report page for ``data`` (an event or a sighting as the API gives it)."""

    def t(key: str, **values: Any) -> str:
        return message(key, lang, **values)

    return (
        _env()
        .get_template("report.html")
        .render(
            kind=kind,
            r=data,
            mark=mark,
            t=t,
            lang=lang,
            issued=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )


@router.get("/events/{event_id}/report.html", response_class=HTMLResponse)
def event_report(
    p: Auth, ctx: Ctx, request: Request, event_id: uuid.UUID, lang: Lang = None
) -> HTMLResponse:
    """A printable report of one event (404 when missing or not releasable)."""
    with Session(ctx.engine) as s, s.begin():
        row = ctx.get_one(s, p, Event, Event.event_id, event_id)
        if row is not None:
            data = events_out(ctx, s, p, [row])[0]
            mark = banner([row], p)
            audit.append(s, p.user, "events.report", "events", str(event_id), {"found": True})
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    language = pick_language(lang, request.headers.get("accept-language"))
    return HTMLResponse(render("event", data, mark, language))


@router.get("/sightings/{sighting_id}/report.html", response_class=HTMLResponse)
def sighting_report(
    p: Auth, ctx: Ctx, request: Request, sighting_id: uuid.UUID, lang: Lang = None
) -> HTMLResponse:
    """A printable report of one sighting, in the shape of a ministry's public release."""
    with Session(ctx.engine) as s, s.begin():
        row = ctx.get_one(s, p, SightingRecord, SightingRecord.id, sighting_id)
        if row is not None:
            data = sightings_out(s.connection(), p, [row])[0]
            data["correlation"] = row.correlation
            shown: list[Any] = [row]
            shown += s.scalars(
                select(SightingVessel).where(
                    SightingVessel.sighting_id == sighting_id, ctx.readable(p, SightingVessel)
                )
            ).all()
            mark = banner(shown, p)
            audit.append(
                s, p.user, "sightings.report", "sightings", str(sighting_id), {"found": True}
            )
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    language = pick_language(lang, request.headers.get("accept-language"))
    return HTMLResponse(render("sighting", data, mark, language))


@router.get("/sightings/{sighting_id}/photos/{sha256}")
def sighting_photo(p: Auth, ctx: Ctx, sighting_id: uuid.UUID, sha256: str) -> Response:
    """The bytes of one photo of a sighting, if the caller may read that photo's row."""
    with Session(ctx.engine) as s, s.begin():
        photo = None
        if _SHA.match(sha256):
            photo = s.scalars(
                select(SightingPhoto).where(
                    SightingPhoto.sighting_id == sighting_id,
                    SightingPhoto.sha256 == sha256,
                    ctx.readable(p, SightingPhoto),
                )
            ).first()
        audit.append(
            s,
            p.user,
            "sightings.photo.read",
            "sightings",
            str(sighting_id),
            {"sha256": sha256[:64], "found": photo is not None},
        )
        if photo is not None:
            ref = PhotoRef(sha256=photo.sha256, size=photo.size, mime=photo.mime)  # type: ignore[arg-type]
    if photo is None:
        raise HTTPException(404, NOT_FOUND)
    try:
        data = ctx.photos.get(ref)
    except (OSError, ValueError):
        raise HTTPException(404, NOT_FOUND) from None
    return Response(data, media_type=ref.mime, headers={"Cache-Control": "private, max-age=3600"})
