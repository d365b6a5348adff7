"""``/api/v1/exports/{events,vessels,sightings}``: any filtered view of the picture as GeoJSON,
CSV, KML or GeoParquet.

The filters are the views' (:mod:`neonwatch.api.views`), so an export holds exactly the rows
the same page lists for the same reader: policy applied inside the query, every row with its
markings (in the reader's scheme and the originator's), the file's banner (the highest marking
in it) in the header, and the export audited with the ids it released. The writers are
:mod:`neonwatch.api.formats`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from neonwatch.api import formats
from neonwatch.api.deps import ApiContext, Auth, Ctx
from neonwatch.api.records import PREFIX
from neonwatch.api.views import (
    AnyFilter,
    EventFilter,
    SightingFilter,
    VesselFilter,
    banner,
    event_filter,
    filters_json,
    items_of,
    marking_line,
    rows_of,
    sighting_filter,
    vessel_filter,
)
from neonwatch.share import audit
from neonwatch.share.policy import Principal

router = APIRouter(prefix=PREFIX, tags=["exports"])

Format = Annotated[
    Literal["geojson", "csv", "kml", "parquet"],
    Query(description="geojson, csv, kml (Google Earth) or parquet (GeoParquet 1.1)"),
]
ExportLimit = Annotated[int, Query(ge=1, le=100_000)]
SUFFIX = {"geojson": "geojson", "csv": "csv", "kml": "kml", "parquet": "parquet"}


def _marks(item: dict[str, Any]) -> dict[str, Any]:
    m = item["markings"]
    return {
        "marking": m.get("in_reader_scheme"),
        "marking_originator": m.get("in_originator_scheme"),
        "originator_nation": m.get("originator_nation"),
        "classification": m.get("classification"),
        "releasability": m.get("releasability"),
        "group": m.get("group"),
    }


def _event_feature(e: dict[str, Any]) -> formats.Feature:
    risk = e.get("risk") or {}
    props = {
        "name": f"{e['kind']} {e['mmsi']}" + (f"/{e['mmsi_2']}" if e.get("mmsi_2") else ""),
        "event_id": e["event_id"],
        "kind": e["kind"],
        "mmsi": e["mmsi"],
        "mmsi_2": e.get("mmsi_2"),
        "start": e.get("start"),
        "end": e.get("end"),
        "duration_h": e.get("duration_h"),
        "min_distance_m": e.get("min_distance_m"),
        "risk": risk.get("score"),
        "risk_factors": risk.get("top_factors"),
        "rule": e.get("rule"),
        **_marks(e),
    }
    coords = [] if e.get("lon") is None else [(e["lon"], e["lat"])]
    return formats.Feature(coords, props)


def _vessel_feature(v: dict[str, Any]) -> formats.Feature:
    keys = ("id", "mmsi", "imo", "name", "callsign", "ship_type", "destination")
    props = {k: v.get(k) for k in keys} | {
        "first_seen": v.get("first_seen"),
        "last_seen": v.get("last_seen"),
        **_marks(v),
    }
    return formats.Feature([], props)


def _sighting_feature(x: dict[str, Any]) -> formats.Feature:
    vessels = x.get("vessels") or []
    props = {
        "name": f"{x['asset']} {x['date']}",
        "id": x["id"],
        "asset": x["asset"],
        "date": x["date"],
        "observed_at": x.get("observed_at"),
        "time_of_day": x.get("time_of_day"),
        "reference": x.get("reference"),
        "distance_km": x.get("distance_km"),
        "bearing": x.get("bearing") or x.get("bearing_deg"),
        "vessels": "; ".join(
            f"{v.get('name') or '?'} (IMO {v.get('imo') or '?'}, {v.get('flag') or '?'})"
            for v in vessels
        ),
        "dark": "; ".join(v.get("name") or "?" for v in vessels if v.get("dark")),
        "listed": any(v.get("listed") for v in vessels),
        "alongside": x.get("alongside"),
        "hoses_connected": x.get("hoses_connected"),
        "notes": x.get("notes"),
        **_marks(x),
    }
    coords = [] if x.get("lon") is None else [(x["lon"], x["lat"])]
    return formats.Feature(coords, props)


FEATURE = {
    EventFilter: ("events", "event_id", _event_feature),
    VesselFilter: ("vessels", "id", _vessel_feature),
    SightingFilter: ("sightings", "id", _sighting_feature),
}


def export(ctx: ApiContext, p: Principal, f: AnyFilter, fmt: str, limit: int) -> tuple[bytes, str]:
    """The bytes of one export and its file name; audited with the ids it released."""
    name, key, feature = FEATURE[type(f)]
    with Session(ctx.engine) as s, s.begin():
        total, rows = rows_of(ctx, s, p, f, limit, 0)
        items = items_of(ctx, s, p, rows)
        mark = banner(rows, p)
        line = marking_line(mark)
        when = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        of = f"{total.count}{'+' if total.capped else ''}"
        title = f"neonwatch {name} for {p.user} at {when} ({len(items)} of {of})"
        data = formats.write(fmt, [feature(i) for i in items], line, title)
        detail = {
            "filters": filters_json(f),
            "format": fmt,
            **total.to_json(),
            "exported": len(items),
            "marking": line,
            "ids": [i[key] for i in items],
        }
        audit.append(s, p.user, f"{name}.export", name, None, detail)
    return data, f"neonwatch-{name}-{when}.{SUFFIX[fmt]}"


def _response(data: bytes, filename: str, fmt: str) -> Response:
    return Response(
        data,
        media_type=formats.FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/exports/events")
def export_events(
    p: Auth,
    ctx: Ctx,
    f: Annotated[EventFilter, Depends(event_filter)],
    format: Format = "geojson",
    limit: ExportLimit = 10_000,
) -> Response:
    """The events view (same filters as ``/views/events``) as a file."""
    return _response(*export(ctx, p, f, format, limit), format)


@router.get("/exports/vessels")
def export_vessels(
    p: Auth,
    ctx: Ctx,
    f: Annotated[VesselFilter, Depends(vessel_filter)],
    format: Format = "csv",
    limit: ExportLimit = 10_000,
) -> Response:
    """The vessels view (same filters as ``/views/vessels``) as a file (no geometry)."""
    return _response(*export(ctx, p, f, format, limit), format)


@router.get("/exports/sightings")
def export_sightings(
    p: Auth,
    ctx: Ctx,
    f: Annotated[SightingFilter, Depends(sighting_filter)],
    format: Format = "geojson",
    limit: ExportLimit = 10_000,
) -> Response:
    """The sightings view (same filters as ``/views/sightings``) as a file."""
    return _response(*export(ctx, p, f, format, limit), format)
