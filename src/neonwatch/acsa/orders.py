"""Orders: request, amend and take lifecycle steps; read one order or a list.

Every write is one transaction of the caller's session: the check of who may do it and of the
agreement's rules, the optimistic lock on the order row (``UPDATE ... WHERE id = ? AND version
= ?``; 0 rows -> :class:`StaleVersion`), the new entry of the history, and the audit entry,
appended last (it holds the audit chain's lock until commit, so nothing waits while holding
it). Reads are audited too. Times are UTC; ``at`` lets the demo and the tests date a step in
the past, the API never passes it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from neonwatch.acsa.agreement import Agreement, load_agreement
from neonwatch.acsa.errors import NotAllowed, NotFound, RuleViolation, StaleVersion
from neonwatch.acsa.money import (
    MoneyError,
    format_minor,
    line_amount,
    parse_decimal,
    quantity_text,
    to_minor,
)
from neonwatch.acsa.officers import default_node, read_party, reader_party, write_party
from neonwatch.acsa.rules import (
    FINAL,
    REQUESTED,
    SETTLED,
    STATUSES,
    TRANSITIONS,
    wrong_state,
)
from neonwatch.share import audit
from neonwatch.share.policy import Principal
from neonwatch.store.ledger import (
    AcsaCounter,
    AcsaEntry,
    AcsaOrder,
    AcsaOrderLine,
    AcsaSettlement,
)
from neonwatch.store.models import utcnow

ORDERS = cast(Table, AcsaOrder.__table__)
LINES = cast(Table, AcsaOrderLine.__table__)
ENTRIES = cast(Table, AcsaEntry.__table__)
SETTLEMENTS = cast(Table, AcsaSettlement.__table__)
COUNTERS = cast(Table, AcsaCounter.__table__)
_INSERT_ORDER = insert(ORDERS)
_INSERT_LINE = insert(LINES)
_INSERT_ENTRY = insert(ENTRIES)
_INSERT_SETTLEMENT = insert(SETTLEMENTS)
_ORDER = select(ORDERS).where(ORDERS.c.id == bindparam("id"))
# an AcsaOrder, or a plain SQL row of acsa_orders (same attribute names)
OrderRow = Any
MAX_LINES = 200
MAX_TEXT = 2000


@dataclass(frozen=True)
class Step:
    """What a write did: the order, its status and version after the step."""

    order_id: uuid.UUID
    number: str
    action: str
    status: str
    version: int


# --- checking what a client sends ----------------------------------------------------------


def _text(value: Any, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RuleViolation(f"{field}: required")
        return None
    if not isinstance(value, str):
        raise RuleViolation(f"{field}: expected text")
    if len(value) > limit:
        raise RuleViolation(f"{field}: at most {limit} characters")
    return value.strip()


def check_lines(
    ag: Agreement, currency: str, lines: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The lines as stored (minor units, canonical quantities), or :class:`RuleViolation`
    naming the first bad field: weapons, unknown category or unit, a quantity that is not a
    positive number, a price the currency cannot express."""
    if not lines:
        raise RuleViolation("lines: an order needs at least one line")
    if len(lines) > MAX_LINES:
        raise RuleViolation(f"lines: at most {MAX_LINES} lines an order")
    out: list[dict[str, Any]] = []
    for i, line in enumerate(lines):
        where = f"lines[{i}]"
        category = str(line.get("category") or "").strip()
        description = _text(line.get("description"), f"{where}.description") or ""
        hit = ag.exclusion.hit(category, description)
        if hit is not None:
            raise RuleViolation(f"{where}: {ag.exclusion.reason} ({hit!r})")
        if category not in ag.category_codes:
            raise RuleViolation(
                f"{where}.category: {category!r} is not a category of the agreement "
                f"({', '.join(ag.category_codes)})"
            )
        unit = str(line.get("unit") or "").strip()
        if unit not in ag.units:
            raise RuleViolation(f"{where}.unit: {unit!r} is not one of {', '.join(ag.units)}")
        try:
            quantity = parse_decimal(line.get("quantity", ""), f"{where}.quantity")
            if quantity <= 0 or quantity != round(quantity, 6):
                raise MoneyError(
                    f"{where}.quantity: {line.get('quantity')!r} must be positive, "
                    "with at most 6 decimals"
                )
            price = to_minor(line.get("unit_price", ""), currency, ag.currencies)
        except MoneyError as exc:
            text = str(exc)
            raise RuleViolation(
                text if text.startswith(where) else f"{where}.unit_price: {text}"
            ) from None
        out.append(
            {
                "line_no": i + 1,
                "category": category,
                "description": description,
                "quantity": quantity_text(quantity),
                "unit": unit,
                "unit_price_minor": price,
                "amount_minor": line_amount(quantity, price),
            }
        )
    if sum(int(x["amount_minor"]) for x in out) <= 0:
        raise RuleViolation("lines: the order's total must be more than zero")
    return out


