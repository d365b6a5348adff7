"""``neonwatch acsa ...``: the ACSA ledger on the command line, a thin shell over
:mod:`neonwatch.acsa` (every command opens the store, calls one library function in one
transaction and renders the answer: a Rich table, or JSON with ``--json``).

The acting officer is named with ``--as USER`` (or ``$NEONWATCH_USER``): a user of the store
(``neonwatch users create``), acting for the party of their nation and needing the ledger's
group, exactly as over the API. A refusal of the ledger is one red line and exit code 2.

Registered on the ``neonwatch`` command by ``cli.py`` (import ``neonwatch.cli``, not this
module, first: this module reuses the main command's consoles and error helper)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from neonwatch import acsa
from neonwatch.cli import DbOption, _fail, out_console
from neonwatch.share.policy import Principal
from neonwatch.share.users import principal
from neonwatch.store import open_store
from neonwatch.store.models import User

T = TypeVar("T")
ENV_USER = "NEONWATCH_USER"

acsa_app = typer.Typer(
    name="acsa",
    help=(
        "The ACSA ledger: orders of supplies and services between the Canadian Armed Forces "
        "and the Japan Self-Defense Forces, their provision, receipt and settlement, and the "
        "balances between the two. Start with [bold]neonwatch acsa demo[/bold]."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
)

AsUser = Annotated[
    str | None,
    typer.Option(
        "--as",
        envvar=ENV_USER,
        help="The acting officer: a user of the store (default $NEONWATCH_USER).",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]
OrderArg = Annotated[str, typer.Argument(help="The order: its number (ACSA-2026-0001) or id.")]
Version = Annotated[
    int | None,
    typer.Option(
        "--version",
        help="The version you read (409-style refusal when someone changed it since); "
        "default: the current one, read now.",
    ),
]
Note = Annotated[str | None, typer.Option("--note", help="A note kept with the step.")]
LineOpt = Annotated[
    list[str],
    typer.Option(
        "--line",
        help="CATEGORY|DESCRIPTION|QUANTITY|UNIT|UNIT_PRICE, prices in major units "
        '(repeat for more lines): "fuel|Marine diesel F-76|120000|L|1.35".',
    ),
]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="The day (YYYY-MM-DD, UTC); default today.")
]


def _day(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{name} {text!r}: expected a date YYYY-MM-DD") from None


def _officer(s: Session, username: str | None) -> Principal:
    if not username:
        raise _fail(f"name the acting officer with --as USER (or ${ENV_USER})")
    user = s.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise _fail(f"no user {username!r} in this store (neonwatch users create {username} ...)")
    return principal(user)


@contextmanager
def _session(db: str | None) -> Iterator[Session]:
    """One transaction on the store; store and ledger errors as one red line."""
    try:
        store = open_store(db)
    except SQLAlchemyError as exc:
        raise _fail(f"store: {str(exc).splitlines()[0]}") from None
    try:
        with Session(store.engine) as s, s.begin():
            yield s
    except acsa.AcsaError as exc:
        raise _fail(str(exc)) from None
    except SQLAlchemyError as exc:
        raise _fail(f"store: {str(exc).splitlines()[0]}") from None
    finally:
        store.close()


def _run(db: str | None, who: str | None, work: Callable[[Session, Principal], T]) -> T:
    with _session(db) as s:
        return work(s, _officer(s, who))


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def parse_line(spec: str) -> dict[str, str]:
    """``fuel|Marine diesel F-76|120000|L|1.35`` -> a line of an order."""
    parts = [p.strip() for p in spec.split("|")]
    if len(parts) != 5:
        raise _fail(
            f"--line {spec!r}: expected CATEGORY|DESCRIPTION|QUANTITY|UNIT|UNIT_PRICE "
            f"(5 fields separated by |, got {len(parts)})"
        )
    keys = ("category", "description", "quantity", "unit", "unit_price")
    return dict(zip(keys, parts, strict=True))


def _money(minor: int, currency: str) -> str:
    return acsa.money.display(minor, currency)


# --- rendering ------------------------------------------------------------------------------


def render_order(o: dict[str, Any]) -> None:
    """An order: header, lines, total, history, what the reader may do now."""
    cur = o["currency"]
    out_console.print(
        f"[bold]{o['number']}[/bold]  {o['requesting']} requests from {o['supplying']}  "
        f"[cyan]{o['status']}[/cyan] (version {o['version']})"
    )
    out_console.print(
        escape(
            f"activity {o['activity']}, settlement {o['settlement']}, currency {cur}"
            + (f", reference {o['reference']}" if o.get("reference") else "")
        )
    )
    lines = Table(show_edge=False, pad_edge=False)
    for col, justify in (("#", "right"), ("category", "left"), ("description", "left"),
                         ("quantity", "right"), ("unit", "left"), ("unit price", "right"),
                         ("amount", "right")):  # fmt: skip
        lines.add_column(col, justify=justify)  # type: ignore[arg-type]
    for x in o["lines"]:
        lines.add_row(
            str(x["line_no"]), x["category"], escape(x["description"]), x["quantity"], x["unit"],
            x["unit_price"], x["amount"],
        )  # fmt: skip
    out_console.print(lines)
    out_console.print(
        f"total {_money(o['total_minor'], cur)}   settled {_money(o['settled_minor'], cur)}   "
        f"open {_money(o['open_minor'], cur)}"
    )
    keys = ("payment_due", "in_kind_due", "invoice_by")
    dues = [f"{k.replace('_', ' ')} {o[k]}" for k in keys if o.get(k)]
    if o.get("overdue_days"):
        dues.append(f"[red]overdue {o['overdue_days']} days ({o['overdue_reason']})[/red]")
    if dues:
        out_console.print("   ".join(dues))
    hist = Table(show_edge=False, pad_edge=False, title="history", title_justify="left")
    for col in ("#", "when (UTC)", "action", "status", "by", "party", "note"):
        hist.add_column(col)
    for h in o["history"]:
        status = h["to_status"] if h["from_status"] in (None, h["to_status"]) else (
            f"{h['from_status']} -> {h['to_status']}"
        )  # fmt: skip
        hist.add_row(
            str(h["seq"]), h["at"][:16].replace("T", " "), h["action"], status,
            escape(h["actor"]), h["party"], escape(h["note"] or ""),
        )  # fmt: skip
    out_console.print(hist)
    allowed = ", ".join(o["allowed_actions"]) or "nothing"
    out_console.print(f"you may: {allowed}")


def render_orders(total: int, items: list[dict[str, Any]]) -> None:
    t = Table(title=f"{total} order{'s' if total != 1 else ''}", title_justify="left")
    for col in ("number", "requesting", "supplying", "activity", "status", "total", "open"):
        t.add_column(col, justify="right" if col in ("total", "open") else "left")
    for o in items:
        t.add_row(
            o["number"], o["requesting"], o["supplying"], o["activity"], o["status"],
            _money(o["total_minor"], o["currency"]), _money(o["open_minor"], o["currency"]),
        )  # fmt: skip
    out_console.print(t)


def render_balances(rows: list[dict[str, Any]], as_of: str) -> None:
    """Open balances per creditor, debtor and currency."""
    t = Table(title=f"open balances on {as_of}", title_justify="left")
    for col in ("owed to", "owed by", "provided", "settled", "open"):
        t.add_column(col, justify="left" if col.startswith("owed") else "right")
    for b in rows:
        cur = b["currency"]
        t.add_row(
            b["creditor"], b["debtor"], _money(b["provided_minor"], cur),
            _money(b["settled_minor"], cur), f"[bold]{_money(b['open_minor'], cur)}[/bold]",
        )  # fmt: skip
    out_console.print(t)


_OVERDUE_WHY = {
    "payment": "payment terms",
    "in_kind_limit": "in-kind limit: due in currency",
    "invoice": "not invoiced within the invoice period",
}


def render_overdue(items: list[dict[str, Any]], as_of: str) -> None:
    t = Table(title=f"overdue on {as_of}", title_justify="left")
    for col in ("number", "owed by", "owed to", "open", "due", "days", "why"):
        t.add_column(col, justify="right" if col in ("open", "days") else "left")
    for i in items:
        why = _OVERDUE_WHY.get(i["reason"], i["reason"])
        t.add_row(
            i["number"], i["debtor"], i["creditor"], _money(i["open_minor"], i["currency"]),
            i["due"], str(i["days_overdue"]), why,
        )  # fmt: skip
    out_console.print(t if items else f"nothing overdue on {as_of}")


# --- commands -------------------------------------------------------------------------------


@acsa_app.command("agreement")
def agreement_cmd(as_json: Json = False) -> None:
    """The agreement's rules: parties, categories, eligible activities, settlement, terms."""
    ag = acsa.load_agreement()
    data = ag.to_json()
    if as_json:
        _print_json(data)
        return
    out_console.print(
        f"[bold]{escape(ag.title)}[/bold]: signed {ag.signed}, in force {ag.in_force}"
    )
    out_console.print(
        f"parties: {', '.join(f'{p.code} ({p.name}, {p.nation})' for p in ag.parties)}"
    )
    out_console.print(
        f"terms: invoice at least every {ag.invoice_period_months} months, pay within "
        f"{ag.payment_terms_days} days; in kind or exchange open past "
        f"{ag.in_kind_limit_days} days becomes due in currency; {ag.exclusion.reason}"
    )
    t = Table(title="categories", title_justify="left")
    t.add_column("code")
    t.add_column("name")
    for c in ag.categories:
        t.add_row(c.code, c.name + (f" (part of {c.part_of})" if c.part_of else ""))
    out_console.print(t)
    t = Table(title="eligible activities", title_justify="left")
    t.add_column("code")
    t.add_column("name")
    for a in ag.activities:
        t.add_row(a.code, a.name)
    out_console.print(t)
    out_console.print(
        f"settlement: {', '.join(ag.method_codes)}; currencies: "
        + ", ".join(f"{c} (exponent {e})" for c, e in sorted(ag.currencies.items()))
        + f"; units: {', '.join(ag.units)}; ledger group: {ag.acsa_group!r}"
    )


