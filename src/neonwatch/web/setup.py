"""A store ready for the web picture: a dataset's vessels, events and risk published, the real
cases loaded as sightings, and a user to log in with.

:func:`picture_store` is what ``neonwatch demo`` runs at its end (and what the web tests build
their server on), so the picture a new user opens and the one the tests check are the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from neonwatch.acsa import load_agreement
from neonwatch.screen.run import default_watchlist
from neonwatch.share.users import create_user
from neonwatch.sightings import add_sighting, load_cases
from neonwatch.store import open_store
from neonwatch.store.models import User
from neonwatch.store.publish import publish

DEMO_GROUP = "maritime-picture"


@dataclass(frozen=True)
class PictureStore:
    """What :func:`picture_store` made: the store's URL, counts, and the user's name."""

    url: str
    vessels: int
    events: int
    risk: int
    sightings: int
    username: str


def cases_file() -> Path:
    """The real published cases bundled with the package (see ``data/cases/SOURCE.txt``)."""
    return Path(str(resources.files("neonwatch") / "data" / "cases" / "dprk-sts-sightings.csv"))


def picture_store(
    db: str,
    dataset: Path,
    *,
    events: Path | None = None,
    screen: Path | None = None,
    username: str = "demo-analyst",
    password: str,
    nation: str = "CAN",
    clearance: str = "SECRET",
    group: str = DEMO_GROUP,
    node: str = "demo",
    ledger: bool = True,
) -> PictureStore:
    """Publish ``dataset`` (with ``events`` and ``screen`` outputs) into the store at ``db``
    as CONFIDENTIAL // REL TO CAN, JPN for ``group``, load the bundled cases as Japan's 秘
    sightings for the same group, and create ``username`` (if not there yet), also in the ACSA
    ledger's group when ``ledger`` (so the analyst can read the ledger too). Idempotent."""
    store = open_store(db)
    try:
        result = publish(dataset, events, screen, store, node=node, group=group)
        watchlist, _ = default_watchlist(None)
        for s in load_cases(cases_file()):
            add_sighting(store, s, originator="JPN", node=node, group=group, watchlist=watchlist)
        with Session(store.engine) as session, session.begin():
            exists = session.scalars(select(User).where(User.username == username)).first()
            if exists is None:
                create_user(
                    session,
                    username,
                    nation=nation,
                    clearance=clearance,
                    groups=[group, *([load_agreement().acsa_group] if ledger else [])],
                    password=password,
                    actor="neonwatch demo",
                )
        from sqlalchemy import func

        from neonwatch.store.models import SightingRecord

        with Session(store.engine) as session:
            sightings = session.execute(
                select(func.count()).select_from(SightingRecord)
            ).scalar_one()
        return PictureStore(
            url=store.url,
            vessels=result.read.get("vessels", 0),
            events=result.read.get("events", 0),
            risk=result.read.get("risk", 0),
            sightings=int(sightings),
            username=username,
        )
    finally:
        store.close()
