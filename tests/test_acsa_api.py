"""``/api/v1/acsa`` on both backends (SQLite file and PostgreSQL, never skipped), through
FastAPI's TestClient: credentials, who may do what (403), optimistic locking (409), the
agreement's rules (422: weapons, currency precision, unknown fields, wrong state), users
outside the ledger's group seeing nothing, reports, and the audit chain after it all."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from neonwatch.acsa import check_ledger
from neonwatch.api import Settings, create_app
from neonwatch.api.app import CSRF_HEADER
from neonwatch.share import audit
from neonwatch.share.users import create_user
from neonwatch.store import AcsaEntry, AcsaOrder, AuditEntry, Store

PASSWORD = "correct horse battery"
API = "/api/v1/acsa"

# a CAF request to JSDF during the port visit to Yokosuka (illustrative prices)
ORDER = {
    "requesting": "CAF",
    "supplying": "JSDF",
    "activity": "port_visit",
    "settlement": "reimbursement",
    "currency": "JPY",
    "reference": "HMCS Ville de Québec, Yokosuka",
    "lines": [
        {
            "category": "fuel",
            "description": "Marine diesel F-76",
            "quantity": "120000",
            "unit": "L",
            "unit_price": "150",
        },
        {
            "category": "water",
            "description": "Potable water",
            "quantity": "80",
            "unit": "t",
            "unit_price": "600",
        },
    ],
}
TOTAL = 120000 * 150 + 80 * 600


@pytest.fixture
def client(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    with Session(store.engine) as s, s.begin():
        for name, nation, level, groups in (
            ("caf", "CAN", "SECRET", ["acsa"]),
            ("jsdf", "JPN", "秘", ["acsa"]),
            ("analyst", "CAN", "SECRET", ["maritime-picture"]),
        ):
            create_user(s, name, nation=nation, clearance=level, groups=groups, password=PASSWORD)
    app = create_app(store, Settings(node="test-node", photos_dir=tmp_path / "photos"))
    with TestClient(app, base_url="https://testserver") as c:
        yield c


def _login(client: TestClient, user: str) -> dict[str, str]:
    r = client.post("/api/v1/login", json={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _counts(store: Store) -> tuple[int, int]:
    with Session(store.engine) as s:
        return (
            s.execute(select(func.count()).select_from(AcsaOrder)).scalar_one(),
            s.execute(select(func.count()).select_from(AcsaEntry)).scalar_one(),
        )


def _step(
    client: TestClient, h: dict[str, str], order: dict[str, Any], action: str, **extra: Any
) -> Any:
    body = {"version": order["version"], **extra}
    return client.post(f"{API}/orders/{order['id']}/{action}", json=body, headers=h)


def test_every_acsa_route_needs_credentials(client: TestClient) -> None:
    routes = [
        ("GET", "/agreement"),
        ("GET", "/orders"),
        ("POST", "/orders"),
        ("GET", "/orders/00000000-0000-0000-0000-000000000000"),
        ("POST", "/orders/00000000-0000-0000-0000-000000000000/accept"),
        ("POST", "/orders/00000000-0000-0000-0000-000000000000/amend"),
        ("GET", "/balances"),
        ("GET", "/overdue"),
        ("GET", "/totals"),
        ("GET", "/statement?party=CAF&start=2026-01-01&end=2026-12-31"),
        ("POST", "/rates"),
        ("GET", "/rates"),
        ("GET", "/consolidated?currency=CAD&rate_date=2026-11-20"),
    ]
    for method, path in routes:
        r = client.request(method, API + path, json=ORDER if method == "POST" else None)
        assert r.status_code == 401, (method, path, r.text)


def test_lifecycle_over_http(client: TestClient, store: Store) -> None:
    caf, jsdf = _login(client, "caf"), _login(client, "jsdf")
    ag = client.get(f"{API}/agreement", headers=caf).json()
    assert ag["me"]["party"] == "CAF" and ag["in_kind_limit_days"] == 365
    assert {"code": "JPY", "exponent": 0} in ag["currencies"]
    assert ag["payment_terms_days"] == 60 and ag["signed"] == "2018-04-21"

    r = client.post(f"{API}/orders", json=ORDER, headers=caf)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["number"].startswith("ACSA-") and order["status"] == "requested"
    assert order["total_minor"] == TOTAL and order["total"] == str(TOTAL)
    assert order["lines"][0]["unit_price_minor"] == 150
    assert order["allowed_actions"] == ["amend", "cancel"]
    seen = client.get(f"{API}/orders/{order['id']}", headers=jsdf).json()
    assert seen["allowed_actions"] == ["accept", "reject"]

    # 403: the requesting party may not accept; the supplier may not confirm receipt
    r = _step(client, caf, order, "accept")
    assert r.status_code == 403 and "only JSDF officers" in r.json()["detail"]
    # 422: wrong state, with what comes first
    r = _step(client, jsdf, order, "provide")
    assert r.status_code == 422
    assert r.json()["detail"] == "cannot provide an order that is requested; accept it first"

    order = _step(client, jsdf, order, "accept").json()
    stale = dict(order)
    order = _step(client, jsdf, order, "provide").json()
    # 409: a client that read version 2 is refused once someone moved the order on
    r = _step(client, caf, stale, "cancel")
    assert r.status_code == 409 and "changed since you read it" in r.json()["detail"]
    r = _step(client, jsdf, order, "receive")
    assert r.status_code == 403
    order = _step(client, caf, order, "receive").json()
    order = _step(client, jsdf, order, "invoice").json()
    assert order["payment_due"] is not None and order["status"] == "invoiced"

    # a partial settlement, then the rest; more than is open is refused
    r = _step(client, jsdf, order, "settle", amount="99999999999")
    assert r.status_code == 422 and "more than" in r.json()["detail"]
    order = _step(client, jsdf, order, "settle", method="reimbursement", amount="8000000").json()
    assert order["status"] == "invoiced" and order["open_minor"] == TOTAL - 8_000_000
    bal = client.get(f"{API}/balances", headers=caf).json()["balances"]
    assert bal == [
        {
            "creditor": "JSDF",
            "debtor": "CAF",
            "currency": "JPY",
            "provided_minor": TOTAL,
            "provided": str(TOTAL),
            "settled_minor": 8_000_000,
            "settled": "8000000",
            "open_minor": TOTAL - 8_000_000,
            "open": str(TOTAL - 8_000_000),
        }
    ]
    order = _step(client, jsdf, order, "settle").json()
    assert order["status"] == "settled" and order["open_minor"] == 0
    actions = [h["action"] for h in order["history"]]
    assert actions == [
        "request", "accept", "provide", "receive", "invoice", "settle", "settle"
    ]  # fmt: skip
    assert {h["party"] for h in order["history"]} == {"CAF", "JSDF"}
    assert order["allowed_actions"] == []

    listed = client.get(f"{API}/orders?status=settled&category=fuel", headers=jsdf).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == order["id"]
    assert client.get(f"{API}/orders?category=clothing", headers=jsdf).json()["total"] == 0
    totals = client.get(f"{API}/totals?by=category", headers=caf).json()["items"]
    assert {(t["key"], t["total_minor"]) for t in totals} == {
        ("fuel", 18_000_000),
        ("water", 48_000),
    }

    # statement: JSON, CSV that parses, HTML with the figures
    q = "party=JSDF&start=2026-01-01&end=2099-12-31"
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"{API}/statement?{q}&format=csv", headers=jsdf).text)
        )
    )
    assert [r["kind"] for r in rows] == [
        "opening",
        "provided",
        "settlement",
        "settlement",
        "closing",
    ]
    assert rows[1]["amount"] == str(TOTAL) and rows[-1]["balance"] == "0"
    html = client.get(f"{API}/statement?{q}&format=html&lang=ja", headers=jsdf)
    assert html.headers["content-type"].startswith("text/html")
    assert "勘定明細書" in html.text and str(TOTAL) in html.text

    with Session(store.engine) as s:
        assert check_ledger(s).ok
        assert audit.verify(s).ok


def test_rules_refused_with_nothing_written(client: TestClient, store: Store) -> None:
    caf = _login(client, "caf")
    before = _counts(store)
    cases = [
        # weapons, by category or by description
        ({"category": "weapons"}, "weapons are never provided"),
        ({"description": "Rifle, 5.56 mm"}, "weapons are never provided"),
        # JPY has no minor unit
        ({"unit_price": "150.5"}, "more decimals than JPY"),
        ({"unit": "barrel"}, "lines[0].unit"),
        ({"quantity": "-3"}, "lines[0].quantity"),
    ]
    for change, message in cases:
        line = ORDER["lines"][0] | change  # type: ignore[operator]
        r = client.post(f"{API}/orders", json=ORDER | {"lines": [line]}, headers=caf)
        assert r.status_code == 422, (change, r.text)
        assert message in r.json()["detail"], (change, r.text)
    # CAD has two decimals: 1.355 is refused, 1.35 is 135 cents
    cad = ORDER | {"supplying": "JSDF", "currency": "CAD"}
    line = ORDER["lines"][0] | {"unit_price": "1.355"}  # type: ignore[operator]
    r = client.post(f"{API}/orders", json=cad | {"lines": [line]}, headers=caf)
    assert r.status_code == 422 and "ISO 4217 exponent 2" in r.json()["detail"]
    r = client.post(f"{API}/orders", json=ORDER | {"activity": "commercial_charter"}, headers=caf)
    assert r.status_code == 422 and "not an activity eligible" in r.json()["detail"]
    # unknown fields and floats are refused by validation
    r = client.post(f"{API}/orders", json=ORDER | {"discount": "10%"}, headers=caf)
    assert r.status_code == 422 and "discount: unknown field" in r.json()["detail"]
    line = ORDER["lines"][0] | {"unit_price": 1.35}  # type: ignore[operator]
    r = client.post(f"{API}/orders", json=ORDER | {"lines": [line]}, headers=caf)
    assert r.status_code == 422
    # a party requests only for itself
    r = client.post(
        f"{API}/orders", json=ORDER | {"requesting": "JSDF", "supplying": "CAF"}, headers=caf
    )
    assert r.status_code == 403 and "only JSDF officers may request" in r.json()["detail"]
    assert _counts(store) == before
    with Session(store.engine) as s:
        refused = s.scalars(select(AuditEntry).where(AuditEntry.action == "request.refused")).all()
        assert len(refused) == len(cases) + 5


def test_outsider_sees_nothing_and_writes_nothing(client: TestClient, store: Store) -> None:
    caf, outsider = _login(client, "caf"), _login(client, "analyst")
    order = client.post(f"{API}/orders", json=ORDER, headers=caf).json()
    assert client.get(f"{API}/agreement", headers=outsider).json()["me"]["party"] is None
    assert client.get(f"{API}/orders", headers=outsider).json() == {
        "total": 0, "limit": 100, "offset": 0, "items": []
    }  # fmt: skip
    r = client.get(f"{API}/orders/{order['id']}", headers=outsider)
    assert r.status_code == 404 and r.json()["detail"] == "not found"
    assert client.get(f"{API}/balances", headers=outsider).json()["balances"] == []
    assert client.get(f"{API}/overdue", headers=outsider).json()["items"] == []
    assert client.get(f"{API}/totals", headers=outsider).json()["items"] == []
    assert client.get(f"{API}/rates", headers=outsider).json()["items"] == []
    r = client.get(f"{API}/statement?party=CAF&start=2026-01-01&end=2026-12-31", headers=outsider)
    assert r.status_code == 404
    before = _counts(store)
    r = client.post(f"{API}/orders", json=ORDER, headers=outsider)
    assert r.status_code == 403 and "group 'acsa'" in r.json()["detail"]
    r = _step(client, outsider, order, "cancel")
    assert r.status_code == 403
    assert _counts(store) == before


def test_amend_rates_and_consolidated(client: TestClient) -> None:
    caf, jsdf = _login(client, "caf"), _login(client, "jsdf")
    order = client.post(f"{API}/orders", json=ORDER, headers=caf).json()
    lines = [ORDER["lines"][0] | {"quantity": "100000"}]  # type: ignore[operator]
    r = client.post(
        f"{API}/orders/{order['id']}/amend",
        json={"version": order["version"], "lines": lines, "note": "less fuel"},
        headers=caf,
    )
    assert r.status_code == 200, r.text
    amended = r.json()
    assert amended["total_minor"] == 15_000_000 and amended["revision"] == 2
    assert amended["history"][-1]["detail"]["previous_total_minor"] == TOTAL
    r = client.post(
        f"{API}/orders/{order['id']}/amend",
        json={"version": order["version"], "lines": lines},
        headers=caf,
    )
    assert r.status_code == 409
    for action in ("accept", "provide"):
        amended = _step(client, jsdf, amended, action).json()
    r = client.get(f"{API}/consolidated?currency=CAD&rate_date=2026-11-20", headers=caf)
    assert r.status_code == 422 and "no JPY/CAD rate recorded" in r.json()["detail"]
    rate = {"base": "JPY", "quote": "CAD", "rate": "0.0091", "as_of": "2026-11-20"}
    r = client.post(f"{API}/rates", json=rate | {"source": "Bank of Canada"}, headers=caf)
    assert r.status_code == 201, r.text
    r = client.post(f"{API}/rates", json=rate | {"source": "x", "rate": "-1"}, headers=caf)
    assert r.status_code == 422
    r = client.get(f"{API}/consolidated?currency=CAD&rate_date=2026-11-21", headers=caf)
    assert r.status_code == 200, r.text
    body = r.json()
    # 15,000,000 JPY x 0.0091 = 136,500.00 CAD
    assert body["net"] == {
        "creditor": "JSDF", "debtor": "CAF", "open_minor": 13_650_000, "open": "136500.00"
    }  # fmt: skip
    assert body["rates"][0]["as_of"] == "2026-11-20"


def test_session_cookie_writes_need_csrf_and_reads_are_audited(
    client: TestClient, store: Store
) -> None:
    r = client.post("/api/v1/login", json={"username": "caf", "password": PASSWORD})
    csrf = r.json()["csrf_token"]  # the session cookie is now set on the client
    bad = client.post(f"{API}/orders", json=ORDER, headers={CSRF_HEADER: "0" * 64})
    assert bad.status_code == 403 and "CSRF" in bad.json()["detail"]
    assert _counts(store) == (0, 0)
    ok = client.post(f"{API}/orders", json=ORDER, headers={CSRF_HEADER: csrf})
    assert ok.status_code == 201, ok.text
    order = ok.json()
    assert client.get(f"{API}/orders/{order['id']}").status_code == 200
    csv_answer = client.get(f"{API}/statement?party=CAF&start=2026-01-01&end=2099-12-31&format=csv")
    assert csv_answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_answer.headers["content-disposition"]
    with Session(store.engine) as s:
        actions = [
            a
            for a in s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq))
            if a.startswith("acsa.") or a == "request.refused"
        ]
    assert actions == ["request.refused", "acsa.request", "acsa.read", "acsa.statement"]
