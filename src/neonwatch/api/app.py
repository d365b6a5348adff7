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

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from neonwatch.api import (  # the web picture's routes
    acsa,
    auth,
    events,
    exports,
    picture,
    publish,
    reports,
    sightings,
    vessels,
    views,
)
from neonwatch.api.deps import (
    CSRF_HEADER,
    SESSION_COOKIE,
    ApiContext,
    Settings,
    authenticate,
    csrf_token,
)
from neonwatch.api.records import NOT_FOUND, PREFIX, error_lines
from neonwatch.share.policy import Principal
from neonwatch.store.engine import Store
from neonwatch.store.upkeep import autovacuum_off, upkeep
from neonwatch.web import mount_web

__all__ = [
    "CSRF_HEADER",
    "NOT_FOUND",
    "PREFIX",
    "SESSION_COOKIE",
    "Settings",
    "create_app",
    "csrf_token",
    "iter_api_routes",
]

log = logging.getLogger(__name__)

MAX_JSON_BYTES = 1 * 1024 * 1024
_MULTIPART_SLACK = 64 * 1024  # multipart headers and boundaries around one photo

# the route modules, each an APIRouter under /api/v1
ROUTERS = (
    auth.router,
    vessels.router,
    events.router,
    sightings.router,
    publish.router,
    acsa.router,  # the ACSA ledger (issue 7)
)
# the web picture: views with area and list-hit filters, exports, reports, tracks, basemap
WEB_ROUTERS = (views.router, picture.router, exports.router, reports.router)


class BodyLimit:
    """Refuse oversized bodies from their Content-Length, before reading them (413); a
    request without valid credentials gets its 401 first, as on every other route.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` costs a task group and two
    streams on every request."""

    def __init__(self, app: ASGIApp, *, max_json: int, max_photo: int) -> None:
        self.app = app
        self.max_json = max_json
        self.max_photo = max_photo + _MULTIPART_SLACK

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            limit = self.max_photo if scope["path"].endswith("/photos") else self.max_json
            length = Headers(scope=scope).get("content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                response = await self._refusal(scope, int(length), limit)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refusal(scope: Scope, length: int, limit: int) -> JSONResponse:
        if scope["path"] != f"{PREFIX}/login":
            try:
                await authenticate(Request(scope))
            except HTTPException as http:  # no body is read to say so
                return JSONResponse({"detail": http.detail}, http.status_code, headers=http.headers)
        detail = f"request body too large: {length:,} bytes, over the limit of {limit:,} bytes"
        return JSONResponse({"detail": detail}, 413)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While the server runs, keep the planner's statistics if autovacuum will not."""
    store: Store = app.state.store
    every = app.state.settings.upkeep_seconds
    task = None
    if every > 0 and await run_in_threadpool(autovacuum_off, store.engine):
        if store.engine.dialect.name == "postgresql":
            log.warning(
                "PostgreSQL's autovacuum is off: this server analyzes and vacuums its tables "
                "itself, every %g s when they are due",
                every,
            )
        task = asyncio.create_task(_keep_up(store, every))
    app.state.upkeep = task
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


async def _keep_up(store: Store, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            done = await run_in_threadpool(upkeep, store.engine)
        except SQLAlchemyError as exc:  # the next round tries again; requests are unaffected
            log.warning("table upkeep failed: %s", exc)
            continue
        if done.analyzed:
            log.info("analyzed %s; vacuumed %s", done.analyzed, done.vacuumed or "none")


def create_app(store: Store, settings: Settings | None = None) -> FastAPI:
    """The API over ``store`` (opened, migrated)."""
    cfg = settings or Settings()
    app = FastAPI(
        title="neonwatch",
        version="1",
        description="The shared maritime picture of Canada and Japan: vessels, events, "
        "sightings; every answer filtered by policy and audited.",
        openapi_url="/openapi.json",
        lifespan=_lifespan,
    )
    ctx = ApiContext(store, cfg)
    app.state.upkeep = None  # the table upkeep task while the server runs, if it needs one
    app.state.store = store
    app.state.settings = cfg
    app.state.ctx = ctx

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI parses a JSON body before the dependencies run: authenticate first, so that a
        # request without credentials gets its 401 whatever its body
        p: Principal | None = getattr(request.state, "principal", None)
        if p is None and request.url.path != f"{PREFIX}/login":
            try:
                p = await authenticate(request)
            except HTTPException as http:
                return JSONResponse({"detail": http.detail}, http.status_code, headers=http.headers)
        lines = error_lines(exc.errors())
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
            await run_in_threadpool(ctx.audit_alone, p, "request.refused", detail)
        return JSONResponse(
            {
                "detail": text,
                "errors": [{k: x[k] for k in ("field", "message", "type")} for x in lines],
            },
            422,
        )

    app.add_middleware(BodyLimit, max_json=MAX_JSON_BYTES, max_photo=cfg.max_photo_bytes)

    for router in ROUTERS:
        app.include_router(router)
    for router in WEB_ROUTERS:
        app.include_router(router)
    mount_web(app)  # the pages at / (static; all their data comes from /api/v1)
    return app


def iter_api_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route under ``/api/v1``, from the OpenAPI document (routers are
    included lazily by FastAPI, so ``app.routes`` does not list their routes)."""
    for path, operations in sorted(app.openapi()["paths"].items()):
        if path.startswith(PREFIX):
            for method in sorted(operations):
                yield method.upper(), path
