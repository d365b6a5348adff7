"""What the ledger adds up to: open balances, what is overdue, totals by category or
activity, a statement of account for a period, exchange rates and a consolidated figure, and
the invariant check (per currency, settled + open == provided).

Balances count an order from the moment its supplies were provided (``provided_at``) and a
settlement from the moment it was recorded, so a balance ``as_of`` a past day is what the
books said that day. Conversions use only rates an officer recorded with their date, the
latest dated on or before the day asked for; never a live service (DESIGN.md)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, insert, select
from sqlalchemy.orm import Session

from neonwatch.acsa.agreement import Agreement, load_agreement
from neonwatch.acsa.errors import RuleViolation
from neonwatch.acsa.money import MoneyError, format_minor, parse_decimal, quantity_text
from neonwatch.acsa.officers import default_node, read_party, reader_party, write_party
from neonwatch.acsa.orders import ENTRIES, LINES, ORDERS, SETTLEMENTS, as_utc, overdue_of
from neonwatch.acsa.rules import FINAL, INVOICED, PROVIDED_STATUSES, SETTLED
from neonwatch.share import audit
from neonwatch.share.policy import Principal
from neonwatch.store.ledger import AcsaOrder, AcsaRate
from neonwatch.store.models import utcnow


def end_of(day: date) -> datetime:
    """The first instant after ``day`` (UTC): what ``as_of`` a day includes."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def _fmt(minor: int, currency: str, ag: Agreement) -> str:
    return format_minor(minor, currency, ag.currencies)


# --- balances and overdue --------------------------------------------------------------------


def _provided(s: Session, before: datetime) -> dict[tuple[str, str, str], int]:
    o = ORDERS.c
    rows = s.execute(
        select(o.supplying, o.requesting, o.currency, func.sum(o.total_minor))
        .where(o.provided_at.is_not(None), o.provided_at < before)
        .group_by(o.supplying, o.requesting, o.currency)
    )
    return {(r[0], r[1], r[2]): int(r[3]) for r in rows}


def _settled(s: Session, before: datetime) -> dict[tuple[str, str, str], int]:
    c = SETTLEMENTS.c
    rows = s.execute(
        select(c.creditor, c.debtor, c.currency, func.sum(c.amount_minor))
        .where(c.at < before)
        .group_by(c.creditor, c.debtor, c.currency)
    )
    return {(r[0], r[1], r[2]): int(r[3]) for r in rows}


def balance_rows(s: Session, ag: Agreement, as_of: date) -> list[dict[str, Any]]:
    """Open balances per creditor, debtor and currency on ``as_of`` (no audit: a building
    block of the reports)."""
    before = end_of(as_of)
    provided, settled = _provided(s, before), _settled(s, before)
    out = []
    for key in sorted(set(provided) | set(settled)):
        creditor, debtor, cur = key
        p, st = provided.get(key, 0), settled.get(key, 0)
        out.append(
            {
                "creditor": creditor,
                "debtor": debtor,
                "currency": cur,
                "provided_minor": p,
                "provided": _fmt(p, cur, ag),
                "settled_minor": st,
                "settled": _fmt(st, cur, ag),
                "open_minor": p - st,
                "open": _fmt(p - st, cur, ag),
            }
        )
    return out


def balances(
    s: Session, p: Principal, as_of: date | None = None, *, agreement: Agreement | None = None
) -> dict[str, Any]:
    """Open balances per party and currency on ``as_of`` (default today, UTC)."""
    ag = agreement or load_agreement()
    day = as_of or utcnow().date()
    rows = balance_rows(s, ag, day) if reader_party(p, ag) else []
    audit.append(s, p.user, "acsa.balances", "acsa", None, {"as_of": day.isoformat()})
    return {"as_of": day.isoformat(), "balances": rows}


