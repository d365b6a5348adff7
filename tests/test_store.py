"""The store stage against both backends: a SQLite file and the PostgreSQL server on
127.0.0.1:5432 (a fresh database per test session, dropped at the end). The PostgreSQL half
never skips: a missing server is a failure, because CI must prove both backends."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from neonwatch.cli import app
from neonwatch.detect import EVENTS, detect
from neonwatch.screen import screen
from neonwatch.simulate import simulate, write
from neonwatch.store import Base, Event, Risk, Store, Vessel, open_store, publish, resolve_url
from neonwatch.store.engine import alembic_config
from neonwatch.store.models import MARKING_COLUMNS
from neonwatch.store.upkeep import Upkeep, due, upkeep

TABLES = {"vessels", "events", "risk"}


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sim_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small simulated dataset with its events and its screening, as the CLI would leave them."""
    root = tmp_path_factory.mktemp("store-sim")
    sim = simulate(vessels=60, hours=12, seed=1)
    dataset = root / "sim"
    write(sim, dataset)
    events = detect(sim.positions)
    (root / "events").mkdir()
    pq.write_table(events, root / "events" / "events.parquet")
    screen(dataset, root / "events", out=root / "screened")
    return {"dataset": dataset, "events": root / "events", "screen": root / "screened"}


def _counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            m.__tablename__: conn.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Vessel, Event, Risk)
        }


def _publish(sim_dirs: dict[str, Path], store: Store, **kwargs: object) -> object:
    return publish(
        sim_dirs["dataset"],
        sim_dirs["events"],
        sim_dirs["screen"],
        store,
        node="test-node",
        **kwargs,  # type: ignore[arg-type]
    )


# --- tests ---------------------------------------------------------------------------------


def test_migrations_create_the_tables(store: Store) -> None:
    insp = inspect(store.engine)
    assert TABLES | {"alembic_version"} <= set(insp.get_table_names())
    for table in TABLES:
        columns = {c["name"] for c in insp.get_columns(table)}
        assert set(MARKING_COLUMNS) <= columns, table
    assert set(EVENTS.names) <= {c["name"] for c in insp.get_columns("events")}
    with store.engine.connect() as conn:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert conn.execute(text("select version_num from alembic_version")).scalar_one() == head
        # the migrations and the models agree: nothing left for autogenerate to find
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    # opening again is a no-op upgrade
    open_store(store.engine.url.render_as_string(hide_password=False)).close()


def test_publish_loads_vessels_events_and_risk(store: Store, sim_dirs: dict[str, Path]) -> None:
    result = _publish(sim_dirs, store)
    vessels = pq.read_table(next((sim_dirs["dataset"] / "vessels").glob("day=*/*.parquet")))
    events = pq.read_table(sim_dirs["events"] / "events.parquet")
    risk = sum(
        pq.read_metadata(sim_dirs["screen"] / f).num_rows
        for f in ("vessel_risk.parquet", "event_risk.parquet")
    )
    expected = {"vessels": vessels.num_rows, "events": events.num_rows, "risk": risk}
    assert events.num_rows > 0 and vessels.num_rows == 60
    assert _counts(store) == expected
    assert result.added == expected  # type: ignore[attr-defined]
    with store.engine.connect() as conn:
        stored = {str(e) for e in conn.execute(select(Event.event_id)).scalars()}
        factors = (
            conn.execute(
                select(Risk.factors).where(Risk.subject == "vessel").order_by(Risk.score.desc())
            )
            .scalars()
            .first()
        )
        mmsis = set(conn.execute(select(Vessel.mmsi)).scalars())
    assert stored == set(events["event_id"].to_pylist())  # event_id preserved
    assert mmsis == set(vessels["mmsi"].to_pylist())
    assert factors and {"factor", "weight", "evidence"} <= set(factors[0])


