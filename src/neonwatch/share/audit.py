"""The audit log: append-only and tamper-evident.

Each entry's ``hash`` is the SHA-256 of its canonical content (sequence number, UTC time, actor,
action, record type and id, detail as sorted JSON) and of ``prev_hash``, the hash of the entry
before it (64 zeros for the first). Changing any stored field, removing an entry or reordering
entries therefore breaks the chain, and :func:`verify` says at which ``seq``. Appends are
serialised, so two writers cannot both chain onto the same entry: on PostgreSQL the database
chains each entry at COMMIT under an advisory lock (a deferred trigger, migration 0004: the
lock is never held across a round trip to this process); on SQLite the write lock is taken up
front (its single writer) and the entry chained here.

The chain alone cannot tell a log whose *latest* entries were cut off from a shorter log. An
**anchor** closes that gap: :func:`record_anchor` appends the head (seq and hash) to a file kept
outside the database (another machine, write-once storage, the partner's node), and
:func:`verify` given that anchor fails when the anchored entry is gone or differs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select, text, update
from sqlalchemy.orm import Session

from neonwatch.store.models import AuditEntry, utcnow

GENESIS = "0" * 64


def _ts(ts: datetime) -> str:
    """UTC, microseconds, whatever the backend hands back (SQLite drops the zone)."""
    ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(
    seq: int,
    ts: datetime,
    actor: str,
    action: str,
    record_type: str | None,
    record_id: str | None,
    detail: dict[str, Any],
) -> str:
    """The canonical text an entry's hash covers (besides the previous hash)."""
    return json.dumps(
        {
            "seq": seq,
            "ts": _ts(ts),
            "actor": actor,
            "action": action,
            "record_type": record_type,
            "record_id": record_id,
            "detail": detail,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def entry_hash(prev_hash: str, content: str) -> str:
    """SHA-256 (hex) of the previous entry's hash and this entry's canonical content."""
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


_AUDIT = cast(Table, AuditEntry.__table__)
_LAST = select(_AUDIT.c.seq, _AUDIT.c.hash).order_by(_AUDIT.c.seq.desc()).limit(1)
_INSERT = insert(_AUDIT)


_TAKE_LOCK = update(_AUDIT).where(_AUDIT.c.seq < 0).values(seq=_AUDIT.c.seq)


def _lock(session: Session | Connection) -> tuple[int, str]:
    """SQLite: take the write lock and return the last entry's (seq, hash), (0, GENESIS) if
    none. A write statement takes SQLite's RESERVED lock now, before the last entry is read."""
    session.execute(_TAKE_LOCK)
    last = session.execute(_LAST).first()
    return (0, GENESIS) if last is None else (int(last.seq), str(last.hash))


def append(
    session: Session | Connection,
    actor: str,
    action: str,
    record_type: str | None = None,
    record_id: str | None = None,
    detail: dict[str, Any] | None = None,
    *,
    ts: datetime | None = None,
) -> None:
    """Append one entry in ``session``'s transaction (an ORM session or a Core connection):
    committed with it, or not at all. On PostgreSQL the entry is numbered and chained at COMMIT
    (so it is not in ``audit`` before then); on SQLite, here."""
    when = ts or utcnow()
    body = json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str))
    rid = None if record_id is None else str(record_id)
    bind = session if isinstance(session, Connection) else session.get_bind()
    if bind.dialect.name == "postgresql":
        _append_in_postgres(session, when, actor, action, record_type, rid, body)
        return
    last_seq, prev = _lock(session)
    seq = last_seq + 1
    content = canonical(seq, when, actor, action, record_type, rid, body)
    session.execute(
        _INSERT,
        {
            "seq": seq,
            "ts": when,
            "actor": actor,
            "action": action,
            "record_type": record_type,
            "record_id": rid,
            "detail": body,
            "prev_hash": prev,
            "hash": entry_hash(prev, content),
        },
    )


_SEQ_MARK = -1  # stands for the sequence number in the text handed to the database
_PG_PENDING = text(
    "INSERT INTO audit_pending (ts, actor, action, record_type, record_id, detail, head, tail)"
    " VALUES (:ts, :actor, :action, :record_type, :record_id, CAST(:detail AS jsonb),"
    " :head, :tail)"
)


