"""The HTTP API of the shared picture: FastAPI over the store, under ``/api/v1/``.

Three rules hold on every route (see the README section "neonwatch serve"):

* **Credentials.** Every route except ``POST /api/v1/login`` needs a bearer token (from login
  or :func:`neonwatch.share.users.issue_token`) or the session cookie set by login. With the
  cookie, a state-changing request must also send the CSRF token of the login answer in the
  ``X-CSRF-Token`` header (it is the HMAC of the session token, so nothing is kept server-side).
* **Policy inside the query.** Lists, searches and gets put
  :func:`neonwatch.share.policy.readable` in the SQL WHERE clause, so a refused record is not
  counted, not found and not named in an error: a refused get answers exactly what a missing id
  answers (:data:`NOT_FOUND`). Every record returned carries its markings in the originator's
  scheme and in the reader's.
* **Audit in the same transaction.** Every read (found or not) and every write appends to the
  hash-chained audit log in the transaction that did the work, so either both are committed or
  neither. A refused request (a 4xx after authentication) changes no data and leaves exactly one
  audit entry, ``request.refused``, naming who, which route and why; a failed login leaves
  ``login.failed``. Requests without valid credentials leave nothing (there is nobody to name).
"""

import hashlib
import hmac
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
from fastapi import Depends, FastAPI, File, HTTPException, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Select, String, cast, exists, func, or_, select
from sqlalchemy import type_coerce as sa_type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from neonwatch.share import audit
from neonwatch.share.markings import Marking, MarkingError, in_scheme, normalize_level
from neonwatch.share.policy import READ, Principal, decide
from neonwatch.share.policy import readable as _readable_expr
from neonwatch.share.users import check_password, hash_password, issue_token, user_for_token
from neonwatch.share.users import principal as principal_of
from neonwatch.sightings.model import Sighting, error_text
from neonwatch.sightings.photos import DEFAULT_MAX_BYTES, PhotoStore, sniff
from neonwatch.store.engine import Store
from neonwatch.store.models import (
    MARKING_COLUMNS,
    Event,
    Risk,
    SightingPhoto,
    SightingRecord,
    SightingVessel,
    User,
    Vessel,
)
from neonwatch.store.publish import DEFAULT_CLASSIFICATION, DEFAULT_RELEASABILITY

PREFIX = "/api/v1"
NOT_FOUND = "not found"
SESSION_COOKIE = "neonwatch_session"
CSRF_COOKIE = "neonwatch_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_JSON_BYTES = 1 * 1024 * 1024
_MULTIPART_SLACK = 64 * 1024  # multipart headers and boundaries around one photo
# a real argon2 hash of a random password, checked when the user does not exist, so a wrong
# user name costs the same time as a wrong password
_DUMMY_HASH = hash_password(uuid.uuid4().hex)


@dataclass
class Settings:
    """How one server runs.

    ``dataset``: an ingested or simulated dataset whose AIS positions sightings are correlated
    with (none: sightings are stored uncorrelated). ``data_root``: the only folder ``POST
    /publish`` may load from (none: publishing over HTTP is off). ``publish_group``: the group a
    user must be in to publish."""

    node: str = field(default_factory=socket.gethostname)
    photos_dir: Path | None = None
    max_photo_bytes: int = DEFAULT_MAX_BYTES
    dataset: Path | None = None
    data_root: Path | None = None
    publish_group: str = "publishers"
    lists_dir: Path | None = None
    radius_km: float = 10.0
    window_min: float = 60.0
    token_ttl: timedelta = timedelta(hours=12)
    cookie_secure: bool = True


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginIn(_Strict):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class MarkingIn(_Strict):
    """The markings a new record gets. The originator is always the poster's nation; the
    classification is in that nation's scheme (default its lowest classified level)."""

    classification: str | None = None
    releasability: str = DEFAULT_RELEASABILITY
    group: str | None = Field(default=None, description="default: the poster's only group")


class SightingIn(Sighting):
    """A sighting report (see :class:`neonwatch.sightings.Sighting`) and its markings."""

    marking: MarkingIn = Field(default_factory=MarkingIn)


class PublishIn(_Strict):
    """A dataset under the server's data root, with the markings of every row it loads."""

    dataset: str = Field(min_length=1, description="folder under the server's --data-root")
    events: str | None = None
    screen: str | None = None
    marking: MarkingIn = Field(default_factory=MarkingIn)