def overdue(
    s: Session, p: Principal, as_of: date | None = None, *, agreement: Agreement | None = None
) -> dict[str, Any]:
    """Orders overdue on ``as_of``: invoiced and unpaid past the payment terms, or settled in
    kind / by exchange and still open past the in-kind limit (then due in currency)."""
    ag = agreement or load_agreement()
    day = as_of or utcnow().date()
    items: list[dict[str, Any]] = []
    if reader_party(p, ag):
        open_orders = s.scalars(
            select(AcsaOrder)
            .where(AcsaOrder.provided_at.is_not(None), AcsaOrder.status.not_in(FINAL))
            .order_by(AcsaOrder.number)
        )
        for o in open_orders:
            late = overdue_of(o, ag, day)
            if late is None:
                continue
            left = o.total_minor - o.settled_minor
            items.append(
                {
                    "id": str(o.id),
                    "order_id": str(o.id),
                    "number": o.number,
                    "debtor": o.requesting,
                    "creditor": o.supplying,
                    "currency": o.currency,
                    "settlement": o.settlement,
                    "status": o.status,
                    "open_minor": left,
                    "open": _fmt(left, o.currency, ag),
                    "due": late[1].isoformat(),
                    "days_overdue": late[2],
                    "reason": late[0],
                }
            )
        items.sort(key=lambda i: (-i["days_overdue"], i["number"]))
    audit.append(s, p.user, "acsa.overdue", "acsa", None, {"as_of": day.isoformat()})
    return {"as_of": day.isoformat(), "items": items}


# --- totals ----------------------------------------------------------------------------------


def totals(
    s: Session,
    p: Principal,
    by: str = "category",
    *,
    party: str | None = None,
    agreement: Agreement | None = None,
) -> dict[str, Any]:
    """What was provided (orders provided, received, invoiced or settled), summed by
    ``category`` (line amounts) or ``activity`` (order totals), per currency."""
    ag = agreement or load_agreement()
    if by not in ("category", "activity"):
        raise RuleViolation(f"by: {by!r} is not 'category' or 'activity'")
    items: list[dict[str, Any]] = []
    if reader_party(p, ag):
        o = ORDERS.c
        where: list[ColumnElement[bool]] = [o.status.in_(PROVIDED_STATUSES)]
        if party:
            where.append((o.supplying == party) | (o.requesting == party))
        if by == "category":
            key, amount = LINES.c.category, LINES.c.amount_minor
            base = select(key, o.currency, func.sum(amount), func.count(func.distinct(o.id)))
            base = base.select_from(
                ORDERS.join(LINES, (LINES.c.order_id == o.id) & (LINES.c.revision == o.revision))
            )
        else:
            key = o.activity
            base = select(key, o.currency, func.sum(o.total_minor), func.count(o.id))
        rows = s.execute(base.where(*where).group_by(key, o.currency).order_by(key, o.currency))
        items = [
            {
                "key": r[0],
                "currency": r[1],
                "total_minor": int(r[2]),
                "total": _fmt(int(r[2]), r[1], ag),
                "orders": int(r[3]),
            }
            for r in rows
        ]
    audit.append(s, p.user, "acsa.totals", "acsa", None, {"by": by, "party": party})
    return {"by": by, "party": party, "items": items}


# --- statement of account --------------------------------------------------------------------


def _movements(s: Session, party: str, before: datetime) -> list[dict[str, Any]]:
    """Every movement of ``party``'s account before ``before``: provisions (positive when
    the party supplied: owed to it; negative when it received) and settlements (the reverse)."""
    o = ORDERS.c
    out: list[dict[str, Any]] = []
    provided = s.execute(
        select(o.id, o.number, o.supplying, o.requesting, o.currency, o.total_minor)
        .add_columns(o.provided_at, o.activity, o.settlement)
        .where(
            o.provided_at.is_not(None),
            o.provided_at < before,
            (o.supplying == party) | (o.requesting == party),
        )
    )
    for r in provided:
        supplier = r.supplying == party
        out.append(
            {
                "at": as_utc(r.provided_at),
                "order_id": str(r.id),
                "number": r.number,
                "kind": "provided",
                "counterparty": r.requesting if supplier else r.supplying,
                "activity": r.activity,
                "method": r.settlement,
                "currency": r.currency,
                "amount_minor": r.total_minor if supplier else -r.total_minor,
            }
        )
    c = SETTLEMENTS.c
    settled = s.execute(
        select(c.order_id, o.number, c.creditor, c.debtor, c.currency, c.amount_minor)
        .add_columns(c.at, o.activity, c.method)
        .join(ORDERS, o.id == c.order_id)
        .where(c.at < before, (c.creditor == party) | (c.debtor == party))
    )
    for r in settled:
        creditor = r.creditor == party
        out.append(
            {
                "at": as_utc(r.at),
                "order_id": str(r.order_id),
                "number": r.number,
                "kind": "settlement",
                "counterparty": r.debtor if creditor else r.creditor,
                "activity": r.activity,
                "method": r.method,
                "currency": r.currency,
                "amount_minor": -r.amount_minor if creditor else r.amount_minor,
            }
        )
    out.sort(key=lambda m: (m["at"], m["number"], m["kind"] != "provided"))
    return out