def _check_order(
    ag: Agreement,
    requesting: str,
    supplying: str,
    activity: str,
    settlement: str,
    currency: str,
) -> None:
    for field, code in (("requesting", requesting), ("supplying", supplying)):
        if code not in ag.party_codes:
            raise RuleViolation(f"{field}: {code!r} is not a party ({', '.join(ag.party_codes)})")
    if requesting == supplying:
        raise RuleViolation("supplying: a party cannot order from itself")
    if activity not in ag.activity_codes:
        raise RuleViolation(
            f"activity: {activity!r} is not an activity eligible under the agreement "
            f"({', '.join(ag.activity_codes)})"
        )
    if settlement not in ag.method_codes:
        raise RuleViolation(
            f"settlement: {settlement!r} is not a settlement method ({', '.join(ag.method_codes)})"
        )
    if currency not in ag.currencies:
        raise RuleViolation(
            f"currency: {currency!r} is not a currency of the agreement "
            f"({', '.join(sorted(ag.currencies))})"
        )


# --- writes ----------------------------------------------------------------------------------


def _counter_upsert(dialect: Any) -> Any:
    return (
        dialect.insert(COUNTERS)
        .values(year=bindparam("year"), last=1)
        .on_conflict_do_update(index_elements=[COUNTERS.c.year], set_={"last": COUNTERS.c.last + 1})
        .returning(COUNTERS.c.last)
    )


# built once: every request runs one (its compiled form is cached by SQLAlchemy)
_NEXT = {"postgresql": _counter_upsert(postgresql), "sqlite": _counter_upsert(sqlite)}


def _next_number(s: Session, year: int) -> str:
    """The next order number of ``year``, under the counter row's lock until commit."""
    stmt = _NEXT[s.get_bind().dialect.name]
    last = s.connection().execute(stmt, {"year": year}).scalar_one()
    return f"ACSA-{year}-{last:04d}"


def _entry(
    s: Session,
    order_id: uuid.UUID,
    seq: int,
    action: str,
    from_status: str | None,
    to_status: str,
    p: Principal,
    party: str,
    at: datetime,
    note: str | None,
    detail: dict[str, Any],
    node: str,
) -> None:
    s.connection().execute(
        _INSERT_ENTRY,
        {
            "id": uuid.uuid4(),
            "order_id": order_id,
            "seq": seq,
            "action": action,
            "from_status": from_status,
            "to_status": to_status,
            "actor": p.user,
            "party": party,
            "at": at,
            "note": note,
            "detail": detail,
            "originator_nation": p.nation,
            "originating_node": node,
        },
    )


def _insert_lines(
    s: Session, order_id: uuid.UUID, revision: int, lines: list[dict[str, Any]]
) -> None:
    s.connection().execute(
        _INSERT_LINE,
        [{"id": uuid.uuid4(), "order_id": order_id, "revision": revision, **x} for x in lines],
    )


