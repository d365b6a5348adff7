"""Fixtures shared by the tests that need a real PostgreSQL (the store, share, sightings and
API tests run on both SQLite and PostgreSQL; in CI the PostgreSQL half must run, never skip)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

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
