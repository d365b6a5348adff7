"""A statement of account as CSV (for spreadsheets and the other party's books) and as a
printable HTML page (Jinja2, autoescaped: no text an officer typed becomes markup).

The page's words come from the message catalogue: the web's (``web/static/i18n``) first, so
the ledger pages and the statement say the same thing, then the statement's own keys in
``acsa/i18n.json`` (en, fr, ja) for anything the web catalogue does not have yet."""

from __future__ import annotations

import csv
import io
import json
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

LANGUAGES = ("en", "fr", "ja")
CSV_COLUMNS = (
    "currency",
    "date",
    "order",
    "kind",
    "counterparty",
    "activity",
    "method",
    "amount",
    "balance",
)


def statement_csv(data: dict[str, Any]) -> str:
    """The statement as CSV: per currency an ``opening`` row, one row per provision or
    settlement with the running balance, and a ``closing`` row; amounts in major units, as
    plain decimals (positive: owed to the statement's party)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for acc in data["currencies"]:
        cur = acc["currency"]
        w.writerow([cur, data["start"], "", "opening", "", "", "", "", acc["opening"]])
        for m in acc["rows"]:
            w.writerow(
                [
                    cur,
                    m["date"],
                    m["number"],
                    m["kind"],
                    m["counterparty"],
                    m["activity"],
                    m["method"],
                    m["amount"],
                    m["balance"],
                ]
            )
        w.writerow([cur, data["end"], "", "closing", "", "", "", "", acc["closing"]])
    return buf.getvalue()


@cache
def _own_messages() -> dict[str, dict[str, str]]:
    text = (resources.files("neonwatch.acsa") / "i18n.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def messages(lang: str) -> dict[str, str]:
    """The statement's words in ``lang``: English, then ``lang``, from the statement's keys,
    under whatever the web catalogue has (the web catalogue wins)."""
    own = _own_messages()
    out = dict(own["en"]) | (own.get(lang, {}) if lang in LANGUAGES else {})
    try:
        from neonwatch.web import catalogue

        web = catalogue(lang if lang in LANGUAGES else "en")
        out |= {k: v for k, v in web.items() if k.startswith("acsa.")}
    except ImportError:  # pragma: no cover - the web extra is part of the package today
        pass
    return out


@cache
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("neonwatch.acsa", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


def statement_html(data: dict[str, Any], lang: str = "en") -> str:
    """The statement as a printable HTML page in ``lang`` (en, fr or ja)."""
    words = messages(lang)

    def t(key: str, **values: Any) -> str:
        text = words.get(key, key)
        for k, v in values.items():
            text = text.replace("{" + k + "}", str(v))
        return text

    return _env().get_template("statement.html").render(s=data, t=t, lang=lang)