def statement(
    s: Session,
    p: Principal,
    party: str,
    start: date,
    end: date,
    *,
    agreement: Agreement | None = None,
) -> dict[str, Any]:
    """``party``'s statement of account from ``start`` to ``end`` (inclusive, UTC days): per
    currency, the opening balance, every provision and settlement with the running balance,
    and the closing balance. A balance is positive when owed to ``party``."""
    ag = agreement or load_agreement()
    if party not in ag.party_codes:
        raise RuleViolation(f"party: {party!r} is not a party ({', '.join(ag.party_codes)})")
    if end < start:
        raise RuleViolation(f"end: {end} is before start {start}")
    read_party(p, ag)
    first = datetime.combine(start, time(), tzinfo=UTC)
    per: dict[str, dict[str, Any]] = {}
    for m in _movements(s, party, end_of(end)):
        cur = m["currency"]
        acc = per.setdefault(cur, {"currency": cur, "opening_minor": 0, "rows": []})
        if m["at"] < first:
            acc["opening_minor"] += m["amount_minor"]
            continue
        acc["rows"].append(m)
    currencies = []
    for cur in sorted(per):
        acc = per[cur]
        running = acc["opening_minor"]
        for m in acc["rows"]:
            running += m["amount_minor"]
            m["date"] = m["at"].date().isoformat()
            m["at"] = m["at"].isoformat()
            m["amount"] = _fmt(m["amount_minor"], cur, ag)
            m["balance_minor"] = running
            m["balance"] = _fmt(running, cur, ag)
        acc["opening"] = _fmt(acc["opening_minor"], cur, ag)
        acc["closing_minor"] = running
        acc["closing"] = _fmt(running, cur, ag)
        currencies.append(acc)
    detail = {"party": party, "start": start.isoformat(), "end": end.isoformat()}
    audit.append(s, p.user, "acsa.statement", "acsa", None, detail)
    return {
        "party": party,
        "party_name": ag.party(party).name,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "issued_at": utcnow().isoformat(),
        "issued_by": p.user,
        "currencies": currencies,
    }


# --- exchange rates and the consolidated figure -----------------------------------------------


# A Tokyo officer at 08:00 records "today's" rate while UTC is still on yesterday: a day is
# in the past once it has begun anywhere, and the earliest zone on Earth is UTC+14 (Kiribati).
_EARLIEST_ZONE = timedelta(hours=14)


def latest_rate_day(now: datetime | None = None) -> date:
    """The newest day a rate may carry: today in the earliest time zone on Earth."""
    return ((now or utcnow()) + _EARLIEST_ZONE).date()


def record_rate(
    s: Session,
    p: Principal,
    *,
    base: str,
    quote: str,
    rate: str,
    as_of: date,
    source: str,
    node: str | None = None,
    agreement: Agreement | None = None,
) -> dict[str, Any]:
    """Record that 1 ``base`` = ``rate`` ``quote`` on ``as_of``, from ``source``."""
    ag = agreement or load_agreement()
    write_party(p, ag)
    for name, code in (("base", base), ("quote", quote)):
        if code not in ag.currencies:
            raise RuleViolation(
                f"{name}: {code!r} is not a currency of the agreement "
                f"({', '.join(sorted(ag.currencies))})"
            )
    if base == quote:
        raise RuleViolation("quote: must differ from base")
    try:
        value = parse_decimal(rate, "rate")
    except MoneyError as exc:
        raise RuleViolation(str(exc)) from None
    if value <= 0:
        raise RuleViolation("rate: must be more than zero")
    if as_of > latest_rate_day():
        raise RuleViolation(f"as_of: {as_of} is in the future; record rates that were published")
    if not source or not source.strip():
        raise RuleViolation("source: say where the rate comes from (e.g. Bank of Canada)")
    row = {
        "id": uuid.uuid4(),
        "base": base,
        "quote": quote,
        "rate": quantity_text(value),
        "as_of": as_of,
        "source": source.strip()[:500],
        "recorded_by": p.user,
        "recorded_at": utcnow(),
        "originator_nation": p.nation,
        "originating_node": node or default_node(),
    }
    s.execute(insert(cast(Table, AcsaRate.__table__)), row)
    out = {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in row.items()}
    rid = out["id"] = str(row["id"])
    keys = ("base", "quote", "rate", "as_of", "source")
    audit.append(s, p.user, "acsa.rate", "acsa_rate", rid, {k: out[k] for k in keys})
    return out


