"""The ``store`` stage: the shared picture in SQLite (one analyst) or PostgreSQL (a team).

Public surface: :func:`open_store` (engine + migrations to head), :func:`resolve_url`,
:func:`publish` (ingest/detect/screen outputs -> store, idempotent, one transaction), the
models :class:`Vessel`, :class:`Event`, :class:`Risk`, :class:`Markings`, and the share
layer's :class:`User`, :class:`ApiToken` and :class:`AuditEntry`, and the ACSA ledger's tables
(:mod:`.ledger`: orders, lines, entries, settlements, rates). The store may
import the analytic core's schemas; the analytic core never imports the store.
"""

from neonwatch.store.engine import ENV_URL, Store, make_engine, open_store, resolve_url, upgrade
from neonwatch.store.ledger import (
    AcsaCounter,
    AcsaEntry,
    AcsaOrder,
    AcsaOrderLine,
    AcsaRate,
    AcsaSettlement,
)
from neonwatch.store.models import ApiToken, AuditEntry, Base, Event, Risk, User, Vessel
from neonwatch.store.publish import Markings, PublishResult, publish

__all__ = [
    "ENV_URL",
    "AcsaCounter",
    "AcsaEntry",
    "AcsaOrder",
    "AcsaOrderLine",
    "AcsaRate",
    "AcsaSettlement",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Event",
    "Markings",
    "PublishResult",
    "Risk",
    "Store",
    "User",
    "Vessel",
    "make_engine",
    "open_store",
    "publish",
    "resolve_url",
    "upgrade",
]