# --- helpers ---------------------------------------------------------------------------------


def csrf_token(session_token: str) -> str:
    """The CSRF token that goes with a session token (an HMAC of it: stateless, unforgeable
    without the HttpOnly session cookie)."""
    return hmac.new(session_token.encode(), b"neonwatch-csrf", hashlib.sha256).hexdigest()


def _utc(ts: datetime | None) -> datetime | None:
    if ts is None:
        return None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _json(v: Any) -> Any:
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, datetime):
        return (_utc(v) or v).isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return v


def markings(row: Any, reader: Principal) -> dict[str, Any]:
    """A stored row's markings: as stored, and rendered in the originator's scheme and in the
    reader's (``in_scheme``)."""
    out: dict[str, Any] = {c: _json(getattr(row, c)) for c in MARKING_COLUMNS}
    out.update(
        _rendered(row.originator_nation, row.classification, row.releasability, reader.nation)
    )
    return out


@lru_cache(maxsize=4096)
def _rendered(originator: str, classification: str, releasability: str, reader: str) -> Any:
    try:
        m = Marking.of(originator, classification, releasability)
        return {
            "in_originator_scheme": in_scheme(m, m.originator),
            "in_reader_scheme": in_scheme(m, reader),
        }
    except MarkingError as exc:  # policy keeps such rows away; never hide the problem
        return {"error": str(exc)}


def record(row: Any, reader: Principal, skip: Sequence[str] = ()) -> dict[str, Any]:
    """A row as JSON, its markings under ``markings``."""
    cols = [c.key for c in row.__table__.columns if c.key not in MARKING_COLUMNS]
    out = {c: _json(getattr(row, c)) for c in cols if c not in skip}
    out["markings"] = markings(row, reader)
    return out


def _error_lines(errors: Sequence[Any]) -> list[dict[str, Any]]:
    lines = []
    for e in errors:
        loc = [str(x) for x in e.get("loc", ())]
        where = loc[0] if loc else ""
        path = ".".join(loc[1:]) if where in ("body", "query", "path", "header") else ".".join(loc)
        msg = str(e.get("msg", "")).removeprefix("Value error, ")
        if e.get("type") == "extra_forbidden":
            msg = "unknown field"
        elif e.get("type") == "json_invalid":
            ctx = e.get("ctx") or {}
            msg = f"malformed JSON: {ctx.get('error', msg)}"
        if where in ("query", "path"):
            path = f"{path} ({where} parameter)"
        lines.append({"loc": loc, "field": path, "message": msg, "type": e.get("type")})
    return lines


# --- the app ---------------------------------------------------------------------------------


