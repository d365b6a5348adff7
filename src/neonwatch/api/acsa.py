"""``/api/v1/acsa``: the ACSA ledger over HTTP (the contract is ``acsa_contract.md``).

Each route is a few lines over :mod:`neonwatch.acsa`: it opens one transaction, calls the
library (which checks who may do what, enforces the agreement and appends the audit entry in
that transaction) and renders the answer. A refusal of the library (:class:`AcsaError`)
rolls the transaction back and becomes its HTTP status (404 not found or not an officer, 403
wrong party, 409 stale version, 422 a rule of the agreement) with one ``request.refused``
audit entry, as on every other route. Reads by users outside the ledger's group find nothing:
empty lists and the 404 of a missing order."""

import uuid
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field, StrictInt
from sqlalchemy.orm import Session

from neonwatch import acsa
from neonwatch.acsa import AcsaError
from neonwatch.acsa.orders import order_view
from neonwatch.api.deps import ApiContext, Auth, Ctx, Limit, Offset, Strict
from neonwatch.api.records import PREFIX
from neonwatch.share import audit
from neonwatch.share.policy import Principal
from neonwatch.store.ledger import AcsaOrder
from neonwatch.web import pick_language

router = APIRouter(prefix=f"{PREFIX}/acsa", tags=["acsa"])
T = TypeVar("T")
Code = Annotated[str, Field(min_length=1, max_length=64)]
Decimal = Annotated[str | StrictInt, Field(description='a decimal string: "1.35", "120000"')]
Text = Annotated[str | None, Field(default=None, max_length=2000)]


class LineIn(Strict):
    """One line of an order: quantity and unit price are decimal strings in major units."""

    category: Code
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    quantity: Decimal
    unit: Annotated[str, Field(min_length=1, max_length=16)]
    unit_price: Decimal


class OrderIn(Strict):
    """A new order, requested by the reader's party from the other party."""

    requesting: Code
    supplying: Code
    activity: Code
    settlement: Code
    currency: Annotated[str, Field(min_length=3, max_length=3)]
    reference: Annotated[str | None, Field(default=None, max_length=256)] = None
    note: Text = None
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=200)]


class StepIn(Strict):
    """A lifecycle step on the order as of ``version`` (the version the client read)."""

    version: int
    note: Text = None
    method: Code | None = Field(default=None, description="settle only")
    amount: Decimal | None = Field(default=None, description="settle only; default all open")


class AmendIn(Strict):
    """New lines for a requested order (a new revision; the old lines stay as history)."""

    version: int
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=200)]
    note: Text = None


class RateIn(Strict):
    """1 ``base`` = ``rate`` ``quote`` on ``as_of``, from ``source``."""

    base: Annotated[str, Field(min_length=3, max_length=3)]
    quote: Annotated[str, Field(min_length=3, max_length=3)]
    rate: Annotated[str, Field(min_length=1, max_length=40)]
    as_of: date
    source: Annotated[str, Field(min_length=1, max_length=500)]


def _run(ctx: ApiContext, p: Principal, request: Request, work: Callable[[Session], T]) -> T:
    """``work`` in one transaction; a refusal of the ledger becomes its HTTP error, audited."""
    try:
        with Session(ctx.engine) as s, s.begin():
            return work(s)
    except AcsaError as exc:
        raise ctx.refuse(p, request, exc.status, str(exc)) from None


def _view(s: Session, p: Principal, order_id: uuid.UUID) -> dict[str, Any]:
    o = s.get(AcsaOrder, order_id)
    assert o is not None  # written in this transaction
    return order_view(s, o, p, acsa.load_agreement())


def _lines(lines: list[LineIn]) -> list[dict[str, Any]]:
    return [x.model_dump() for x in lines]


@router.get("/agreement")
def agreement(p: Auth, ctx: Ctx) -> dict[str, Any]:
    """The agreement (parties, categories, activities, settlement, limits) and the reader's
    party (``me.party`` null for a user outside the ledger)."""
    ag = acsa.load_agreement()
    party = acsa.reader_party(p, ag)
    with Session(ctx.engine) as s, s.begin():
        audit.append(s, p.user, "acsa.agreement", "acsa", None, {})
    me = {"user": p.user, "nation": p.nation, "party": party.code if party else None}
    return {**ag.to_json(), "me": me}