@acsa_app.command(
    "request",
    epilog="[bold]Example[/bold]\n\nneonwatch acsa request --as caf-logistics --activity "
    "port_visit --line 'fuel|Marine diesel F-76|120000|L|118' --line 'water|Potable water|"
    "400|t|650'",
)
def request_cmd(
    who: AsUser = None,
    line: LineOpt = [],  # noqa: B006 - typer needs a list default
    activity: Annotated[str, typer.Option("--activity", help="An eligible activity.")] = "",
    supplying: Annotated[
        str | None, typer.Option("--from", help="The supplying party (default: the other).")
    ] = None,
    settlement: Annotated[
        str, typer.Option("--settlement", help="reimbursement, replacement_in_kind, ...")
    ] = "reimbursement",
    currency: Annotated[
        str | None, typer.Option("--currency", help="Default: the supplier's currency.")
    ] = None,
    reference: Annotated[str | None, typer.Option("--reference", help="Ship, visit...")] = None,
    note: Note = None,
    db: DbOption = None,
    as_json: Json = False,
) -> None:
    """Request supplies or services from the other party, for your own party."""
    lines = [parse_line(x) for x in line]
    ag = acsa.load_agreement()

    def work(s: Session, p: Principal) -> dict[str, Any]:
        own = ag.party_of_nation(p.nation)
        requesting = own.code if own else p.nation
        other = supplying or (ag.other(requesting).code if own else "")
        cur = currency or (ag.party(other).currency if other in ag.party_codes else "")
        step = acsa.request_order(
            s, p, requesting=requesting, supplying=other, activity=activity,
            settlement=settlement, currency=cur, lines=lines, reference=reference, note=note,
        )  # fmt: skip
        return acsa.get_order(s, p, step.order_id, audited=False)

    _show(_run(db, who, work), as_json)


