"""The lifecycle as data: which action takes an order from which statuses to which, and which
party's officers may take it.

    requested -> accepted -> provided -> received -> invoiced -> settled
        |            |
        +-> rejected +-> cancelled (requested or accepted: before provision)

``amend`` keeps an order ``requested`` and replaces its lines by a new revision; ``settle`` may
be partial (the order stays ``invoiced`` until nothing is open). Every step is an entry of the
order's history; nothing is edited in place. Sources: issue 7 (lifecycle, who may do what),
/work/acsa_contract.md ("Who may do what"), DESIGN.md ("ACSA ledger")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["requesting", "supplying"]

REQUESTED = "requested"
ACCEPTED = "accepted"
PROVIDED = "provided"
RECEIVED = "received"
INVOICED = "invoiced"
SETTLED = "settled"
REJECTED = "rejected"
CANCELLED = "cancelled"
STATUSES = (REQUESTED, ACCEPTED, PROVIDED, RECEIVED, INVOICED, SETTLED, REJECTED, CANCELLED)
FINAL = frozenset({SETTLED, REJECTED, CANCELLED})
# the statuses in which the supplies have been provided: the order counts in the balances
PROVIDED_STATUSES = frozenset({PROVIDED, RECEIVED, INVOICED, SETTLED})


@dataclass(frozen=True)
class Transition:
    """``action`` takes an order in one of ``sources`` to ``target``; only officers of the
    order's ``by`` party may take it. ``target`` None: it depends (settle: partial or full)."""

    action: str
    sources: tuple[str, ...]
    target: str | None
    by: Role
    why: str


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("request", (), REQUESTED, "requesting", "the requesting party orders"),
        Transition("amend", (REQUESTED,), REQUESTED, "requesting", "new lines before acceptance"),
        Transition("accept", (REQUESTED,), ACCEPTED, "supplying", "the supplier agrees"),
        Transition("reject", (REQUESTED,), REJECTED, "supplying", "the supplier declines"),
        Transition(
            "cancel", (REQUESTED, ACCEPTED), CANCELLED, "requesting", "withdrawn before provision"
        ),
        Transition("provide", (ACCEPTED,), PROVIDED, "supplying", "supplies handed over"),
        Transition("receive", (PROVIDED,), RECEIVED, "requesting", "receipt confirmed"),
        Transition("invoice", (RECEIVED,), INVOICED, "supplying", "the supplier bills"),
        Transition("settle", (INVOICED,), None, "supplying", "payment or replacement recorded"),
    )
}
ACTIONS = tuple(a for a in TRANSITIONS if a != "request")  # what POST /orders/{id}/{action} takes
STEP_ACTIONS = ("accept", "reject", "provide", "receive", "invoice", "settle", "cancel")

# the forward path of an order, and the action that leads into each status on it
PATH = (REQUESTED, ACCEPTED, PROVIDED, RECEIVED, INVOICED, SETTLED)
_INTO = {t.target: t.action for t in TRANSITIONS.values() if t.target and t.action != "amend"}


def next_step(action: str, status: str) -> str | None:
    """The next action on the forward path from ``status`` when ``action`` needs an order
    further along it ("accept it first"), else None."""
    sources = [PATH.index(src) for src in TRANSITIONS[action].sources if src in PATH]
    if status not in PATH or not sources or PATH.index(status) >= min(sources):
        return None
    return _INTO[PATH[PATH.index(status) + 1]]


def wrong_state(action: str, status: str) -> str:
    """Why ``action`` cannot be taken on an order in ``status``, and what would come first."""
    t = TRANSITIONS[action]
    msg = f"cannot {action} an order that is {status}"
    if status in FINAL:
        return f"{msg}: {status} is final"
    step = next_step(action, status)
    if step is not None:
        return f"{msg}; {step} it first"
    allowed = " or ".join(t.sources) or "new"
    return f"{msg}; {action} needs an order that is {allowed}"