def request_order(
    s: Session,
    p: Principal,
    *,
    requesting: str,
    supplying: str,
    activity: str,
    settlement: str,
    currency: str,
    lines: Sequence[Mapping[str, Any]],
    reference: str | None = None,
    note: str | None = None,
    at: datetime | None = None,
    node: str | None = None,
    agreement: Agreement | None = None,
) -> Step:
    """Record a new order, ``requested`` by ``p``'s party from the other party."""
    ag = agreement or load_agreement()
    party = write_party(p, ag)
    if requesting != party.code:
        raise NotAllowed(
            f"only {requesting} officers may request for {requesting}; "
            f"{p.user} acts for {party.code}"
            if requesting in ag.party_codes
            else f"requesting: {requesting!r} is not a party ({', '.join(ag.party_codes)})"
        )
    _check_order(ag, requesting, supplying, activity, settlement, currency)
    stored = check_lines(ag, currency, lines)
    reference = _text(reference, "reference", required=False, limit=256)
    note = _text(note, "note", required=False)
    when = as_utc(at) if at else utcnow()
    node = node or default_node()
    oid = uuid.uuid4()
    number = _next_number(s, when.year)
    total = sum(x["amount_minor"] for x in stored)
    s.connection().execute(
        _INSERT_ORDER,
        {
            "id": oid,
            "number": number,
            "requesting": requesting,
            "supplying": supplying,
            "activity": activity,
            "settlement": settlement,
            "currency": currency,
            "reference": reference,
            "note": note,
            "created_by": p.user,
            "created_at": when,
            "status": REQUESTED,
            "version": 1,
            "revision": 1,
            "total_minor": total,
            "settled_minor": 0,
            "updated_at": when,
            "originator_nation": p.nation,
            "originating_node": node,
        },
    )
    _insert_lines(s, oid, 1, stored)
    detail = {"revision": 1, "lines": stored, "total_minor": total}
    _entry(s, oid, 1, "request", None, REQUESTED, p, party.code, when, note, detail, node)
    audit.append(
        s,
        p.user,
        "acsa.request",
        "acsa_order",
        str(oid),
        {"number": number, "party": party.code, "total_minor": total, "currency": currency},
    )
    return Step(oid, number, "request", REQUESTED, 1)


def _order(s: Session, order_id: uuid.UUID) -> Any:
    """The order's row (a plain SQL row with the columns of :class:`AcsaOrder`: lighter than
    an ORM object on the write path every step takes)."""
    o = s.connection().execute(_ORDER, {"id": order_id}).first()
    if o is None:
        raise NotFound("not found")
    return o


def _checked(
    s: Session, p: Principal, ag: Agreement, order_id: uuid.UUID, action: str, version: int
) -> tuple[Any, str]:
    """The order and the actor's party, once the actor's party may take ``action`` (403), the
    version read is current (409) and the order's status allows it (422)."""
    if action not in TRANSITIONS or action == "request":
        raise RuleViolation(f"unknown action {action!r}")
    party = write_party(p, ag)
    o = _order(s, order_id)
    t = TRANSITIONS[action]
    required = o.requesting if t.by == "requesting" else o.supplying
    if party.code != required:
        raise NotAllowed(
            f"only {required} officers (the {t.by} party) may {action} order {o.number}; "
            f"{p.user} acts for {party.code}"
        )
    if version != o.version:
        raise StaleVersion(_stale(o.number, version))
    if o.status not in t.sources:
        raise RuleViolation(wrong_state(action, o.status))
    return o, party.code


def _stale(number: str, version: int) -> str:
    return (
        f"order {number} changed since you read it (you sent version {version}): "
        "someone else acted on it first; read it again and retry"
    )


def _advance(s: Session, o: OrderRow, version: int, values: dict[str, Any]) -> None:
    """Move the summary row on from ``version`` (the optimistic lock)."""
    stmt = (
        update(ORDERS)
        .where(ORDERS.c.id == o.id, ORDERS.c.version == version)
        .values(version=version + 1, **values)
    )
    if cast(CursorResult[Any], s.connection().execute(stmt)).rowcount != 1:
        raise StaleVersion(_stale(o.number, version))


def in_kind_due(o: OrderRow, ag: Agreement) -> date | None:
    """The day an in-kind or exchange order still open falls due in currency."""
    method = ag.method(o.settlement)
    if method is None or not method.in_kind or o.provided_at is None:
        return None
    return as_utc(o.provided_at).date() + timedelta(days=ag.in_kind_limit_days)


def payment_due(o: OrderRow, ag: Agreement) -> date | None:
    """The day payment of an invoiced reimbursement order is due (invoice + payment terms)."""
    method = ag.method(o.settlement)
    if o.invoiced_at is None or (method is not None and method.in_kind):
        return None
    return as_utc(o.invoiced_at).date() + timedelta(days=ag.payment_terms_days)


