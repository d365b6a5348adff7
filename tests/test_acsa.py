"""The ACSA ledger library on both backends (SQLite and PostgreSQL, never skipped): every
lifecycle transition and every refused one, the agreement's rules, money in minor units,
history that the database refuses to rewrite, overdue and in-kind limits, the statement,
consolidation with recorded rates, and the invariant check."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from neonwatch import acsa
from neonwatch.acsa import NotAllowed, NotFound, RuleViolation, StaleVersion
from neonwatch.acsa.money import display, format_minor, line_amount, to_minor
from neonwatch.acsa.rules import PATH, STATUSES, TRANSITIONS
from neonwatch.share import audit
from neonwatch.share.policy import Principal
from neonwatch.store import Store

CAF = Principal("lt.tremblay", "CAN", "SECRET", frozenset({"acsa"}))
JSDF = Principal("itto.kaisa.sato", "JPN", "秘", frozenset({"acsa"}))
OUTSIDER = Principal("analyst", "CAN", "SECRET", frozenset({"maritime-picture"}))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FUEL = {
    "category": "fuel",
    "description": "Marine diesel F-76",
    "quantity": "120000",
    "unit": "L",
    "unit_price": "1.35",
}


def _officer(party: str) -> Principal:
    return CAF if party == "CAF" else JSDF


def _request(s: Session, **kw: Any) -> acsa.Step:
    """JSDF asks CAF for fuel in CAD (a Japanese destroyer at Esquimalt), unless ``kw`` says
    otherwise."""
    args: dict[str, Any] = {
        "requesting": "JSDF",
        "supplying": "CAF",
        "activity": "port_visit",
        "settlement": "reimbursement",
        "currency": "CAD",
        "lines": [FUEL],
        "at": T0,
    }
    args |= kw
    return acsa.request_order(s, _officer(args["requesting"]), **args)


# who takes each step on a JSDF request to CAF
ACTOR = {"accept": CAF, "reject": CAF, "provide": CAF, "invoice": CAF, "settle": CAF}
ACTOR |= {"receive": JSDF, "cancel": JSDF, "amend": JSDF}


def _walk(s: Session, status: str, **kw: Any) -> acsa.Step:
    """A new order brought to ``status`` along the lifecycle, a day a step."""
    step = _request(s, **kw)
    requesting = kw.get("requesting", "JSDF")
    supplying = "JSDF" if requesting == "CAF" else "CAF"
    path = {"rejected": ["reject"], "cancelled": ["cancel"]}.get(status)
    if path is None:
        path = ["accept", "provide", "receive", "invoice", "settle"][: PATH.index(status)]
    for i, action in enumerate(path, 1):
        by = requesting if TRANSITIONS[action].by == "requesting" else supplying
        step = acsa.take_action(
            s, _officer(by), step.order_id, action, step.version, at=T0 + timedelta(days=i)
        )
    assert step.status == status
    return step


def _do(s: Session, step: acsa.Step, action: str) -> acsa.Step:
    if action == "amend":
        return acsa.amend_order(s, JSDF, step.order_id, step.version, [FUEL | {"quantity": "1"}])
    return acsa.take_action(s, ACTOR[action], step.order_id, action, step.version)


def test_every_transition_and_every_refusal(store: Store) -> None:
    """Each action from each status: done when the table allows it, else a RuleViolation
    saying why, and nothing written."""
    done = refused = 0
    with Session(store.engine) as s, s.begin():
        orders = {status: _walk(s, status) for status in STATUSES}
    for action, t in TRANSITIONS.items():
        if action == "request":
            continue
        for status in STATUSES:
            with Session(store.engine) as s:
                s.begin()
                step = orders[status]
                if status in t.sources:
                    after = _do(s, step, action)
                    assert after.version == step.version + 1
                    expected = t.target or ("settled" if action == "settle" else status)
                    assert after.status == expected
                    done += 1
                else:
                    with pytest.raises(RuleViolation, match=f"cannot {action} an order that is"):
                        _do(s, step, action)
                    refused += 1
                s.rollback()
    assert done == sum(len(t.sources) for t in TRANSITIONS.values())
    assert done + refused == (len(TRANSITIONS) - 1) * len(STATUSES)


def test_wrong_party_stale_version_and_outsiders(store: Store) -> None:
    with Session(store.engine) as s, s.begin():
        step = _request(s)
        with pytest.raises(NotAllowed, match=r"only CAF officers \(the supplying party\)"):
            acsa.take_action(s, JSDF, step.order_id, "accept", 1)
        with pytest.raises(NotAllowed, match="only JSDF officers"):
            acsa.take_action(s, CAF, step.order_id, "cancel", 1)
        with pytest.raises(NotAllowed, match="group 'acsa'"):
            acsa.take_action(s, OUTSIDER, step.order_id, "accept", 1)
        with pytest.raises(NotAllowed, match="only CAF officers may request"):
            acsa.request_order(
                s,
                JSDF,
                requesting="CAF",
                supplying="JSDF",
                activity="port_visit",
                settlement="reimbursement",
                currency="JPY",
                lines=[FUEL],
            )
        accepted = acsa.take_action(s, CAF, step.order_id, "accept", 1)
        with pytest.raises(StaleVersion, match="changed since you read it"):
            acsa.take_action(s, CAF, step.order_id, "provide", 1)
        with pytest.raises(NotFound):
            acsa.get_order(s, OUTSIDER, step.order_id)
        with pytest.raises(NotFound):
            acsa.get_order(s, CAF, uuid.uuid4())
        assert acsa.list_orders(s, OUTSIDER) == (0, [])
        assert acsa.get_order(s, JSDF, step.order_id)["version"] == accepted.version


def test_rules_of_the_agreement(store: Store) -> None:
    with Session(store.engine) as s, s.begin():
        for line, message in (
            (FUEL | {"category": "weapons"}, "weapons are never provided"),
            (FUEL | {"description": "Torpedo, Mk 46"}, "weapons are never provided"),
            (FUEL | {"description": "ミサイル部品"}, "weapons are never provided"),
            (FUEL | {"unit_price": "1.355"}, "ISO 4217 exponent 2"),
            (FUEL | {"category": "souvenirs"}, "not a category of the agreement"),
            (FUEL | {"quantity": "0"}, "must be positive"),
            (FUEL | {"quantity": "abc"}, "not a decimal number"),
        ):
            with pytest.raises(RuleViolation, match=message):
                _request(s, lines=[line])
        with pytest.raises(RuleViolation, match="more decimals than JPY"):
            _request(s, currency="JPY", lines=[FUEL | {"unit_price": "150.5"}])
        with pytest.raises(RuleViolation, match="not an activity eligible"):
            _request(s, activity="commercial_charter")
        with pytest.raises(RuleViolation, match="not a currency of the agreement"):
            _request(s, currency="USD")
        with pytest.raises(RuleViolation, match="not a settlement method"):
            _request(s, settlement="barter")
        with pytest.raises(RuleViolation, match="cannot order from itself"):
            _request(s, supplying="JSDF")
        # CAD has 2 decimals: 1.35 is 135 cents; 120,000 L cost 162,000.00
        order = acsa.get_order(s, JSDF, _request(s).order_id)
        assert order["lines"][0]["unit_price_minor"] == 135
        assert order["total_minor"] == 16_200_000 and order["total"] == "162000.00"
        assert order["number"].startswith("ACSA-2026-")


def test_money() -> None:
    assert to_minor("1.35", "CAD") == 135 and to_minor("150", "JPY") == 150
    assert to_minor("1.350", "CAD") == 135  # trailing zeros say nothing more
    assert format_minor(5, "CAD") == "0.05" and format_minor(-5, "CAD") == "-0.05"
    assert display(16_200_000, "CAD") == "CAD 162,000.00"
    assert display(18_000_000, "JPY") == "JPY 18,000,000"
    from decimal import Decimal

    assert line_amount(Decimal("2.5"), 3) == 8  # half up, once per line
    for bad in ("1.355", "nan", "inf", "-1", "1e400"):
        with pytest.raises(acsa.MoneyError):
            to_minor(bad, "CAD")
    with pytest.raises(acsa.MoneyError, match=r"not 1\.35"):
        to_minor(1.35, "CAD")  # type: ignore[arg-type]


def test_amendments_and_cancellations_are_entries(store: Store) -> None:
    with Session(store.engine) as s, s.begin():
        step = _request(s)
        step = acsa.amend_order(
            s, JSDF, step.order_id, step.version, [FUEL | {"quantity": "100000"}], note="less"
        )
        step = acsa.take_action(s, JSDF, step.order_id, "cancel", step.version, note="sailed")
        order = acsa.get_order(s, JSDF, step.order_id)
        assert [h["action"] for h in order["history"]] == ["request", "amend", "cancel"]
        assert order["history"][1]["detail"]["previous_total_minor"] == 16_200_000
        assert order["total_minor"] == 13_500_000 and order["revision"] == 2
        revisions = s.execute(
            text("SELECT revision, quantity FROM acsa_order_lines WHERE order_id = :o"),
            {"o": step.order_id.hex if store.backend == "sqlite" else step.order_id},
        ).all()
        assert sorted(revisions) == [(1, "120000"), (2, "100000")]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE acsa_entries SET note = 'rewritten'",
        "DELETE FROM acsa_entries",
        "UPDATE acsa_order_lines SET amount_minor = 1",
        "DELETE FROM acsa_order_lines",
        "UPDATE acsa_settlements SET amount_minor = 1",
        "DELETE FROM acsa_settlements",
        "UPDATE acsa_rates SET rate = '1'",
    ],
)
def test_the_database_refuses_to_rewrite_history(store: Store, sql: str) -> None:
    with Session(store.engine) as s, s.begin():
        _walk(s, "settled")
        acsa.record_rate(
            s, CAF, base="JPY", quote="CAD", rate="0.0091", as_of=date(2026, 11, 2), source="BoC"
        )
    with Session(store.engine) as s, pytest.raises(DBAPIError, match="append-only"):
        s.execute(text(sql))


def test_overdue_after_the_payment_terms(store: Store) -> None:
    with Session(store.engine) as s, s.begin():
        step = _walk(s, "invoiced")  # invoiced on day 4
        invoiced = (T0 + timedelta(days=4)).date()
        due = invoiced + timedelta(days=60)
        assert acsa.overdue(s, CAF, due)["items"] == []
        late = acsa.overdue(s, CAF, due + timedelta(days=1))["items"]
        assert [(i["number"], i["reason"], i["days_overdue"]) for i in late] == [
            (step.number, "payment", 1)
        ]
        assert late[0]["due"] == due.isoformat() and late[0]["debtor"] == "JSDF"
        order = acsa.get_order(s, CAF, step.order_id, as_of=due + timedelta(days=30))
        assert order["payment_due"] == due.isoformat() and order["overdue_days"] == 30


def test_not_invoiced_within_the_invoice_period_is_overdue(store: Store) -> None:
    """The agreement invoices at least every 3 months: a received order the supplier has not
    invoiced by then is listed overdue, and invoicing it takes it off the list."""
    with Session(store.engine) as s, s.begin():
        step = _walk(s, "received")  # received on day 3
        received = (T0 + timedelta(days=3)).date()
        by = date(received.year, received.month + 3, received.day)
        order = acsa.get_order(s, CAF, step.order_id, as_of=by)
        assert order["invoice_by"] == by.isoformat() and order["overdue_days"] is None
        assert acsa.overdue(s, CAF, by)["items"] == []
        late = acsa.overdue(s, JSDF, by + timedelta(days=5))["items"]
        assert [(i["number"], i["reason"], i["days_overdue"], i["due"]) for i in late] == [
            (step.number, "invoice", 5, by.isoformat())
        ]
        when = datetime.combine(by + timedelta(days=5), T0.timetz())
        acsa.take_action(s, CAF, step.order_id, "invoice", step.version, at=when)
        assert acsa.overdue(s, CAF, by + timedelta(days=5))["items"] == []


def test_in_kind_past_the_limit_becomes_due_in_currency(store: Store) -> None:
    with Session(store.engine) as s, s.begin():
        step = _walk(s, "invoiced", settlement="replacement_in_kind")
        provided = (T0 + timedelta(days=2)).date()
        limit = provided + timedelta(days=365)
        order = acsa.get_order(s, CAF, step.order_id, as_of=limit)
        assert order["in_kind_due"] == limit.isoformat() and order["payment_due"] is None
        assert order["overdue_days"] is None
        late = acsa.overdue(s, CAF, limit + timedelta(days=10))["items"]
        assert [(i["reason"], i["days_overdue"]) for i in late] == [("in_kind_limit", 10)]
        after = datetime.combine(limit + timedelta(days=10), T0.timetz())
        with pytest.raises(RuleViolation, match="now due in currency: settle by reimbursement"):
            acsa.take_action(
                s,
                CAF,
                step.order_id,
                "settle",
                step.version,
                method="replacement_in_kind",
                at=after,
            )
        done = acsa.take_action(
            s, CAF, step.order_id, "settle", step.version, method="reimbursement", at=after
        )
        assert done.status == "settled"
        # within the limit, a replacement in kind settles it
        other = _walk(s, "invoiced", settlement="replacement_in_kind")
        kind = acsa.take_action(
            s, CAF, other.order_id, "settle", other.version, at=T0 + timedelta(days=30)
        )
        assert kind.status == "settled"
        with pytest.raises(RuleViolation, match="settled by reimbursement"):
            third = _walk(s, "invoiced")
            acsa.take_action(
                s, CAF, third.order_id, "settle", third.version, method="equal_value_exchange"
            )


def test_balances_statement_and_totals(store: Store) -> None:
    with Session(store.engine) as s, s.begin():
        a = _walk(s, "invoiced")
        acsa.take_action(
            s, CAF, a.order_id, "settle", a.version, amount="62000.00", at=T0 + timedelta(days=20)
        )
        _walk(
            s,
            "received",
            lines=[
                FUEL,
                FUEL | {"category": "water", "unit": "t", "quantity": "50", "unit_price": "4.10"},
            ],
        )
        _walk(s, "accepted")  # not provided: in no balance
        bal = acsa.balances(s, JSDF)["balances"]
        assert [
            (b["creditor"], b["debtor"], b["provided_minor"], b["settled_minor"], b["open_minor"])
            for b in bal
        ] == [("CAF", "JSDF", 16_200_000 * 2 + 20_500, 6_200_000, 16_200_000 + 10_000_000 + 20_500)]
        # on a day before the settlement, nothing was settled yet
        early = acsa.balances(s, JSDF, (T0 + timedelta(days=10)).date())["balances"]
        assert early[0]["settled_minor"] == 0
        by_cat = {i["key"]: i for i in acsa.totals(s, CAF, "category")["items"]}
        assert by_cat["fuel"]["total_minor"] == 32_400_000 and by_cat["fuel"]["orders"] == 2
        assert by_cat["water"]["total"] == "205.00"
        by_act = acsa.totals(s, CAF, "activity")["items"]
        assert by_act == [
            {
                "key": "port_visit",
                "currency": "CAD",
                "total_minor": 32_420_500,
                "total": "324205.00",
                "orders": 2,
            }
        ]

        data = acsa.statement(s, CAF, "CAF", date(2026, 3, 4), date(2026, 12, 31))
        cad = data["currencies"][0]
        # the first order was provided on 2026-03-04 (day 2), inside the period
        assert cad["opening_minor"] == 0 and cad["closing_minor"] == 26_220_500
        rows = list(csv.DictReader(io.StringIO(acsa.statement_csv(data))))
        assert [r["kind"] for r in rows] == [
            "opening",
            "provided",
            "provided",
            "settlement",
            "closing",
        ]
        assert rows[3]["amount"] == "-62000.00" and rows[-1]["balance"] == "262205.00"
        jsdf = acsa.statement(s, JSDF, "JSDF", date(2026, 3, 5), date(2026, 12, 31))
        assert jsdf["currencies"][0]["opening"] == "-324205.00"  # both provided on day 2
        html = acsa.statement_html(data, "fr")
        assert "Relevé de compte" in html and "262205.00" in html and "-62000.00" in html
        assert acsa.check_ledger(s).ok


def test_consolidation_needs_a_recorded_rate_and_takes_the_latest(store: Store) -> None:
    with Session(store.engine) as s, s.begin():
        _walk(
            s,
            "provided",
            requesting="CAF",
            supplying="JSDF",
            currency="JPY",
            lines=[FUEL | {"unit_price": "150"}],
        )
        _walk(s, "provided")  # CAF supplied JSDF 162,000.00 CAD
        with pytest.raises(RuleViolation, match="no JPY/CAD rate recorded on or before"):
            acsa.consolidated(s, CAF, "CAD", date(2026, 11, 10))
        for day, rate in (
            (date(2026, 10, 1), "0.0090"),
            (date(2026, 11, 1), "0.0092"),
            (date(2026, 11, 20), "0.0095"),
        ):
            acsa.record_rate(s, CAF, base="JPY", quote="CAD", rate=rate, as_of=day, source="BoC")
        with pytest.raises(RuleViolation, match="no JPY/CAD rate recorded on or before 2026-09-30"):
            acsa.consolidated(s, CAF, "CAD", date(2026, 9, 30))
        out = acsa.consolidated(s, CAF, "CAD", date(2026, 11, 10))
        assert out["rates"] == [
            {
                "base": "JPY",
                "quote": "CAD",
                "rate": "0.0092",
                "as_of": "2026-11-01",
                "source": "BoC",
            }
        ]
        # 18,000,000 JPY x 0.0092 = 165,600.00 CAD owed to JSDF; 162,000.00 owed to CAF
        assert out["net"] == {
            "creditor": "JSDF",
            "debtor": "CAF",
            "open_minor": 360_000,
            "open": "3600.00",
        }
        with pytest.raises(RuleViolation, match="in the future"):
            acsa.record_rate(
                s, CAF, base="JPY", quote="CAD", rate="1", as_of=date(2099, 1, 1), source="x"
            )
        day_after_tomorrow = datetime.now(UTC).date() + timedelta(days=2)
        with pytest.raises(RuleViolation, match="in the future"):
            acsa.record_rate(
                s, CAF, base="JPY", quote="CAD", rate="1", as_of=day_after_tomorrow, source="x"
            )
        with pytest.raises(NotAllowed):
            acsa.record_rate(
                s, OUTSIDER, base="JPY", quote="CAD", rate="1", as_of=date(2026, 1, 1), source="x"
            )


def test_a_rate_may_carry_the_day_it_is_anywhere_on_earth() -> None:
    """At 23:38 UTC it is already tomorrow in Tokyo: the officer there records "today's" rate
    (the CI failure that made this rule); a day that has begun nowhere is still refused."""
    late_evening_utc = datetime(2026, 11, 22, 23, 38, tzinfo=UTC)
    assert acsa.latest_rate_day(late_evening_utc) == date(2026, 11, 23)
    assert acsa.latest_rate_day(datetime(2026, 11, 22, 9, 0, tzinfo=UTC)) == date(2026, 11, 22)


def test_check_ledger_finds_a_tampered_summary(store: Store) -> None:
    with Session(store.engine) as s, s.begin():
        step = _walk(s, "invoiced")
        assert acsa.check_ledger(s).ok
        s.execute(
            text("UPDATE acsa_orders SET settled_minor = 100 WHERE number = :n"),
            {"n": step.number},
        )
        check = acsa.check_ledger(s)
        assert not check.ok
        assert any("settled 100 != its settlements 0" in p for p in check.problems)
        assert any("CAD: settled 0 + open" in p for p in check.problems)
        s.rollback()


def test_every_write_is_audited(store: Store) -> None:
    with Session(store.engine) as s, s.begin():
        step = _walk(s, "settled")
    with Session(store.engine) as s:
        rows = (
            s.execute(
                text("SELECT action FROM audit WHERE record_id = :r ORDER BY seq"),
                {"r": str(step.order_id)},
            )
            .scalars()
            .all()
        )
        assert rows == [
            "acsa.request",
            "acsa.accept",
            "acsa.provide",
            "acsa.receive",
            "acsa.invoice",
            "acsa.settle",
        ]
        assert audit.verify(s).ok
