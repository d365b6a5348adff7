"""The HTTP API on both backends (a SQLite file and PostgreSQL on 127.0.0.1:5432, never
skipped), through FastAPI's TestClient: credentials on every route, login, policy inside the
query (lists, counts, searches and gets agree; a refused get is the 404 of a missing id),
markings in both schemes, sightings from a distance and bearing with AIS correlation, photo
limits, bad requests that change nothing but their audit entry, CSRF for the session cookie,
publish, and the audit chain after it all."""

from __future__ import annotations

import shutil
import struct
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from neonwatch.api import NOT_FOUND, Settings, create_app, deps
from neonwatch.api.app import CSRF_HEADER, SESSION_COOKIE, iter_api_routes
from neonwatch.ingest.schema import POSITIONS
from neonwatch.share import audit
from neonwatch.share.users import create_user
from neonwatch.sightings import reference_point
from neonwatch.sightings.model import destination
from neonwatch.simulate import simulate, write
from neonwatch.store import AuditEntry, Event, Risk, Store, Vessel
from neonwatch.store.models import SightingPhoto, SightingRecord, SightingVessel
from neonwatch.store.upkeep import Upkeep, autovacuum_off, due

PASSWORD = "correct horse battery"
PNG = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + bytes(13) + b"\0" * 4
JPEG = b"\xff\xd8\xff\xe0" + b"\0\x10JFIF\0" + bytes(32) + b"\xff\xd9"
MAX_PHOTO = 4096
MMSI = 445_000_001
WHEN = datetime(2018, 2, 24, 15, 20, tzinfo=UTC)


# --- fixtures (PostgreSQL database: pg_url in conftest.py) ----------------------------------


@pytest.fixture(scope="module")
def ais_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One AIS vessel (MMSI 445000001) 250 km E of Shanghai around the sighting time."""
    _, rlat, rlon = reference_point("Shanghai")
    lat, lon = destination(rlat, rlon, 90.0, 250.0)
    out = tmp_path_factory.mktemp("api-ais")
    day = out / "positions" / "day=2018-02-24"
    day.mkdir(parents=True)
    n = 13
    times = [WHEN + timedelta(minutes=10 * (k - 6)) for k in range(n)]
    cols: dict[str, Any] = {
        "mmsi": [MMSI] * n,
        "ts": times,
        "lat": [lat + 0.001 * k for k in range(n)],
        "lon": [lon] * n,
    }
    arrays = [pa.array(cols.get(f.name, [None] * n), f.type) for f in POSITIONS]
    pq.write_table(pa.Table.from_arrays(arrays, schema=POSITIONS), day / "part-0.parquet")
    return out


@pytest.fixture(scope="module")
def sim_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("api-data")
    write(simulate(vessels=50, hours=6, seed=5), root / "small")
    return root


def _mark(nation: str, level: str, rel: str, group: str) -> dict[str, Any]:
    return {
        "originator_nation": nation,
        "originating_node": "test",
        "classification": level,
        "releasability": rel,
        "group": group,
    }


# the JPN reader (極秘 = SECRET, group neon) may read the first two, none of the others
MARKS = {
    "jpn_gokuhi": _mark("JPN", "極秘", "REL TO CAN, JPN", "neon"),
    "can_secret": _mark("CAN", "SECRET", "REL TO CAN, JPN", "neon"),
    "rel_can_only": _mark("CAN", "SECRET", "REL TO CAN", "neon"),
    "other_group": _mark("JPN", "秘", "REL TO CAN, JPN", "other"),
    "top_secret": _mark("CAN", "TOP SECRET", "REL TO CAN, JPN", "neon"),
}
VISIBLE = {"jpn_gokuhi", "can_secret"}


@pytest.fixture
def seeded(store: Store) -> dict[str, Any]:
    """Users kenji (JPN, 極秘, neon) and alice (CAN, SECRET, neon + publishers); one vessel,
    one event and one event risk under each marking of MARKS."""
    ids: dict[str, Any] = {"events": {}, "vessels": {}}
    with Session(store.engine) as s, s.begin():
        create_user(
            s, "kenji", nation="JPN", clearance="Gokuhi", groups=["neon"], password=PASSWORD
        )
        create_user(
            s,
            "alice",
            nation="CAN",
            clearance="SECRET",
            groups=["neon", "publishers"],
            password=PASSWORD,
        )
        for i, (key, m) in enumerate(MARKS.items()):
            eid, vid = uuid.uuid4(), uuid.uuid4()
            ids["events"][key], ids["vessels"][key] = eid, vid
            s.add(
                Event(
                    event_id=eid,
                    kind="encounter",
                    mmsi=MMSI,
                    mmsi_2=412_000_000 + i,
                    start=WHEN - timedelta(hours=i),
                    **m,
                )
            )
            s.add(Vessel(id=vid, mmsi=MMSI, imo=9_000_000 + i, name=f"CHON MA SAN {i}", **m))
            # the risk of every event scores high but only the first one's risk is readable
            risk_mark = m if key == "jpn_gokuhi" else MARKS["rel_can_only"]
            s.add(
                Risk(
                    id=uuid.uuid4(),
                    subject="event",
                    subject_id=str(eid),
                    mmsi=MMSI,
                    score=0.9,
                    factors=[],
                    **risk_mark,
                )
            )
    return ids


def _client(store: Store, tmp_path: Path, **kw: Any) -> TestClient:
    settings = Settings(
        node="test-node",
        photos_dir=tmp_path / "photos",
        max_photo_bytes=MAX_PHOTO,
        **kw,
    )
    return TestClient(create_app(store, settings), base_url="https://testserver")


@pytest.fixture(autouse=True)
def _no_stored_lists(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The bundled UN 1718 example list, never a list store lying in the working folder."""
    monkeypatch.setenv("NEONWATCH_LISTS", str(tmp_path / "no-lists"))


