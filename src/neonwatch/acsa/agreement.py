"""The agreement as typed configuration: ``agreement.toml`` loaded into frozen dataclasses.

Every rule the ledger enforces (parties, categories, eligible activities, the weapons
exclusion, settlement methods, the in-kind limit, invoice period and payment terms, the group
that may touch the ledger) is read from that file, so that a logistics officer can check the
rules against the signed text without reading Python, and a change of terms is a change of
data. :func:`load_agreement` caches the packaged file; a path loads another one (tests)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Party:
    """One side of the agreement; users of ``nation`` act for it."""

    code: str
    name: str
    nation: str
    currency: str


@dataclass(frozen=True)
class Category:
    """A category of supplies or services; ``part_of`` names the agreement's own category
    when this is a finer one (berthing is an airport and seaport service)."""

    code: str
    name: str
    part_of: str | None = None


@dataclass(frozen=True)
class Activity:
    """An activity an order may support."""

    code: str
    name: str


@dataclass(frozen=True)
class Method:
    """A settlement method; ``in_kind`` ones fall due in currency past the in-kind limit."""

    code: str
    name: str
    in_kind: bool


@dataclass(frozen=True)
class Exclusion:
    """What is never provided: categories and words that name it in a description."""

    reason: str
    categories: tuple[str, ...]
    words: tuple[str, ...]

    def hit(self, category: str, description: str) -> str | None:
        """The excluded category or word that ``category``/``description`` names, else None."""
        if category.lower() in self.categories:
            return category
        found = self._pattern.search(description)
        return found.group(0) if found else None

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        # whole words for Latin script; CJK has no spaces, so a substring there
        parts = [
            rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w)
            for w in sorted(self.words, key=len, reverse=True)
        ]
        return re.compile("|".join(parts) or r"(?!)", re.IGNORECASE)


@dataclass(frozen=True)
class Agreement:
    """The whole agreement (see ``agreement.toml`` for every value's source)."""

    title: str
    signed: date
    in_force: date
    acsa_group: str
    in_kind_limit_days: int
    invoice_period_months: int
    payment_terms_days: int
    parties: tuple[Party, ...]
    categories: tuple[Category, ...]
    activities: tuple[Activity, ...]
    methods: tuple[Method, ...]
    units: tuple[str, ...]
    currencies: dict[str, int]
    exclusion: Exclusion

    def party(self, code: str) -> Party:
        """The party ``code`` (KeyError naming the known ones)."""
        for p in self.parties:
            if p.code == code:
                return p
        raise KeyError(f"unknown party {code!r}: one of {', '.join(self.party_codes)}")

    @property
    def party_codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.parties)

    def party_of_nation(self, nation: str) -> Party | None:
        """The party whose officers are users of ``nation`` (None: no party)."""
        return next((p for p in self.parties if p.nation == nation), None)

    def other(self, code: str) -> Party:
        """The party that is not ``code``."""
        return next(p for p in self.parties if p.code != code)

    def method(self, code: str) -> Method | None:
        return next((m for m in self.methods if m.code == code), None)

    @property
    def cash_method(self) -> str:
        """The settlement in currency (what an in-kind order past its limit falls due in)."""
        return next(m.code for m in self.methods if not m.in_kind)

    @property
    def category_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)

    @property
    def activity_codes(self) -> tuple[str, ...]:
        return tuple(a.code for a in self.activities)

    @property
    def method_codes(self) -> tuple[str, ...]:
        return tuple(m.code for m in self.methods)

    def to_json(self) -> dict[str, Any]:
        """The agreement as the API's ``GET /acsa/agreement`` gives it (without ``me``)."""
        return {
            "title": self.title,
            "parties": [
                {"code": p.code, "name": p.name, "nation": p.nation, "currency": p.currency}
                for p in self.parties
            ],
            "categories": [
                {"code": c.code, "name": c.name, "part_of": c.part_of} for c in self.categories
            ],
            "activities": [{"code": a.code, "name": a.name} for a in self.activities],
            "settlement_methods": list(self.method_codes),
            "settlement_method_names": {m.code: m.name for m in self.methods},
            "currencies": [{"code": c, "exponent": e} for c, e in sorted(self.currencies.items())],
            "units": list(self.units),
            "in_kind_limit_days": self.in_kind_limit_days,
            "invoice_period_months": self.invoice_period_months,
            "payment_terms_days": self.payment_terms_days,
            "signed": self.signed.isoformat(),
            "in_force": self.in_force.isoformat(),
            "acsa_group": self.acsa_group,
            "excluded": {
                "reason": self.exclusion.reason,
                "categories": list(self.exclusion.categories),
            },
        }


def _parse(raw: dict[str, Any]) -> Agreement:
    ex = raw["exclusion"]
    return Agreement(
        title=str(raw["title"]),
        signed=raw["signed"],
        in_force=raw["in_force"],
        acsa_group=str(raw["acsa_group"]),
        in_kind_limit_days=int(raw["in_kind_limit_days"]),
        invoice_period_months=int(raw["invoice_period_months"]),
        payment_terms_days=int(raw["payment_terms_days"]),
        parties=tuple(Party(**p) for p in raw["parties"]),
        categories=tuple(Category(**c) for c in raw["categories"]),
        activities=tuple(Activity(**a) for a in raw["activities"]),
        methods=tuple(Method(**m) for m in raw["settlement_methods"]),
        units=tuple(raw["units"]),
        currencies={str(k): int(v) for k, v in raw["currencies"].items()},
        exclusion=Exclusion(
            str(ex["reason"]),
            tuple(c.lower() for c in ex["categories"]),
            tuple(ex["words"]),
        ),
    )


@cache
def _packaged() -> Agreement:
    text = (resources.files("neonwatch.acsa") / "agreement.toml").read_text(encoding="utf-8")
    return _parse(tomllib.loads(text))


def load_agreement(path: Path | None = None) -> Agreement:
    """The packaged agreement (cached), or the one in ``path``."""
    if path is None:
        return _packaged()
    return _parse(tomllib.loads(path.read_text(encoding="utf-8")))
