"""How stored rows become JSON: values, markings in both schemes, validation errors.

Every module of the API renders records through here, so that every answer carries its
markings the same way (as stored, in the originator's scheme and in the reader's)."""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from fastapi import Response
from pydantic_core import to_json as to_json_bytes
from sqlalchemy import Row

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
    return _markings_of({c: getattr(row, c) for c in MARKING_COLUMNS}, reader.nation)


def _markings_of(values: dict[str, Any], reader: str) -> dict[str, Any]:
    out = dict(_stamp(*[values[c] for c in _STAMP], reader))
    out["created_at"] = to_json(values["created_at"])
    return out


_STAMP = tuple(c for c in MARKING_COLUMNS if c != "created_at")


@lru_cache(maxsize=4096)
def _stamp(
    originator: str, node: str, classification: str, releasability: str, group: str, reader: str
) -> dict[str, Any]:
    """The markings but the time, as JSON: the same few combinations on every row of a page."""
    out: dict[str, Any] = {
        "originator_nation": originator,
        "originating_node": node,
        "classification": classification,
        "releasability": releasability,
        "group": group,
    }
    try:
        m = Marking.of(originator, classification, releasability)
        out["in_originator_scheme"] = in_scheme(m, m.originator)
        out["in_reader_scheme"] = in_scheme(m, reader)
    except MarkingError as exc:  # policy keeps such rows away; never hide the problem
        out["error"] = str(exc)
    return out


@lru_cache(maxsize=256)
def _columns(table: Any, skip: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c.key for c in table.columns if c.key not in MARKING_COLUMNS and c.key not in skip)


def record(
    row: Any, reader: Principal, skip: Sequence[str] = (), table: Any = None
) -> dict[str, Any]:
    """A row as JSON, its markings under ``markings``. ``row`` is an ORM object, a plain SQL
    row of ``table`` (lighter: lists read their child rows that way) or the dict of values a
    row of ``table`` was inserted with."""
    if isinstance(row, Row):  # a page renders a few hundred of these: one pass over the tuple
        values = dict(zip(row._fields, row, strict=True))
    elif isinstance(row, dict):
        values = row
    else:
        t = row.__table__ if table is None else table
        values = {c.key: getattr(row, c.key) for c in t.columns}
    cols = _columns(row.__table__ if table is None else table, tuple(skip))
    out = {c: to_json(values[c]) for c in cols}
    out["markings"] = _markings_of(values, reader.nation)
    return out


def json_response(content: Any, status_code: int = 200) -> Response:
    """``content`` (already JSON values: see :func:`to_json`) as a JSON response, encoded in
    one call. A route that returns this skips FastAPI's validation of its return value (a
    second hop to the thread pool) and its slower generic encoder; the hot routes do."""
    return Response(to_json_bytes(content), status_code, media_type="application/json")


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
