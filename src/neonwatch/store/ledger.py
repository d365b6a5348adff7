"""The ACSA ledger's tables (migration 0004): orders, their lines, their history, settlements,
exchange rates.

Only the order row (``acsa_orders``) changes after it is written, and only its summary
columns (status, version, revision, totals, step times), always under an optimistic lock
(``UPDATE ... WHERE id = ? AND version = ?``). That row is derived: it can be recomputed from
the entries, and :func:`neonwatch.acsa.check_ledger` does so. Everything else is append-only
and the database itself refuses an UPDATE or DELETE on it (triggers on SQLite and PostgreSQL,
in the migration): an amendment is a new revision of the lines plus an entry, a cancellation
is an entry, a settlement is a row. So a bug or a hand-typed SQL statement cannot rewrite the
history both parties keep of every transaction (DESIGN.md: "Nothing is deleted")."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from neonwatch.store.models import Base, JSONType, utcnow

# the tables the database keeps append-only (UPDATE and DELETE raise), see the migration
APPEND_ONLY = ("acsa_order_lines", "acsa_entries", "acsa_settlements", "acsa_rates")


class Originated:
    """Where a ledger row was written: the nation and node, so rows can travel between the two
    nations' nodes like every other record."""

    originator_nation: Mapped[str] = mapped_column(String(3))
    originating_node: Mapped[str] = mapped_column(String(128))


class AcsaOrder(Originated, Base):
    """One order: who asks whom for what, for which activity, settled how, in which currency;
    and its current summary (status, version, totals), derived from its entries."""

    __tablename__ = "acsa_orders"
    __table_args__ = (
        Index("ix_acsa_orders_status", "status"),
        Index("ix_acsa_orders_parties", "requesting", "supplying"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    requesting: Mapped[str] = mapped_column(String(8))
    supplying: Mapped[str] = mapped_column(String(8))
    activity: Mapped[str] = mapped_column(String(64))
    settlement: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # the summary, changed only under the version check
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    settled_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    provided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    invoiced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AcsaOrderLine(Base):
    """One line of one revision of an order's lines (an amendment writes a new revision)."""

    __tablename__ = "acsa_order_lines"
    __table_args__ = (UniqueConstraint("order_id", "revision", "line_no"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("acsa_orders.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    line_no: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[str] = mapped_column(String(40))  # exact decimal text
    unit: Mapped[str] = mapped_column(String(16))
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class AcsaEntry(Originated, Base):
    """One step of an order's history: what was done (``action``), from which status to which,
    by whom for which party, when, with a note and the step's details (lines of an amendment,
    a settlement's method and amount). ``seq`` is the order's version after the step."""

    __tablename__ = "acsa_entries"
    __table_args__ = (UniqueConstraint("order_id", "seq"), Index("ix_acsa_entries_at", "at"))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("acsa_orders.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    party: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType)


class AcsaSettlement(Originated, Base):
    """A payment, replacement or exchange recorded against an order (by the supplying party,
    which receives it); ``seq`` is the entry that recorded it."""

    __tablename__ = "acsa_settlements"
    __table_args__ = (UniqueConstraint("order_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("acsa_orders.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    creditor: Mapped[str] = mapped_column(String(8))
    debtor: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(128))


class AcsaRate(Originated, Base):
    """An exchange rate recorded by an officer: 1 ``base`` = ``rate`` ``quote`` on ``as_of``,
    from ``source``. Conversions use only these, never a live service (DESIGN.md)."""

    __tablename__ = "acsa_rates"
    __table_args__ = (Index("ix_acsa_rates_pair", "base", "quote", "as_of"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[str] = mapped_column(String(40))  # exact decimal text
    as_of: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AcsaCounter(Base):
    """The last order number given in each year (ACSA-2026-0001, ...): one row per year,
    incremented in the creating transaction so that concurrent requests get distinct numbers."""

    __tablename__ = "acsa_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


LEDGER_TABLES = (AcsaOrder, AcsaOrderLine, AcsaEntry, AcsaSettlement, AcsaRate, AcsaCounter)
