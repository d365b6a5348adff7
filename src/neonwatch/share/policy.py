"""Access decisions: the Cedar policies in ``policies/*.cedar`` for one decision, and the same
rules as a SQL filter for lists and searches.

:func:`decide` asks Cedar (through ``cedarpy``) whether a principal may take an action on one
record, and says why not. :func:`permitted` / :func:`readable` build a SQLAlchemy boolean
expression that applies the same rules *inside* the store query, with ranks taken from
``classification.toml``, so that a refused record never reaches a count, a search result or
an export. ``tests/test_share.py`` checks that both give the same answer on every cell of the
nation x clearance x releasability x group x action matrix.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import cedarpy
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    false,
    literal_column,
    or_,
    true,
)

from neonwatch.share.markings import MarkingError, check_nation, clearance_rank, level, scheme

READ = "read"
DOWNGRADE = "downgrade"
DECLASSIFY = "declassify"
WIDEN = "widen_releasability"
RELEASE_THIRD = "release_third_nation"
ACTIONS = (READ, DOWNGRADE, DECLASSIFY, WIDEN, RELEASE_THIRD)
ORIGINATOR_ACTIONS = (DOWNGRADE, DECLASSIFY, WIDEN, RELEASE_THIRD)
REL_PREFIX = "REL TO "
_UNRANKED = 1_000_000  # the rank of an unknown classification: above every clearance


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user, their nation, their clearance (a level name of their nation's
    scheme, or UNCLASSIFIED) and their need-to-know groups."""

    user: str
    nation: str
    clearance: str
    groups: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "nation", check_nation(self.nation))
        object.__setattr__(self, "groups", frozenset(self.groups))
        clearance_rank(self.clearance, self.nation)  # raises MarkingError when unknown

    @property
    def rank(self) -> int:
        return clearance_rank(self.clearance, self.nation)


@dataclass(frozen=True)
class Decision:
    """The answer: allowed or not, and why (the reasons of the Cedar policies that decided)."""

    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True)
class _Policies:
    text: str
    reasons: dict[str, str]  # Cedar's policy id ("policy0") -> the @reason annotation


@cache
def policies() -> _Policies:
    """The packaged Cedar policies, all files of ``policies/`` in name order."""
    folder = resources.files("neonwatch.share").joinpath("policies")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".cedar")), key=lambda f: f.name)
    text = "\n".join(f.read_text(encoding="utf-8") for f in files)
    parsed = json.loads(cedarpy.policies_to_json_str(text))
    reasons = {
        pid: p.get("annotations", {}).get("reason") or p.get("annotations", {}).get("id") or pid
        for pid, p in parsed["staticPolicies"].items()
    }
    return _Policies(text, reasons)


def _field(record: Any, name: str) -> Any:
    if isinstance(record, Mapping):
        return record[name]
    return getattr(record, name)


def released_to(releasability: str, nation: str) -> bool:
    """Whether ``nation`` is in ``releasability`` (``"REL TO CAN, JPN"``), by exactly the test
    :func:`permitted` runs in SQL: the text starts ``REL TO`` and ``", NAT,"`` occurs in
    ``", " + rest + ","`` (case-insensitive)."""
    up = releasability.upper()
    return up.startswith(REL_PREFIX) and f", {nation}," in f", {up[len(REL_PREFIX) :]},"


def decide(
    principal: Principal,
    action: str,
    record_markings: Any,
    *,
    consent: bool = False,
) -> Decision:
    """May ``principal`` take ``action`` (one of :data:`ACTIONS`) on a record with these
    markings? ``record_markings`` is a stored record or a mapping with ``originator_nation``,
    ``classification``, ``releasability`` and ``group``. ``consent`` says that the originator's
    consent to a third-nation release is recorded."""
    if action not in ACTIONS:
        raise ValueError(f"action {action!r}: one of {', '.join(ACTIONS)}")
    return _decide(
        principal,
        action,
        str(_field(record_markings, "originator_nation")),
        str(_field(record_markings, "classification")),
        str(_field(record_markings, "releasability")),
        str(_field(record_markings, "group")),
        bool(consent),
    )


@lru_cache(maxsize=8192)
def _decide(
    principal: Principal,
    action: str,
    originator: str,
    classification: str,
    releasability: str,
    group: str,
    consent: bool,
) -> Decision:
    """One Cedar decision. Memoised: it depends on nothing but its arguments and the packaged
    policies (read once), and asking Cedar costs more than storing a sighting; a server sees
    the same few principals and markings all day."""
    try:
        lv = level(classification, originator)
    except MarkingError as exc:
        return Decision(False, f"unreadable marking: {exc}")
    nations = {principal.nation, *(n.strip() for n in releasability.upper()[7:].split(","))}
    released = sorted(n for n in nations if n and released_to(releasability, n))
    entities = [
        {
            "uid": {"type": "User", "id": principal.user},
            "attrs": {
                "nation": principal.nation,
                "clearance": principal.rank,
                "groups": sorted(principal.groups),
            },
            "parents": [],
        },
        {
            "uid": {"type": "Record", "id": "record"},
            "attrs": {
                "originator": originator,
                "rank": lv.rank,
                "national": lv.national,
                "releasability": released,
                "group": group,
            },
            "parents": [],
        },
    ]
    request = {
        "principal": f'User::"{principal.user}"',
        "action": f'Action::"{action}"',
        "resource": 'Record::"record"',
        "context": {"consent_recorded": bool(consent)},
    }
    pol = policies()
    result = cedarpy.is_authorized(request, pol.text, entities)
    if result.diagnostics.errors:
        return Decision(False, f"policy error: {'; '.join(map(str, result.diagnostics.errors))}")
    reasons = [pol.reasons.get(pid, pid) for pid in result.diagnostics.reasons]
    if result.allowed:
        return Decision(True, "; ".join(reasons) or "permitted")
    return Decision(False, "; ".join(reasons) or f"no policy permits {action}")