def _show(order: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json(order)
    else:
        render_order(order)


def _take(
    db: str | None,
    who: str | None,
    order: str,
    action: str,
    version: int | None,
    **kw: Any,
) -> dict[str, Any]:
    """One lifecycle step on ``order`` as of ``version`` (default: the current one)."""

    def work(s: Session, p: Principal) -> dict[str, Any]:
        oid = acsa.find_order(s, p, order)
        current = version or int(acsa.get_order(s, p, oid, audited=False)["version"])
        acsa.take_action(s, p, oid, action, current, **kw)
        return acsa.get_order(s, p, oid, audited=False)

    return _run(db, who, work)


def _step_command(action: str, doc: str) -> None:
    """Register ``neonwatch acsa ACTION ORDER``: one lifecycle step."""

    def command(
        order: OrderArg,
        who: AsUser = None,
        version: Version = None,
        note: Note = None,
        db: DbOption = None,
        as_json: Json = False,
    ) -> None:
        _show(_take(db, who, order, action, version, note=note), as_json)

    command.__doc__ = doc
    acsa_app.command(action, help=doc)(command)


for _action, _doc in (
    ("accept", "Accept a requested order (the supplying party)."),
    ("reject", "Reject a requested order (the supplying party)."),
    ("provide", "Record that the supplies or services were provided (the supplying party)."),
    ("receive", "Confirm receipt (the requesting party)."),
    ("invoice", "Invoice a received order (the supplying party)."),
    ("cancel", "Cancel an order before provision (the requesting party)."),
):
    _step_command(_action, _doc)


@acsa_app.command("settle")
def settle_cmd(
    order: OrderArg,
    who: AsUser = None,
    version: Version = None,
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            help="reimbursement, replacement_in_kind, equal_value_exchange (default the order's).",
        ),
    ] = None,
    amount: Annotated[
        str | None, typer.Option("--amount", help="In major units (default all that is open).")
    ] = None,
    note: Note = None,
    db: DbOption = None,
    as_json: Json = False,
) -> None:
    """Record a payment, replacement or exchange received (the supplying party)."""
    order_json = _take(db, who, order, "settle", version, note=note, method=method, amount=amount)
    _show(order_json, as_json)


