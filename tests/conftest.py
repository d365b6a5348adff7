"""Fixtures shared by the tests that need a real PostgreSQL (the store, share, sightings and
API tests run on both SQLite and PostgreSQL; in CI the PostgreSQL half must run, never skip)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from neonwatch.store import Store, open_store

PG_HOST = os.environ.get("NEONWATCH_TEST_PG_HOST", "127.0.0.1:5432")


def pg_admin() -> tuple[Engine, str]:
    """An autocommit connection to the local server's ``postgres`` database, and the URL base
    (user ``postgres``, else ``root``: the machine trusts local connections)."""
    errors = []
    for user in ("postgres", "root"):
        base = f"postgresql+psycopg://{user}@{PG_HOST}"
        engine = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            return engine, base
        except Exception as exc:
            errors.append(f"{user}: {exc}")
            engine.dispose()
    pytest.fail(
        f"PostgreSQL on {PG_HOST} is not reachable ({'; '.join(errors)}); start it "
        "(`make test` does) — these tests must run on both backends, never skip"
    )


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh database on the local server for one test module, dropped afterwards."""
    admin, base = pg_admin()
    name = f"neonwatch_test_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store's URL on each backend (no tables yet: open_store must create them)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'neonwatch.db'}"
    url: str = request.getfixturevalue("pg_url")
    engine = create_engine(url)
    with engine.begin() as conn:  # tables, triggers and functions the migrations made: all
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """The store at ``store_url``, opened (so migrated to head) and closed afterwards."""
    opened = open_store(store_url)
    yield opened
    opened.close()
