"""audit chaining at commit: on PostgreSQL the audit log chains its entries inside COMMIT

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Every API request appends to the hash-chained audit log, and appends are serialised: each
entry chains onto the one before, so no two transactions may chain at once. Chained from
Python, the append lock was held from the append to the commit, across client round trips and
across the server's threads taking turns at Python's GIL; under 50 concurrent clients the
lock, not the work, set the pace (dozens of connections waiting on it in ``pg_stat_activity``).

Here a transaction only inserts its entries into ``audit_pending``; a deferred constraint
trigger chains each of them at COMMIT, inside the database: it takes the lock, reads the head
of the chain, numbers, hashes and moves the entry into ``audit``. The lock is held from that
moment to the end of the commit, with no client in between. The hash is the same SHA-256 as
:func:`neonwatch.share.audit.entry_hash` of the same canonical text (Python builds the text
around the sequence number, which only the database knows), so ``neonwatch audit verify``
checks entries however they were written. A transaction that rolls back leaves nothing. The
trigger reads the head with a fresh snapshot, which READ COMMITTED (the default) gives; under
REPEATABLE READ a stale head would collide on ``audit.seq`` and the commit would fail rather
than fork the chain. SQLite keeps chaining in Python: its single writer has no such convoy.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LOCK_KEY = 0x4E454F4E  # "NEON": the advisory lock that serialises the chain

CHAIN = f"""
CREATE OR REPLACE FUNCTION neonwatch_audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq integer;
    last_hash text;
    new_hash text;
BEGIN
    -- held to the end of this commit: no one chains onto an entry that is not yet durable
    PERFORM pg_advisory_xact_lock({LOCK_KEY});
    -- a new statement, so a new snapshot: it sees the entry the previous holder committed
    SELECT seq, hash INTO last_seq, last_hash FROM audit ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        last_seq := 0;
        last_hash := repeat('0', 64);
    END IF;
    new_hash := encode(sha256(convert_to(
        last_hash || E'\\n' || NEW.head || (last_seq + 1)::text || NEW.tail, 'UTF8')), 'hex');
    INSERT INTO audit (seq, ts, actor, action, record_type, record_id, detail, prev_hash, hash)
    VALUES (last_seq + 1, NEW.ts, NEW.actor, NEW.action, NEW.record_type, NEW.record_id,
            NEW.detail, last_hash, new_hash);
    DELETE FROM audit_pending WHERE id = NEW.id;
    RETURN NULL;
END
$$
"""

TRIGGER = """
CREATE CONSTRAINT TRIGGER audit_chain_at_commit AFTER INSERT ON audit_pending
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION neonwatch_audit_chain()
"""


def upgrade() -> None:
    # on both backends, so the models and the migrations agree; only PostgreSQL fills it
    op.create_table(
        "audit_pending",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("record_type", sa.String(64)),
        sa.Column("record_id", sa.String(128)),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("head", sa.Text, nullable=False),
        sa.Column("tail", sa.Text, nullable=False),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CHAIN)
    op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_chain_at_commit ON audit_pending")
        op.execute("DROP FUNCTION IF EXISTS neonwatch_audit_chain()")
    op.drop_table("audit_pending")
