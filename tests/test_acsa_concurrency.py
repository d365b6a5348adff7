"""Concurrency on PostgreSQL (never skipped; CI runs it): 20 writers, each on its own
connection, doing 500 acknowledged operations each (new orders and lifecycle steps on orders
they share, retrying on :class:`StaleVersion`), then: every acknowledged operation is in the
history exactly once and nothing else is; per currency, settled + open == provided; every
order's summary agrees with its entries; the audit chain verifies."""

from __future__ import annotations

import contextlib
import random
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from neonwatch import acsa
from neonwatch.acsa.orders import ENTRIES, ORDERS
from neonwatch.acsa.rules import TRANSITIONS
from neonwatch.share import audit
from neonwatch.share.policy import Principal
from neonwatch.store import AuditEntry, make_engine, open_store

WRITERS = 20
OPERATIONS = 500
BUDGET_S = 90.0
PARTIES = {"CAF": "CAN", "JSDF": "JPN"}
LINES = {
    "JPY": [{"category": "fuel", "description": "F-76", "quantity": "3000", "unit": "L",
             "unit_price": "150"}],
    "CAD": [{"category": "water", "description": "Potable water", "quantity": "40", "unit": "t",
             "unit_price": "4.15"}],
}  # fmt: skip


@dataclass
class Writer:
    """One writer's acknowledged operations: (order id, seq, action)."""

    party: str
    principal: Principal
    done: list[tuple[uuid.UUID, int, str]] = field(default_factory=list)
    stale: int = 0
    errors: list[str] = field(default_factory=list)


class Pool:
    """The orders the writers share, thread-safe: per party, the ids of orders whose next
    step is that party's (as last seen; another writer may have moved them on since)."""

    def __init__(self) -> None:
        self.ids: dict[str, list[uuid.UUID]] = {p: [] for p in PARTIES}
        self.lock = threading.Lock()

    def put(self, party: str, oid: uuid.UUID) -> None:
        with self.lock:
            for ids in self.ids.values():
                with contextlib.suppress(ValueError):
                    ids.remove(oid)
            if party:
                self.ids[party].append(oid)

    def pick(self, party: str, rng: random.Random) -> uuid.UUID | None:
        with self.lock:
            ids = self.ids[party]
            return rng.choice(ids[-40:]) if ids else None


def _next_party(step: acsa.Step, requesting: str) -> str:
    """Whose turn it is after ``step`` ("" when the order is final)."""
    supplying = "JSDF" if requesting == "CAF" else "CAF"
    turn = {"requested": supplying, "accepted": supplying, "provided": requesting}
    turn |= {"received": supplying, "invoiced": supplying}
    return turn.get(step.status, "")


def _request(s: Session, w: Writer, rng: random.Random) -> acsa.Step:
    other = "JSDF" if w.party == "CAF" else "CAF"
    currency = rng.choice(("JPY", "CAD"))
    return acsa.request_order(
        s, w.principal, requesting=w.party, supplying=other, activity="coordinated_operation",
        settlement="reimbursement", currency=currency, lines=LINES[currency], node="bench",
    )  # fmt: skip


def _step(
    s: Session, w: Writer, oid: uuid.UUID, rng: random.Random
) -> tuple[acsa.Step, str] | None:
    """One lifecycle step this writer's party may take on ``oid`` now, None if it has none."""
    row = s.execute(
        select(ORDERS.c.status, ORDERS.c.version, ORDERS.c.requesting, ORDERS.c.currency)
        .add_columns(ORDERS.c.total_minor, ORDERS.c.settled_minor)
        .where(ORDERS.c.id == oid)
    ).one()
    role = "requesting" if row.requesting == w.party else "supplying"
    choices = [
        t.action
        for t in TRANSITIONS.values()
        if row.status in t.sources and t.by == role and t.action not in ("request", "amend")
    ]
    # mostly forward; now and then a rejection or cancellation
    forward = [a for a in choices if a not in ("reject", "cancel")]
    if not choices or (forward and rng.random() < 0.95 and not (choices := forward)):
        return None
    action = rng.choice(choices)
    amount = None
    if action == "settle" and rng.random() < 0.5:
        half = (row.total_minor - row.settled_minor) // 2
        amount = acsa.format_minor(half, row.currency) if half > 0 else None
    step = acsa.take_action(s, w.principal, oid, action, row.version, amount=amount, node="bench")
    return step, row.requesting