def list_rates(
    s: Session, p: Principal, *, agreement: Agreement | None = None
) -> list[dict[str, Any]]:
    """The recorded exchange rates, newest first (none for non-officers)."""
    ag = agreement or load_agreement()
    rows: list[AcsaRate] = []
    if reader_party(p, ag):
        rows = list(
            s.scalars(select(AcsaRate).order_by(AcsaRate.as_of.desc(), AcsaRate.recorded_at.desc()))
        )
    audit.append(s, p.user, "acsa.rates", "acsa", None, {"count": len(rows)})
    return [
        {
            "id": str(r.id),
            "base": r.base,
            "quote": r.quote,
            "rate": r.rate,
            "as_of": r.as_of.isoformat(),
            "source": r.source,
            "recorded_by": r.recorded_by,
            "recorded_at": as_utc(r.recorded_at).isoformat(),
        }
        for r in rows
    ]


def _rate(s: Session, base: str, quote: str, on: date) -> AcsaRate | None:
    return s.scalars(
        select(AcsaRate)
        .where(AcsaRate.base == base, AcsaRate.quote == quote, AcsaRate.as_of <= on)
        .order_by(AcsaRate.as_of.desc(), AcsaRate.recorded_at.desc())
        .limit(1)
    ).first()


def convert(minor: int, src: str, dst: str, rate: Decimal, ag: Agreement) -> int:
    """``minor`` units of ``src`` in minor units of ``dst`` at ``rate`` (half up)."""
    exp = ag.currencies[dst] - ag.currencies[src]
    return int((Decimal(minor) * rate).scaleb(exp).to_integral_value(rounding=ROUND_HALF_UP))


def consolidated(
    s: Session,
    p: Principal,
    currency: str,
    rate_date: date,
    as_of: date | None = None,
    *,
    agreement: Agreement | None = None,
) -> dict[str, Any]:
    """Open balances (on ``as_of``, default today) in ``currency``, converted with the
    latest recorded rate dated on or before ``rate_date``; :class:`RuleViolation` naming the
    pair when none is recorded."""
    ag = agreement or load_agreement()
    if currency not in ag.currencies:
        raise RuleViolation(
            f"currency: {currency!r} is not one of {', '.join(sorted(ag.currencies))}"
        )
    read_party(p, ag)
    day = as_of or utcnow().date()
    items, used = [], {}
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for b in balance_rows(s, ag, day):
        rate = Decimal(1)
        if b["currency"] != currency:
            found = _rate(s, b["currency"], currency, rate_date)
            if found is None:
                raise RuleViolation(
                    f"no {b['currency']}/{currency} rate recorded on or before {rate_date}: "
                    f"record one (base {b['currency']}, quote {currency}) first"
                )
            rate = Decimal(found.rate)
            used[f"{found.base}/{found.quote}"] = {
                "base": found.base,
                "quote": found.quote,
                "rate": found.rate,
                "as_of": found.as_of.isoformat(),
                "source": found.source,
            }
        converted = convert(b["open_minor"], b["currency"], currency, rate, ag)
        sums[(b["creditor"], b["debtor"])] += converted
        items.append(
            {
                **b,
                "rate": quantity_text(rate),
                "converted_minor": converted,
                "converted": _fmt(converted, currency, ag),
            }
        )
    net = _net(sums, currency, ag)
    audit.append(
        s,
        p.user,
        "acsa.consolidated",
        "acsa",
        None,
        {"currency": currency, "rate_date": rate_date.isoformat(), "rates": sorted(used)},
    )
    return {
        "currency": currency,
        "rate_date": rate_date.isoformat(),
        "as_of": day.isoformat(),
        "rates": list(used.values()),
        "items": items,
        "totals": [
            {"creditor": c, "debtor": d, "open_minor": v, "open": _fmt(v, currency, ag)}
            for (c, d), v in sorted(sums.items())
        ],
        "net": net,
    }