def as_utc(ts: datetime) -> datetime:
    """An aware UTC time (SQLite hands back naive UTC)."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _settle_values(
    o: OrderRow, ag: Agreement, method: str | None, amount: str | None, when: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The summary change and entry detail of a settlement, after the agreement's checks."""
    open_minor = o.total_minor - o.settled_minor
    method = method or o.settlement
    cash = ag.cash_method
    if ag.method(method) is None:
        raise RuleViolation(f"method: {method!r} is not one of {', '.join(ag.method_codes)}")
    if method not in (o.settlement, cash):
        raise RuleViolation(
            f"method: order {o.number} is settled by {o.settlement} (or {cash}), not {method}"
        )
    due = in_kind_due(o, ag)
    if method != cash and due is not None and when.date() > due:
        raise RuleViolation(
            f"method: the in-kind limit of {ag.in_kind_limit_days} days passed on {due}; "
            f"order {o.number} is now due in currency: settle by {cash}"
        )
    try:
        paid = open_minor if amount is None else to_minor(amount, o.currency, ag.currencies)
    except MoneyError as exc:
        raise RuleViolation(f"amount: {exc}") from None
    if paid <= 0:
        raise RuleViolation("amount: must be more than zero")
    if paid > open_minor:
        raise RuleViolation(
            f"amount: {format_minor(paid, o.currency)} {o.currency} is more than the "
            f"{format_minor(open_minor, o.currency)} {o.currency} open on {o.number}"
        )
    left = open_minor - paid
    values: dict[str, Any] = {"settled_minor": o.settled_minor + paid}
    if left == 0:
        values.update(status=SETTLED, settled_at=when)
    detail = {"method": method, "amount_minor": paid, "open_minor": left}
    return values, detail


_STAMPS = {"provide": "provided_at", "receive": "received_at", "invoice": "invoiced_at"}


def take_action(
    s: Session,
    p: Principal,
    order_id: uuid.UUID,
    action: str,
    version: int,
    *,
    note: str | None = None,
    method: str | None = None,
    amount: str | None = None,
    at: datetime | None = None,
    node: str | None = None,
    agreement: Agreement | None = None,
) -> Step:
    """Take one lifecycle step (accept, reject, provide, receive, invoice, settle, cancel) on
    the order as of ``version``. ``method`` and ``amount`` (decimal text in major units,
    default all that is open) are for ``settle`` only."""
    ag = agreement or load_agreement()
    if action == "amend":
        raise RuleViolation("amend: use amend_order (it needs the new lines)")
    o, party = _checked(s, p, ag, order_id, action, version)
    if action != "settle" and (method is not None or amount is not None):
        raise RuleViolation(f"method and amount are for settle, not {action}")
    note = _text(note, "note", required=False)
    when = as_utc(at) if at else utcnow()
    node = node or default_node()
    target = TRANSITIONS[action].target
    values: dict[str, Any] = {"updated_at": when}
    detail: dict[str, Any] = {}
    if action == "settle":
        change, detail = _settle_values(o, ag, method, amount, when)
        values.update(change)
    else:
        values["status"] = target
        if action in _STAMPS:
            values[_STAMPS[action]] = when
    status = str(values.get("status", o.status))
    _advance(s, o, version, values)
    seq = version + 1
    _entry(s, o.id, seq, action, o.status, status, p, party, when, note, detail, node)
    if action == "settle":
        _settlement(s, o, seq, detail, when, p, node)
    audit.append(
        s,
        p.user,
        f"acsa.{action}",
        "acsa_order",
        str(o.id),
        {"number": o.number, "party": party, "version": seq, "status": status, **detail},
    )
    return Step(o.id, o.number, action, status, seq)


def _settlement(
    s: Session,
    o: OrderRow,
    seq: int,
    detail: dict[str, Any],
    when: datetime,
    p: Principal,
    node: str,
) -> None:
    s.connection().execute(
        _INSERT_SETTLEMENT,
        {
            "id": uuid.uuid4(),
            "order_id": o.id,
            "seq": seq,
            "method": detail["method"],
            "currency": o.currency,
            "amount_minor": detail["amount_minor"],
            "creditor": o.supplying,
            "debtor": o.requesting,
            "at": when,
            "recorded_by": p.user,
            "originator_nation": p.nation,
            "originating_node": node,
        },
    )