@acsa_app.command("amend")
def amend_cmd(
    order: OrderArg,
    who: AsUser = None,
    line: LineOpt = [],  # noqa: B006
    version: Version = None,
    note: Note = None,
    db: DbOption = None,
    as_json: Json = False,
) -> None:
    """Replace a requested order's lines (a new revision; the old lines stay in the history)."""
    lines = [parse_line(x) for x in line]

    def work(s: Session, p: Principal) -> dict[str, Any]:
        oid = acsa.find_order(s, p, order)
        current = version or int(acsa.get_order(s, p, oid, audited=False)["version"])
        acsa.amend_order(s, p, oid, current, lines, note=note)
        return acsa.get_order(s, p, oid, audited=False)

    _show(_run(db, who, work), as_json)


@acsa_app.command("show")
def show_cmd(
    order: OrderArg, who: AsUser = None, db: DbOption = None, as_json: Json = False
) -> None:
    """One order with its lines, history, due dates and what you may do now."""
    _show(_run(db, who, lambda s, p: acsa.get_order(s, p, acsa.find_order(s, p, order))), as_json)


@acsa_app.command("list")
def list_cmd(
    who: AsUser = None,
    status: Annotated[str | None, typer.Option("--status")] = None,
    party: Annotated[str | None, typer.Option("--party", help="CAF or JSDF, either side.")] = None,
    activity: Annotated[str | None, typer.Option("--activity")] = None,
    category: Annotated[str | None, typer.Option("--category")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 100,
    db: DbOption = None,
    as_json: Json = False,
) -> None:
    """Orders, newest first."""
    total, items = _run(
        db, who, lambda s, p: acsa.list_orders(
            s, p, status=status, party=party, activity=activity, category=category, limit=limit
        ),
    )  # fmt: skip
    if as_json:
        _print_json({"total": total, "items": items})
    else:
        render_orders(total, items)


@acsa_app.command("balances")
def balances_cmd(
    who: AsUser = None, as_of: AsOf = None, db: DbOption = None, as_json: Json = False
) -> None:
    """Open balances per party and currency: provided, settled, open."""
    day = _day(as_of, "--as-of")
    data = _run(db, who, lambda s, p: acsa.balances(s, p, day))
    if as_json:
        _print_json(data)
    else:
        render_balances(data["balances"], data["as_of"])


@acsa_app.command("overdue")
def overdue_cmd(
    who: AsUser = None, as_of: AsOf = None, db: DbOption = None, as_json: Json = False
) -> None:
    """Orders unpaid past the payment terms, or open in kind past the in-kind limit."""
    day = _day(as_of, "--as-of")
    data = _run(db, who, lambda s, p: acsa.overdue(s, p, day))
    if as_json:
        _print_json(data)
    else:
        render_overdue(data["items"], data["as_of"])


@acsa_app.command("totals")
def totals_cmd(
    who: AsUser = None,
    by: Annotated[str, typer.Option("--by", help="category or activity")] = "category",
    party: Annotated[str | None, typer.Option("--party")] = None,
    db: DbOption = None,
    as_json: Json = False,
) -> None:
    """What was provided, by category or by activity, per currency."""
    data = _run(db, who, lambda s, p: acsa.totals(s, p, by, party=party))
    if as_json:
        _print_json(data)
        return
    t = Table(title=f"provided, by {by}", title_justify="left")
    for col in (by, "orders", "total"):
        t.add_column(col, justify="left" if col == by else "right")
    for i in data["items"]:
        t.add_row(i["key"], str(i["orders"]), _money(i["total_minor"], i["currency"]))
    out_console.print(t)


@acsa_app.command(
    "statement",
    epilog="[bold]Example[/bold]\n\nneonwatch acsa statement --as caf-logistics --party CAF "
    "--start 2026-01-01 --end 2026-12-31 --format html --out caf-2026.html",
)
def statement_cmd(
    who: AsUser = None,
    party: Annotated[str, typer.Option("--party", help="Whose account: CAF or JSDF.")] = "",
    start: Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")] = "",
    end: Annotated[str, typer.Option("--end", help="Last day, YYYY-MM-DD.")] = "",
    fmt: Annotated[str, typer.Option("--format", help="csv, html or json")] = "csv",
    lang: Annotated[str, typer.Option("--lang", help="html: en, fr or ja")] = "en",
    out: Annotated[Path | None, typer.Option("--out", help="Write here, not stdout.")] = None,
    db: DbOption = None,
    as_json: Json = False,
) -> None:
    """A party's statement of account for a period (CSV, printable HTML or JSON)."""
    first, last = _day(start or None, "--start"), _day(end or None, "--end")
    if first is None or last is None or not party:
        raise _fail("give --party, --start and --end")
    if fmt not in ("csv", "html", "json"):
        raise _fail(f"--format {fmt!r}: csv, html or json")
    data = _run(db, who, lambda s, p: acsa.statement(s, p, party.upper(), first, last))
    if as_json or fmt == "json":
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    elif fmt == "csv":
        text = acsa.statement_csv(data)
    else:
        text = acsa.statement_html(data, lang)
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"--out {out}: {exc.strerror}") from None
    out_console.print(escape(f"statement of {party.upper()} {first} to {last} written to {out}"))


