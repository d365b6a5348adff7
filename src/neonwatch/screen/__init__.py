"""Stage 4, screen: watchlists (UN, OFAC, documented CSV lists), matching, identity checks and
explained risk for vessels and events.

Public surface: the list loaders and :class:`ListStore`, :func:`match_vessels`,
:func:`identity_checks`, :func:`vessel_risk`, :func:`event_risk`, :func:`screen` (the whole
stage over a dataset) and the IMO helpers. Like the rest of the analytic core it never imports
the store, the API, the web or the CLI.
"""

from neonwatch.screen.identifiers import imo_check_digit_ok, parse_imo
from neonwatch.screen.identity import identity_checks
from neonwatch.screen.lists import (
    ListStore,
    detect_list_format,
    load_csv_list,
    load_ofac,
    load_un_consolidated,
)
from neonwatch.screen.match import match_vessels, normalise_name
from neonwatch.screen.risk import event_risk, load_risk_config, vessel_risk
from neonwatch.screen.run import ScreenResult, screen

__all__ = [
    "ListStore",
    "ScreenResult",
    "detect_list_format",
    "event_risk",
    "identity_checks",
    "imo_check_digit_ok",
    "load_csv_list",
    "load_ofac",
    "load_risk_config",
    "load_un_consolidated",
    "match_vessels",
    "normalise_name",
    "parse_imo",
    "screen",
    "vessel_risk",
]
