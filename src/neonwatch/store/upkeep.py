"""Keeping the planner's statistics fresh, as autovacuum would, when autovacuum is off.

The API's hot queries (the newest page of sightings, their vessels, the policy filter) are fast
only when PostgreSQL knows how many rows each table holds and how its columns are spread. With
no statistics it guesses that the policy filter keeps one row, and sorts the whole table on
every list instead of walking the newest-first index. PostgreSQL's autovacuum keeps statistics
fresh, but a server may run with it off (the CI machine's does, in its ``90-ci.conf``). Measured
with ``benchmarks/serve.py`` at 5,000 sightings, one page cost 8.5 ms of PostgreSQL CPU without
statistics and 0.24 ms after ``ANALYZE``.

So ``neonwatch serve`` calls :func:`upkeep` every few seconds when autovacuum is off. It applies
autovacuum's own rule with its default settings (PostgreSQL docs, "The Autovacuum Daemon"):
analyze a table once more than 50 + 10% of its rows have changed since its last analyze, vacuum
it once more than 50 + 20% of its rows are dead (the audit's pending table gains one dead row
per request). On SQLite it runs ``PRAGMA optimize``, which SQLite advises for long-lived
connections: SQLite has no background process that would do it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, text

# PostgreSQL's defaults: autovacuum_analyze_threshold / _scale_factor and
# autovacuum_vacuum_threshold / _scale_factor (PostgreSQL 15 docs, section 20.10)
ANALYZE_THRESHOLD = 50
ANALYZE_SCALE = 0.1
VACUUM_THRESHOLD = 50
VACUUM_SCALE = 0.2

UPKEEP_LOCK = 0x4E57554B  # "NWUK": one server process at a time does the upkeep

_DUE = text(
    "SELECT relname, n_live_tup, n_dead_tup, n_mod_since_analyze"
    " FROM pg_stat_user_tables WHERE schemaname = current_schema()"
    " ORDER BY relname"
)


@dataclass
class Upkeep:
    """What one :func:`upkeep` did: the tables analyzed and vacuumed (empty: none was due)."""

    analyzed: list[str] = field(default_factory=list)
    vacuumed: list[str] = field(default_factory=list)
    skipped: bool = False  # another process held the upkeep lock


def autovacuum_off(engine: Engine) -> bool:
    """Whether ``engine`` is PostgreSQL with autovacuum off (SQLite: always, it has none)."""
    if engine.dialect.name != "postgresql":
        return True
    with engine.connect() as conn:
        return str(conn.execute(text("SHOW autovacuum")).scalar_one()) == "off"


def due(engine: Engine) -> Upkeep:
    """The tables autovacuum's rule says are due for ANALYZE and for VACUUM (PostgreSQL)."""
    out = Upkeep()
    if engine.dialect.name != "postgresql":
        return out
    with engine.connect() as conn:
        for name, live, dead, changed in conn.execute(_DUE):
            if changed > ANALYZE_THRESHOLD + ANALYZE_SCALE * live:
                out.analyzed.append(name)
            if dead > VACUUM_THRESHOLD + VACUUM_SCALE * live:
                out.vacuumed.append(name)
    return out


def upkeep(engine: Engine) -> Upkeep:
    """ANALYZE and VACUUM the tables that are due (see the module's docstring); on SQLite,
    ``PRAGMA optimize``. Safe to call from several processes: one does it, the others skip."""
    if engine.dialect.name != "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA optimize")
        return Upkeep()
    todo = due(engine)
    if not todo.analyzed and not todo.vacuumed:
        return todo
    # VACUUM cannot run inside a transaction: a connection of its own, in autocommit
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(text(f"SELECT pg_try_advisory_lock({UPKEEP_LOCK})")).scalar_one():
            return Upkeep(skipped=True)
        quote = conn.dialect.identifier_preparer.quote
        try:
            for name in todo.vacuumed:  # VACUUM (ANALYZE) does both at once
                conn.exec_driver_sql(f"VACUUM (ANALYZE) {quote(name)}")
            for name in todo.analyzed:
                if name not in todo.vacuumed:
                    conn.exec_driver_sql(f"ANALYZE {quote(name)}")
        finally:
            conn.execute(text(f"SELECT pg_advisory_unlock({UPKEEP_LOCK})"))
    return Upkeep(sorted(set(todo.analyzed) | set(todo.vacuumed)), todo.vacuumed)