def create_app(store: Store, settings: Settings | None = None) -> FastAPI:
    """The API over ``store`` (opened, migrated)."""
    cfg = settings or Settings()
    engine = store.engine
    photos = PhotoStore(cfg.photos_dir, max_bytes=cfg.max_photo_bytes)
    app = FastAPI(
        title="neonwatch",
        version="1",
        description="The shared maritime picture of Canada and Japan: vessels, events, "
        "sightings; every answer filtered by policy and audited.",
        openapi_url="/openapi.json",
    )
    app.state.store = store
    app.state.settings = cfg
    cache: dict[str, Any] = {}

    @lru_cache(maxsize=4096)
    def readable(p: Principal, model: Any) -> ColumnElement[bool]:
        # the policy filter of one principal on one table, built once: the expression is
        # immutable, and building it (a CASE over every level of every scheme) costs more than
        # the query it filters
        return _readable_expr(p, model)

    def _ais() -> tuple[Any, pa.Table | None] | None:
        if cfg.dataset is None:
            return None
        if "ais" not in cache:
            from neonwatch.detect import scan_positions
            from neonwatch.screen.run import read_vessels

            try:
                vessels: pa.Table | None = read_vessels(cfg.dataset)
            except ValueError:
                vessels = None
            cache["ais"] = (scan_positions(cfg.dataset), vessels)
        return cache["ais"]

    def _watchlist() -> pa.Table:
        if "watchlist" not in cache:
            from neonwatch.screen.run import default_watchlist

            cache["watchlist"] = default_watchlist(cfg.lists_dir)[0]
        return cache["watchlist"]

    hits_cache: dict[tuple[Any, ...], list[dict[str, Any]]] = {}

    def _hits(sighting: Sighting) -> list[list[dict[str, Any]]]:
        """The watchlist hits of each observed vessel, memoised per identity (the lists are
        read once per server; matching one vessel costs more than storing a sighting)."""
        from neonwatch.sightings import list_hits

        out = []
        for v in sighting.vessels:
            key = (v.mmsi, v.imo, v.name, v.painted_name)
            if key not in hits_cache:
                if len(hits_cache) > 10_000:
                    hits_cache.clear()
                one = sighting.model_copy(update={"vessels": [v]})
                hits_cache[key] = list_hits(one, _watchlist())[0]
            out.append([dict(h) for h in hits_cache[key]])
        return out

    # --- audit helpers -------------------------------------------------------------------

    def audit_alone(p: Principal | None, action: str, detail: dict[str, Any], **kw: Any) -> None:
        """One audit entry in a transaction of its own (refusals: nothing else is written)."""
        with Session(engine) as s, s.begin():
            audit.append(
                s, p.user if p else str(kw.pop("actor", "anonymous")), action, **kw, detail=detail
            )

    def refuse(
        p: Principal, request: Request, status: int, message: str, **extra: Any
    ) -> HTTPException:
        audit_alone(
            p,
            "request.refused",
            {
                "method": request.method,
                "path": request.url.path,
                "status": status,
                "error": message,
                **extra,
            },
        )
        return HTTPException(status, message)

    # --- authentication --------------------------------------------------------------------

    def _unauthorized(why: str) -> HTTPException:
        return HTTPException(401, why, headers={"WWW-Authenticate": "Bearer"})

    def authenticate(request: Request) -> Principal:
        found = getattr(request.state, "principal", None)
        if isinstance(found, Principal):
            return found
        header = request.headers.get("authorization")
        via_cookie = False
        if header:
            kind, _, value = header.partition(" ")
            if kind.lower() != "bearer" or not value.strip():
                raise _unauthorized("Authorization: expected 'Bearer <token>'")
            token = value.strip()
        else:
            token = request.cookies.get(SESSION_COOKIE, "")
            via_cookie = True
        if not token:
            raise _unauthorized(
                "not authenticated: send 'Authorization: Bearer <token>' (POST /api/v1/login)"
            )
        with Session(engine) as s:
            user = user_for_token(s, token)
            if user is None:
                raise _unauthorized("invalid or expired token")
            p = principal_of(user)
        if via_cookie and request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent, csrf_token(token)):
                request.state.principal = p
                raise refuse(
                    p,
                    request,
                    403,
                    f"CSRF check failed: send the {CSRF_HEADER} header given at login",
                )
        request.state.principal = p
        return p

    Auth = Annotated[Principal, Depends(authenticate)]

    # --- error handling --------------------------------------------------------------------

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI parses a JSON body before the dependencies run: authenticate first, so that a
        # request without credentials gets its 401 whatever its body
        p: Principal | None = getattr(request.state, "principal", None)
        if p is None and request.url.path != f"{PREFIX}/login":
            try:
                p = await run_in_threadpool(authenticate, request)
            except HTTPException as http:
                return JSONResponse({"detail": http.detail}, http.status_code, headers=http.headers)
        lines = _error_lines(exc.errors())
        text = "; ".join(
            f"{x['field']}: {x['message']}" if x["field"] else x["message"] for x in lines
        )
        if p is not None:
            detail = {
                "method": request.method,
                "path": request.url.path,
                "status": 422,
                "error": text,
            }
            await run_in_threadpool(audit_alone, p, "request.refused", detail)
        return JSONResponse(
            {
                "detail": text,
                "errors": [{k: x[k] for k in ("field", "message", "type")} for x in lines],
            },
            422,
        )

    @app.middleware("http")
    async def _body_limit(request: Request, call_next: Callable[[Request], Any]) -> Response:
        """Refuse oversized bodies from their Content-Length, before reading them."""
        if request.method in ("POST", "PUT", "PATCH"):
            limit = MAX_JSON_BYTES
            if request.url.path.endswith("/photos"):
                limit = cfg.max_photo_bytes + _MULTIPART_SLACK
            length = request.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                return JSONResponse(
                    {
                        "detail": f"request body too large: {int(length):,} bytes, over the limit "
                        f"of {limit:,} bytes"
                    },
                    413,
                )
        response: Response = await call_next(request)
        return response

    # --- login -----------------------------------------------------------------------------

    @app.post(f"{PREFIX}/login", tags=["auth"])
    def login(body: LoginIn, response: Response) -> dict[str, Any]:
        """Exchange a user name and password for a bearer token; also sets the HttpOnly session
        cookie and the CSRF cookie (send its value back in X-CSRF-Token with the cookie)."""
        with Session(engine) as s, s.begin():
            user = s.scalars(select(User).where(User.username == body.username)).first()
            if user is None:
                check_password(User(password_hash=_DUMMY_HASH), body.password)
                ok = False
            else:
                ok = check_password(user, body.password)
            if user is None or not ok:
                audit.append(s, body.username, "login.failed", "user", None, {})
                failed = True
            else:
                failed = False
                token = issue_token(s, user, cfg.token_ttl)
                p = principal_of(user)
                audit.append(s, user.username, "login", "user", str(user.id), {"via": "password"})
        if failed:
            raise HTTPException(
                401, "wrong user name or password", headers={"WWW-Authenticate": "Bearer"}
            )
        csrf = csrf_token(token)
        age = int(cfg.token_ttl.total_seconds())
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=age,
            httponly=True,
            secure=cfg.cookie_secure,
            samesite="strict",
            path=PREFIX,
        )
        response.set_cookie(
            CSRF_COOKIE,
            csrf,
            max_age=age,
            httponly=False,
            secure=cfg.cookie_secure,
            samesite="strict",
            path="/",
        )
        return {
            "token": token,
            "token_type": "bearer",
            "expires_in": age,
            "csrf_token": csrf,
            "user": {
                "username": p.user,
                "nation": p.nation,
                "clearance": p.clearance,
                "groups": sorted(p.groups),
            },
        }

    # --- generic read helpers --------------------------------------------------------------

    def _page(
        s: Session,
        p: Principal,
        model: Any,
        stmt: Select[Any],
        order: Sequence[Any],
        limit: int,
        offset: int,
    ) -> tuple[int, list[Any]]:
        stmt = stmt.where(readable(p, model))
        total = s.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = list(s.scalars(stmt.order_by(*order).limit(limit).offset(offset)))
        return int(total), rows

    def _get_one(s: Session, p: Principal, model: Any, key: Any, rid: uuid.UUID) -> Any:
        row = s.scalars(select(model).where(key == rid, readable(p, model))).first()
        if row is None:
            held = s.execute(select(exists().where(key == rid))).scalar()
            # for the security officer only: the reader gets the same 404 either way
            audit.append(
                s,
                p.user,
                f"{model.__tablename__}.read",
                model.__tablename__,
                str(rid),
                {"found": False, "refused": bool(held)},
            )
        return row

    Limit = Annotated[int, Query(ge=1, le=1000)]
    Offset = Annotated[int, Query(ge=0)]

    # --- vessels ---------------------------------------------------------------------------

    @app.get(f"{PREFIX}/vessels", tags=["vessels"])
    def list_vessels(
        p: Auth,
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
        with Session(engine) as s, s.begin():
            total, rows = _page(
                s, p, Vessel, stmt, (Vessel.mmsi, Vessel.first_seen, Vessel.id), limit, offset
            )
            items = [record(r, p) for r in rows]
            audit.append(
                s,
                p.user,
                "vessels.list",
                "vessels",
                None,
                {
                    "filters": {"mmsi": mmsi, "imo": imo, "q": q, "limit": limit, "offset": offset},
                    "total": total,
                    "ids": [i["id"] for i in items],
                },
            )
        return {"total": total, "limit": limit, "offset": offset, "items": items}

    @app.get(f"{PREFIX}/vessels/{{vessel_id}}", tags=["vessels"])
    def get_vessel(p: Auth, vessel_id: uuid.UUID) -> dict[str, Any]:
        """One vessel identity row (404 when missing or not releasable to the caller)."""
        with Session(engine) as s, s.begin():
            row = _get_one(s, p, Vessel, Vessel.id, vessel_id)
            if row is not None:
                out = record(row, p)
                audit.append(s, p.user, "vessels.read", "vessels", str(vessel_id), {"found": True})
        if row is None:
            raise HTTPException(404, NOT_FOUND)
        return out

    # --- events ----------------------------------------------------------------------------

    def _risk_key(s: Session) -> ColumnElement[Any]:
        """Event.event_id as the text screening writes in Risk.subject_id."""
        if s.get_bind().dialect.name == "postgresql":
            return func.lower(cast(Event.event_id, String))
        return func.lower(sa_type_coerce(Event.event_id, String))  # 32 hex digits on SQLite

    def _risk_subject(s: Session) -> ColumnElement[Any]:
        if s.get_bind().dialect.name == "postgresql":
            return func.lower(Risk.subject_id)
        return func.replace(func.lower(Risk.subject_id), "-", "")

    def _event_out(s: Session, p: Principal, rows: list[Event]) -> list[dict[str, Any]]:
        ids = [str(r.event_id) for r in rows]
        risks: dict[str, Risk] = {}
        if ids:
            for r in s.scalars(
                select(Risk).where(
                    Risk.subject == "event", Risk.subject_id.in_(ids), readable(p, Risk)
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

    @app.get(f"{PREFIX}/events", tags=["events"])
    def list_events(
        p: Auth,
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
            stmt = stmt.where(Event.start >= _utc(since))
        if until is not None:
            stmt = stmt.where(Event.start < _utc(until))
        if mmsi is not None:
            stmt = stmt.where(or_(Event.mmsi == mmsi, Event.mmsi_2 == mmsi))
        with Session(engine) as s, s.begin():
            if min_risk is not None:
                stmt = stmt.where(
                    exists().where(
                        Risk.subject == "event",
                        _risk_subject(s) == _risk_key(s),
                        Risk.score >= min_risk,
                        readable(p, Risk),
                    )
                )
            total, rows = _page(
                s, p, Event, stmt, (Event.start.desc(), Event.event_id), limit, offset
            )
            items = _event_out(s, p, rows)
            filters = {
                "kind": kind,
                "since": _json(since),
                "until": _json(until),
                "mmsi": mmsi,
                "min_risk": min_risk,
                "limit": limit,
                "offset": offset,
            }
            audit.append(
                s,
                p.user,
                "events.list",
                "events",
                None,
                {"filters": filters, "total": total, "ids": [i["event_id"] for i in items]},
            )
        return {"total": total, "limit": limit, "offset": offset, "items": items}

    @app.get(f"{PREFIX}/events/{{event_id}}", tags=["events"])
    def get_event(p: Auth, event_id: uuid.UUID) -> dict[str, Any]:
        """One event with its risk (404 when missing or not releasable to the caller)."""
        with Session(engine) as s, s.begin():
            row = _get_one(s, p, Event, Event.event_id, event_id)
            if row is not None:
                out = _event_out(s, p, [row])[0]
                audit.append(s, p.user, "events.read", "events", str(event_id), {"found": True})
        if row is None:
            raise HTTPException(404, NOT_FOUND)
        return out

    # --- sightings -------------------------------------------------------------------------

    def _sightings_out(s: Session, p: Principal, rows: list[SightingRecord]) -> list[Any]:
        ids = [r.id for r in rows]
        vessels: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in ids}
        pics: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            for v in s.scalars(
                select(SightingVessel)
                .where(SightingVessel.sighting_id.in_(ids), readable(p, SightingVessel))
                .order_by(SightingVessel.position)
            ):
                vessels[v.sighting_id].append(record(v, p, skip=("id", "sighting_id")))
            for ph in s.scalars(
                select(SightingPhoto)
                .where(SightingPhoto.sighting_id.in_(ids), readable(p, SightingPhoto))
                .order_by(SightingPhoto.sha256)
            ):
                pics[ph.sighting_id].append(record(ph, p, skip=("id", "sighting_id")))
        out = []
        for r in rows:
            item = record(r, p, skip=("report",))
            item["vessels"] = vessels[r.id]
            item["photos"] = pics[r.id]
            out.append(item)
        return out

    @app.get(f"{PREFIX}/sightings", tags=["sightings"])
    def list_sightings(
        p: Auth,
        since: date | None = None,
        until: date | None = None,
        asset: Annotated[str | None, Query(max_length=128)] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Sightings the caller may read (``since``/``until``: UTC dates, inclusive)."""
        stmt = select(SightingRecord)
        if since is not None:
            stmt = stmt.where(SightingRecord.date >= since)
        if until is not None:
            stmt = stmt.where(SightingRecord.date <= until)
        if asset:
            stmt = stmt.where(SightingRecord.asset == asset)
        with Session(engine) as s, s.begin():
            total, rows = _page(
                s,
                p,
                SightingRecord,
                stmt,
                (SightingRecord.date.desc(), SightingRecord.id),
                limit,
                offset,
            )
            items = _sightings_out(s, p, rows)
            filters = {
                "since": _json(since),
                "until": _json(until),
                "asset": asset,
                "limit": limit,
                "offset": offset,
            }
            audit.append(
                s,
                p.user,
                "sightings.list",
                "sightings",
                None,
                {"filters": filters, "total": total, "ids": [i["id"] for i in items]},
            )
        return {"total": total, "limit": limit, "offset": offset, "items": items}

    @app.get(f"{PREFIX}/sightings/{{sighting_id}}", tags=["sightings"])
    def get_sighting(p: Auth, sighting_id: uuid.UUID) -> dict[str, Any]:
        """One sighting with its vessels and photos (404 when missing or not releasable)."""
        with Session(engine) as s, s.begin():
            row = _get_one(s, p, SightingRecord, SightingRecord.id, sighting_id)
            if row is not None:
                out = _sightings_out(s, p, [row])[0]
                audit.append(
                    s, p.user, "sightings.read", "sightings", str(sighting_id), {"found": True}
                )
        if row is None:
            raise HTTPException(404, NOT_FOUND)
        return out

    def _marking_for(p: Principal, m: MarkingIn, request: Request) -> dict[str, str]:
        """The markings of a record ``p`` creates: originator ``p``'s nation, classification in
        its scheme; refused unless ``p`` could read a record so marked."""
        try:
            level = normalize_level(m.classification or DEFAULT_CLASSIFICATION[p.nation], p.nation)
            Marking.of(p.nation, level, m.releasability)
        except (MarkingError, KeyError) as exc:
            raise refuse(p, request, 422, f"marking: {exc}") from None
        group = m.group
        if group is None:
            if len(p.groups) != 1:
                raise refuse(
                    p,
                    request,
                    422,
                    "marking.group: name the need-to-know group "
                    f"(yours: {', '.join(sorted(p.groups)) or 'none'})",
                )
            group = next(iter(p.groups))
        out = {
            "originator_nation": p.nation,
            "classification": level,
            "releasability": m.releasability.upper(),
            "group": group,
        }
        decision = decide(p, READ, out)
        if not decision:
            raise refuse(
                p,
                request,
                422,
                f"marking: you could not read a record marked so ({decision.reason})",
            )
        return out

    @app.post(f"{PREFIX}/sightings", tags=["sightings"], status_code=201)
    def post_sighting(p: Auth, body: SightingIn, request: Request) -> dict[str, Any]:
        """Record a sighting (position as lat/lon or distance and bearing from a reference
        point), correlate it with AIS when the server has a dataset, match its vessels against
        the watchlists. A client-chosen ``id`` makes retries safe: an id already stored is a
        409 and nothing is written twice."""
        from neonwatch.sightings import add_sighting, correlate

        mark = _marking_for(p, body.marking, request)
        sighting = Sighting(**{name: getattr(body, name) for name in Sighting.model_fields})
        correlation = None
        ais = _ais()
        if ais is not None:
            correlation = correlate(
                sighting, ais[0], radius_km=cfg.radius_km, window_min=cfg.window_min, vessels=ais[1]
            )
        hits = _hits(sighting)
        conflict = HTTPException(
            409,
            f"sighting {sighting.id} exists already: ids are never reused (after a retry, "
            f"GET {PREFIX}/sightings/{sighting.id})",
        )
        try:
            with Session(engine) as s, s.begin():
                taken = s.execute(select(exists().where(SightingRecord.id == sighting.id)))
                if taken.scalar():
                    raise conflict
                add_sighting(
                    store,
                    sighting,
                    originator=p.nation,
                    node=cfg.node,
                    classification=mark["classification"],
                    releasability=mark["releasability"],
                    group=mark["group"],
                    correlation=correlation,
                    hits=hits,
                    connection=s.connection(),
                )
                row = s.get(SightingRecord, sighting.id)
                out = _sightings_out(s, p, [row])[0] if row is not None else {}
                audit.append(
                    s,
                    p.user,
                    "sightings.create",
                    "sightings",
                    str(sighting.id),
                    {
                        "marking": mark,
                        "asset": sighting.asset,
                        "vessels": len(sighting.vessels),
                        "correlation": correlation.status if correlation else None,
                    },
                )
        except HTTPException as exc:
            raise refuse(p, request, exc.status_code, str(exc.detail)) from None
        except IntegrityError:  # a concurrent post of the same id won the race
            raise refuse(p, request, 409, str(conflict.detail)) from None
        out["correlation"] = correlation.to_json() if correlation else None
        return out

    @app.post(f"{PREFIX}/sightings/{{sighting_id}}/photos", tags=["sightings"], status_code=201)
    def post_photo(
        p: Auth,
        sighting_id: uuid.UUID,
        request: Request,
        response: Response,
        file: Annotated[UploadFile, File(description="a JPEG or PNG photo")],
    ) -> dict[str, Any]:
        """Attach a photo (JPEG or PNG by its bytes, at most the server's limit) to a sighting
        the caller may read and whose originating nation is theirs."""
        with Session(engine, expire_on_commit=False) as s, s.begin():
            row = _get_one(s, p, SightingRecord, SightingRecord.id, sighting_id)
        if row is None:
            raise HTTPException(404, NOT_FOUND)
        if row.originator_nation != p.nation:
            raise refuse(p, request, 403, "only the originating nation adds photos to a sighting")
        raw = file.file.read(cfg.max_photo_bytes + 1)
        name = (file.filename or "")[:256] or None
        if len(raw) > cfg.max_photo_bytes:
            raise refuse(
                p,
                request,
                413,
                f"file: photo too large: over the limit of {cfg.max_photo_bytes:,} bytes",
            )
        if not raw:
            raise refuse(p, request, 400, "file: photo is empty")
        if sniff(raw[:8]) is None:
            raise refuse(
                p,
                request,
                415,
                f"file: not a JPEG or PNG photo (its first bytes are "
                f"{raw[:8].hex(' ')}); only JPEG and PNG are accepted",
            )
        ref = photos.put(raw, filename=name)
        pid = uuid.uuid5(sighting_id, f"photo:{ref.sha256}")
        stamp = {c: getattr(row, c) for c in MARKING_COLUMNS if c != "created_at"}
        with Session(engine) as s, s.begin():
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
            audit.append(
                s,
                p.user,
                "sightings.photo",
                "sightings",
                str(sighting_id),
                {
                    "sha256": ref.sha256,
                    "size": ref.size,
                    "mime": ref.mime,
                    "added": existing is None,
                },
            )
        return out

    # --- publish ---------------------------------------------------------------------------

    @app.post(f"{PREFIX}/publish", tags=["store"])
    def post_publish(p: Auth, body: PublishIn, request: Request) -> dict[str, Any]:
        """Load a dataset folder under the server's data root (vessels, events, risk) into the
        store, marked as given; for members of the server's publishing group."""
        from neonwatch.store.publish import publish

        if cfg.data_root is None:
            raise refuse(
                p,
                request,
                403,
                "publishing over HTTP is off on this server (start it with --data-root DIR)",
            )
        if cfg.publish_group not in p.groups:
            raise refuse(
                p, request, 403, f"publishing needs membership of group {cfg.publish_group!r}"
            )
        mark = _marking_for(p, body.marking, request)
        root = cfg.data_root.resolve()

        def inside(name: str | None, label: str) -> Path | None:
            if name is None:
                return None
            path = (root / name).resolve()
            if not path.is_relative_to(root) or not path.exists():
                raise refuse(
                    p,
                    request,
                    400,
                    f"{label}: {name!r} is not a folder under the server's data root",
                )
            return path

        dataset = inside(body.dataset, "dataset")
        events = inside(body.events, "events")
        screen = inside(body.screen, "screen")
        assert dataset is not None
        try:
            with Session(engine) as s, s.begin():
                result = publish(
                    dataset,
                    events,
                    screen,
                    store,
                    originator=p.nation,
                    node=cfg.node,
                    classification=mark["classification"],
                    releasability=mark["releasability"],
                    group=mark["group"],
                    connection=s.connection(),
                )
                out = result.to_json()
                out["sources"] = {
                    k: str(Path(v).relative_to(root)) if Path(v).is_relative_to(root) else v
                    for k, v in out["sources"].items()
                }
                out.pop("store", None)
                audit.append(s, p.user, "publish", "dataset", body.dataset, out)
        except (ValueError, OSError) as exc:
            raise refuse(
                p, request, 400, error_text(exc).replace(str(root), "<data-root>")
            ) from None
        return out

    return app


def iter_api_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route under ``/api/v1``."""
    for route in app.routes:
        path = getattr(route, "path", "")
        if path.startswith(PREFIX):
            for method in sorted(getattr(route, "methods", ()) or ()):
                yield method, path