@acsa_app.command("rate")
def rate_cmd(
    who: AsUser = None,
    base: Annotated[str, typer.Option("--base", help="1 BASE = RATE QUOTE")] = "JPY",
    quote: Annotated[str, typer.Option("--quote")] = "CAD",
    rate: Annotated[str, typer.Option("--rate", help='A decimal: "0.0091".')] = "",
    as_of: Annotated[str, typer.Option("--as-of", help="The rate's date, YYYY-MM-DD.")] = "",
    source: Annotated[str, typer.Option("--source", help="Where it comes from.")] = "",
    db: DbOption = None,
    as_json: Json = False,
) -> None:
    """Record an exchange rate with its date and source (consolidation uses only these)."""
    day = _day(as_of or None, "--as-of")
    if day is None:
        raise _fail("give --as-of, the date the rate is for")
    data = _run(
        db, who, lambda s, p: acsa.record_rate(
            s, p, base=base.upper(), quote=quote.upper(), rate=rate, as_of=day, source=source
        ),
    )  # fmt: skip
    if as_json:
        _print_json(data)
    else:
        out_console.print(
            escape(f"recorded 1 {data['base']} = {data['rate']} {data['quote']} on "
                   f"{data['as_of']} ({data['source']})")
        )  # fmt: skip


@acsa_app.command("consolidated")
def consolidated_cmd(
    who: AsUser = None,
    currency: Annotated[str, typer.Option("--currency", help="CAD or JPY")] = "CAD",
    rate_date: Annotated[
        str, typer.Option("--rate-date", help="Use rates dated on or before this day.")
    ] = "",
    as_of: AsOf = None,
    db: DbOption = None,
    as_json: Json = False,
) -> None:
    """Open balances in one currency, with recorded rates only (refused without one)."""
    day = _day(rate_date or None, "--rate-date") or date.today()
    data = _run(db, who, lambda s, p: acsa.consolidated(
        s, p, currency.upper(), day, _day(as_of, "--as-of")))  # fmt: skip
    if as_json:
        _print_json(data)
        return
    for r in data["rates"]:
        out_console.print(escape(f"rate 1 {r['base']} = {r['rate']} {r['quote']} of {r['as_of']}"
                                 f" ({r['source']})"))  # fmt: skip
    cur = data["currency"]
    for t in data["totals"]:
        out_console.print(f"{t['debtor']} owes {t['creditor']} {_money(t['open_minor'], cur)}")
    if data["net"]:
        n = data["net"]
        out_console.print(
            f"[bold]net: {n['debtor']} owes {n['creditor']} {_money(n['open_minor'], cur)}[/bold]"
        )


