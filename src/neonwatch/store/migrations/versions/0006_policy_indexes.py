"""policy indexes: upper-case releasability, newest-first indexes for sightings and events

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22

The policy filter (``neonwatch.share.policy.permitted``) tests the marking columns as they are
stored, with plain comparisons and LIKEs, so that PostgreSQL can estimate it from its column
statistics and walk an index to the newest page instead of sorting the table. That needs
releasability in upper case, as ``released_to`` compares it: existing rows are upper-cased and,
on PostgreSQL, a CHECK keeps them so (SQLite's LIKE ignores ASCII case, so it needs none).
Lists of sightings and events are newest first with the id as tie-break: an index in that
order lets the page be read from its head, and on PostgreSQL it carries the policy columns, so
that the list's total is counted from the index alone (about a third faster than from the table).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# carried in the newest-first indexes on PostgreSQL, so that a list's count is an index-only scan
POLICY_COLUMNS = ("originator_nation", "classification", "releasability", "group")
MARKED = ("vessels", "events", "risk", "sightings", "sighting_vessels", "photos")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in MARKED:
        op.execute(
            f"UPDATE {table} SET releasability = upper(releasability) "
            "WHERE releasability <> upper(releasability)"
        )
        if postgres:
            op.create_check_constraint(
                op.f(f"ck_{table}_releasability_upper"),
                table,
                "releasability = upper(releasability)",
            )
    op.drop_index("ix_sightings_date", table_name="sightings")
    op.create_index(
        "ix_sightings_date_id",
        "sightings",
        [sa.text("date DESC"), "id"],
        postgresql_include=list(POLICY_COLUMNS),
    )
    op.drop_index("ix_events_start", table_name="events")
    op.create_index(
        "ix_events_start_id",
        "events",
        [sa.text("start DESC"), "event_id"],
        postgresql_include=list(POLICY_COLUMNS),
    )


def downgrade() -> None:
    op.drop_index("ix_events_start_id", table_name="events")
    op.create_index("ix_events_start", "events", ["start"])
    op.drop_index("ix_sightings_date_id", table_name="sightings")
    op.create_index("ix_sightings_date", "sightings", ["date"])
    if op.get_bind().dialect.name == "postgresql":
        for table in MARKED:
            op.drop_constraint(op.f(f"ck_{table}_releasability_upper"), table, type_="check")
