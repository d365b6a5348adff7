"""Security markings: classification levels in each nation's scheme, their common rank, and
releasability in the ``REL TO CAN, JPN`` form.

Everything a level *means* comes from ``classification.toml`` (levels, ranks, equivalence,
the PROTECTED track); this module only reads it. A record keeps its originator's marking and is
shown to a reader in the reader's own scheme too, via :func:`in_scheme`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

CONFIG = "classification.toml"
NATION_RE = re.compile(r"^[A-Z]{3}$")
_REL_RE = re.compile(r"^REL TO ([A-Z]{3}(?:, [A-Z]{3})*)$")
REL_PREFIX = "REL TO "
SEPARATOR = " // "


class MarkingError(ValueError):
    """A marking that is unknown, malformed or not in the named nation's scheme."""


@dataclass(frozen=True)
class Level:
    """One classification level of one scheme.

    ``rank`` is the common rank compared against a reader's clearance (for the PROTECTED track
    its ``read_rank``); ``national`` is False for a track that maps to no other nation's level,
    whose records only the originating nation's readers may see; ``order`` orders the levels of
    one track (for downgrades)."""

    name: str
    nation: str | None  # None for UNCLASSIFIED, common to every scheme
    rank: int
    track: str  # "unclassified", "national" or a track name such as "PROTECTED"
    order: int
    national: bool = True
    romaji: str | None = None


@dataclass(frozen=True)
class Scheme:
    """The parsed ``classification.toml``."""

    partners: tuple[str, ...]
    unclassified: Level
    levels: tuple[Level, ...]  # every level of every nation, UNCLASSIFIED excluded
    equivalence: dict[int, dict[str, str]]  # rank -> nation -> level name

    def nations(self) -> tuple[str, ...]:
        return tuple(sorted({lv.nation for lv in self.levels if lv.nation}))

    def levels_of(self, nation: str) -> tuple[Level, ...]:
        """UNCLASSIFIED and every level of ``nation``'s scheme, tracks included."""
        return (self.unclassified, *(lv for lv in self.levels if lv.nation == nation))

    def level(self, name: str, nation: str) -> Level:
        """The level called exactly ``name`` in ``nation``'s scheme."""
        for lv in self.levels_of(nation):
            if lv.name == name:
                return lv
        known = ", ".join(lv.name for lv in self.levels_of(nation))
        if nation not in self.nations():
            raise MarkingError(f"nation {nation!r}: no classification scheme configured")
        raise MarkingError(f"{name!r} is not a level of {nation}'s scheme ({known})")


def _load(data: dict[str, Any]) -> Scheme:
    unc = data["unclassified"]
    unclassified = Level(unc["name"], None, int(unc["rank"]), "unclassified", 0)
    levels: list[Level] = []
    for nation, spec in data["nations"].items():
        for i, lv in enumerate(spec["levels"], start=1):
            levels.append(
                Level(lv["name"], nation, int(lv["rank"]), "national", i, True, lv.get("romaji"))
            )
    for track, spec in data.get("tracks", {}).items():
        for lv in spec["levels"]:
            levels.append(
                Level(
                    lv["name"],
                    spec["nation"],
                    int(lv["read_rank"]),
                    track,
                    int(lv["order"]),
                    national=False,
                )
            )
    equivalence: dict[int, dict[str, str]] = {}
    for eq in data.get("equivalence", []):
        equivalence[int(eq["rank"])] = {k: v for k, v in eq.items() if NATION_RE.match(k)}
    names = [(lv.nation, lv.name) for lv in levels]
    if len(set(names)) != len(names):
        raise MarkingError("classification.toml: a level is defined twice in one scheme")
    for rank, pair in equivalence.items():
        for nation, name in pair.items():
            lv = next((x for x in levels if x.nation == nation and x.name == name), None)
            if lv is None or not lv.national or lv.rank != rank:
                raise MarkingError(f"classification.toml: equivalence {rank}: {nation} {name!r}")
    return Scheme(tuple(data["partners"]), unclassified, tuple(levels), equivalence)


@cache
def scheme(path: str | None = None) -> Scheme:
    """The configured scheme (the packaged ``classification.toml`` unless ``path``)."""
    if path is None:
        text = resources.files("neonwatch.share").joinpath(CONFIG).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return _load(tomllib.loads(text))


def level(classification: str, nation: str) -> Level:
    """Validate ``classification`` as a level of ``nation``'s scheme (exact name)."""
    return scheme().level(classification, nation)