def _append_in_postgres(
    session: Session | Connection,
    when: datetime,
    actor: str,
    action: str,
    record_type: str | None,
    record_id: str | None,
    body: dict[str, Any],
) -> None:
    """The entry goes to ``audit_pending``; the database chains it at COMMIT (migration 0004),
    so the append lock is never held while this process's threads wait for each other. The
    canonical text is built here around the sequence number: keys are sorted, so the
    top-level ``"seq"`` is the last one before ``"ts"`` and anything in ``detail`` comes
    before it."""
    content = canonical(_SEQ_MARK, when, actor, action, record_type, record_id, body)
    head, _, tail = content.rpartition(f'"seq":{_SEQ_MARK},')
    params = {
        "ts": when,
        "actor": actor,
        "action": action,
        "record_type": record_type,
        "record_id": record_id,
        "detail": json.dumps(body, ensure_ascii=False),
        "head": head + '"seq":',
        "tail": "," + tail,
    }
    session.execute(_PG_PENDING, params)


@dataclass(frozen=True)
class VerifyResult:
    """The verdict on the chain: ``first_bad_seq`` is the first entry that is altered, missing
    or out of place (None when ``ok``)."""

    ok: bool
    first_bad_seq: int | None
    reason: str
    entries: int = 0
    last_hash: str = GENESIS

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason,
            "entries": self.entries,
            "last_hash": self.last_hash,
        }


@dataclass(frozen=True)
class Anchor:
    """A chain head recorded outside the store: entry ``seq`` had hash ``hash``."""

    seq: int
    hash: str
    recorded_at: str = ""


def read_anchor(path: Path) -> Anchor | None:
    """The latest anchor in ``path`` (JSON lines), None for a missing or empty file."""
    if not path.exists():
        return None
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if not lines:
        return None
    try:
        raw = json.loads(lines[-1])
        return Anchor(int(raw["seq"]), str(raw["hash"]), str(raw.get("recorded_at", "")))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: the last line is not an audit anchor ({exc})") from None


def record_anchor(path: Path, result: VerifyResult) -> Anchor:
    """Append the head of a verified chain to ``path`` (one JSON line)."""
    if not result.ok:
        raise ValueError("the chain is broken: nothing to anchor")
    anchor = Anchor(result.entries, result.last_hash, _ts(utcnow()))
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(anchor.__dict__) + "\n")
    return anchor


def verify(session: Session, anchor: Anchor | None = None) -> VerifyResult:
    """Walk the chain in ``seq`` order and find the first altered, removed or reordered entry;
    with an ``anchor``, also that the anchored entry is still there with its hash (entries cut
    off the end)."""
    result = _walk(session, anchor)
    if result.ok and anchor is not None and result.entries < anchor.seq:
        return VerifyResult(
            False,
            result.entries + 1,
            f"entries {result.entries + 1} to {anchor.seq} were removed: the chain ends at "
            f"{result.entries} but entry {anchor.seq} was anchored",
            result.entries,
            result.last_hash,
        )
    return result


def _walk(session: Session, anchor: Anchor | None) -> VerifyResult:
    prev = GENESIS
    expected = 1
    n = 0
    for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(1000):
        if e.seq != expected:
            return VerifyResult(False, expected, f"entry {expected} is missing", n, prev)
        if e.prev_hash != prev:
            return VerifyResult(
                False, e.seq, f"entry {e.seq} does not chain onto entry {e.seq - 1}", n, prev
            )
        content = canonical(
            e.seq, e.ts, e.actor, e.action, e.record_type, e.record_id, e.detail or {}
        )
        if entry_hash(prev, content) != e.hash:
            return VerifyResult(False, e.seq, f"entry {e.seq} was altered (hash mismatch)", n, prev)
        if anchor is not None and e.seq == anchor.seq and e.hash != anchor.hash:
            return VerifyResult(
                False, e.seq, f"entry {e.seq} differs from its anchor (hash mismatch)", n, prev
            )
        prev = e.hash
        expected += 1
        n += 1
    return VerifyResult(True, None, f"{n} entries, chain intact", n, prev)
