"""How stored rows become JSON: values, markings in both schemes, validation errors.

Every module of the API renders records through here, so that every answer carries its
markings the same way (as stored, in the originator's scheme and in the reader's)."""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from neonwatch.share.markings import Marking, MarkingError, in_scheme
from neonwatch.share.policy import Principal
from neonwatch.store.models import MARKING_COLUMNS

PREFIX = "/api/v1"
NOT_FOUND = "not found"


def utc(ts: datetime | None) -> datetime | None:
    """``ts`` as an aware UTC time (naive times from SQLite are UTC)."""
    if ts is None:
        return None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


_PLAIN = frozenset({str, int, float, bool, type(None), dict, list})


def to_json(v: Any) -> Any:
    """One stored value as JSON (UUIDs and times as text, times in UTC)."""
    if type(v) in _PLAIN:  # most values: one set lookup (every list renders thousands)
        return v
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, datetime):
        return (utc(v) or v).isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return v


def markings(row: Any, reader: Principal) -> dict[str, Any]:
    """A stored row's markings: as stored, and rendered in the originator's scheme and in the
    reader's (``in_scheme``)."""
    out: dict[str, Any] = {c: to_json(getattr(row, c)) for c in MARKING_COLUMNS}
    out.update(
        _rendered(row.originator_nation, row.classification, row.releasability, reader.nation)
    )
    return out


@lru_cache(maxsize=4096)
def _rendered(originator: str, classification: str, releasability: str, reader: str) -> Any:
    try:
        m = Marking.of(originator, classification, releasability)
        return {
            "in_originator_scheme": in_scheme(m, m.originator),
            "in_reader_scheme": in_scheme(m, reader),
        }
    except MarkingError as exc:  # policy keeps such rows away; never hide the problem
        return {"error": str(exc)}


@lru_cache(maxsize=256)
def _columns(table: Any, skip: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c.key for c in table.columns if c.key not in MARKING_COLUMNS and c.key not in skip)


def record(
    row: Any, reader: Principal, skip: Sequence[str] = (), table: Any = None
) -> dict[str, Any]:
    """A row as JSON, its markings under ``markings``. ``row`` is an ORM object, or a plain
    SQL row of ``table`` (lighter: lists read their child rows that way)."""
    cols = _columns(row.__table__ if table is None else table, tuple(skip))
    out = {c: to_json(getattr(row, c)) for c in cols}
    out["markings"] = markings(row, reader)
    return out


def error_lines(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic validation errors as lines a person can act on (field, message, type)."""
    lines = []
    for e in errors:
        loc = [str(x) for x in e.get("loc", ())]
        where = loc[0] if loc else ""
        path = ".".join(loc[1:]) if where in ("body", "query", "path", "header") else ".".join(loc)
        msg = str(e.get("msg", "")).removeprefix("Value error, ")
        if e.get("type") == "extra_forbidden":
            msg = "unknown field"
        elif e.get("type") == "json_invalid":
            ctx = e.get("ctx") or {}
            msg = f"malformed JSON: {ctx.get('error', msg)}"
        if where in ("query", "path"):
            path = f"{path} ({where} parameter)"
        lines.append({"loc": loc, "field": path, "message": msg, "type": e.get("type")})
    return lines