def _one(s: Session, w: Writer, pool: Pool, rng: random.Random) -> tuple[acsa.Step, str]:
    """A step on a shared order whose next step is this writer's party's, else a new order;
    and the requesting party of the order."""
    if rng.random() >= 0.25:
        for _ in range(3):
            oid = pool.pick(w.party, rng)
            if oid is None:
                break
            found = _step(s, w, oid, rng)
            if found is not None:
                return found
    return _request(s, w, rng), w.party


def _run(engine: Any, w: Writer, pool: Pool, seed: int, deadline: float) -> None:
    rng = random.Random(seed)
    while len(w.done) < OPERATIONS and time.monotonic() < deadline:
        try:
            with Session(engine) as s, s.begin():
                step, requesting = _one(s, w, pool, rng)
            # acknowledged: the transaction committed
            w.done.append((step.order_id, step.version, step.action))
            # visible to the others once committed; whose turn it is next
            pool.put(_next_party(step, requesting), step.order_id)
        except acsa.StaleVersion:
            w.stale += 1  # someone else moved the order first: read it again
        except Exception as exc:  # anything else fails the test
            w.errors.append(f"{type(exc).__name__}: {exc}")
            return


def test_twenty_writers_lose_nothing(pg_url: str) -> None:
    open_store(pg_url).close()  # migrate
    # one connection per writer, kept open (no ping before each transaction)
    engine = make_engine(pg_url, pool_size=WRITERS, max_overflow=0, pool_pre_ping=False)
    writers = [
        Writer(party, Principal(f"officer{i}", PARTIES[party], "SECRET" if party == "CAF" else "秘",
                                frozenset({"acsa"})))
        for i in range(WRITERS)
        for party in [("CAF", "JSDF")[i % 2]]
    ]  # fmt: skip
    pool = Pool()
    # The writers are threads of one interpreter standing in for separate server processes.
    # With the default 5 ms GIL switch interval, a writer holding the audit chain's lock waits
    # up to 5 ms for the GIL after each round trip while the others run Python; a short
    # interval keeps that lock (which serialises every write) from being held for nothing.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)
    started = time.monotonic()
    threads = [
        threading.Thread(target=_run, args=(engine, w, pool, i, started + BUDGET_S))
        for i, w in enumerate(writers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sys.setswitchinterval(switch)
    elapsed = time.monotonic() - started
    errors = [e for w in writers for e in w.errors]
    assert not errors, errors[:5]
    acked = [op for w in writers for op in w.done]
    assert len(acked) == WRITERS * OPERATIONS, f"only {len(acked)} operations in {elapsed:.0f} s"

    with Session(engine) as s:
        stored = Counter(
            (r.order_id, r.seq, r.action)
            for r in s.execute(select(ENTRIES.c.order_id, ENTRIES.c.seq, ENTRIES.c.action))
        )
        # every acknowledged operation exactly once, and nothing that was not acknowledged
        assert Counter(acked) == stored
        assert max(stored.values()) == 1
        audited = s.execute(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("acsa.%"))
        ).scalar_one()
        assert audited == len(acked)
        check = acsa.check_ledger(s)
        assert check.ok, check.problems[:5]
        for figures in check.figures.values():
            assert figures["settled"] + figures["open"] == figures["provided"]
        assert sum(f["settled"] for f in check.figures.values()) > 0
        assert audit.verify(s).ok
    kinds = Counter(a for _, _, a in acked)
    assert kinds["request"] and kinds["settle"] and kinds["receive"]
    stale = sum(w.stale for w in writers)
    print(
        f"\n{len(acked)} operations by {WRITERS} writers in {elapsed:.1f} s "
        f"({len(acked) / elapsed:.0f}/s), {stale} stale versions retried; {dict(kinds)}"
    )
    assert stale > 0  # the writers really did collide
    assert elapsed < BUDGET_S
    engine.dispose()
