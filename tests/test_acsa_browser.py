"""The ACSA ledger pages in real headless Chromium over a real server and store (SQLite): a
CAF officer files an order on the form that JSDF supplies, a JSDF officer accepts and provides
it, the CAF officer confirms receipt, the JSDF officer invoices and settles (in two payments);
the balances page shows the open figure before and after. Who may press what comes from the
API (allowed_actions) and is checked against it; a stale version shows the conflict and the
order as it now is; a user outside the ledger's group sees none of it. Screenshots go to
test-artifacts/acsa-*.png."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import APIResponse, Browser, Dialog, Page, expect
from sqlalchemy.orm import Session

from neonwatch.acsa.demo import load_demo
from neonwatch.acsa.money import MoneyError, line_amount, to_minor
from neonwatch.api import Settings, create_app
from neonwatch.share.users import create_user
from neonwatch.store import open_store
from web_support import PASSWORD, chromium, login, serve, shot

#: (user, nation, clearance, groups): a Canadian and a Japanese logistics officer in the
#: ledger's group (agreement.toml acsa_group), and a Canadian analyst outside it
USERS = (
    ("claire", "CAN", "SECRET", ["acsa"]),
    ("hiro", "JPN", "極秘", ["acsa"]),
    ("olaf", "CAN", "SECRET", ["maritime-picture"]),
)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("acsa-web")
    store = open_store(f"sqlite:///{root / 'ledger.db'}")
    with Session(store.engine) as s, s.begin():
        for name, nation, clearance, groups in USERS:
            create_user(
                s, name, nation=nation, clearance=clearance, groups=groups, password=PASSWORD
            )
    settings = Settings(node="test", photos_dir=root / "photos", cookie_secure=False)
    try:
        with serve(create_app(store, settings)) as base:
            yield base
    finally:
        store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def call(page: Page, method: str, path: str, body: Any = None) -> APIResponse:
    """``/api/v1/acsa{path}`` in ``page``'s session (its cookies, its CSRF token), the way
    another tab of the same user would call it."""
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "neonwatch_csrf")
    base = re.match(r"https?://[^/]+", page.url)
    assert base is not None
    return page.request.fetch(
        f"{base.group(0)}/api/v1/acsa{path}",
        method=method,
        data=body,
        headers={"X-CSRF-Token": csrf},
    )


def open_figure(page: Page, url: str, creditor: str, debtor: str, currency: str) -> str:
    """The open balance the balances page shows for one direction and currency ("" if none)."""
    page.goto(f"{url}/acsa/balances")
    expect(page.get_by_test_id("balances").locator("table, p")).to_be_visible()
    cell = page.get_by_test_id(f"open-{creditor}-{debtor}-{currency}")
    return cell.inner_text() if cell.count() else ""


def shown_actions(page: Page) -> set[str]:
    """The actions the order page offers (a button or link each)."""
    expect(page.get_by_test_id("actions")).to_be_visible()
    return set(
        page.get_by_test_id("actions")
        .locator("[data-action]")
        .evaluate_all("els => els.map(e => e.dataset.action)")
    )


def allowed(page: Page, order_id: str) -> set[str]:
    """What the API says this reader may do on the order now."""
    r = call(page, "GET", f"/orders/{order_id}")
    assert r.ok, r.text()
    return set(r.json()["allowed_actions"])


def press(page: Page, action: str, status: str) -> None:
    """Take ``action`` on the open order page and wait for the order to reach ``status``."""
    page.click(f"[data-testid=actions] button[data-action={action}]")
    expect(page.get_by_test_id("done")).to_contain_text(status)
    expect(page.get_by_test_id("order-title").get_by_test_id("status")).to_have_text(status)


def fill_line(
    page: Page, n: int, category: str, description: str, qty: str, unit: str, price: str
) -> None:
    page.select_option(f"#l-category-{n}", category)
    page.fill(f"#l-description-{n}", description)
    page.fill(f"#l-quantity-{n}", qty)
    page.select_option(f"#l-unit-{n}", unit)
    page.fill(f"#l-price-{n}", price)


def file_order(page: Page, url: str) -> str:
    """As the open CAF officer: an order on the form, JSDF supplying fuel and water for a port
    visit, priced in yen; the client checks and the server's refusal on the way. Returns its id."""
    page.goto(f"{url}/acsa/orders/new")
    expect(page.locator("#requesting")).to_have_value(re.compile("^CAF"))
    page.select_option("#supplying", "JSDF")
    page.select_option("#activity", "port_visit")
    page.select_option("#settlement", "reimbursement")
    page.select_option("#currency", "JPY")
    page.fill("#reference", "HMCS Montréal, Yokosuka")
    fill_line(page, 0, "fuel", "Marine diesel F-76", "120000", "L", "150")
    expect(page.get_by_test_id("line-amount").first).to_have_text("JPY 18,000,000")
    page.click("#add-line")
    fill_line(page, 1, "water", "Potable water", "300", "t", "420.5")
    # a yen price with decimals is caught before sending, the total says a line is incomplete
    expect(page.get_by_test_id("form-total")).to_contain_text("incomplete")
    page.click("#submit")
    expect(page.get_by_test_id("form-checks")).to_contain_text("no decimals")
    expect(page.locator("#l-price-1")).to_have_attribute("aria-invalid", "true")
    page.fill("#l-price-1", "420")
    # a line added and removed again leaves the total as it was
    page.click("#add-line")
    fill_line(page, 2, "food", "Fresh provisions", "1", "lot", "999999")
    expect(page.get_by_test_id("form-total")).to_have_text("JPY 19,125,999")
    page.locator("tr.line").nth(2).get_by_role("button").click()
    expect(page.get_by_test_id("form-total")).to_have_text("JPY 18,126,000")
    # weapons only the server knows by name: its 422 is shown verbatim, nothing is filed
    page.click("#add-line")
    fill_line(page, 2, "spare_parts", "Spare rifles", "4", "each", "90000")
    page.click("#submit")
    words = page.get_by_test_id("server-words")
    expect(words).to_contain_text("weapons are never provided")
    assert page.url.endswith("/acsa/orders/new")
    shot(page, "acsa-order-form-refused")
    page.locator("tr.line").nth(2).get_by_role("button").click()
    page.click("#submit")
    page.wait_for_url(re.compile(r"/acsa/orders/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[1]


def test_an_order_from_request_to_settlement(browser: Browser, url: str) -> None:
    claire = login(browser, url, "claire", "/acsa")
    hiro = login(browser, url, "hiro", "/acsa/balances")
    before = open_figure(hiro, url, "JSDF", "CAF", "JPY")
    order_id = file_order(claire, url)

    # the CAF officer: the order as filed, and only what the requesting side may do
    expect(claire.get_by_test_id("order-title")).to_contain_text("ACSA-")
    expect(claire.get_by_test_id("order-total")).to_have_text("JPY 18,126,000")
    expect(claire.get_by_test_id("lines")).to_contain_text("Marine diesel F-76")
    assert "accept" not in shown_actions(claire)
    assert shown_actions(claire) == allowed(claire, order_id)
    shot(claire, "acsa-order-requested")

    # the JSDF officer accepts and provides it
    hiro.goto(f"{url}/acsa/orders/{order_id}")
    assert shown_actions(hiro) == allowed(hiro, order_id) >= {"accept", "reject"}
    press(hiro, "accept", "accepted")
    press(hiro, "provide", "provided")
    assert shown_actions(hiro) == allowed(hiro, order_id)
    assert "receive" not in shown_actions(hiro)

    # provided: now owed, on the balances page
    assert open_figure(hiro, url, "JSDF", "CAF", "JPY") != before
    assert open_figure(hiro, url, "JSDF", "CAF", "JPY") == _plus(before, 18_126_000)

    # the CAF officer confirms receipt
    claire.goto(f"{url}/acsa/orders/{order_id}")
    assert shown_actions(claire) == allowed(claire, order_id) == {"receive"}
    press(claire, "receive", "received")

    # the JSDF officer invoices, then settles in two payments (the first names its amount)
    hiro.goto(f"{url}/acsa/orders/{order_id}")
    press(hiro, "invoice", "invoiced")
    expect(hiro.get_by_test_id("actions")).to_contain_text("Payment due")
    hiro.click("[data-testid=actions] button[data-action=settle]")
    hiro.select_option("#settle-method", "reimbursement")
    hiro.fill("#settle-amount", "6000000.5")
    hiro.click("#settle-submit")
    expect(hiro.get_by_test_id("settle-check")).to_contain_text("no decimals")
    hiro.fill("#settle-amount", "6000000")
    hiro.click("#settle-submit")
    expect(hiro.get_by_test_id("done")).to_be_visible()
    assert open_figure(hiro, url, "JSDF", "CAF", "JPY") == _plus(before, 12_126_000)
    hiro.goto(f"{url}/acsa/orders/{order_id}")
    hiro.click("[data-testid=actions] button[data-action=settle]")
    hiro.click("#settle-submit")  # no amount: the open amount
    expect(hiro.get_by_test_id("order-title").get_by_test_id("status")).to_have_text("settled")
    assert shown_actions(hiro) == allowed(hiro, order_id) == set()
    shot(hiro, "acsa-order-settled")

    # the history: every step, who took it for which party, local time with UTC in a tooltip
    history = hiro.get_by_test_id("history").locator("li")
    actions = history.evaluate_all("els => els.map(e => e.dataset.action)")
    assert actions == ["request", "accept", "provide", "receive", "invoice", "settle", "settle"]
    assert history.get_by_test_id("actor").all_inner_texts() == [
        "claire",
        "hiro",
        "hiro",
        "claire",
        "hiro",
        "hiro",
        "hiro",
    ]
    at = datetime.fromisoformat(call(hiro, "GET", f"/orders/{order_id}").json()["history"][0]["at"])
    stamp = history.first.locator("time")
    assert stamp.get_attribute("title") == f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    tokyo = at.astimezone(ZoneInfo("Asia/Tokyo"))
    expect(stamp).to_contain_text(f"{tokyo:%m/%d/%Y}")
    expect(stamp).to_contain_text(f"{tokyo:%I:%M %p} GMT+9")

    # settled: nothing left open between them in yen
    assert open_figure(hiro, url, "JSDF", "CAF", "JPY") == _plus(before, 0)
    shot(hiro, "acsa-balances")


def _plus(shown: str, minor: int) -> str:
    """A yen figure as the page shows it, ``minor`` more than ``shown`` ("" for none)."""
    base = int(shown.removeprefix("JPY ").replace(",", "")) if shown else 0
    return f"JPY {base + minor:,}"


def _order(
    page: Page, supplying: str = "JSDF", *, currency: str = "CAD", price: str = "1.12"
) -> dict[str, Any]:
    """An order filed through the API in ``page``'s session (the form is tested above)."""
    r = call(
        page,
        "POST",
        "/orders",
        {
            "requesting": "CAF" if supplying == "JSDF" else "JSDF",
            "supplying": supplying,
            "activity": "coordinated_operation",
            "settlement": "reimbursement",
            "currency": currency,
            "lines": [
                {
                    "category": "fuel",
                    "description": "JP-8 for the CP-140 detachment",
                    "quantity": "30000",
                    "unit": "L",
                    "unit_price": price,
                }
            ],
        },
    )
    assert r.status == 201, r.text()
    return dict(r.json())


def test_a_stale_page_shows_the_conflict_and_the_order_as_it_is(browser: Browser, url: str) -> None:
    claire = login(browser, url, "claire", "/acsa")
    order = _order(claire)
    hiro = login(browser, url, "hiro", f"/acsa/orders/{order['id']}")
    expect(hiro.get_by_test_id("order-title").get_by_test_id("status")).to_have_text("requested")
    # meanwhile, in another session of the same officer, the order is accepted
    other = login(browser, url, "hiro", "/acsa")
    r = call(other, "POST", f"/orders/{order['id']}/accept", {"version": order["version"]})
    assert r.ok, r.text()
    # the page still shows version 1 and offers reject: it asks first, and saying no sends
    # nothing (the stale version would have been refused)
    asked: list[str] = []

    def answer(accept: bool) -> Callable[[Dialog], None]:
        def on_dialog(dialog: Dialog) -> None:
            asked.append(dialog.message)
            if accept:
                dialog.accept()
            else:
                dialog.dismiss()

        return on_dialog

    hiro.once("dialog", answer(False))
    hiro.click("[data-testid=actions] button[data-action=reject]")
    assert asked == [f"Reject order {order['number']}? It ends the order for both forces."]
    expect(hiro.get_by_test_id("error")).to_have_count(0)
    # saying yes sends it, and it is refused as stale
    hiro.once("dialog", answer(True))
    hiro.click("[data-testid=actions] button[data-action=reject]")
    expect(hiro.get_by_test_id("error")).to_contain_text("Someone changed this order first")
    expect(hiro.get_by_test_id("order-title").get_by_test_id("status")).to_have_text("accepted")
    assert shown_actions(hiro) == allowed(hiro, order["id"])
    assert "reject" not in shown_actions(hiro)
    shot(hiro, "acsa-conflict")
    # and nothing was rejected
    assert call(hiro, "GET", f"/orders/{order['id']}").json()["status"] == "accepted"


def test_the_ledger_lists_and_filters_orders(browser: Browser, url: str) -> None:
    claire = login(browser, url, "claire", "/acsa")
    order = _order(claire)
    claire.goto(f"{url}/acsa?status=requested")
    expect(claire.get_by_test_id("total")).to_contain_text("of")
    links = claire.get_by_test_id("order-link")
    assert order["number"] in links.all_inner_texts()
    assert set(claire.get_by_test_id("orders").get_by_test_id("status").all_inner_texts()) == {
        "requested"
    }
    claire.select_option("#f-status", "settled")
    claire.click("[data-testid=filters] button[type=submit]")
    expect(claire).to_have_url(re.compile(r"status=settled"))
    expect(claire.get_by_test_id("total")).to_contain_text("of")
    assert order["number"] not in claire.get_by_test_id("orders").inner_text()
    expect(claire.get_by_test_id("totals-category")).to_be_visible()
    shot(claire, "acsa-ledger")
    # in Japanese: the nav, the statuses and the money in the catalogue's words
    claire.goto(f"{url}/acsa?status=requested")
    claire.select_option("#lang", "ja")
    expect(claire.locator("header nav a.active")).to_have_text("ACSA台帳")
    expect(claire.get_by_test_id("orders").get_by_test_id("status").first).to_have_text("要請")
    expect(claire.get_by_test_id("orders")).to_contain_text("CAD 33,600.00")
    expect(claire.get_by_test_id("orders")).to_contain_text("国際的に協調して行われる活動")
    expect(claire.locator("#f-category option[value=fuel]")).to_have_text("燃料・油脂・潤滑油")
    shot(claire, "acsa-ledger-ja")


def test_no_ledger_data_for_a_user_outside_the_group(browser: Browser, url: str) -> None:
    claire = login(browser, url, "claire", "/acsa")
    order = _order(claire)
    olaf = login(browser, url, "olaf", "/acsa")
    for path in ("/acsa", f"/acsa/orders/{order['id']}", "/acsa/balances", "/acsa/orders/new"):
        olaf.goto(url + path)
        expect(olaf.get_by_test_id("no-access")).to_be_visible()
        assert order["number"] not in olaf.content()
        assert not olaf.locator("form#order-form, [data-testid=orders] table").count()
    shot(olaf, "acsa-no-access")
    # and not only the pages: the API itself gives nothing
    assert call(olaf, "GET", f"/orders/{order['id']}").status == 404
    listed = call(olaf, "GET", "/orders")
    assert listed.ok and listed.json()["items"] == []
    refused = call(olaf, "POST", f"/orders/{order['id']}/accept", {"version": order["version"]})
    assert refused.status in (403, 404)


def _provided(
    requester: Page, supplier: Page, supplying: str, currency: str, price: str
) -> dict[str, Any]:
    """An order filed by ``requester``, accepted and provided by ``supplier``, through the API."""
    order = _order(requester, supplying, currency=currency, price=price)
    for action in ("accept", "provide"):
        r = call(supplier, "POST", f"/orders/{order['id']}/{action}", {"version": order["version"]})
        assert r.ok, r.text()
        order = dict(r.json())
    return order


def test_balances_consolidate_only_with_a_recorded_rate_and_link_statements(
    browser: Browser, url: str
) -> None:
    claire = login(browser, url, "claire", "/acsa/balances")
    hiro = login(browser, url, "hiro", "/acsa")
    order = _provided(hiro, claire, "CAF", "CAD", "1.12")  # JSDF owes CAF in CAD
    day = claire.evaluate("NW.acsa.today()")  # the page's as-of: today in Tokyo
    published = datetime.now(UTC).date().isoformat()  # no later than that; never in the future
    claire.goto(f"{url}/acsa/balances")
    claire.select_option("#cons-currency", "JPY")
    # no CAD/JPY rate yet: the server's reason, and no figure
    expect(claire.get_by_test_id("no-rate")).to_contain_text("no CAD/JPY rate recorded")
    assert not claire.get_by_test_id("net").count()
    r = call(
        claire,
        "POST",
        "/rates",
        {"base": "CAD", "quote": "JPY", "rate": "110.5", "as_of": published, "source": "test"},
    )
    assert r.status == 201, r.text()
    claire.goto(f"{url}/acsa/balances?currency=JPY")  # the currency may come in the URL too
    net = claire.get_by_test_id("net")
    expect(net).to_contain_text("JPY")
    answer = call(claire, "GET", f"/consolidated?currency=JPY&rate_date={day}").json()["net"]
    assert net.inner_text().startswith(f"Net: {answer['debtor']} owes {answer['creditor']}")
    assert net.locator("strong").inner_text() == f"JPY {answer['open_minor']:,}"
    expect(claire.get_by_test_id("rates")).to_contain_text(f"1 CAD = 110.5 JPY ({published}")
    shot(claire, "acsa-balances-consolidated")
    # the statement links: a CSV that holds the order, a printable page that names it
    with claire.expect_download() as info:
        claire.click("[data-testid=statement-csv-CAF]")
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert order["number"] in text
    href = claire.get_by_test_id("statement-html-CAF").get_attribute("href")
    assert href
    printable = claire.context.new_page()
    printable.goto(url + href)
    expect(printable.locator("body")).to_contain_text(order["number"])
    shot(printable, "acsa-statement")


def test_amend_a_requested_order_on_the_form(browser: Browser, url: str) -> None:
    claire = login(browser, url, "claire", "/acsa")
    order = _order(claire)
    claire.goto(f"{url}/acsa/orders/{order['id']}")
    claire.click("[data-testid=actions] [data-action=amend]")
    expect(claire.locator("#l-price-0")).to_have_value("1.12")  # the lines as they were
    expect(claire.locator("#currency")).to_be_disabled()
    claire.fill("#l-quantity-0", "45000")
    expect(claire.get_by_test_id("form-total")).to_have_text("CAD 50,400.00")
    claire.fill("#note", "second aircraft joined")
    claire.click("#submit")
    claire.wait_for_url(f"{url}/acsa/orders/{order['id']}")
    expect(claire.get_by_test_id("order-total")).to_have_text("CAD 50,400.00")
    last = claire.get_by_test_id("history").locator("li").last
    assert last.get_attribute("data-action") == "amend"
    expect(last).to_contain_text("second aircraft joined")
    expect(last).to_contain_text("Before: CAD 33,600.00")


def test_the_pages_money_is_the_servers(browser: Browser, url: str) -> None:
    """The form's live amounts are computed in the page; they must be the ones the server
    stores: prices parsed exactly, the same refusals, quantity x price rounded half up."""
    page = login(browser, url, "claire", "/acsa")
    rng = random.Random(7)
    cases: list[tuple[str, str, str]] = []
    for _ in range(300):
        currency = rng.choice(["CAD", "JPY"])
        places = rng.randint(0, 3)  # more than the currency has, sometimes
        price = str(rng.randint(0, 10**7)) + (
            f".{rng.randrange(10**places):0{places}d}" if places else ""
        )
        qty = str(rng.randint(0, 10**6)) + (
            f".{rng.randint(1, 999_999)}" if rng.random() < 0.5 else ""
        )
        cases.append((currency, price, qty))
    cases += [  # half-up rounding at .5, trailing zeros, not a number
        ("CAD", "1.35", "0.5"),
        ("CAD", "0.05", "0.1"),
        ("JPY", "150", "2.5"),
        ("JPY", "150.0", "1"),
        ("CAD", "1.350", "3"),
        ("JPY", "abc", "1"),
    ]
    got = page.evaluate(
        """cases => cases.map(([cur, price, qty]) => {
             const p = NW.acsa.toMinor(price, cur), q = NW.acsa.quantity(qty);
             const amount = q.error || p.error ? null : NW.acsa.lineAmount(q, p.minor);
             return [p.error ? null : String(p.minor), amount === null ? null : String(amount)];
           })""",
        [list(c) for c in cases],
    )
    for (currency, price, qty), (minor, amount) in zip(cases, got, strict=True):
        try:
            expected: int | None = to_minor(price, currency)
        except MoneyError:
            expected = None
        assert minor == (None if expected is None else str(expected)), (currency, price)
        q = Decimal(qty)
        if expected is not None and q > 0:
            assert amount == str(line_amount(q, expected)), (currency, price, qty)
        else:
            assert amount is None, (currency, price, qty)


def test_the_demo_deployment_shows_its_overdue_orders(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Over the store `neonwatch acsa demo` loads (orders months old): the balances page lists
    exactly the overdue orders the API finds, with their days overdue, linked to their pages."""
    root = tmp_path_factory.mktemp("acsa-demo")
    demo = load_demo(f"sqlite:///{root / 'demo.db'}", password=PASSWORD)
    assert demo.overdue  # the demo has late orders (else this test checks nothing)
    store = open_store(demo.url)
    try:
        app = create_app(store, Settings(node="test", photos_dir=root / "p", cookie_secure=False))
        with serve(app) as base:
            page = login(browser, base, "caf-logistics", "/acsa/balances")
            table = page.get_by_test_id("overdue").locator("table")
            expect(table).to_be_visible()
            day = page.evaluate("NW.acsa.today()")
            items = call(page, "GET", f"/overdue?as_of={day}").json()["items"]
            rows = table.locator("tbody tr")
            expect(rows).to_have_count(len(items))
            for row, item in zip(rows.all(), items, strict=True):
                cells = row.locator("td").all_inner_texts()
                assert cells[0] == item["number"]
                assert cells[5] == str(item["days_overdue"])
            shot(page, "acsa-demo-balances")
            rows.first.locator("a").click()
            expect(page.get_by_test_id("order-title")).to_contain_text(items[0]["number"])
            expect(page.get_by_test_id("overdue")).to_contain_text("days overdue")
            shot(page, "acsa-demo-overdue-order")
    finally:
        store.close()


def test_an_officer_records_an_exchange_rate(browser: Browser, url: str) -> None:
    """The rates page lists the dated rates and records one; a rate that is not a positive
    number gets the server's reason and records nothing; outside the ledger, no form."""
    claire = login(browser, url, "claire", "/acsa/rates")
    expect(claire.get_by_test_id("rates-list").locator("table, p")).to_be_visible()
    before = len(call(claire, "GET", "/rates").json()["items"])
    claire.select_option("#rate-base", "JPY")
    claire.select_option("#rate-quote", "CAD")
    claire.fill("#rate-value", "-0.0093")
    claire.fill("#rate-source", "Bank of Canada daily rate")
    claire.click("#rate-submit")
    expect(claire.get_by_test_id("rate-refused")).to_contain_text("rate")
    assert len(call(claire, "GET", "/rates").json()["items"]) == before
    claire.fill("#rate-value", "0.0093")
    claire.click("#rate-submit")
    expect(claire.get_by_test_id("rate-recorded")).to_contain_text("1 JPY = 0.0093 CAD")
    pairs = claire.get_by_test_id("rate-pair")
    expect(pairs.filter(has_text="1 JPY = 0.0093 CAD")).to_have_count(1)
    stored = call(claire, "GET", "/rates").json()["items"]
    assert len(stored) == before + 1
    assert {(r["base"], r["quote"], r["rate"], r["recorded_by"]) for r in stored} >= {
        ("JPY", "CAD", "0.0093", "claire")
    }
    shot(claire, "acsa-rates")
    olaf = login(browser, url, "olaf", "/acsa/rates")
    expect(olaf.get_by_test_id("no-access")).to_be_visible()
    expect(olaf.locator("#rate-form")).to_have_count(0)
