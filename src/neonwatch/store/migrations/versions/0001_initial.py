"""initial store: vessels, events, risk, with markings

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22

The first schema: identity rows of vessels, detected events keyed by their stable event_id, and
risk per vessel and per event with its factors as JSON. Every table carries the security
markings from the start so that no row ever exists without them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("mmsi", sa.Integer(), nullable=True),
        sa.Column("mmsi_2", sa.Integer(), nullable=True),
        sa.Column("start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_h", sa.Float(), nullable=True),
        sa.Column("start_lat", sa.Float(), nullable=True),
        sa.Column("start_lon", sa.Float(), nullable=True),
        sa.Column("end_lat", sa.Float(), nullable=True),
        sa.Column("end_lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("min_distance_m", sa.Float(), nullable=True),
        sa.Column("median_distance_m", sa.Float(), nullable=True),
        sa.Column("median_sog", sa.Float(), nullable=True),
        sa.Column("median_sog_2", sa.Float(), nullable=True),
        sa.Column("shore_distance_km", sa.Float(), nullable=True),
        sa.Column("port_distance_km", sa.Float(), nullable=True),
        sa.Column("rule", sa.Text(), nullable=True),
        sa.Column("thresholds", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("originator_nation", sa.String(length=3), nullable=False),
        sa.Column("originating_node", sa.String(length=128), nullable=False),
        sa.Column("classification", sa.String(length=64), nullable=False),
        sa.Column("releasability", sa.String(length=256), nullable=False),
        sa.Column("group", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_kind"), "events", ["kind"], unique=False)
    op.create_index(op.f("ix_events_mmsi"), "events", ["mmsi"], unique=False)
    op.create_index("ix_events_start", "events", ["start"], unique=False)

    op.create_table(
        "risk",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("mmsi", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("top_factors", sa.Text(), nullable=True),
        sa.Column(
            "factors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("originator_nation", sa.String(length=3), nullable=False),
        sa.Column("originating_node", sa.String(length=128), nullable=False),
        sa.Column("classification", sa.String(length=64), nullable=False),
        sa.Column("releasability", sa.String(length=256), nullable=False),
        sa.Column("group", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk")),
        sa.UniqueConstraint("subject", "subject_id", name=op.f("uq_risk_subject_subject_id")),
    )
    op.create_index(op.f("ix_risk_mmsi"), "risk", ["mmsi"], unique=False)

    op.create_table(
        "vessels",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("mmsi", sa.Integer(), nullable=False),
        sa.Column("imo", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("callsign", sa.String(length=16), nullable=True),
        sa.Column("ship_type", sa.SmallInteger(), nullable=True),
        sa.Column("to_bow", sa.SmallInteger(), nullable=True),
        sa.Column("to_stern", sa.SmallInteger(), nullable=True),
        sa.Column("to_port", sa.SmallInteger(), nullable=True),
        sa.Column("to_starboard", sa.SmallInteger(), nullable=True),
        sa.Column("draught", sa.Float(), nullable=True),
        sa.Column("destination", sa.String(length=64), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("originator_nation", sa.String(length=3), nullable=False),
        sa.Column("originating_node", sa.String(length=128), nullable=False),
        sa.Column("classification", sa.String(length=64), nullable=False),
        sa.Column("releasability", sa.String(length=256), nullable=False),
        sa.Column("group", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vessels")),
    )
    op.create_index(op.f("ix_vessels_imo"), "vessels", ["imo"], unique=False)
    op.create_index(op.f("ix_vessels_mmsi"), "vessels", ["mmsi"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_vessels_mmsi"), table_name="vessels")
    op.drop_index(op.f("ix_vessels_imo"), table_name="vessels")

    op.drop_table("vessels")
    op.drop_index(op.f("ix_risk_mmsi"), table_name="risk")

    op.drop_table("risk")
    op.drop_index("ix_events_start", table_name="events")
    op.drop_index(op.f("ix_events_mmsi"), table_name="events")
    op.drop_index(op.f("ix_events_kind"), table_name="events")

    op.drop_table("events")
