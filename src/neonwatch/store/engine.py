"""Where the store lives and how to open it.

One analyst gets a SQLite file (``neonwatch.db`` in the working folder) with nothing to install;
a team points ``NEONWATCH_DATABASE_URL`` at PostgreSQL. Opening a store always brings its schema
to the latest migration, so a node never runs against a schema older than its code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

ENV_URL = "NEONWATCH_DATABASE_URL"
DEFAULT_FILE = "neonwatch.db"
MIGRATIONS = Path(__file__).with_name("migrations")


def resolve_url(db: str | Path | None = None) -> str:
    """The database URL: ``db`` (a URL, or a path taken as a SQLite file), else
    ``$NEONWATCH_DATABASE_URL``, else ``./neonwatch.db``. Plain ``postgresql://`` and
    ``postgres://`` URLs are pinned to the psycopg 3 driver, the only one neonwatch ships with."""
    raw = str(db) if db is not None else os.environ.get(ENV_URL) or DEFAULT_FILE
    if "://" not in raw:
        return f"sqlite:///{Path(raw).expanduser()}"
    scheme, rest = raw.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    return raw


def make_engine(url: str | Path | None = None, **kwargs: Any) -> Engine:
    """An engine for :func:`resolve_url` ``(url)``. SQLite gets foreign keys on and a busy
    timeout, so a second process (the API beside a ``publish``) waits instead of failing."""
    resolved = resolve_url(url)
    u = make_url(resolved)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(resolved, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(resolved, **kwargs)


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic's configuration for the packaged migrations (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` on ``engine``, in one transaction."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


@dataclass
class Store:
    """An opened store: its engine and the URL it was opened with (password hidden)."""

    engine: Engine

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def backend(self) -> str:
        return self.engine.url.get_backend_name()

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str | Path | None = None, *, migrate: bool = True) -> Store:
    """Open the store at ``url`` (see :func:`resolve_url`) and upgrade its schema to head."""
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return Store(engine)