@pytest.fixture
def client(
    store: Store, seeded: dict[str, Any], tmp_path: Path, ais_dir: Path
) -> Iterator[TestClient]:
    with _client(store, tmp_path, dataset=ais_dir, data_root=tmp_path / "data") as c:
        yield c


def _login(client: TestClient, user: str) -> dict[str, str]:
    r = client.post("/api/v1/login", json={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _audit(store: Store) -> list[AuditEntry]:
    with Session(store.engine) as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def _counts(store: Store) -> dict[str, int]:
    with Session(store.engine) as s:
        return {
            m.__tablename__: s.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Vessel, Event, Risk, SightingRecord, SightingVessel, SightingPhoto)
        }


def _sighting(**extra: Any) -> dict[str, Any]:
    return {
        "asset": "JMSDF P-3C",
        "when": "2018-02-24T15:20Z",
        "position": {"reference": "Shanghai", "distance": "250km", "bearing": "E"},
        "vessels": [
            {"mmsi": MMSI, "name": "CHON MA SAN", "role": "dprk"},
            {"name": "YUK TUNG", "flag": "Togo", "role": "other"},
        ],
        "observations": {"alongside": True, "hoses_connected": True},
        "marking": {"classification": "極秘", "releasability": "REL TO CAN, JPN"},
    } | extra


# --- credentials -----------------------------------------------------------------------------


def test_every_route_but_login_answers_401_without_credentials(client: TestClient) -> None:
    routes = list(iter_api_routes(client.app))  # type: ignore[arg-type]
    assert len(routes) >= 10
    rid = str(uuid.uuid4())
    for method, path in routes:
        url = path.replace("{vessel_id}", rid).replace("{event_id}", rid)
        url = url.replace("{sighting_id}", rid)
        if path == "/api/v1/login":
            continue
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
            r = client.request(method, url, headers=headers)
            assert r.status_code == 401, (method, path, headers, r.text)
            assert r.headers["www-authenticate"] == "Bearer"
        # a malformed body does not get past the missing credentials either
        r = client.request(
            method, url, content=b"{not json", headers={"content-type": "application/json"}
        )
        assert r.status_code == 401, (method, path, r.text)
    assert {"/api/v1/login", "/api/v1/publish", "/api/v1/sightings/{sighting_id}/photos"} <= {
        p for _, p in routes
    }
    assert client.get("/openapi.json").json()["paths"]["/api/v1/events"]


def test_an_oversized_body_without_credentials_gets_401_not_413(client: TestClient) -> None:
    """The size check runs before the body is read, but after the credentials: who may not
    post learns nothing, not even the size limit."""
    big = b"x" * (2 * 1024 * 1024)
    sid = str(uuid.uuid4())
    for url in ("/api/v1/sightings", f"/api/v1/sightings/{sid}/photos"):
        client.cookies.clear()  # the login below sets the session cookie
        for headers in ({}, {"Authorization": "Bearer nope"}):
            r = client.post(url, content=big, headers=headers)
            assert r.status_code == 401, (url, headers, r.text)
            assert "too large" not in r.text
        r = client.post(url, content=big, headers=_login(client, "kenji"))
        assert r.status_code == 413 and "too large" in r.json()["detail"], r.text


def test_login_and_wrong_passwords(client: TestClient, store: Store) -> None:
    r = client.post("/api/v1/login", json={"username": "kenji", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["user"] == {
        "username": "kenji",
        "nation": "JPN",
        "clearance": "極秘",
        "groups": ["neon"],
    }
    cookie = r.headers.get_list("set-cookie")
    assert any(
        c.startswith(SESSION_COOKIE)
        and "HttpOnly" in c
        and "Secure" in c
        and "SameSite=strict" in c
        for c in cookie
    )
    assert (
        client.get(
            "/api/v1/events", headers={"Authorization": f"Bearer {body['token']}"}
        ).status_code
        == 200
    )
    wrong = client.post("/api/v1/login", json={"username": "kenji", "password": "x" * 20})
    nobody = client.post("/api/v1/login", json={"username": "nobody", "password": "x" * 20})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json() == nobody.json() == {"detail": "wrong user name or password"}
    actions = [(e.actor, e.action) for e in _audit(store)]
    assert ("kenji", "login") in actions
    assert ("kenji", "login.failed") in actions and ("nobody", "login.failed") in actions


def test_session_cookie_needs_the_csrf_header_for_writes(client: TestClient) -> None:
    r = client.post("/api/v1/login", json={"username": "kenji", "password": PASSWORD})
    csrf = r.json()["csrf_token"]
    assert client.get("/api/v1/sightings").status_code == 200  # the cookie alone reads
    refused = client.post("/api/v1/sightings", json=_sighting())
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    ok = client.post("/api/v1/sightings", json=_sighting(), headers={CSRF_HEADER: csrf})
    assert ok.status_code == 201, ok.text
    bad = client.post("/api/v1/sightings", json=_sighting(), headers={CSRF_HEADER: "0" * 64})
    assert bad.status_code == 403


def test_logout_revokes_the_token_and_clears_the_cookies(client: TestClient, store: Store) -> None:
    bearer = _login(client, "kenji")
    other = _login(client, "kenji")  # a second session of the same user stays logged in
    client.cookies.clear()
    r = client.post("/api/v1/logout", headers=bearer)
    assert r.status_code == 200 and r.json() == {"logged_out": "kenji"}
    cleared = r.headers.get_list("set-cookie")
    assert any(c.startswith(f"{SESSION_COOKIE}=") and "Max-Age=0" in c for c in cleared)
    assert client.get("/api/v1/events", headers=bearer).status_code == 401
    assert client.post("/api/v1/logout", headers=bearer).status_code == 401
    assert client.get("/api/v1/events", headers=other).status_code == 200
    # through the session cookie, logging out is a write: it needs the CSRF header
    login = client.post("/api/v1/login", json={"username": "kenji", "password": PASSWORD})
    assert client.post("/api/v1/logout").status_code == 403
    csrf = {CSRF_HEADER: login.json()["csrf_token"]}
    assert client.post("/api/v1/logout", headers=csrf).status_code == 200
    client.cookies.set(SESSION_COOKIE, login.json()["token"], path="/api/v1")
    assert client.get("/api/v1/events").status_code == 401
    assert [e.action for e in _audit(store)].count("logout") == 2


# --- policy inside the query -----------------------------------------------------------------


def test_reader_sees_exactly_what_policy_releases(
    client: TestClient, seeded: dict[str, Any]
) -> None:
    h = _login(client, "kenji")
    events = client.get("/api/v1/events", headers=h).json()
    want = {str(seeded["events"][k]) for k in VISIBLE}
    assert events["total"] == 2 and {e["event_id"] for e in events["items"]} == want
    # every filter and search gives the same picture
    for query in (
        {"kind": "encounter"},
        {"mmsi": MMSI},
        {"since": "2018-01-01T00:00:00Z"},
        {"until": "2018-03-01", "limit": 1},
    ):
        r = client.get("/api/v1/events", params=query, headers=h).json()
        assert r["total"] == 2, query
        assert {e["event_id"] for e in r["items"]} <= want
    # min_risk only counts risk the reader may read: the other risks (REL TO CAN) leak nothing
    risky = client.get("/api/v1/events", params={"min_risk": 0.5}, headers=h).json()
    assert risky["total"] == 1
    assert risky["items"][0]["event_id"] == str(seeded["events"]["jpn_gokuhi"])
    assert risky["items"][0]["risk"]["score"] == 0.9
    vessels = client.get("/api/v1/vessels", params={"q": "chon ma"}, headers=h).json()
    assert vessels["total"] == 2
    assert {v["id"] for v in vessels["items"]} == {str(seeded["vessels"][k]) for k in VISIBLE}
    # gets agree; a refused record is the 404 of a record that does not exist
    missing = client.get(f"/api/v1/events/{uuid.uuid4()}", headers=h)
    assert missing.status_code == 404 and missing.json() == {"detail": NOT_FOUND}
    for kind, route in (("events", "events"), ("vessels", "vessels")):
        for key, rid in seeded[kind].items():
            r = client.get(f"/api/v1/{route}/{rid}", headers=h)
            if key in VISIBLE:
                assert r.status_code == 200, (kind, key)
            else:
                assert r.status_code == 404, (kind, key)
                assert (
                    r.content == missing.content
                    and r.headers["content-length"] == (missing.headers["content-length"])
                )
    # the Canadian SECRET reader sees REL TO CAN too, but still not TOP SECRET
    a = _login(client, "alice")
    assert client.get("/api/v1/events", headers=a).json()["total"] == 3
    ts = seeded["events"]["top_secret"]
    assert client.get(f"/api/v1/events/{ts}", headers=a).status_code == 404


def test_markings_in_the_readers_scheme_and_the_originators(
    client: TestClient, seeded: dict[str, Any]
) -> None:
    h = _login(client, "kenji")
    can = client.get(f"/api/v1/events/{seeded['events']['can_secret']}", headers=h).json()
    m = can["markings"]
    assert m["originator_nation"] == "CAN" and m["classification"] == "SECRET"
    assert m["in_originator_scheme"] == "SECRET // REL TO CAN, JPN"
    assert m["in_reader_scheme"] == "極秘 // REL TO CAN, JPN"
    a = _login(client, "alice")
    jpn = client.get(f"/api/v1/vessels/{seeded['vessels']['jpn_gokuhi']}", headers=a).json()
    assert jpn["markings"]["in_originator_scheme"] == "極秘 // REL TO CAN, JPN"
    assert jpn["markings"]["in_reader_scheme"] == "SECRET // REL TO CAN, JPN"
    for item in client.get("/api/v1/events", headers=a).json()["items"]:
        assert {"in_originator_scheme", "in_reader_scheme", "group"} <= set(item["markings"])


# --- sightings and photos --------------------------------------------------------------------


def test_the_server_keeps_table_statistics_when_autovacuum_is_off(
    store: Store, tmp_path: Path
) -> None:
    """With autovacuum off (as on the CI machine) the server analyzes and vacuums what is due,
    so the planner knows the tables; with it on, the server leaves that to PostgreSQL."""
    with _client(store, tmp_path, upkeep_seconds=0.2) as c:
        task = c.app.state.upkeep  # type: ignore[attr-defined]
        assert (task is not None) == autovacuum_off(store.engine)
        if task is None or store.engine.dialect.name != "postgresql":
            return
        with store.engine.connect() as conn:
            for i in range(120):
                with conn.begin():
                    audit.append(conn, "aiko", "test.read", "sightings", str(i), {})
                    if i == 119:
                        conn.exec_driver_sql("SELECT pg_stat_force_next_flush()")
        assert due(store.engine) != Upkeep()
        deadline = time.monotonic() + 20
        while due(store.engine) != Upkeep() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert due(store.engine) == Upkeep()
        assert not task.done()


def test_sighting_from_shanghai_is_stored_and_correlated(client: TestClient, store: Store) -> None:
    h = _login(client, "kenji")
    r = client.post("/api/v1/sightings", json=_sighting(), headers=h)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["reference"] == "Shanghai" and out["position_computed"] is True
    assert out["distance_km"] == 250.0 and out["lon"] == pytest.approx(124.09, abs=0.05)
    assert out["markings"]["in_reader_scheme"] == "極秘 // REL TO CAN, JPN"
    assert out["markings"]["originator_nation"] == "JPN" and out["markings"]["group"] == "neon"
    corr = out["correlation"]
    assert corr["status"] == "ok" and [v["mmsi"] for v in corr["in_range"]] == [MMSI]
    assert [d["index"] for d in corr["dark"]] == [1]  # YUK TUNG transmitted nothing
    assert [v["ais_mmsi"] for v in out["vessels"]] == [MMSI, None]
    assert [v["dark"] for v in out["vessels"]] == [False, True]
    got = client.get(f"/api/v1/sightings/{out['id']}", headers=h).json()
    # the post answers from the rows it wrote: exactly what reading them back gives
    assert got == out and got["asset"] == "JMSDF P-3C"
    assert client.get("/api/v1/sightings", headers=h).json()["total"] == 1
    # observed vessels are matched against the watchlists (the bundled UN 1718 example)
    listed = client.post(
        "/api/v1/sightings",
        headers=h,
        json=_sighting(vessels=[{"name": "RYE SONG GANG 1", "imo": 7389704, "role": "dprk"}]),
    ).json()
    assert listed["vessels"][0]["listed"] is True and listed["vessels"][0]["list_hits"]
    assert client.get(f"/api/v1/sightings/{listed['id']}", headers=h).json() == listed
    assert out["vessels"][1]["listed"] is False
    # the same id again is a conflict, and nothing is stored twice
    again = client.post("/api/v1/sightings", json=_sighting(id=out["id"]), headers=h)
    assert again.status_code == 409
    assert _counts(store)["sightings"] == 2 and _counts(store)["sighting_vessels"] == 3
    # a sighting marked 秘 for group other is not the Canadian reader's (not in group other)
    k2 = client.post(
        "/api/v1/sightings",
        headers=h,
        json=_sighting(marking={"classification": "Hi", "group": "neon"}),
    )
    assert k2.status_code == 201
    hidden = client.post(
        "/api/v1/sightings",
        headers=_login(client, "alice"),
        json=_sighting(
            marking={"classification": "SECRET", "releasability": "REL TO CAN", "group": "neon"}
        ),
    )
    assert hidden.status_code == 201
    assert client.get("/api/v1/sightings", headers=h).json()["total"] == 3
    r404 = client.get(f"/api/v1/sightings/{hidden.json()['id']}", headers=h)
    assert r404.status_code == 404 and r404.json() == {"detail": NOT_FOUND}


def test_photo_uploads_are_limited_and_type_checked(
    client: TestClient, store: Store, tmp_path: Path
) -> None:
    h = _login(client, "kenji")
    sid = client.post("/api/v1/sightings", json=_sighting(), headers=h).json()["id"]
    url = f"/api/v1/sightings/{sid}/photos"
    ok = client.post(url, files={"file": ("deck.png", PNG, "image/png")}, headers=h)
    assert ok.status_code == 201, ok.text
    assert ok.json()["mime"] == "image/png" and ok.json()["markings"]["group"] == "neon"
    again = client.post(url, files={"file": ("copy.png", PNG, "image/png")}, headers=h)
    assert again.status_code == 200  # the same bytes: one row, one file
    before, log = _counts(store), len(_audit(store))
    cases = [
        (("big.jpg", JPEG + bytes(MAX_PHOTO), "image/jpeg"), 413, "too large"),
        (("huge.jpg", JPEG + bytes(200 * 1024), "image/jpeg"), 413, "too large"),
        (("fake.jpg", b"GIF89a" + bytes(40), "image/jpeg"), 415, "not a JPEG or PNG"),
        (("empty.png", b"", "image/png"), 400, "empty"),
    ]
    for upload, status, message in cases:
        r = client.post(url, files={"file": upload}, headers=h)
        assert r.status_code == status, (upload[0], r.text)
        assert message in r.json()["detail"]
    assert client.post(url, data={"x": "1"}, headers=h).status_code == 422  # no file at all
    assert _counts(store) == before
    files = [p for p in (tmp_path / "photos").rglob("*") if p.is_file()]
    assert len(files) == 1
    # a reader of another nation may not add photos; an unreadable sighting is a 404
    a = _login(client, "alice")
    assert (
        client.post(url, files={"file": ("j.jpg", JPEG, "image/jpeg")}, headers=a).status_code
        == 403
    )
    other = client.post(
        url.replace(sid, str(uuid.uuid4())),
        headers=h,
        files={"file": ("j.jpg", JPEG, "image/jpeg")},
    )
    assert other.status_code == 404 and other.json() == {"detail": NOT_FOUND}
    assert _counts(store) == before
    assert len(_audit(store)) > log
    got = client.get(f"/api/v1/sightings/{sid}", headers=h).json()
    assert [p["sha256"] for p in got["photos"]] == [ok.json()["sha256"]]


# --- bad requests ----------------------------------------------------------------------------


BAD = [
    ("post", "/api/v1/sightings", {"content": b'{"asset": "P-3C", '}, 422, "malformed JSON"),
    (
        "post",
        "/api/v1/sightings",
        {"json": _sighting(position={"lat": 95, "lon": 120})},
        422,
        "position.lat: latitude 95.0 is impossible",
    ),
    (
        "post",
        "/api/v1/sightings",
        {"json": _sighting(hose_connected=True)},
        422,
        "hose_connected: unknown field",
    ),
    (
        "post",
        "/api/v1/sightings",
        {"json": _sighting(asset=5)},
        422,
        "asset: Input should be a valid string",
    ),
    ("post", "/api/v1/sightings", {"json": _sighting(vessels="many")}, 422, "vessels"),
    (
        "post",
        "/api/v1/sightings",
        {"json": _sighting(marking={"classification": "Ultra"})},
        422,
        "not a level of JPN",
    ),
    (
        "post",
        "/api/v1/sightings",
        {"json": _sighting(marking={"classification": "機密"})},
        422,
        "you could not read a record marked so",
    ),
    ("post", "/api/v1/sightings", {"json": [1, 2]}, 422, "Input should be"),
    ("get", "/api/v1/events", {"params": {"since": "last tuesday"}}, 422, "since (query"),
    ("get", "/api/v1/events", {"params": {"limit": 0}}, 422, "limit (query parameter)"),
    ("get", "/api/v1/events/not-a-uuid", {}, 422, "event_id (path parameter)"),
    ("post", "/api/v1/publish", {"json": {"dataset": "../../etc"}}, 403, "publishers"),
    ("post", "/api/v1/login", {"json": {"username": "kenji"}}, 422, "password: Field required"),
]


@pytest.mark.parametrize(("method", "url", "kw", "status", "message"), BAD)
def test_bad_requests_say_what_is_wrong_and_change_nothing(
    client: TestClient,
    store: Store,
    method: str,
    url: str,
    kw: dict[str, Any],
    status: int,
    message: str,
) -> None:
    h = _login(client, "kenji")
    if "content" in kw:
        h = h | {"content-type": "application/json"}
    before, log = _counts(store), len(_audit(store))
    r = client.request(method, url, headers=h, **kw)
    assert r.status_code == status, r.text
    assert message in r.json()["detail"], r.json()
    assert _counts(store) == before
    entries = _audit(store)[log:]
    if url.endswith("/login"):
        assert entries == []  # nobody to name: the body did not say who
    else:
        assert [(e.actor, e.action) for e in entries] == [("kenji", "request.refused")]
        assert message.split(":")[0] in entries[0].detail["error"]


# --- publish and the audit trail -------------------------------------------------------------


def test_publish_for_an_authorised_user(
    client: TestClient, store: Store, sim_root: Path, tmp_path: Path
) -> None:
    shutil.copytree(sim_root / "small", tmp_path / "data" / "small")
    a = _login(client, "alice")
    bad = client.post(
        "/api/v1/publish", json={"dataset": "../", "marking": {"group": "neon"}}, headers=a
    )
    assert bad.status_code == 400 and "not a folder under" in bad.json()["detail"]
    body = {"dataset": "small", "marking": {"classification": "SECRET", "group": "neon"}}
    r = client.post("/api/v1/publish", json=body, headers=a)
    assert r.status_code == 200, r.text
    added = r.json()["added"]["vessels"]
    assert added > 0 and r.json()["markings"]["originator_nation"] == "CAN"
    again = client.post("/api/v1/publish", json=body, headers=a)
    assert again.json()["added"]["vessels"] == 0  # idempotent
    seen = client.get("/api/v1/vessels", params={"limit": 1000}, headers=a).json()["total"]
    assert seen == 3 + added  # the seeded ones alice may read, and the published
    assert (
        client.post("/api/v1/publish", json=body, headers=_login(client, "kenji")).status_code
        == 403
    )


def test_audit_chain_holds_and_every_read_left_an_entry(
    client: TestClient, store: Store, seeded: dict[str, Any]
) -> None:
    h = _login(client, "kenji")
    log = len(_audit(store))
    reads = [
        "/api/v1/vessels",
        "/api/v1/events",
        "/api/v1/sightings",
        f"/api/v1/events/{seeded['events']['jpn_gokuhi']}",
        f"/api/v1/events/{seeded['events']['top_secret']}",
        f"/api/v1/vessels/{seeded['vessels']['can_secret']}",
        f"/api/v1/vessels/{uuid.uuid4()}",
        f"/api/v1/sightings/{uuid.uuid4()}",
    ]
    for url in reads:
        assert client.get(url, headers=h).status_code in (200, 404)
    entries = _audit(store)[log:]
    assert len(entries) == len(reads)
    assert all(e.actor == "kenji" and e.action.endswith((".list", ".read")) for e in entries)
    refused = entries[4]
    assert refused.record_id == str(seeded["events"]["top_secret"])
    assert refused.detail == {"found": False, "refused": True}  # for the officer, not the reader
    assert entries[6].detail == {"found": False, "refused": False}
    listed = entries[1]
    assert listed.detail["total"] == 2 and len(listed.detail["ids"]) == 2
    client.post("/api/v1/sightings", json=_sighting(), headers=h)
    with Session(store.engine) as s:
        result = audit.verify(s)
    assert result.ok, result.reason
    assert _audit(store)[-1].action == "sightings.create"


def test_lists_count_up_to_a_cap_and_say_when_there_are_more(
    client: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list counts at most COUNT_CAP rows past its offset (counting is the part of a list
    whose cost grows with the table): beyond, ``total_capped`` says "more than total", the
    next page is still served, and the audit entry records what the reader was told."""
    monkeypatch.setattr(deps, "COUNT_CAP", 1)
    h = _login(client, "kenji")
    for _ in range(3):
        assert client.post("/api/v1/sightings", json=_sighting(), headers=h).status_code == 201
    pages = {
        "/api/v1/events": len(VISIBLE),  # the seeded events kenji may read
        "/api/v1/views/events": len(VISIBLE),
        "/api/v1/sightings": 3,
        "/api/v1/views/sightings": 3,
    }
    for path, readable in pages.items():
        first = client.get(path, params={"limit": 1}, headers=h).json()
        assert (first["total"], first["total_capped"], len(first["items"])) == (1, True, 1), path
        last = client.get(path, params={"limit": 1, "offset": readable - 1}, headers=h).json()
        assert (last["total"], last["total_capped"]) == (readable, False), path
        assert len(last["items"]) == 1
    entry = next(e for e in _audit(store) if e.action == "sightings.list")
    assert (entry.detail["total"], entry.detail["total_capped"]) == (1, True)
