"""What every route of the API depends on: the server's settings, the request context
(store, policy filters, audit of refusals) and authentication.

A route module declares ``p: Auth`` to get the caller (401 without valid credentials) and
``ctx: Ctx`` to reach the store; :class:`ApiContext` holds the few helpers that enforce the
API's rules (policy inside the query, a refused read that looks missing, refusals audited)."""

import hashlib
import hmac
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
from fastapi import Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Connection, Engine, Select, exists, func, literal, select
from sqlalchemy.orm import Session

from neonwatch.share import audit
from neonwatch.share.markings import Marking, MarkingError, normalize_level
from neonwatch.share.policy import READ, Principal, decide
from neonwatch.share.policy import readable as readable_expr
from neonwatch.share.users import token_principal
from neonwatch.sightings.model import Sighting
from neonwatch.sightings.photos import DEFAULT_MAX_BYTES, PhotoStore
from neonwatch.store.engine import Store
from neonwatch.store.publish import DEFAULT_CLASSIFICATION, DEFAULT_RELEASABILITY

SESSION_COOKIE = "neonwatch_session"
CSRF_COOKIE = "neonwatch_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# how long a checked token is trusted without asking the store again: a changed clearance or
# group reaches a logged-in user within this time (tokens are never revoked, only expire)
TOKEN_CACHE_SECONDS = 30.0

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0)]


# A list counts the rows its reader may read up to this many past its offset, not all of them:
# the count is the one part of a list whose cost grows with the table (PostgreSQL visits every
# row the filter passes, and the table's pages too for rows written since the last vacuum; at
# 6,000 sightings it cost more than the rest of the request). Past it, the total says "more".
COUNT_CAP = 1000


@dataclass(frozen=True)
class Total:
    """How many rows a list's reader may read: ``count`` exactly, or, when ``capped``, more
    than ``count`` (which is then the offset plus :data:`COUNT_CAP`)."""

    count: int
    capped: bool

    @staticmethod
    def rows_to_count(offset: int) -> int:
        """How many rows a list at ``offset`` counts at most (one more than it reports)."""
        return offset + COUNT_CAP + 1

    @classmethod
    def of(cls, counted: int, offset: int) -> "Total":
        """From a count of at most ``offset + COUNT_CAP + 1`` rows."""
        upto = offset + COUNT_CAP
        return cls(min(int(counted), upto), int(counted) > upto)

    def to_json(self) -> dict[str, Any]:
        """``total`` and ``total_capped``, as every list answers them."""
        return {"total": self.count, "total_capped": self.capped}


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
    # how often the server keeps the planner's statistics when PostgreSQL's autovacuum is off
    # (see neonwatch.store.upkeep); 0: never
    upkeep_seconds: float = 15.0


class Strict(BaseModel):
    """A request body that refuses unknown fields (a misspelt field is an error, not ignored)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MarkingIn(Strict):
    """The markings a new record gets. The originator is always the poster's nation; the
    classification is in that nation's scheme (default its lowest classified level)."""

    classification: str | None = None
    releasability: str = DEFAULT_RELEASABILITY
    group: str | None = Field(default=None, description="default: the poster's only group")


def csrf_token(session_token: str) -> str:
    """The CSRF token that goes with a session token (an HMAC of it: stateless, unforgeable
    without the HttpOnly session cookie)."""
    return hmac.new(session_token.encode(), b"neonwatch-csrf", hashlib.sha256).hexdigest()


