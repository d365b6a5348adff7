"""Running the API: one process, or several worker processes sharing the port.

The API holds the GIL while it renders and talks to the store, so one process uses one core;
``workers=N`` starts N processes (uvicorn's supervisor) that each open their own connection
pool. Worker processes cannot be handed Python objects, so the store URL and the settings
travel to them as JSON in :data:`ENV_CONFIG` and :func:`app_from_env` rebuilds the app."""

import json
import os
from dataclasses import fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from neonwatch.api.app import create_app
from neonwatch.api.deps import Settings
from neonwatch.store.engine import Store, make_engine

ENV_CONFIG = "NEONWATCH_SERVE_CONFIG"


def _settings_json(settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, Path):
            value = str(value)
        elif isinstance(value, timedelta):
            value = value.total_seconds()
        out[f.name] = value
    return out


def _settings_from_json(raw: dict[str, Any]) -> Settings:
    kw: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name not in raw:
            continue
        value = raw[f.name]
        if f.name == "token_ttl":
            value = timedelta(seconds=value)
        elif value is not None and "Path" in str(f.type):
            value = Path(value)
        kw[f.name] = value
    return Settings(**kw)


def _engine_options(url: str, pool: int) -> dict[str, Any]:
    return {"pool_size": pool, "max_overflow": pool} if url.startswith("postgresql") else {}


def app_from_env() -> FastAPI:
    """The app of one worker process, from :data:`ENV_CONFIG` (set by :func:`run`)."""
    raw = json.loads(os.environ[ENV_CONFIG])
    engine = make_engine(raw["url"], **_engine_options(raw["url"], raw["pool"]))
    app = create_app(Store(engine), _settings_from_json(raw["settings"]))
    app.state.ctx.warm()
    return app


WORKER_HEALTHCHECK_S = 60


def run(
    url: str,
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    pool: int = 20,
    log_level: str = "info",
) -> None:
    """Serve the store at ``url`` (already migrated) until interrupted."""
    import uvicorn

    if workers <= 1:
        engine = make_engine(url, **_engine_options(url, pool))
        store = Store(engine)
        app = create_app(store, settings)
        app.state.ctx.warm()
        try:
            uvicorn.run(app, host=host, port=port, log_level=log_level)
        finally:
            store.close()
        return
    os.environ[ENV_CONFIG] = json.dumps(
        {"url": url, "pool": pool, "settings": _settings_json(settings)}
    )
    uvicorn.run(
        "neonwatch.api.serve:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        # uvicorn kills a worker that does not answer its health ping within 5 s; a busy
        # worker's ping thread can wait that long for the GIL, and a kill drops every request
        # in flight (seen under 50 saturating clients). A hung worker is still replaced.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
    )
