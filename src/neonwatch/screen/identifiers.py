"""IMO ship identification numbers: the check digit and parsing them out of free text.

An IMO number is seven digits whose last digit is the sum of the first six weighted 7, 6, 5, 4,
3, 2, modulo 10 (IMO Resolution A.1117(30)). Evaders borrow identities by broadcasting an IMO one
digit off a designated ship's; most such edits break the check digit, which makes the check
cheap evidence. Sanctions lists and AIS both write IMOs as "IMO 7389704", "IMO: 7389704" or a
bare number, so one parser serves both.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

IMO_MIN = 1_000_000
IMO_MAX = 9_999_999
_WEIGHTS = np.array([7, 6, 5, 4, 3, 2], dtype=np.int64)
_POWERS = 10 ** np.arange(6, 0, -1, dtype=np.int64)  # 1e6 .. 10: the first six digits

# "IMO 7389704", "IMO: 7389704", "IMO No. 7389704", "IMO7389704", or seven bare digits.
_IMO_PREFIXED = re.compile(r"\bIMO\s*(?:No\.?|Number|#)?\s*:?\s*(\d{7})(?!\d)", re.IGNORECASE)
_BARE_SEVEN = re.compile(r"^\s*(\d{7})\s*$")


def imo_check_digit_ok(imo: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Whether each number is a seven-digit IMO number with a correct check digit.

    Vectorised over any integer array (AIS static reports of a whole day at once); values
    outside 1000000..9999999 (0 is AIS's "not available") are False rather than an error,
    because a screen asks "is this a plausible IMO" of every value it sees.
    """
    values = np.asarray(imo, dtype=np.int64)
    in_range = (values >= IMO_MIN) & (values <= IMO_MAX)
    safe = np.where(in_range, values, IMO_MIN)
    digits = (safe[..., None] // _POWERS) % 10
    expected = (digits * _WEIGHTS).sum(axis=-1) % 10
    return np.asarray(in_range & (safe % 10 == expected), dtype=np.bool_)


def imo_expected_check_digit(imo: int) -> int:
    """The check digit the first six digits of ``imo`` call for (to explain a failed check)."""
    digits = [(imo // int(p)) % 10 for p in _POWERS]
    return int(sum(d * int(w) for d, w in zip(digits, _WEIGHTS, strict=True)) % 10)


def parse_imo(text: str | int | None, *, check: bool = False) -> int | None:
    """The IMO number in ``text`` ("IMO 7389704", "IMO: 7389704", "7389704"), or None.

    The check digit is not required by default: a list that publishes an IMO with a bad check
    digit still names that number, and a vessel broadcasting one is itself worth reporting.
    ``check=True`` returns None for such numbers instead.
    """
    if text is None:
        return None
    if isinstance(text, int):
        found: int | None = text if IMO_MIN <= text <= IMO_MAX else None
    else:
        match = _IMO_PREFIXED.search(text) or _BARE_SEVEN.match(text)
        found = int(match.group(1)) if match else None
    if found is None or (check and not bool(imo_check_digit_ok(np.array([found]))[0])):
        return None
    return found