class ApiContext:
    """The server's state shared by all routes: store, settings, photos, caches."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.engine: Engine = store.engine
        self.settings = settings
        self.photos = PhotoStore(settings.photos_dir, max_bytes=settings.max_photo_bytes)
        self._cache: dict[str, Any] = {}
        self._hits: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        self._hits_lock = threading.Lock()
        self._tokens: dict[str, tuple[Principal, float]] = {}
        # the policy filter of one principal on one table, built once: the expression is
        # immutable, and building it (a CASE over every level of every scheme) costs more
        # than the query it filters
        self.readable = lru_cache(maxsize=4096)(self._readable)

    @staticmethod
    def _readable(p: Principal, model: Any) -> ColumnElement[bool]:
        return readable_expr(p, model)

    def cached_principal(self, token: str) -> Principal | None:
        """The principal of ``token`` if it was looked up less than
        :data:`TOKEN_CACHE_SECONDS` ago (no database work: safe on the event loop)."""
        cached = self._tokens.get(token)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        return None

    def forget_token(self, token: str) -> None:
        """Drop ``token`` from this process's cache (at logout; other server processes let
        it go within :data:`TOKEN_CACHE_SECONDS`)."""
        self._tokens.pop(token, None)

    def principal_for(self, token: str) -> Principal | None:
        """The principal of a valid token, from the store at most every
        :data:`TOKEN_CACHE_SECONDS` (and never past the token's expiry)."""
        cached = self.cached_principal(token)
        if cached is not None:
            return cached
        now = time.monotonic()
        with Session(self.engine) as s:
            found = token_principal(s, token)
        if found is None:
            self._tokens.pop(token, None)
            return None
        p, expires = found
        left = (expires - datetime.now(UTC)).total_seconds()
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        self._tokens[token] = (p, now + min(TOKEN_CACHE_SECONDS, left))
        return p

    # --- audit -----------------------------------------------------------------------------

    def audit_alone(
        self, p: Principal | None, action: str, detail: dict[str, Any], **kw: Any
    ) -> None:
        """One audit entry in a transaction of its own (refusals: nothing else is written)."""
        actor = p.user if p else str(kw.pop("actor", "anonymous"))
        with Session(self.engine) as s, s.begin():
            audit.append(s, actor, action, **kw, detail=detail)

    def refuse(
        self, p: Principal, request: Request, status: int, message: str, **extra: Any
    ) -> HTTPException:
        """Audit a refused request (who, which route, why) and return the error to raise."""
        detail = {
            "method": request.method,
            "path": request.url.path,
            "status": status,
            "error": message,
            **extra,
        }
        self.audit_alone(p, "request.refused", detail)
        return HTTPException(status, message)

    # --- policy-filtered reads -----------------------------------------------------------

    def page(
        self,
        s: Session,
        p: Principal,
        model: Any,
        stmt: Select[Any],
        order: Sequence[Any],
        limit: int,
        offset: int,
    ) -> tuple[Total, list[Any]]:
        """One page of ``stmt`` and its total (:class:`Total`), both filtered by policy in
        the SQL."""
        stmt = stmt.where(self.readable(p, model))
        counted = stmt.with_only_columns(literal(1)).limit(Total.rows_to_count(offset)).subquery()
        total = Total.of(s.execute(select(func.count()).select_from(counted)).scalar_one(), offset)
        rows = list(s.scalars(stmt.order_by(*order).limit(limit).offset(offset)))
        return total, rows

    def get_one(self, s: Session, p: Principal, model: Any, key: Any, rid: uuid.UUID) -> Any:
        """The row ``rid`` if ``p`` may read it, else None (missing and refused look alike to
        the reader; the audit entry tells the security officer which it was)."""
        row = s.scalars(select(model).where(key == rid, self.readable(p, model))).first()
        if row is None:
            self.audit_missing(s, p, model.__tablename__, key, rid)
        return row

    @staticmethod
    def audit_missing(
        s: Session | Connection, p: Principal, table: str, key: Any, rid: uuid.UUID
    ) -> None:
        """Audit a read of ``rid`` that found nothing ``p`` may read, saying whether the
        record is held (refused) or missing: the security officer sees which, the reader
        never does."""
        held = s.execute(select(exists().where(key == rid))).scalar()
        detail = {"found": False, "refused": bool(held)}
        audit.append(s, p.user, f"{table}.read", table, str(rid), detail)

    def marking_for(self, p: Principal, m: MarkingIn, request: Request) -> dict[str, str]:
        """The markings of a record ``p`` creates: originator ``p``'s nation, classification in
        its scheme; refused unless ``p`` could read a record so marked."""
        try:
            level = normalize_level(m.classification or DEFAULT_CLASSIFICATION[p.nation], p.nation)
            Marking.of(p.nation, level, m.releasability)
        except (MarkingError, KeyError) as exc:
            raise self.refuse(p, request, 422, f"marking: {exc}") from None
        group = m.group
        if group is None:
            if len(p.groups) != 1:
                raise self.refuse(
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
            raise self.refuse(
                p,
                request,
                422,
                f"marking: you could not read a record marked so ({decision.reason})",
            )
        return out

    # --- reference data, read once per server ------------------------------------------

    def ais(self) -> tuple[Any, pa.Table | None] | None:
        """The dataset's positions (a lazy scan) and vessels, or None without a dataset."""
        if self.settings.dataset is None:
            return None
        if "ais" not in self._cache:
            from neonwatch.detect import scan_positions
            from neonwatch.screen.run import read_vessels

            try:
                vessels: pa.Table | None = read_vessels(self.settings.dataset)
            except ValueError:
                vessels = None
            self._cache["ais"] = (scan_positions(self.settings.dataset), vessels)
        return self._cache["ais"]

    def warm(self) -> None:
        """Read the watchlists (and the dataset's scan) now, before the first request, so the
        first sightings posted do not wait for them."""
        self.watchlist()
        self.ais()

    def watchlist(self) -> pa.Table:
        """The watchlists the server screens against (read once)."""
        if "watchlist" not in self._cache:
            from neonwatch.screen.run import default_watchlist

            self._cache["watchlist"] = default_watchlist(self.settings.lists_dir)[0]
        return self._cache["watchlist"]

    def hits(self, sighting: Sighting) -> list[list[dict[str, Any]]]:
        """The watchlist hits of each observed vessel, memoised per identity (the lists are
        read once per server; matching one vessel costs more than storing a sighting)."""
        from neonwatch.sightings import list_hits

        out = []
        for v in sighting.vessels:
            key = (v.mmsi, v.imo, v.name, v.painted_name)
            found = self._hits.get(key)
            if found is None:
                with self._hits_lock:  # concurrent posts of one vessel match it once
                    found = self._hits.get(key)
                    if found is None:
                        if len(self._hits) > 10_000:
                            self._hits.clear()
                        one = sighting.model_copy(update={"vessels": [v]})
                        found = self._hits[key] = list_hits(one, self.watchlist())[0]
            out.append([dict(h) for h in found])
        return out


async def context(request: Request) -> ApiContext:
    """The server's :class:`ApiContext` (set by ``create_app``). ``async`` because FastAPI runs
    a plain ``def`` dependency in its thread pool: a hand-off per request per dependency."""
    ctx: ApiContext = request.app.state.ctx
    return ctx


def _unauthorized(why: str) -> HTTPException:
    return HTTPException(401, why, headers={"WWW-Authenticate": "Bearer"})


def request_token(request: Request) -> tuple[str, bool]:
    """The token a request carries, from ``Authorization: Bearer`` or else the session cookie
    (and whether it came from the cookie); 401 when there is none."""
    header = request.headers.get("authorization")
    if header:
        kind, _, value = header.partition(" ")
        if kind.lower() != "bearer" or not value.strip():
            raise _unauthorized("Authorization: expected 'Bearer <token>'")
        return value.strip(), False
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        raise _unauthorized(
            "not authenticated: send 'Authorization: Bearer <token>' (POST /api/v1/login)"
        )
    return token, True


async def authenticate(request: Request) -> Principal:
    """The caller, from a bearer token or the session cookie (with its CSRF header on a
    state-changing request); 401 without valid credentials.

    ``async``: a token seen in the last half minute is answered on the event loop; only a
    store lookup or a refusal's audit entry goes to the thread pool."""
    found = getattr(request.state, "principal", None)
    if isinstance(found, Principal):
        return found
    ctx: ApiContext = request.app.state.ctx
    token, via_cookie = request_token(request)
    p = ctx.cached_principal(token) or await run_in_threadpool(ctx.principal_for, token)
    if p is None:
        raise _unauthorized("invalid or expired token")
    if via_cookie and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent, csrf_token(token)):
            request.state.principal = p
            why = f"CSRF check failed: send the {CSRF_HEADER} header given at login"
            raise await run_in_threadpool(ctx.refuse, p, request, 403, why)
    request.state.principal = p
    return p


Auth = Annotated[Principal, Depends(authenticate)]
Ctx = Annotated[ApiContext, Depends(context)]
