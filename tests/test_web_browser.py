"""The web picture in real headless Chromium (Debian's package, driven by Playwright): one
server (uvicorn on a free port, over a store built like the demo's: simulated vessels, events
and risk published, the real cases as sightings) and one browser for the module. Screenshots
go to test-artifacts/.

The restricted event (CAN SECRET, REL TO CAN) must reach the Canadian SECRET analyst and no
one else: not the Japanese analyst (another nation), not the Canadian CONFIDENTIAL reader
(lower clearance), on any page: map, lists and their counts, the event page by direct URL (the
same not-found as a missing id), search suggestions, exports."""

from __future__ import annotations

import csv
import io
import json
import struct
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect
from sqlalchemy.orm import Session

from neonwatch.api import Settings, create_app
from neonwatch.detect import detect
from neonwatch.detect.output import write_events
from neonwatch.screen.run import screen
from neonwatch.share.users import create_user
from neonwatch.simulate import simulate, write
from neonwatch.store import Event, Vessel, open_store
from neonwatch.web.setup import picture_store
from web_support import PASSWORD, chromium, serve
from web_support import login as _web_login
from web_support import shot as _shot

SECRET_NAME = "PHANTOM TANKER"
SECRET_MMSI = 445_999_999


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("web")
    sim = simulate(vessels=50, hours=12, seed=11)
    write(sim, root / "sim")
    events = detect(sim.positions)
    write_events(events, root / "sim" / "events")
    screen(root / "sim", events, out=root / "sim" / "screen")
    db = f"sqlite:///{root / 'picture.db'}"
    picture_store(
        db,
        root / "sim",
        events=root / "sim" / "events",
        screen=root / "sim" / "screen",
        username="alice",
        password=PASSWORD,
    )
    store = open_store(db)
    restricted = uuid.uuid4()
    mark = {
        "originator_nation": "CAN",
        "originating_node": "test",
        "classification": "SECRET",
        "releasability": "REL TO CAN",
        "group": "maritime-picture",
    }
    with Session(store.engine) as s, s.begin():
        for name, nation, level in (("kenji", "JPN", "極秘"), ("bob", "CAN", "CONFIDENTIAL")):
            create_user(
                s,
                name,
                nation=nation,
                clearance=level,
                groups=["maritime-picture"],
                password=PASSWORD,
            )
        first = s.query(Event).filter(Event.kind == "encounter").first()
        assert first is not None
        s.add(
            Event(
                event_id=restricted,
                kind="encounter",
                mmsi=SECRET_MMSI,
                mmsi_2=first.mmsi_2,
                start=first.start,
                end=first.end,
                lat=(first.lat or 30) + 0.5,
                lon=(first.lon or 125) + 0.5,
                duration_h=3.0,
                **mark,
            )
        )
        s.add(Vessel(id=uuid.uuid4(), mmsi=SECRET_MMSI, name=SECRET_NAME, **mark))
        encounter = str(first.event_id)
    settings = Settings(
        node="test", photos_dir=root / "photos", dataset=root / "sim", cookie_secure=False
    )
    try:
        with serve(create_app(store, settings)) as url:
            yield {
                "url": url,
                "restricted": str(restricted),
                "encounter": encounter,
                "start": sim.positions.column("ts")[0].as_py(),
            }
    finally:
        store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def _login(browser: Browser, site: dict[str, Any], user: str) -> Page:
    return _web_login(browser, site["url"], user)


def test_login_refuses_a_wrong_password_then_the_map_shows_markers(
    browser: Browser, site: dict[str, Any]
) -> None:
    page = browser.new_page()
    page.goto(site["url"] + "/login")
    page.fill("#username", "alice")
    page.fill("#password", "wrong password!")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("error")).to_contain_text("wrong user name or password")
    page.close()
    page = _login(browser, site, "alice")
    expect(page.locator(".event-marker").first).to_be_attached()
    expect(page.locator(".sighting-marker").first).to_be_attached()
    assert page.locator("path.leaflet-interactive").count() > 5
    expect(page.get_by_test_id("banner")).to_contain_text("SECRET // REL TO CAN")
    _shot(page, "map")


def test_log_out_ends_the_session(browser: Browser, site: dict[str, Any]) -> None:
    page = _login(browser, site, "kenji")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "neonwatch_session")
    bearer = {"Authorization": f"Bearer {token}"}
    assert page.request.get(site["url"] + "/api/v1/me", headers=bearer).status == 200
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{site['url']}/login")
    # the cookie is gone, and the token itself is forgotten: a copy of it no longer works
    assert not [c for c in page.context.cookies() if c["name"] == "neonwatch_session"]
    assert page.request.get(site["url"] + "/api/v1/me", headers=bearer).status == 401
    page.goto(site["url"] + "/map")
    expect(page).to_have_url(f"{site['url']}/login?next=%2Fmap")
    page.context.close()


def test_event_page_draws_tracks_and_plots(browser: Browser, site: dict[str, Any]) -> None:
    page = _login(browser, site, "kenji")
    page.goto(f"{site['url']}/events/{site['encounter']}")
    expect(page.get_by_test_id("event-title")).to_contain_text("encounter")
    expect(page.locator("path.track-line")).to_have_count(2)
    expect(page.locator("svg.plot path[data-series]").first).to_be_attached()
    assert page.locator("svg.plot").count() == 2  # distance and speed
    expect(page.get_by_test_id("banner")).to_contain_text("REL TO CAN, JPN")
    _shot(page, "event")