def test_publishing_twice_duplicates_nothing(store: Store, sim_dirs: dict[str, Path]) -> None:
    _publish(sim_dirs, store)
    first = _counts(store)
    again = _publish(sim_dirs, store)
    assert _counts(store) == first
    assert again.added == {"vessels": 0, "events": 0, "risk": 0}  # type: ignore[attr-defined]


def test_markings_on_every_row(store: Store, sim_dirs: dict[str, Path]) -> None:
    _publish(
        sim_dirs,
        store,
        originator="JPN",
        classification="秘",
        releasability="REL TO CAN, JPN",
        group="op-sea-watch",
    )
    with store.engine.connect() as conn:
        for model in (Vessel, Event, Risk):
            rows = conn.execute(
                select(
                    model.originator_nation,
                    model.originating_node,
                    model.classification,
                    model.releasability,
                    model.group,
                    model.created_at,
                )
            ).all()
            assert rows, model.__tablename__
            assert {tuple(r[:5]) for r in rows} == {
                ("JPN", "test-node", "秘", "REL TO CAN, JPN", "op-sea-watch")
            }
            assert all(r.created_at is not None for r in rows)


def test_failed_publish_leaves_the_store_unchanged(
    store: Store, sim_dirs: dict[str, Path], tmp_path: Path
) -> None:
    corrupt = tmp_path / "bad-events"
    corrupt.mkdir()
    (corrupt / "events.parquet").write_bytes(b"PAR1 this is not parquet")
    # vessels are loaded before the events are read: the rollback has to undo them
    with pytest.raises(ValueError, match="not a readable Parquet"):
        publish(sim_dirs["dataset"], corrupt, None, store)
    assert _counts(store) == {"vessels": 0, "events": 0, "risk": 0}

    _publish(sim_dirs, store)
    before = _counts(store)
    bad_screen = tmp_path / "bad-screen"
    shutil.copytree(sim_dirs["screen"], bad_screen)
    (bad_screen / "event_risk.parquet").write_bytes(b"garbage")
    other = tmp_path / "other-events"
    other.mkdir()
    events = pq.read_table(sim_dirs["events"] / "events.parquet")
    fresh = [str(uuid.uuid4()) for _ in range(events.num_rows)]
    pq.write_table(events.set_column(0, "event_id", [fresh]), other / "events.parquet")
    with pytest.raises(ValueError):
        publish(sim_dirs["dataset"], other, bad_screen, store)
    assert _counts(store) == before  # the fresh events were rolled back with the rest


def test_bad_markings_are_refused(store: Store, sim_dirs: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="originator"):
        _publish(sim_dirs, store, originator="USA")
    with pytest.raises(ValueError, match="group"):
        _publish(sim_dirs, store, group=" ")
    assert _counts(store) == {"vessels": 0, "events": 0, "risk": 0}


def test_resolve_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEONWATCH_DATABASE_URL", raising=False)
    assert resolve_url() == "sqlite:///neonwatch.db"
    assert resolve_url("x/y.db") == "sqlite:///x/y.db"
    monkeypatch.setenv("NEONWATCH_DATABASE_URL", "postgresql://u@h:5432/d")
    assert resolve_url() == "postgresql+psycopg://u@h:5432/d"
    assert resolve_url("sqlite:///a.db") == "sqlite:///a.db"  # --db wins over the environment


def test_cli_publish(sim_dirs: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "cli.db")
    args = ["publish", str(sim_dirs["dataset"]), "--events", str(sim_dirs["events"])]
    args += ["--screen", str(sim_dirs["screen"])]
    first = runner.invoke(app, [*args, "--db", db, "--json"])
    assert first.exit_code == 0, first.output
    out = json.loads(first.stdout)
    assert out["added"]["vessels"] == 60 and out["added"]["events"] > 0
    assert out["markings"]["classification"] == "CONFIDENTIAL"
    second = runner.invoke(app, [*args, "--db", db])
    assert second.exit_code == 0 and "in store" in second.stdout
    missing = runner.invoke(app, ["publish", str(tmp_path / "nope"), "--db", db])
    assert missing.exit_code == 2
    refused = runner.invoke(app, [*args, "--db", db, "--originator", "USA"])
    assert refused.exit_code == 2 and "originator" in refused.output


