"""Who acts for whom: a principal's party, and whether they may touch the ledger at all.

A user acts for the party of their nation (CAN -> CAF, JPN -> JSDF) and must be in the
agreement's ``acsa_group``. Outsiders are told nothing on reads (:class:`NotFound`, like a
missing record) and refused on writes (:class:`NotAllowed`), as the rest of the API does."""

from __future__ import annotations

import socket
from functools import cache

from neonwatch.acsa.agreement import Agreement, Party, load_agreement
from neonwatch.acsa.errors import NotAllowed, NotFound
from neonwatch.share.policy import Principal


@cache
def default_node() -> str:
    """This machine's name, the originating node of rows written without one."""
    return socket.gethostname()


def is_officer(p: Principal, ag: Agreement | None = None) -> bool:
    """Whether ``p`` may read the ledger (member of the ACSA group, nation of a party)."""
    ag = ag or load_agreement()
    return ag.acsa_group in p.groups and ag.party_of_nation(p.nation) is not None


def reader_party(p: Principal, ag: Agreement | None = None) -> Party | None:
    """The party ``p`` reads for, None when ``p`` may not see the ledger."""
    ag = ag or load_agreement()
    return ag.party_of_nation(p.nation) if is_officer(p, ag) else None


def read_party(p: Principal, ag: Agreement, what: str = "not found") -> Party:
    """The reader's party; :class:`NotFound` for someone outside the ledger."""
    party = reader_party(p, ag)
    if party is None:
        raise NotFound(what)
    return party


def write_party(p: Principal, ag: Agreement) -> Party:
    """The writer's party; :class:`NotAllowed` saying why for someone outside the ledger."""
    if ag.acsa_group not in p.groups:
        raise NotAllowed(
            f"only ledger officers (group {ag.acsa_group!r}) may write to the ACSA ledger; "
            f"{p.user} is not in it"
        )
    party = ag.party_of_nation(p.nation)
    if party is None:
        raise NotAllowed(f"nation {p.nation} is not a party to the agreement")
    return party