def normalize_level(name: str, nation: str) -> str:
    """A level name as typed by a person (any case; romaji Hi/Gokuhi/Kimitsu for Japan) ->
    the canonical name of ``nation``'s scheme. Raises :class:`MarkingError` when unknown."""
    wanted = " ".join(name.split()).upper()
    for lv in scheme().levels_of(nation):
        if wanted in (lv.name.upper(), (lv.romaji or "").upper()):
            return lv.name
    return level(name, nation).name  # raises with the list of known levels


def rank(classification: str, nation: str) -> int:
    """The common rank of ``classification`` in ``nation``'s scheme."""
    return level(classification, nation).rank


def clearance_rank(clearance: str, nation: str) -> int:
    """The rank of a person's clearance: UNCLASSIFIED or a national level of their nation
    (a track such as PROTECTED is a marking, not a clearance)."""
    lv = level(clearance, nation)
    if not lv.national:
        raise MarkingError(f"{clearance!r} is a marking, not a clearance")
    return lv.rank


def check_nation(code: str) -> str:
    """``code`` as an upper-case ISO 3166 alpha-3 code."""
    up = code.strip().upper()
    if not NATION_RE.match(up):
        raise MarkingError(f"nation {code!r}: must be a three-letter code such as CAN or JPN")
    return up


def parse_releasability(text: str) -> tuple[str, ...]:
    """``"REL TO CAN, JPN"`` -> ``("CAN", "JPN")`` (sorted, no duplicates). Only this form is
    accepted (upper or lower case), because the store's query filter matches on it."""
    m = _REL_RE.match(text.upper())
    if not m:
        raise MarkingError(f"releasability {text!r}: expected the form 'REL TO CAN, JPN'")
    return tuple(sorted(set(m.group(1).split(", "))))


def render_releasability(nations: Iterable[str]) -> str:
    """``["JPN", "CAN"]`` -> ``"REL TO CAN, JPN"``."""
    codes = sorted({check_nation(n) for n in nations})
    if not codes:
        raise MarkingError("releasability: at least one nation")
    return REL_PREFIX + ", ".join(codes)


@dataclass(frozen=True)
class Marking:
    """A record's marking: its originator, classification in the originator's scheme, and the
    nations it may be released to."""

    originator: str
    classification: str
    releasability: tuple[str, ...]

    @classmethod
    def of(cls, originator: str, classification: str, releasability: str) -> Marking:
        """Validate the three marking columns of a stored record."""
        nation = check_nation(originator)
        level(classification, nation)
        return cls(nation, classification, parse_releasability(releasability))

    @classmethod
    def parse(cls, text: str, originator: str) -> Marking:
        """``"SECRET // REL TO CAN, JPN"`` as marked by ``originator``."""
        head, sep, rel = text.partition(SEPARATOR.strip())
        if not sep:
            raise MarkingError(f"marking {text!r}: expected 'LEVEL // REL TO ...'")
        nation = check_nation(originator)
        return cls(nation, normalize_level(head.strip(), nation), parse_releasability(rel.strip()))

    @property
    def level(self) -> Level:
        return level(self.classification, self.originator)

    @property
    def rank(self) -> int:
        return self.level.rank

    def render(self) -> str:
        """The originator's own marking, e.g. ``"極秘 // REL TO CAN, JPN"``."""
        return f"{self.classification}{SEPARATOR}{render_releasability(self.releasability)}"


def equivalent(classification: str, originator: str, nation: str) -> str:
    """The name in ``nation``'s scheme of the level ``classification`` of ``originator``.
    Raises :class:`MarkingError` when there is none (the PROTECTED track abroad)."""
    lv = level(classification, originator)
    if lv.nation is None or lv.nation == nation:
        return lv.name
    if not lv.national:
        raise MarkingError(f"{lv.name} ({originator}) maps to no level of {nation}'s scheme")
    name = scheme().equivalence.get(lv.rank, {}).get(nation)
    if name is None:
        raise MarkingError(f"no {nation} equivalent configured for {lv.name} ({originator})")
    return name


def in_scheme(marking: Marking, nation: str) -> str:
    """``marking`` rendered in ``nation``'s scheme: ``"SECRET // REL TO CAN, JPN"`` for Canada,
    ``"極秘 // REL TO CAN, JPN"`` for Japan, whichever nation originated it."""
    name = equivalent(marking.classification, marking.originator, check_nation(nation))
    return f"{name}{SEPARATOR}{render_releasability(marking.releasability)}"