def _net(sums: dict[tuple[str, str], int], currency: str, ag: Agreement) -> dict[str, Any] | None:
    """Who owes whom overall, once both directions are set against each other."""
    a, b = ag.party_codes[:2]
    value = sums.get((a, b), 0) - sums.get((b, a), 0)
    if not sums:
        return None
    creditor, debtor = (a, b) if value >= 0 else (b, a)
    return {
        "creditor": creditor,
        "debtor": debtor,
        "open_minor": abs(value),
        "open": _fmt(abs(value), currency, ag),
    }


# --- the invariant ---------------------------------------------------------------------------


@dataclass
class LedgerCheck:
    """Per currency: provided (from the lines), settled (from the settlements), open (from the
    order summaries); ``problems`` lists every order whose summary disagrees with its history."""

    figures: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_ledger(s: Session) -> LedgerCheck:
    """Check, from three independent sources, that per currency settled + open == provided,
    and that every order's summary row is what its entries and settlements say."""
    result = LedgerCheck()
    o = ORDERS.c
    lines = dict(
        s.execute(
            select(LINES.c.order_id, func.sum(LINES.c.amount_minor))
            .join(ORDERS, (o.id == LINES.c.order_id) & (o.revision == LINES.c.revision))
            .group_by(LINES.c.order_id)
        ).all()
    )
    paid = dict(
        s.execute(
            select(SETTLEMENTS.c.order_id, func.sum(SETTLEMENTS.c.amount_minor)).group_by(
                SETTLEMENTS.c.order_id
            )
        ).all()
    )
    e = ENTRIES.c
    last = {
        r.order_id: (r.n, r.top)
        for r in s.execute(
            select(e.order_id, func.count().label("n"), func.max(e.seq).label("top")).group_by(
                e.order_id
            )
        )
    }
    final = dict(
        s.execute(
            select(e.order_id, e.to_status).join(
                ORDERS, (o.id == e.order_id) & (o.version == e.seq)
            )
        ).all()
    )
    for r in s.execute(select(ORDERS)):
        figures = int(lines.get(r.id, 0)), int(paid.get(r.id, 0))
        _check_order(result, r, *figures, last.get(r.id), final.get(r.id))
    for cur, fig in result.figures.items():
        if fig["settled"] + fig["open"] != fig["provided"]:
            result.problems.append(
                f"{cur}: settled {fig['settled']} + open {fig['open']} != provided "
                f"{fig['provided']}"
            )
    return result


def _check_order(
    result: LedgerCheck,
    r: Any,
    lines_total: int,
    paid: int,
    seqs: tuple[int, int] | None,
    last_status: str | None,
) -> None:
    fig = result.figures.setdefault(r.currency, {"provided": 0, "settled": 0, "open": 0})
    problems = result.problems
    if lines_total != r.total_minor:
        problems.append(f"{r.number}: total {r.total_minor} != its lines {lines_total}")
    if paid != r.settled_minor:
        problems.append(f"{r.number}: settled {r.settled_minor} != its settlements {paid}")
    if seqs is None or seqs != (r.version, r.version):
        problems.append(f"{r.number}: version {r.version} but entries (count, last) {seqs}")
    if last_status != r.status:
        problems.append(f"{r.number}: status {r.status} but last entry says {last_status}")
    if r.status in PROVIDED_STATUSES:
        fig["provided"] += lines_total
        fig["open"] += r.total_minor - r.settled_minor
    elif paid:
        problems.append(f"{r.number}: settled while {r.status}")
    fig["settled"] += paid
    left = r.total_minor - r.settled_minor
    if (r.status == SETTLED and left != 0) or (r.status == INVOICED and left <= 0):
        problems.append(f"{r.number}: status {r.status} with {left} open")
