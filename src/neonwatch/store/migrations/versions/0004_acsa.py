"""acsa: the ACSA ledger (orders, lines, entries, settlements, exchange rates)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

The ledger of supplies and services between the Canadian Armed Forces and the Japan
Self-Defense Forces. Orders keep a summary row (status, version for optimistic locking,
totals) that is the only thing ever updated; lines, entries (the history), settlements and
exchange rates are append-only, and triggers make the database refuse an UPDATE or DELETE on
them, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
APPEND_ONLY = ("acsa_order_lines", "acsa_entries", "acsa_settlements", "acsa_rates")


def _origin() -> list[sa.Column[Any]]:
    return [
        sa.Column("originator_nation", sa.String(length=3), nullable=False),
        sa.Column("originating_node", sa.String(length=128), nullable=False),
    ]


def _fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["order_id"], ["acsa_orders.id"], name=op.f(f"fk_{table}_order_id_acsa_orders")
    )


def _guard(table: str) -> None:
    """Make ``table`` append-only: UPDATE and DELETE raise, naming the table."""
    message = f"{table} is append-only: record a new entry instead"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION acsa_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


def upgrade() -> None:
    op.create_table(
        "acsa_orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("requesting", sa.String(length=8), nullable=False),
        sa.Column("supplying", sa.String(length=8), nullable=False),
        sa.Column("activity", sa.String(length=64), nullable=False),
        sa.Column("settlement", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("settled_minor", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invoiced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        *_origin(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acsa_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_acsa_orders_number")),
    )
    op.create_index("ix_acsa_orders_status", "acsa_orders", ["status"])
    op.create_index("ix_acsa_orders_parties", "acsa_orders", ["requesting", "supplying"])

    op.create_table(
        "acsa_order_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", sa.String(length=40), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        _fk("acsa_order_lines"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acsa_order_lines")),
        sa.UniqueConstraint(
            "order_id",
            "revision",
            "line_no",
            name=op.f("uq_acsa_order_lines_order_id_revision_line_no"),
        ),
    )
    op.create_index(op.f("ix_acsa_order_lines_order_id"), "acsa_order_lines", ["order_id"])

    op.create_table(
        "acsa_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("party", sa.String(length=8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("detail", JSON, nullable=False),
        *_origin(),
        _fk("acsa_entries"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acsa_entries")),
        sa.UniqueConstraint("order_id", "seq", name=op.f("uq_acsa_entries_order_id_seq")),
    )
    op.create_index(op.f("ix_acsa_entries_order_id"), "acsa_entries", ["order_id"])
    op.create_index("ix_acsa_entries_at", "acsa_entries", ["at"])

    op.create_table(
        "acsa_settlements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("creditor", sa.String(length=8), nullable=False),
        sa.Column("debtor", sa.String(length=8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        *_origin(),
        _fk("acsa_settlements"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acsa_settlements")),
        sa.UniqueConstraint("order_id", "seq", name=op.f("uq_acsa_settlements_order_id_seq")),
    )
    op.create_index(op.f("ix_acsa_settlements_order_id"), "acsa_settlements", ["order_id"])

    op.create_table(
        "acsa_rates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        *_origin(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acsa_rates")),
    )
    op.create_index("ix_acsa_rates_pair", "acsa_rates", ["base", "quote", "as_of"])

    op.create_table(
        "acsa_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_acsa_counters")),
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION acsa_append_only() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN "
            "RAISE EXCEPTION '% is append-only: record a new entry instead', TG_TABLE_NAME "
            "USING ERRCODE = 'restrict_violation'; END $$"
        )
    for table in APPEND_ONLY:
        _guard(table)


def downgrade() -> None:
    for table in ("acsa_counters", "acsa_rates", *reversed(APPEND_ONLY[:3]), "acsa_orders"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS acsa_append_only()")