@router.get("/orders")
def list_orders(
    p: Auth,
    ctx: Ctx,
    request: Request,
    status: Annotated[str | None, Query(max_length=16)] = None,
    party: Annotated[str | None, Query(max_length=8)] = None,
    activity: Annotated[str | None, Query(max_length=64)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Order summaries, newest first (filters: status, party, activity, category)."""

    def work(s: Session) -> tuple[int, list[dict[str, Any]]]:
        return acsa.list_orders(
            s,
            p,
            status=status,
            party=party,
            activity=activity,
            category=category,
            limit=limit,
            offset=offset,
        )

    total, items = _run(ctx, p, request, work)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.post("/orders", status_code=201)
def post_order(p: Auth, ctx: Ctx, request: Request, body: OrderIn) -> dict[str, Any]:
    """Request an order from the other party (201 with the order)."""

    def work(s: Session) -> dict[str, Any]:
        fields = body.model_dump(exclude={"lines"})
        step = acsa.request_order(s, p, **fields, lines=_lines(body.lines), node=ctx.settings.node)
        return _view(s, p, step.order_id)

    return _run(ctx, p, request, work)


@router.get("/orders/{order_id}")
def get_order(p: Auth, ctx: Ctx, request: Request, order_id: uuid.UUID) -> dict[str, Any]:
    """One order with its lines, history, due dates and the reader's allowed actions."""
    return _run(ctx, p, request, lambda s: acsa.get_order(s, p, order_id))


@router.post("/orders/{order_id}/amend")
def amend(
    p: Auth, ctx: Ctx, request: Request, order_id: uuid.UUID, body: AmendIn
) -> dict[str, Any]:
    """Replace the lines of a requested order (a new entry; nothing edited in place)."""

    def work(s: Session) -> dict[str, Any]:
        acsa.amend_order(
            s,
            p,
            order_id,
            body.version,
            _lines(body.lines),
            note=body.note,
            node=ctx.settings.node,
        )
        return _view(s, p, order_id)

    return _run(ctx, p, request, work)


Action = Literal["accept", "reject", "provide", "receive", "invoice", "settle", "cancel"]


@router.post("/orders/{order_id}/{action}")
def step(
    p: Auth, ctx: Ctx, request: Request, order_id: uuid.UUID, action: Action, body: StepIn
) -> dict[str, Any]:
    """Take one lifecycle step; 409 when ``version`` is not the order's current one."""

    def work(s: Session) -> dict[str, Any]:
        acsa.take_action(
            s,
            p,
            order_id,
            action,
            body.version,
            note=body.note,
            method=body.method,
            amount=None if body.amount is None else str(body.amount),
            node=ctx.settings.node,
        )
        return _view(s, p, order_id)

    return _run(ctx, p, request, work)


@router.get("/balances")
def balances(p: Auth, ctx: Ctx, request: Request, as_of: date | None = None) -> dict[str, Any]:
    """Open balances per creditor, debtor and currency on ``as_of`` (default today, UTC)."""
    return _run(ctx, p, request, lambda s: acsa.balances(s, p, as_of))


@router.get("/overdue")
def overdue(p: Auth, ctx: Ctx, request: Request, as_of: date | None = None) -> dict[str, Any]:
    """Orders overdue on ``as_of``: unpaid past the payment terms, or open in kind past the
    in-kind limit (then due in currency)."""
    return _run(ctx, p, request, lambda s: acsa.overdue(s, p, as_of))


@router.get("/totals")
def totals(
    p: Auth,
    ctx: Ctx,
    request: Request,
    by: Literal["category", "activity"] = "category",
    party: Annotated[str | None, Query(max_length=8)] = None,
) -> dict[str, Any]:
    """What was provided, by category or by activity, per currency."""
    return _run(ctx, p, request, lambda s: acsa.totals(s, p, by, party=party))


@router.get("/statement", response_model=None)
def statement(
    p: Auth,
    ctx: Ctx,
    request: Request,
    party: Annotated[str, Query(max_length=8)],
    start: date,
    end: date,
    format: Literal["json", "csv", "html"] = "json",
    lang: Annotated[str | None, Query(max_length=5)] = None,
) -> dict[str, Any] | Response:
    """A party's statement of account for a period: JSON, CSV or printable HTML."""
    data = _run(ctx, p, request, lambda s: acsa.statement(s, p, party, start, end))
    if format == "json":
        return data
    name = f"acsa-statement-{party}-{start}-{end}"
    if format == "csv":
        return Response(
            acsa.statement_csv(data),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    language = pick_language(lang, request.headers.get("accept-language"))
    return HTMLResponse(acsa.statement_html(data, language))


@router.post("/rates", status_code=201)
def post_rate(p: Auth, ctx: Ctx, request: Request, body: RateIn) -> dict[str, Any]:
    """Record an exchange rate with its date and source (used by ``/consolidated``)."""
    fields = body.model_dump()
    return _run(ctx, p, request, lambda s: acsa.record_rate(s, p, **fields, node=ctx.settings.node))


@router.get("/rates")
def rates(p: Auth, ctx: Ctx, request: Request) -> dict[str, Any]:
    """The recorded exchange rates, newest first."""
    return _run(ctx, p, request, lambda s: {"items": acsa.list_rates(s, p)})


@router.get("/consolidated")
def consolidated(
    p: Auth,
    ctx: Ctx,
    request: Request,
    currency: Annotated[str, Query(min_length=3, max_length=3)],
    rate_date: date,
    as_of: date | None = None,
) -> dict[str, Any]:
    """Open balances in one currency with the latest recorded rates dated on or before
    ``rate_date`` (422 naming the pair when none is recorded)."""
    return _run(ctx, p, request, lambda s: acsa.consolidated(s, p, currency, rate_date, as_of))
