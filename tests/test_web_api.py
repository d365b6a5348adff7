"""The web picture's API routes on both backends: 401 without credentials (the walk in
test_api covers them), views with area and list-hit filters, exports in four formats parsed
back with markings, reports and tracks that are the 404 of a missing id when refused, and the
audit entry of each."""

from __future__ import annotations

import csv
import io
import json
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from neonwatch.api import NOT_FOUND
from neonwatch.api.formats import KML_NS
from neonwatch.store import Store
from test_api import (  # the seeded store and client of the API tests: one fixture set
    MARKS,
    VISIBLE,
    _audit,
    _login,
    _no_stored_lists,
    _sighting,
    ais_dir,
    client,
    seeded,
)

__all__ = ["_no_stored_lists", "ais_dir", "client", "seeded"]


def _csv_rows(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    lines = data.decode().splitlines()
    comments = [x for x in lines if x.startswith("#")]
    return comments, list(csv.DictReader(x for x in lines if not x.startswith("#")))


def test_me_and_land(client: TestClient) -> None:
    h = _login(client, "kenji")
    me = client.get("/api/v1/me", headers=h).json()
    assert me["nation"] == "JPN" and me["empty_marking"]["in_reader_scheme"] == "秘 // REL TO JPN"
    assert any(p["name"] == "Shanghai" for p in me["reference_points"])
    land = client.get("/api/v1/geo/land", params={"bbox": "120,30,132,40", "res": 4}, headers=h)
    assert land.status_code == 200 and land.json()["geometry"]["type"] == "MultiPolygon"
    assert len(land.json()["geometry"]["coordinates"]) > 10  # Korea, Japan, China coasts
    bad = client.get("/api/v1/geo/land", params={"bbox": "1,2,3"}, headers=h)
    assert bad.status_code == 422 and "bbox" in bad.json()["detail"]
    huge = client.get("/api/v1/geo/land", params={"res": 60}, headers=h)
    assert huge.status_code == 422 and "over the limit" in huge.json()["detail"]


def test_views_filter_inside_the_policy(client: TestClient, seeded: dict[str, Any]) -> None:
    h = _login(client, "kenji")
    r = client.get("/api/v1/views/events", headers=h).json()
    assert r["total"] == 2
    assert {e["event_id"] for e in r["items"]} == {str(seeded["events"][k]) for k in VISIBLE}
    # the banner is the highest shown: both are SECRET-equivalent, released to CAN and JPN
    assert r["marking"]["in_reader_scheme"] == "極秘 // REL TO CAN, JPN"
    # no event has a position: an area excludes all; the risk filter counts readable risk only
    assert client.get("/api/v1/views/events?bbox=120,20,130,40", headers=h).json()["total"] == 0
    assert client.get("/api/v1/views/events?min_risk=0.5", headers=h).json()["total"] == 1
    assert client.get("/api/v1/views/events?listed=true", headers=h).json()["total"] == 0
    bad = client.get("/api/v1/views/events?bbox=1,2,x,4", headers=h)
    assert bad.status_code == 422 and "four numbers" in bad.json()["detail"]
    empty = client.get("/api/v1/views/events?kind=teleport", headers=h).json()
    assert empty["total"] == 0 and empty["marking"]["empty"] is True
    names = client.get("/api/v1/views/vessels?q=chon", headers=h).json()
    assert names["total"] == 2  # the search suggestions: only readable names
    a = _login(client, "alice")
    assert client.get("/api/v1/views/events", headers=a).json()["total"] == 3


@pytest.mark.parametrize("fmt", ["geojson", "csv", "kml", "parquet"])
def test_exports_parse_back_with_markings(
    client: TestClient, store: Store, seeded: dict[str, Any], fmt: str
) -> None:
    h = _login(client, "kenji")
    client.post("/api/v1/sightings", json=_sighting(), headers=h)
    visible = {str(seeded["events"][k]) for k in VISIBLE}
    r = client.get(f"/api/v1/exports/events?format={fmt}", headers=h)
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    if fmt == "geojson":
        doc = json.loads(r.content)
        assert doc["marking"].startswith("極秘 // REL TO CAN, JPN")
        ids = {f["properties"]["event_id"] for f in doc["features"]}
        assert all(f["properties"]["marking"] for f in doc["features"])
    elif fmt == "csv":
        comments, rows = _csv_rows(r.content)
        assert comments[0].startswith("# 極秘 // REL TO CAN, JPN")
        ids = {row["event_id"] for row in rows}
        assert all(row["marking"] for row in rows)
    elif fmt == "kml":
        root = ET.fromstring(r.content)
        ns = {"k": KML_NS}
        assert "極秘" in root.findtext("k:Document/k:description", namespaces=ns)
        ids = set()  # the seeded events have no position: nothing to place
        assert root.findall(".//k:Placemark", ns) == []
    else:
        table = pq.read_table(io.BytesIO(r.content))
        geo = json.loads(table.schema.metadata[b"geo"])
        assert geo["primary_column"] == "geometry" and geo["columns"]["geometry"]["encoding"]
        assert table.schema.metadata[b"neonwatch:marking"].decode().startswith("極秘")
        ids = set(table.column("event_id").to_pylist())
    if fmt != "kml":
        assert ids == visible
    # sightings have positions: a KML placemark and a GeoJSON point each
    s = client.get(f"/api/v1/exports/sightings?format={fmt}", headers=h)
    assert s.status_code == 200
    if fmt == "kml":
        pm = ET.fromstring(s.content).findall(f".//{{{KML_NS}}}Placemark")
        assert len(pm) == 1 and "CHON MA SAN" in ET.tostring(pm[0], encoding="unicode")
    entry = [e for e in _audit(store) if e.action.endswith(".export")][-2]
    # the audit names every row the export drew (KML cannot place rows without a position)
    assert entry.actor == "kenji" and set(entry.detail["ids"]) == visible
    assert entry.detail["format"] == fmt
    bad = client.get("/api/v1/exports/events?format=xls", headers=h)
    assert bad.status_code == 422


def test_reports_tracks_and_history_refuse_like_missing(
    client: TestClient, seeded: dict[str, Any]
) -> None:
    h = _login(client, "kenji")
    missing = uuid.uuid4()
    for key, eid in seeded["events"].items():
        for suffix in ("report.html", "track"):
            r = client.get(f"/api/v1/events/{eid}/{suffix}", headers=h)
            if key in VISIBLE:
                assert r.status_code == 200, (key, suffix, r.text)
            else:
                gone = client.get(f"/api/v1/events/{missing}/{suffix}", headers=h)
                assert r.status_code == gone.status_code == 404
                assert r.json() == gone.json() == {"detail": NOT_FOUND}
    report = client.get(f"/api/v1/events/{seeded['events']['can_secret']}/report.html", headers=h)
    assert report.text.count("極秘 // REL TO CAN, JPN") >= 2  # banner top and bottom
    assert "SECRET // REL TO CAN, JPN" in report.text  # and the originator's
    for key, vid in seeded["vessels"].items():
        r = client.get(f"/api/v1/vessels/{vid}/history", headers=h)
        assert r.status_code == (200 if key in VISIBLE else 404)
        if key in VISIBLE:
            names = {v["name"] for v in r.json()["history"]}
            assert len(names) == 2  # the two readable identity rows of MMSI 445000001
    assert len(MARKS) == 5


def test_sighting_report_escapes_user_text(client: TestClient) -> None:
    h = _login(client, "kenji")
    evil = "<script>alert(1)</script>"
    body = _sighting(
        asset=evil, vessels=[{"name": evil, "role": "other"}], observations={"notes": evil}
    )
    posted = client.post("/api/v1/sightings", json=body, headers=h)
    assert posted.status_code == 201, posted.text
    sid = posted.json()["id"]
    r = client.get(f"/api/v1/sightings/{sid}/report.html?lang=ja", headers=h)
    assert r.status_code == 200 and "<script>" not in r.text
    assert "&lt;script&gt;" in r.text and "瀬取りの疑い" in r.text
    assert r.text.count("極秘 // REL TO CAN, JPN") >= 2
    assert (
        "about 250 km E of Shanghai"
        in client.get(f"/api/v1/sightings/{sid}/report.html", headers=h).text
    )
    alice = _login(client, "alice")
    hidden = client.post(
        "/api/v1/sightings",
        headers=alice,
        json=_sighting(
            marking={"classification": "SECRET", "releasability": "REL TO CAN", "group": "neon"}
        ),
    ).json()["id"]
    r404 = client.get(f"/api/v1/sightings/{hidden}/report.html", headers=h)
    assert r404.status_code == 404 and r404.json() == {"detail": NOT_FOUND}
