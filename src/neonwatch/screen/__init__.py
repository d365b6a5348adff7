"""Screening: watchlists (UN, OFAC, documented CSV lists), identity checks and risk."""

from neonwatch.screen.identifiers import imo_check_digit_ok, parse_imo
from neonwatch.screen.lists import (
    ListStore,
    detect_list_format,
    load_csv_list,
    load_ofac,
    load_un_consolidated,
)

__all__ = [
    "ListStore",
    "detect_list_format",
    "imo_check_digit_ok",
    "load_csv_list",
    "load_ofac",
    "load_un_consolidated",
    "parse_imo",
]