def _flush_table_stats(conn: Any) -> None:
    """Make PostgreSQL publish this transaction's row counts at its commit (it otherwise
    batches them for up to a second), so that pg_stat_user_tables shows them at once."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_stat_force_next_flush()")


def test_upkeep_analyzes_and_vacuums_what_autovacuum_would(store: Store) -> None:
    """Autovacuum's rule, applied by the server when autovacuum is off: a table is analyzed
    once over 50 + 10% of its rows changed, vacuumed once over 50 + 20% are dead; then it is
    not due again until it changes again."""
    from neonwatch.share import audit

    if store.engine.dialect.name != "postgresql":
        assert upkeep(store.engine) == Upkeep() and due(store.engine) == Upkeep()
        return
    assert upkeep(store.engine).analyzed == []  # a fresh store: nothing is due
    with store.engine.connect() as conn:
        for i in range(120):  # each entry passes through audit_pending: one dead row there
            with conn.begin():
                audit.append(conn, "aiko", "test.read", "sightings", str(i), {})
                if i == 119:
                    _flush_table_stats(conn)
    todo = due(store.engine)
    assert "audit" in todo.analyzed and "audit_pending" in todo.vacuumed, todo
    done = upkeep(store.engine)
    assert "audit" in done.analyzed and done.vacuumed == ["audit_pending"], done
    with store.engine.connect() as conn:
        stats = conn.execute(
            text(
                "SELECT relname, n_dead_tup, n_mod_since_analyze FROM pg_stat_user_tables"
                " WHERE relname IN ('audit', 'audit_pending')"
            )
        ).all()
        reltuples = conn.execute(
            text("SELECT reltuples FROM pg_class WHERE relname = 'audit'")
        ).scalar_one()
    assert {r.relname: (r.n_dead_tup, r.n_mod_since_analyze) for r in stats} == {
        "audit": (0, 0),
        "audit_pending": (0, 0),
    }
    assert reltuples == 120  # the planner now knows the table's size
    assert due(store.engine) == Upkeep()
    with Session(store.engine) as s:
        assert audit.verify(s).ok  # vacuuming the pending table leaves the chain whole


def test_newest_page_of_sightings_is_read_from_the_index(store: Store) -> None:
    """The API's page of sightings (policy filter, newest first) walks ix_sightings_date_id
    rather than sorting the whole table: the planner can estimate the policy filter."""
    from datetime import date, timedelta

    from neonwatch.api.sightings import _list_statements
    from neonwatch.share.policy import Principal
    from neonwatch.store.models import SightingRecord

    stamp = {
        "originator_nation": "JPN",
        "originating_node": "test-node",
        "classification": "秘",
        "releasability": "REL TO CAN, JPN",
        "group": "neon",
    }
    rows = [
        {
            "id": uuid.uuid4(),
            "asset": f"P-{i % 7}",
            "date": date(2018, 1, 1) + timedelta(days=i % 400),
            "position_computed": False,
            "report": {},
            **stamp,
        }
        for i in range(3000)
    ]
    postgres = store.engine.dialect.name == "postgresql"
    with store.engine.begin() as conn:
        conn.execute(SightingRecord.__table__.insert(), rows)
        _flush_table_stats(conn)
    # the statistics the plan needs come from the server's upkeep (autovacuum is off here)
    done = upkeep(store.engine)
    assert ("sightings" in done.analyzed) == postgres, done
    reader = Principal("aiko", "JPN", "極秘", frozenset({"neon"}))
    _, page = _list_statements(reader, False, False, False)
    sql = str(
        page.params(limit=20, offset=0).compile(
            dialect=store.engine.dialect, compile_kwargs={"literal_binds": True}
        )
    )
    with store.engine.connect() as conn:
        plan = "\n".join(
            str(r[-1])
            for r in conn.exec_driver_sql(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + sql)
        )
    assert "ix_sightings_date_id" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