def amend_order(
    s: Session,
    p: Principal,
    order_id: uuid.UUID,
    version: int,
    lines: Sequence[Mapping[str, Any]],
    *,
    note: str | None = None,
    at: datetime | None = None,
    node: str | None = None,
    agreement: Agreement | None = None,
) -> Step:
    """Replace a requested order's lines by a new revision (the old ones stay, as history)."""
    ag = agreement or load_agreement()
    o, party = _checked(s, p, ag, order_id, "amend", version)
    stored = check_lines(ag, o.currency, lines)
    note = _text(note, "note", required=False)
    when = as_utc(at) if at else utcnow()
    node = node or default_node()
    total = sum(x["amount_minor"] for x in stored)
    revision = o.revision + 1
    _advance(s, o, version, {"revision": revision, "total_minor": total, "updated_at": when})
    _insert_lines(s, o.id, revision, stored)
    detail = {
        "revision": revision,
        "lines": stored,
        "total_minor": total,
        "previous_total_minor": o.total_minor,
    }
    seq = version + 1
    _entry(s, o.id, seq, "amend", o.status, o.status, p, party, when, note, detail, node)
    audit.append(
        s,
        p.user,
        "acsa.amend",
        "acsa_order",
        str(o.id),
        {"number": o.number, "party": party, "version": seq, "revision": revision},
    )
    return Step(o.id, o.number, "amend", o.status, seq)


# --- reads -----------------------------------------------------------------------------------


def allowed_actions(o: OrderRow, party: str | None) -> list[str]:
    """The actions an officer of ``party`` may take on ``o`` now."""
    if party is None or o.status in FINAL:
        return []
    out = []
    for t in TRANSITIONS.values():
        if t.action == "request" or o.status not in t.sources:
            continue
        if (o.requesting if t.by == "requesting" else o.supplying) == party:
            out.append(t.action)
    return out


def _ts(ts: datetime | None) -> str | None:
    return None if ts is None else as_utc(ts).isoformat()


def summary(o: OrderRow, ag: Agreement) -> dict[str, Any]:
    """An order's summary, as lists give it."""
    cur = o.currency
    open_minor = o.total_minor - o.settled_minor
    return {
        "id": str(o.id),
        "number": o.number,
        "requesting": o.requesting,
        "supplying": o.supplying,
        "activity": o.activity,
        "settlement": o.settlement,
        "currency": cur,
        "status": o.status,
        "version": o.version,
        "total_minor": o.total_minor,
        "total": format_minor(o.total_minor, cur, ag.currencies),
        "settled_minor": o.settled_minor,
        "settled": format_minor(o.settled_minor, cur, ag.currencies),
        "open_minor": open_minor if o.provided_at is not None else 0,
        "open": format_minor(open_minor if o.provided_at is not None else 0, cur, ag.currencies),
        "reference": o.reference,
        "created_by": o.created_by,
        "created_at": _ts(o.created_at),
        "updated_at": _ts(o.updated_at),
    }


def overdue_of(o: OrderRow, ag: Agreement, as_of: date) -> tuple[str, date, int] | None:
    """Why ``o`` is overdue on ``as_of`` (reason, due date, days), None when it is not: an
    in-kind settlement past its limit, a received order not invoiced within the invoice period
    (the supplier's delay), or an invoice unpaid past the payment terms."""
    if o.provided_at is None or o.status in FINAL or o.total_minor <= o.settled_minor:
        return None
    dues = (
        ("in_kind_limit", in_kind_due(o, ag)),
        ("invoice", invoice_by(o, ag)),
        ("payment", payment_due(o, ag)),
    )
    for reason, due in dues:
        if due is not None and as_of > due:
            return reason, due, (as_of - due).days
    return None


def invoice_by(o: OrderRow, ag: Agreement) -> date | None:
    """The last day to invoice a received order (invoice period from receipt)."""
    if o.received_at is None or o.invoiced_at is not None:
        return None
    d = as_utc(o.received_at).date()
    month = d.month - 1 + ag.invoice_period_months
    year, month = d.year + month // 12, month % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return None


