"""The ``acsa`` stage: the ledger of the Japan-Canada Acquisition and Cross-Servicing
Agreement (supplies and services between the Canadian Armed Forces and the Japan
Self-Defense Forces).

The agreement's rules are configuration (``agreement.toml``, :func:`load_agreement`); the
lifecycle is a table (:mod:`.rules`); money is integer minor units (:mod:`.money`). Every
function takes an open SQLAlchemy :class:`~sqlalchemy.orm.Session` (the caller owns the
transaction) and the acting :class:`~neonwatch.share.Principal`; every write and read is
audited in that transaction. Refusals raise :class:`AcsaError` subclasses whose message says
what to do. The API (``api/acsa.py``) and the CLI (``cli_acsa.py``) are thin shells over this.
"""

from neonwatch.acsa.agreement import Agreement, load_agreement
from neonwatch.acsa.errors import AcsaError, NotAllowed, NotFound, RuleViolation, StaleVersion
from neonwatch.acsa.exports import statement_csv, statement_html
from neonwatch.acsa.money import MoneyError, format_minor, to_minor
from neonwatch.acsa.officers import is_officer, reader_party
from neonwatch.acsa.orders import (
    Step,
    amend_order,
    find_order,
    get_order,
    list_orders,
    request_order,
    take_action,
)
from neonwatch.acsa.reports import (
    LedgerCheck,
    balances,
    check_ledger,
    consolidated,
    latest_rate_day,
    list_rates,
    overdue,
    record_rate,
    statement,
    totals,
)
from neonwatch.acsa.rules import ACTIONS, STATUSES, TRANSITIONS

__all__ = [
    "ACTIONS",
    "STATUSES",
    "TRANSITIONS",
    "AcsaError",
    "Agreement",
    "LedgerCheck",
    "MoneyError",
    "NotAllowed",
    "NotFound",
    "RuleViolation",
    "StaleVersion",
    "Step",
    "amend_order",
    "balances",
    "check_ledger",
    "consolidated",
    "find_order",
    "format_minor",
    "get_order",
    "is_officer",
    "latest_rate_day",
    "list_orders",
    "list_rates",
    "load_agreement",
    "overdue",
    "reader_party",
    "record_rate",
    "request_order",
    "statement",
    "statement_csv",
    "statement_html",
    "take_action",
    "to_minor",
    "totals",
]