def test_file_a_sighting_by_distance_and_bearing(browser: Browser, site: dict[str, Any]) -> None:
    page = _login(browser, site, "kenji")
    page.goto(site["url"] + "/sightings/new")
    page.fill("#asset", "JMSDF P-3C")
    page.select_option("#reference", "Shanghai")
    page.fill("#distance", "250")
    page.fill("#bearing", "E")
    page.fill("#v-name-0", "CHON MA SAN")
    page.fill("#v-name-1", "YUK TUNG")
    page.check("#obs-hoses")
    page.set_input_files("#photo", files=[_photo("deck.png", _png())])
    page.click("#submit")
    box = page.get_by_test_id("correlation")
    expect(box).to_contain_text("124.")  # 250 km E of Shanghai: longitude about 124.1
    expect(page.get_by_test_id("dark")).to_contain_text("YUK TUNG")
    # the photo went up after the sighting, is served back and decodes in the browser
    img = page.get_by_test_id("photo").locator("img")
    expect(img).to_be_visible()
    decoded = "img => img.complete && img.naturalWidth === 8"
    page.wait_for_function(decoded, arg=img.element_handle())
    _shot(page, "sighting")
    # a file that is not a JPEG or PNG is refused, and the form says the sighting was filed
    page.set_input_files("#photo", files=[_photo("notes.png", b"not a picture at all")])
    page.fill("#v-name-1", "SAM JONG 2")
    page.click("#submit")
    expect(page.get_by_test_id("photo-error")).to_contain_text("photo refused")
    expect(page.get_by_test_id("correlation")).to_contain_text("Sighting filed")
    # a bad bearing is refused with the API's reason, shown to the user, and nothing is filed
    page.fill("#bearing", "sideways")
    page.click("#submit")
    expect(page.get_by_test_id("error")).to_contain_text("bearing")


def _png(side: int = 8) -> bytes:
    """A real (decodable) red PNG, side x side pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * side for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _photo(name: str, data: bytes) -> FilePayload:
    return {"name": name, "mimeType": "image/png", "buffer": data}


def _download(page: Page, fmt: str) -> bytes:
    with page.expect_download() as info:
        page.click(f"[data-testid=exports] a[data-format={fmt}]")
    return Path(info.value.path()).read_bytes()


def test_export_downloads_parse(browser: Browser, site: dict[str, Any]) -> None:
    page = _login(browser, site, "alice")
    page.goto(site["url"] + "/events?kind=encounter")
    expect(page.get_by_test_id("total")).to_contain_text("of")
    lines = _download(page, "csv").decode().splitlines()
    assert lines[0].startswith("# SECRET // REL TO CAN")
    rows = list(csv.DictReader(x for x in lines if not x.startswith("#")))
    assert rows and {r["kind"] for r in rows} == {"encounter"}
    assert site["restricted"] in {r["event_id"] for r in rows}  # alice may see it
    doc = json.loads(_download(page, "geojson"))
    assert len(doc["features"]) == len(rows)
    _shot(page, "events")


@pytest.mark.parametrize("user", ["kenji", "bob"])
def test_restricted_event_is_on_no_page(browser: Browser, site: dict[str, Any], user: str) -> None:
    alice = _login(browser, site, "alice")
    alice.goto(site["url"] + "/events")
    expect(alice.get_by_test_id("total")).to_contain_text("of")
    alice_total = alice.get_by_test_id("total").inner_text()
    page = _login(browser, site, user)
    # map: no marker at the restricted event's position, and the count is one less
    expect(page.locator(".event-marker").first).to_be_attached()
    shown = page.get_by_test_id("count").inner_text()
    alice.goto(site["url"] + "/map")
    expect(alice.locator(".event-marker").first).to_be_attached()
    assert shown != alice.get_by_test_id("count").inner_text()
    # lists and counts
    page.goto(site["url"] + "/events")
    expect(page.get_by_test_id("total")).to_contain_text("of")
    assert page.get_by_test_id("total").inner_text() != alice_total
    assert site["restricted"] not in page.content()
    # the event page by direct URL: the same not-found as an id that does not exist
    page.goto(f"{site['url']}/events/{site['restricted']}")
    refused = page.get_by_test_id("error").inner_text()
    page.goto(f"{site['url']}/events/{uuid.uuid4()}")
    assert refused == page.get_by_test_id("error").inner_text() != ""
    _shot(page, f"refused-{user}")
    # search suggestions for vessel names
    page.goto(site["url"] + "/vessels")
    page.fill("#f-q", "PHANTOM")
    page.wait_for_timeout(600)
    assert SECRET_NAME not in page.locator("datalist").inner_html()
    alice.goto(site["url"] + "/vessels")
    alice.fill("#f-q", "PHANTOM")
    expect(alice.locator("datalist option")).to_have_count(1)  # the check can fail
    # exports of every format hold no trace of it
    page.goto(site["url"] + "/events")
    expect(page.get_by_test_id("total")).to_contain_text("of")
    for fmt in ("geojson", "csv", "kml", "parquet"):
        data = _download(page, fmt)
        assert site["restricted"].encode() not in data, fmt
        assert str(SECRET_MMSI).encode() not in data, fmt
    assert io.BytesIO(data).getbuffer().nbytes > 0
