"""sightings: patrol sighting reports, the vessels they observed, their photos

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Sighting reports by patrol ships and aircraft (position as given and as used, observations, the
whole report and its AIS correlation as JSON), one row per observed vessel with its AIS match,
darkness and watchlist hits, and one row per attached photo (the bytes live in the
content-addressed photo folder under their SHA-256). Every table carries the markings.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _markings() -> list[sa.Column[Any]]:
    return [
        sa.Column("originator_nation", sa.String(length=3), nullable=False),
        sa.Column("originating_node", sa.String(length=128), nullable=False),
        sa.Column("classification", sa.String(length=64), nullable=False),
        sa.Column("releasability", sa.String(length=256), nullable=False),
        sa.Column("group", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "sightings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asset", sa.String(length=128), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("time_of_day", sa.String(length=128), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("bearing_deg", sa.Float(), nullable=True),
        sa.Column("bearing", sa.String(length=16), nullable=True),
        sa.Column("position_computed", sa.Boolean(), nullable=False),
        sa.Column("alongside", sa.Boolean(), nullable=True),
        sa.Column("hoses_connected", sa.Boolean(), nullable=True),
        sa.Column("lights_at_night", sa.Boolean(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("report", JSON, nullable=False),
        sa.Column("correlation", JSON, nullable=True),
        *_markings(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sightings")),
    )
    op.create_index("ix_sightings_date", "sightings", ["date"], unique=False)

    op.create_table(
        "sighting_vessels",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sighting_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("imo", sa.Integer(), nullable=True),
        sa.Column("mmsi", sa.Integer(), nullable=True),
        sa.Column("flag", sa.String(length=64), nullable=True),
        sa.Column("painted_name", sa.String(length=128), nullable=True),
        sa.Column("ais_mmsi", sa.Integer(), nullable=True),
        sa.Column("dark", sa.Boolean(), nullable=True),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("list_hits", JSON, nullable=False),
        *_markings(),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["sightings.id"],
            name=op.f("fk_sighting_vessels_sighting_id_sightings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sighting_vessels")),
        sa.UniqueConstraint(
            "sighting_id", "position", name=op.f("uq_sighting_vessels_sighting_id_position")
        ),
    )
    op.create_index(op.f("ix_sighting_vessels_imo"), "sighting_vessels", ["imo"], unique=False)
    op.create_index(
        op.f("ix_sighting_vessels_sighting_id"), "sighting_vessels", ["sighting_id"], unique=False
    )

    op.create_table(
        "photos",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sighting_id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("mime", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=256), nullable=True),
        *_markings(),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["sightings.id"],
            name=op.f("fk_photos_sighting_id_sightings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
        sa.UniqueConstraint("sighting_id", "sha256", name=op.f("uq_photos_sighting_id_sha256")),
    )
    op.create_index(op.f("ix_photos_sha256"), "photos", ["sha256"], unique=False)
    op.create_index(op.f("ix_photos_sighting_id"), "photos", ["sighting_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_photos_sighting_id"), table_name="photos")
    op.drop_index(op.f("ix_photos_sha256"), table_name="photos")
    op.drop_table("photos")
    op.drop_index(op.f("ix_sighting_vessels_sighting_id"), table_name="sighting_vessels")
    op.drop_index(op.f("ix_sighting_vessels_imo"), table_name="sighting_vessels")
    op.drop_table("sighting_vessels")
    op.drop_index("ix_sightings_date", table_name="sightings")
    op.drop_table("sightings")
