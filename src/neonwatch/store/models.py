"""The store's tables, as typed SQLAlchemy 2 models.

Every row carries its security markings from the first migration on (originator nation and node,
classification in the originator's own scheme, releasability, need-to-know group, creation
time), because the policy layer that comes next filters *inside* the query: a column that is
missing or nullable on some rows would be a hole it has to reason around. The markings are plain
strings here; what they mean (scheme equivalence, who may read what) is the ``share`` layer's
business and lives in configuration, not in these models.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so that migrations can refer to them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

NATIONS = ("CAN", "JPN")
# what the policy filter reads (share.policy.permitted); list indexes carry them (migration 0006)
POLICY_COLUMNS = ("originator_nation", "classification", "releasability", "group")
MARKING_COLUMNS = (
    "originator_nation",
    "originating_node",
    "classification",
    "releasability",
    "group",
    "created_at",
)

# JSONB on PostgreSQL (indexable, compact), plain JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Timezone-aware UTC now (never naive local time: two nations, two clocks)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with the shared naming convention."""

    metadata = MetaData(naming_convention=NAMING)


class Marked:
    """The markings every stored record carries (see ``../shared/DESIGN.md``, Security of
    information): who originated it, at what level in their own scheme, to whom it may be
    released, and which need-to-know group or operation it belongs to."""

    originator_nation: Mapped[str] = mapped_column(String(3))
    originating_node: Mapped[str] = mapped_column(String(128))
    classification: Mapped[str] = mapped_column(String(64))
    releasability: Mapped[str] = mapped_column(String(256))
    group: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Vessel(Marked, Base):
    """One identity row of a vessel's history (ingest's VESSELS): a new row whenever an identity
    field or the UTC day changes, so one MMSI has many rows. ``id`` is derived from the natural
    key, which is what makes publishing the same dataset twice a no-op."""

    __tablename__ = "vessels"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    mmsi: Mapped[int] = mapped_column(Integer, index=True)
    imo: Mapped[int | None] = mapped_column(Integer, index=True)
    name: Mapped[str | None] = mapped_column(String(64))
    callsign: Mapped[str | None] = mapped_column(String(16))
    ship_type: Mapped[int | None] = mapped_column(SmallInteger)
    to_bow: Mapped[int | None] = mapped_column(SmallInteger)
    to_stern: Mapped[int | None] = mapped_column(SmallInteger)
    to_port: Mapped[int | None] = mapped_column(SmallInteger)
    to_starboard: Mapped[int | None] = mapped_column(SmallInteger)
    draught: Mapped[float | None] = mapped_column(Float)
    destination: Mapped[str | None] = mapped_column(String(64))
    first_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Event(Marked, Base):
    """One detected event, every column of detect's EVENTS; the primary key is detect's stable
    ``event_id`` (a UUID5 of kind, vessels and start), so the same event found twice is one
    row."""

    __tablename__ = "events"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    mmsi: Mapped[int | None] = mapped_column(Integer, index=True)
    mmsi_2: Mapped[int | None] = mapped_column(Integer)
    start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_h: Mapped[float | None] = mapped_column(Float)
    start_lat: Mapped[float | None] = mapped_column(Float)
    start_lon: Mapped[float | None] = mapped_column(Float)
    end_lat: Mapped[float | None] = mapped_column(Float)
    end_lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    min_distance_m: Mapped[float | None] = mapped_column(Float)
    median_distance_m: Mapped[float | None] = mapped_column(Float)
    median_sog: Mapped[float | None] = mapped_column(Float)
    median_sog_2: Mapped[float | None] = mapped_column(Float)
    shore_distance_km: Mapped[float | None] = mapped_column(Float)
    port_distance_km: Mapped[float | None] = mapped_column(Float)
    rule: Mapped[str | None] = mapped_column(Text)
    thresholds: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)


# newest first, the id breaking ties: the order of every list of events (migration 0006)
Index(
    "ix_events_start_id",
    Event.start.desc(),
    Event.event_id,
    postgresql_include=list(POLICY_COLUMNS),
)