def _const(value: str | int) -> ColumnElement[Any]:
    """A constant of ``classification.toml`` written into the SQL text rather than bound as a
    parameter: the policy filter then has a handful of parameters instead of some fifty, so
    the driver caches its statement and PostgreSQL can keep it prepared. Only configuration
    values go through here (never user input); strings are quoted the SQL-standard way."""
    if isinstance(value, int):
        return literal_column(str(int(value)))
    return literal_column("'" + str(value).replace("'", "''") + "'")


def _marked(model: Any, nation: str, name: str) -> ColumnElement[bool]:
    return and_(model.originator_nation == _const(nation), model.classification == _const(name))


def _rank_expr(model: Any) -> ColumnElement[int]:
    sch = scheme()
    whens = [
        (_marked(model, nation, lv.name), _const(lv.rank))
        for nation in sch.nations()
        for lv in sch.levels_of(nation)
    ]
    return case(*whens, else_=_const(_UNRANKED))


def classification_rank(model: Any) -> ColumnElement[int]:
    """SQL: the common rank of each row's classification (from ``classification.toml``)."""
    return _rank_expr(model)


def _cleared(principal: Principal, model: Any) -> ColumnElement[bool]:
    """SQL: the row's classification ranks at most the principal's clearance, and a
    non-national track (PROTECTED) is the principal's own nation's. Written as the list of
    (originator, level) pairs that pass, on the plain columns: PostgreSQL estimates such a
    test from its column statistics (a CASE over ranks it cannot, and then it sorts a whole
    table rather than walk an index) and evaluates it in a few comparisons a row."""
    sch = scheme()
    passing: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for nation in sch.nations():
        for lv in sch.levels_of(nation):
            if (nation, lv.name) in seen:  # the first rank of a pair counts, as in a CASE
                continue
            seen.add((nation, lv.name))
            foreign_track = not lv.national and lv.nation not in (None, principal.nation)
            if lv.rank <= principal.rank and not foreign_track:
                passing.setdefault(nation, []).append(lv.name)
    if not passing:
        return false()
    return or_(
        *(
            and_(
                model.originator_nation == _const(nation),
                model.classification.in_([_const(name) for name in names]),
            )
            for nation, names in passing.items()
        )
    )


def _released(principal: Principal, model: Any) -> ColumnElement[bool]:
    """SQL: :func:`released_to` (``", NAT,"`` in ``", " + rest + ","``) as its four cases,
    plain LIKEs on the column: rest is the nation alone, starts with it, ends with it, or
    holds it between commas. The stored text is upper case (PostgreSQL checks it, migration
    0006; SQLite's LIKE ignores ASCII case), so no function call is needed a row. Nation codes
    are three letters (``check_nation``), never a LIKE wildcard."""
    nation = check_nation(principal.nation)
    patterns = ("{}", "{},%", "%, {}", "%, {},%")
    return or_(*(model.releasability.like(_const(REL_PREFIX + p.format(nation))) for p in patterns))


def permitted(
    principal: Principal, action: str, model: Any, *, consent: bool = False
) -> ColumnElement[bool]:
    """SQL: the rows of ``model`` (any table with the marking columns) on which ``principal``
    may take ``action``; the rules of ``policies/*.cedar``, as a WHERE clause."""
    if action not in ACTIONS:
        raise ValueError(f"action {action!r}: one of {', '.join(ACTIONS)}")
    conds: list[ColumnElement[bool]] = [
        # clearance: an unknown classification (or one of another scheme) passes for nobody
        _cleared(principal, model),
        _released(principal, model),
        # need-to-know
        model.group.in_(sorted(principal.groups)) if principal.groups else false(),
    ]
    if action in ORIGINATOR_ACTIONS:
        conds.append(model.originator_nation == principal.nation)
    if action == RELEASE_THIRD and not consent:
        conds.append(false())
    return and_(true(), *conds)


def readable(principal: Principal, model: Any) -> ColumnElement[bool]:
    """SQL: the rows of ``model`` that ``principal`` may read (use in every list and search)."""
    return permitted(principal, READ, model)


def third_nations(nations: Iterable[str]) -> list[str]:
    """The nations of ``nations`` outside the bilateral partners of ``classification.toml``."""
    partners = set(scheme().partners)
    return sorted({check_nation(n) for n in nations} - partners)
