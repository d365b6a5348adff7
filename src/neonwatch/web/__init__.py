"""The web picture: static pages served by ``neonwatch serve`` at ``/``.

The pages are plain HTML, CSS and JavaScript under ``static/`` (Leaflet vendored under
``static/vendor/``; nothing is fetched from the internet). They hold no data: each page calls
``/api/v1`` with the session cookie set at login (and the CSRF header on writes), so what a page
shows is exactly what the API gives that reader, filtered by policy and audited. User-facing
strings come from one message catalogue, ``static/i18n/{en,fr,ja}.json``, which the printable
reports (:mod:`neonwatch.api.reports`) read too.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(str(resources.files("neonwatch.web") / "static"))
LANGUAGES = ("en", "fr", "ja")

#: page URL -> HTML file under static/ (``{id}`` pages read the id from the URL in JS)
PAGES = {
    "/login": "login.html",
    "/map": "map.html",
    "/events": "events.html",
    "/events/{event_id}": "event.html",
    "/vessels": "vessels.html",
    "/vessels/{vessel_id}": "vessel.html",
    "/sightings": "sightings.html",
    "/sightings/new": "sighting_new.html",
    # the ACSA ledger (issue 7): orders, the order form, one order, balances, exchange rates
    "/acsa": "acsa.html",
    "/acsa/orders/new": "acsa_order_new.html",
    "/acsa/orders/{order_id}": "acsa_order.html",
    "/acsa/balances": "acsa_balances.html",
    "/acsa/rates": "acsa_rates.html",
}


@cache
def catalogue(lang: str = "en") -> dict[str, str]:
    """The message catalogue of ``lang`` over the English one (a missing key falls back to
    English, so a partial translation never shows a raw key)."""
    base: dict[str, str] = json.loads((STATIC / "i18n" / "en.json").read_text(encoding="utf-8"))
    if lang != "en" and lang in LANGUAGES:
        base = base | json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    return base


def message(key: str, lang: str = "en", **values: Any) -> str:
    """One message of the catalogue, ``{name}`` placeholders filled from ``values``."""
    text = catalogue(lang).get(key, key)
    for k, v in values.items():
        text = text.replace("{" + k + "}", str(v))
    return text


def pick_language(query: str | None, accept: str | None) -> str:
    """``?lang=`` if known, else the first known language of Accept-Language, else English."""
    if query in LANGUAGES:
        return str(query)
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


def mount_web(app: FastAPI) -> None:
    """Serve the pages and their static files on ``app`` (the API's routes stay as they are).
    The pages hold no records, so they need no credentials; their data calls do."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def page(file: str) -> Any:
        def serve_page() -> FileResponse:
            return FileResponse(STATIC / file, media_type="text/html; charset=utf-8")

        serve_page.__name__ = f"page_{file.removesuffix('.html')}"
        return serve_page

    for url, file in PAGES.items():
        app.add_api_route(url, page(file), methods=["GET"], include_in_schema=False)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/map")
