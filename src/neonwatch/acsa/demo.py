"""A realistic deployment in the ledger (``neonwatch acsa demo``, and the end of ``make demo``).

Three deployments of Operation NEON, the Canadian contribution to monitoring UN sanctions on
North Korea, supported under the ACSA:

* a Canadian frigate's port visit to Yokosuka: the JSDF supplies fuel, water, food, berthing
  and waste removal; the CAF requests and pays in yen;
* a CP-140 Aurora detachment in Japan: aviation fuel, hangar space and ground handling, in yen;
* a Japanese destroyer's call at Esquimalt: the CAF supplies, the JSDF pays in Canadian dollars.

Quantities are what such visits take (a frigate of about 4,800 t burns some 40-70 m3 of
marine diesel a day on passage; a crew of ~240 eats about 700 rations a day). **Every price is
illustrative**, chosen to look like reciprocal pricing (what the supplier charges its own
forces), not taken from any real invoice. Steps are dated back from ``today`` so that what is
overdue stays overdue whenever the demo runs: some orders are settled by reimbursement, one
replacement in kind is still open, one invoice is past its 60 days, the latest orders are
still in progress.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from neonwatch.acsa.agreement import load_agreement
from neonwatch.acsa.orders import request_order, take_action
from neonwatch.acsa.reports import balance_rows, overdue, record_rate
from neonwatch.share.policy import Principal
from neonwatch.share.users import create_user, principal
from neonwatch.store import open_store
from neonwatch.store.ledger import AcsaOrder
from neonwatch.store.models import User

TAG = "Op NEON"  # every demo order's reference starts so: the demo loads once per store
OFFICERS = {
    # username: (nation, clearance, party)
    "caf-logistics": ("CAN", "CONFIDENTIAL", "CAF"),
    "jsdf-logistics": ("JPN", "秘", "JSDF"),
}


def _line(category: str, description: str, quantity: str, unit: str, price: str) -> dict[str, str]:
    return {
        "category": category,
        "description": description,
        "quantity": quantity,
        "unit": unit,
        "unit_price": price,
    }


@dataclass(frozen=True)
class DemoOrder:
    """One order of the demo and how far it goes: ``steps`` are (action, days before today)
    after the request (made ``requested`` days ago); ``settle`` as (method, amount or None)."""

    requesting: str
    activity: str
    settlement: str
    currency: str
    reference: str
    lines: tuple[dict[str, str], ...]
    requested: int
    steps: tuple[tuple[str, int], ...] = ()
    settle: tuple[str, str | None] | None = None


_FULL = (("accept", 0), ("provide", 0), ("receive", 0), ("invoice", 0))


def _path(start: int, *gaps: int) -> tuple[tuple[str, int], ...]:
    """accept, provide, receive, invoice at ``start`` minus the running ``gaps`` (days ago)."""
    out, day = [], start
    for (action, _), gap in zip(_FULL, gaps, strict=False):
        day -= gap
        out.append((action, day))
    return tuple(out)


YOKOSUKA = "Op NEON: HMCS frigate port visit, Yokosuka"
AURORA = "Op NEON: CP-140 Aurora detachment, Japan"
ESQUIMALT = "Op NEON: JMSDF destroyer port call, CFB Esquimalt"

ORDERS: tuple[DemoOrder, ...] = (
    DemoOrder(
        "CAF", "port_visit", "reimbursement", "JPY", f"{YOKOSUKA} (alongside, provisions)",
        (
            _line("water", "Potable water, by hose at the berth", "420", "t", "650"),
            _line("food", "Fresh provisions (fruit, vegetables, dairy, bread)", "1450", "person",
                  "1600"),
            _line("food", "Fresh meat and fish", "1", "lot", "1850000"),
        ),
        requested=152, steps=_path(152, 1, 3, 1, 25), settle=("reimbursement", None),
    ),
    DemoOrder(
        "CAF", "port_visit", "replacement_in_kind", "JPY", f"{YOKOSUKA} (fuel)",
        (_line("fuel", "Marine diesel F-76, by barge", "380000", "L", "118"),),
        requested=151, steps=_path(151, 1, 2, 1, 26),  # to be replaced in kind: still open
    ),
    DemoOrder(
        "CAF", "port_visit", "reimbursement", "JPY", f"{YOKOSUKA} (berth and harbour services)",
        (
            _line("berthing", "Berth at Yokosuka, 6 nights", "6", "night", "185000"),
            _line("berthing", "Pilot and two tugs, arrival and departure", "2", "trip", "420000"),
            _line("waste_removal", "Garbage removal", "14", "m3", "9500"),
            _line("waste_removal", "Oily waste (bilge water) removal", "32", "m3", "26000"),
            _line("waste_removal", "Sewage (grey and black water) removal", "85", "m3", "4200"),
        ),
        requested=150, steps=_path(150, 1, 7, 1, 30),  # invoiced 111 days ago: overdue
    ),
    DemoOrder(
        "CAF", "coordinated_operation", "reimbursement", "JPY", f"{AURORA} (first month)",
        (
            _line("fuel", "Aviation turbine fuel JP-8, into-plane", "240000", "L", "112"),
            _line("hangar", "Hangar space for one CP-140, 30 days", "30", "day", "160000"),
            _line("ground_handling", "Ground handling and marshalling", "64", "hour", "14500"),
        ),
        requested=95, steps=_path(95, 2, 30, 3, 10), settle=("reimbursement", "20000000"),
    ),
    DemoOrder(
        "CAF", "coordinated_operation", "reimbursement", "JPY", f"{AURORA} (second month)",
        (
            _line("fuel", "Aviation turbine fuel JP-8, into-plane", "265000", "L", "112"),
            _line("hangar", "Hangar space for one CP-140, 31 days", "31", "day", "160000"),
            _line("ground_handling", "Ground handling and marshalling", "70", "hour", "14500"),
        ),
        requested=62, steps=_path(62, 1, 31, 2),  # received, not invoiced yet
    ),
    DemoOrder(
        "CAF", "coordinated_operation", "reimbursement", "JPY", f"{AURORA} (third month)",
        (
            _line("fuel", "Aviation turbine fuel JP-8, into-plane", "250000", "L", "112"),
            _line("hangar", "Hangar space for one CP-140, 30 days", "30", "day", "160000"),
        ),
        requested=3, steps=_path(3, 1),  # accepted
    ),
    DemoOrder(
        "JSDF", "port_visit", "reimbursement", "CAD", f"{ESQUIMALT} (fuel and water)",
        (
            _line("fuel", "Marine diesel F-76, from CFAV tanker", "260000", "L", "1.27"),
            _line("water", "Potable water", "310", "t", "4.10"),
        ),
        requested=80, steps=_path(80, 1, 2, 1, 9), settle=("reimbursement", None),
    ),
    DemoOrder(
        "JSDF", "port_visit", "reimbursement", "CAD", f"{ESQUIMALT} (berth and services)",
        (
            _line("berthing", "Berth at CFB Esquimalt, 5 nights", "5", "night", "2450.00"),
            _line("berthing", "Tug assistance, arrival and departure", "2", "trip", "3800.00"),
            _line("waste_removal", "Garbage and recycling removal", "9", "m3", "95.00"),
            _line("transportation", "Crew bus to Victoria, 8 trips", "8", "trip", "640.00"),
            _line("medical", "Medical consultation and pharmacy, CFB Esquimalt", "1", "lot",
                  "1275.50"),
        ),
        requested=79, steps=_path(79, 1, 4, 1, 50),  # invoiced 23 days ago: not yet due
    ),
)  # fmt: skip

RATE = {
    "base": "JPY",
    "quote": "CAD",
    "rate": "0.0092",
    "source": "illustrative: a Bank of Canada daily JPY/CAD rate would be recorded here",
}


@dataclass(frozen=True)
class LedgerDemo:
    """What the demo loaded: the officers, the orders, and the open balances and overdue
    orders it leaves."""

    url: str
    officers: tuple[str, ...]
    orders: int
    loaded: bool  # False: the store held the demo already
    balances: list[dict[str, Any]]
    overdue: list[dict[str, Any]]


def _officers(s: Session, password: str | None) -> dict[str, Principal]:
    ag = load_agreement()
    out = {}
    for name, (nation, level, party) in OFFICERS.items():
        user = s.scalars(select(User).where(User.username == name)).first()
        if user is None:
            user = create_user(
                s, name, nation=nation, clearance=level, groups=[ag.acsa_group],
                password=password, actor="neonwatch acsa demo",
            )  # fmt: skip
        out[party] = principal(user)
    return out


def _at(today: date, days_ago: int, hour: int = 9) -> datetime:
    return datetime.combine(today - timedelta(days=days_ago), time(hour), tzinfo=UTC)


def _load(s: Session, who: dict[str, Principal], today: date, node: str) -> None:
    for o in ORDERS:
        supplying = "JSDF" if o.requesting == "CAF" else "CAF"
        step = request_order(
            s, who[o.requesting], requesting=o.requesting, supplying=supplying,
            activity=o.activity, settlement=o.settlement, currency=o.currency,
            reference=o.reference, lines=o.lines, at=_at(today, o.requested), node=node,
        )  # fmt: skip
        for action, days_ago in o.steps:
            by = o.requesting if action == "receive" else supplying
            step = take_action(
                s, who[by], step.order_id, action, step.version, at=_at(today, days_ago, 14),
                node=node,
            )  # fmt: skip
        if o.settle is not None:
            method, amount = o.settle
            invoiced = next(d for a, d in o.steps if a == "invoice")
            take_action(
                s, who[supplying], step.order_id, "settle", step.version, method=method,
                amount=amount, at=_at(today, invoiced - 41, 11), node=node,
                note="payment received",
            )  # fmt: skip
    rate_day = today - timedelta(days=2)
    record_rate(
        s, who["CAF"], base=RATE["base"], quote=RATE["quote"], rate=RATE["rate"],
        as_of=rate_day, source=RATE["source"], node=node,
    )  # fmt: skip


def load_demo(
    db: str,
    *,
    today: date | None = None,
    password: str | None = None,
    node: str = "demo",
    extra_officers: Sequence[str] = (),
) -> LedgerDemo:
    """Load the deployment into the store at ``db`` (once: a store holding it is left as it
    is), creating the officers ``caf-logistics`` and ``jsdf-logistics`` (group ``acsa``;
    ``password`` for both, else none: they cannot log in until one is set)."""
    day = today or datetime.now(UTC).date()
    store = open_store(db)
    try:
        with Session(store.engine) as s, s.begin():
            who = _officers(s, password)
            held = s.scalars(
                select(AcsaOrder.id).where(AcsaOrder.reference.like(f"{TAG}%")).limit(1)
            ).first()
            if held is None:
                _load(s, who, day, node)
            orders = len(s.scalars(select(AcsaOrder.id)).all())
            rows = balance_rows(s, load_agreement(), day)
            late = overdue(s, who["CAF"], day)["items"]
        return LedgerDemo(store.url, tuple(OFFICERS), orders, held is None, rows, late)
    finally:
        store.close()