def order_view(
    s: Session, o: OrderRow, p: Principal, ag: Agreement, as_of: date | None = None
) -> dict[str, Any]:
    """The whole order as JSON: lines of the current revision, history, due dates, and the
    actions the reader may take now."""
    cur = o.currency
    out = summary(o, ag)
    lines = s.execute(
        select(LINES)
        .where(LINES.c.order_id == o.id, LINES.c.revision == o.revision)
        .order_by(LINES.c.line_no)
    )
    out["revision"] = o.revision
    out["note"] = o.note
    out["lines"] = [
        {
            "line_no": x.line_no,
            "category": x.category,
            "description": x.description,
            "quantity": x.quantity,
            "unit": x.unit,
            "unit_price_minor": x.unit_price_minor,
            "unit_price": format_minor(x.unit_price_minor, cur, ag.currencies),
            "amount_minor": x.amount_minor,
            "amount": format_minor(x.amount_minor, cur, ag.currencies),
        }
        for x in lines
    ]
    entries = s.execute(select(ENTRIES).where(ENTRIES.c.order_id == o.id).order_by(ENTRIES.c.seq))
    out["history"] = [
        {
            "seq": e.seq,
            "action": e.action,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor": e.actor,
            "party": e.party,
            "at": _ts(e.at),
            "note": e.note,
            "detail": e.detail,
        }
        for e in entries
    ]
    today = as_of or utcnow().date()
    late = overdue_of(o, ag, today)
    due_kind = in_kind_due(o, ag)
    out.update(
        {
            "provided_at": _ts(o.provided_at),
            "received_at": _ts(o.received_at),
            "invoiced_at": _ts(o.invoiced_at),
            "settled_at": _ts(o.settled_at),
            "payment_due": _date(payment_due(o, ag)),
            "in_kind_due": _date(due_kind),
            "invoice_by": _date(invoice_by(o, ag)),
            "overdue_days": late[2] if late else None,
            "overdue_reason": late[0] if late else None,
            "originator_nation": o.originator_nation,
            "originating_node": o.originating_node,
        }
    )
    party = reader_party(p, ag)
    out["allowed_actions"] = allowed_actions(o, party.code if party else None)
    return out


def _date(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def get_order(
    s: Session,
    p: Principal,
    order_id: uuid.UUID,
    *,
    as_of: date | None = None,
    agreement: Agreement | None = None,
    audited: bool = True,
) -> dict[str, Any]:
    """One order as JSON (:class:`NotFound` when missing or the reader is not an officer)."""
    ag = agreement or load_agreement()
    try:
        read_party(p, ag)
        o = _order(s, order_id)
    except NotFound:
        if audited:
            audit.append(s, p.user, "acsa.read", "acsa_order", str(order_id), {"found": False})
        raise
    out = order_view(s, o, p, ag, as_of)
    if audited:
        audit.append(
            s, p.user, "acsa.read", "acsa_order", str(order_id), {"found": True, "number": o.number}
        )
    return out


def find_order(s: Session, p: Principal, key: str) -> uuid.UUID:
    """The id of the order ``key`` names (its UUID or its number, ACSA-2026-0001)."""
    try:
        return uuid.UUID(key)
    except ValueError:
        pass
    read_party(p, load_agreement(), f"order {key}: not found")
    found = s.execute(select(ORDERS.c.id).where(ORDERS.c.number == key.upper())).scalar()
    if found is None:
        raise NotFound(f"order {key}: not found")
    return cast(uuid.UUID, found)


def list_orders(
    s: Session,
    p: Principal,
    *,
    status: str | None = None,
    party: str | None = None,
    activity: str | None = None,
    category: str | None = None,
    limit: int = 100,
    offset: int = 0,
    agreement: Agreement | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """Order summaries, newest first, with the total count (nothing for non-officers)."""
    ag = agreement or load_agreement()
    filters = {"status": status, "party": party, "activity": activity, "category": category}
    if status is not None and status not in STATUSES:
        raise RuleViolation(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    if reader_party(p, ag) is None:
        audit.append(s, p.user, "acsa.list", "acsa_order", None, {"filters": filters, "total": 0})
        return 0, []
    stmt = select(AcsaOrder)
    if status:
        stmt = stmt.where(AcsaOrder.status == status)
    if party:
        stmt = stmt.where(or_(AcsaOrder.requesting == party, AcsaOrder.supplying == party))
    if activity:
        stmt = stmt.where(AcsaOrder.activity == activity)
    if category:
        stmt = stmt.where(
            exists().where(
                and_(
                    AcsaOrderLine.order_id == AcsaOrder.id,
                    AcsaOrderLine.revision == AcsaOrder.revision,
                    AcsaOrderLine.category == category,
                )
            )
        )
    total = int(s.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())
    rows = s.scalars(
        stmt.order_by(AcsaOrder.created_at.desc(), AcsaOrder.number.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    items = [summary(o, ag) for o in rows]
    audit.append(
        s,
        p.user,
        "acsa.list",
        "acsa_order",
        None,
        {"filters": filters, "total": total, "numbers": [i["number"] for i in items]},
    )
    return total, items