@acsa_app.command("demo")
def demo_cmd(
    db: DbOption = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="A password for both demo officers, from stdin."),
    ] = False,
    as_json: Json = False,
) -> None:
    """Load a realistic deployment (illustrative prices) and show its open balances.

    A frigate's port visit to Yokosuka, a CP-140 detachment in Japan and a Japanese destroyer's
    call at Esquimalt, with the officers caf-logistics and jsdf-logistics (group acsa)."""
    from neonwatch.acsa.demo import load_demo
    from neonwatch.store import resolve_url

    password = sys.stdin.read().rstrip("\r\n") if password_stdin else None
    try:
        result = load_demo(resolve_url(db), password=password)
    except (acsa.AcsaError, ValueError) as exc:
        raise _fail(str(exc)) from None
    except SQLAlchemyError as exc:
        raise _fail(f"store: {str(exc).splitlines()[0]}") from None
    if as_json:
        _print_json({k: getattr(result, k) for k in result.__dataclass_fields__})
        return
    render_demo(result)


def render_demo(result: Any) -> None:
    """What the ledger demo loaded and the open balances it leaves."""
    verb = "loaded" if result.loaded else "already in"
    out_console.print(
        escape(
            f"ACSA ledger: {result.orders} orders {verb} {result.url} "
            f"(officers {', '.join(result.officers)}, group acsa)"
        )
    )
    as_of = date.today().isoformat()
    render_overdue(result.overdue, as_of)
    render_balances(result.balances, as_of)