class Risk(Marked, Base):
    """The risk of one vessel (subject_id = MMSI) or one event (subject_id = event_id) from
    screening, with every factor, its weight and its evidence kept as JSON so an analyst reading
    the shared picture sees *why* without the screening outputs at hand."""

    __tablename__ = "risk"
    __table_args__ = (UniqueConstraint("subject", "subject_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    subject: Mapped[str] = mapped_column(String(16))  # "vessel" or "event"
    subject_id: Mapped[str] = mapped_column(String(64))
    mmsi: Mapped[int | None] = mapped_column(Integer, index=True)
    score: Mapped[float] = mapped_column(Float)
    top_factors: Mapped[str | None] = mapped_column(Text)
    factors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)


TABLES = (Vessel, Event, Risk)


# --- the share layer's tables (migration 0002): users, API tokens, the audit chain -----------


class User(Base):
    """A person who reads the shared picture: their nation, their clearance in that nation's
    scheme (a level name from ``share/classification.toml``) and their need-to-know groups.
    The password is kept only as an argon2 hash; a user without one cannot log in."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    nation: Mapped[str] = mapped_column(String(3))
    clearance: Mapped[str] = mapped_column(String(64))
    groups: Mapped[list[str]] = mapped_column(JSONType)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    """A bearer token for the API, stored as the SHA-256 of the token (never the token)."""

    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """One entry of the append-only audit log. ``hash`` is the SHA-256 of the entry's canonical
    content and ``prev_hash`` (the hash of entry ``seq - 1``), so altering, removing or
    reordering any entry breaks the chain (see :mod:`neonwatch.share.audit`)."""

    __tablename__ = "audit"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str | None] = mapped_column(String(64))
    record_id: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditPending(Base):
    """An audit entry written by a transaction that has not committed yet (PostgreSQL only:
    migration 0004's deferred trigger numbers, chains and moves it into ``audit`` at COMMIT, so
    the table is empty outside open transactions). ``head`` and ``tail`` are the entry's
    canonical text before and after its sequence number."""

    __tablename__ = "audit_pending"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str | None] = mapped_column(String(64))
    record_id: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType)
    head: Mapped[str] = mapped_column(Text)
    tail: Mapped[str] = mapped_column(Text)


# --- patrol sightings (migration 0003): reports, the vessels they saw, their photos ----------


class SightingRecord(Marked, Base):
    """One sighting report by a patrol ship or aircraft (:class:`neonwatch.sightings.Sighting`).

    The position is kept as given (reference point, distance, bearing) beside the lat/lon used
    (computed from them, or given); ``report`` is the whole validated report as JSON and
    ``correlation`` what AIS showed around it (vessels in range, dark observed vessels)."""

    __tablename__ = "sightings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    asset: Mapped[str] = mapped_column(String(128))
    date: Mapped[Any] = mapped_column(Date)
    observed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    time_of_day: Mapped[str | None] = mapped_column(String(128))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    reference: Mapped[str | None] = mapped_column(String(64))
    distance_km: Mapped[float | None] = mapped_column(Float)
    bearing_deg: Mapped[float | None] = mapped_column(Float)
    bearing: Mapped[str | None] = mapped_column(String(16))
    position_computed: Mapped[bool] = mapped_column(Boolean, default=False)
    alongside: Mapped[bool | None] = mapped_column(Boolean)
    hoses_connected: Mapped[bool | None] = mapped_column(Boolean)
    lights_at_night: Mapped[bool | None] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    report: Mapped[dict[str, Any]] = mapped_column(JSONType)
    correlation: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


# newest first, the id breaking ties: the order of every list of sightings (migration 0006)
Index(
    "ix_sightings_date_id",
    SightingRecord.date.desc(),
    SightingRecord.id,
    postgresql_include=list(POLICY_COLUMNS),
)


class SightingVessel(Marked, Base):
    """One vessel a sighting observed, with what AIS and the watchlists made of it: the MMSI
    it matched in range (``ais_mmsi``), whether it was dark, and its watchlist hits."""

    __tablename__ = "sighting_vessels"
    __table_args__ = (UniqueConstraint("sighting_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    sighting_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("sightings.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # order in the report
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(128))
    imo: Mapped[int | None] = mapped_column(Integer, index=True)
    mmsi: Mapped[int | None] = mapped_column(Integer)
    flag: Mapped[str | None] = mapped_column(String(64))
    painted_name: Mapped[str | None] = mapped_column(String(128))
    ais_mmsi: Mapped[int | None] = mapped_column(Integer)
    dark: Mapped[bool | None] = mapped_column(Boolean)
    listed: Mapped[bool] = mapped_column(Boolean, default=False)
    list_hits: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)


class SightingPhoto(Marked, Base):
    """A photo attached to a sighting; the bytes live once in the photo folder under
    ``sha256`` (content-addressed), so the same photo on two sightings is two rows, one file."""

    __tablename__ = "photos"
    __table_args__ = (UniqueConstraint("sighting_id", "sha256"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    sighting_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("sightings.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str | None] = mapped_column(String(256))
