"""The message catalogue covers what the pages ask of it: every key a page names literally is
in the English catalogue, French and Japanese add no key English lacks, and every status and
action of the ledger's lifecycle (neonwatch.acsa.rules) has its words, so a page never shows a
raw key such as ``acsa.status.invoiced``."""

from __future__ import annotations

import json
import re

from neonwatch.acsa import load_agreement
from neonwatch.acsa.rules import STATUSES, TRANSITIONS
from neonwatch.web import LANGUAGES, STATIC, catalogue

KEY = re.compile(r"""\bt\(\s*"([a-z_]+(?:\.[a-z_]+)+)"\s*[,)]""")


def _english() -> set[str]:
    return set(catalogue("en"))


def test_every_key_a_page_names_is_in_english() -> None:
    named = {k for js in STATIC.glob("*.js") for k in KEY.findall(js.read_text(encoding="utf-8"))}
    assert len(named) > 50  # the pattern finds the keys (the check could fail)
    assert named - _english() == set()


def _agreement_names() -> set[str]:
    """The catalogue keys that translate the agreement's own names (its English is in
    agreement.toml, so English has no such key)."""
    ag = load_agreement().to_json()
    return {
        f"acsa.{kind}.{x['code']}"
        for kind, items in (
            ("party", "parties"),
            ("category", "categories"),
            ("activity", "activities"),
        )
        for x in ag[items]
    }


def test_translations_add_no_unknown_keys() -> None:
    names = _agreement_names()
    assert not names & _english()
    for lang in LANGUAGES:
        own = json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
        assert set(own) - _english() - names == set(), lang
    assert names <= set(catalogue("ja"))  # every category and activity in Japanese


def test_every_status_and_step_of_the_ledger_has_words() -> None:
    en = _english()
    assert {f"acsa.status.{s}" for s in STATUSES} <= en
    assert {f"acsa.event.{a}" for a in TRANSITIONS} <= en
    assert {f"acsa.action.{a}" for a in TRANSITIONS if a != "request"} <= en
    for lang in ("fr", "ja"):
        words = catalogue(lang)
        assert all(
            words[f"acsa.status.{s}"] != catalogue("en")[f"acsa.status.{s}"] for s in STATUSES
        )


PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def test_french_and_japanese_are_complete() -> None:
    """A French or Japanese reader never meets English on a page: each catalogue has every
    English key, no empty words, and the same ``{placeholders}`` as the English (a missing
    one would drop a number from a sentence)."""
    en = json.loads((STATIC / "i18n" / "en.json").read_text(encoding="utf-8"))
    for lang in ("fr", "ja"):
        own = json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
        assert set(en) - set(own) == set(), lang
        assert [k for k in en if not own[k].strip()] == [], lang
        wrong = [
            k for k in en if set(PLACEHOLDER.findall(own[k])) != set(PLACEHOLDER.findall(en[k]))
        ]
        assert wrong == [], (lang, wrong)
