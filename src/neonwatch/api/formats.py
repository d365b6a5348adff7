"""Export writers: one function per format, each a pure function of features and a banner.

An export is a list of :class:`Feature` (a point or a line, or no geometry, and flat
properties that already carry the record's markings) and the marking banner of the whole file
(the highest marking in it). Each writer gives the bytes of one file:

* :func:`to_geojson` -- RFC 7946 FeatureCollection, the banner as a foreign member.
* :func:`to_csv` -- the banner in ``#`` comment lines above the header, one row per feature
  with ``lon``/``lat`` (points) or ``wkt`` (lines).
* :func:`to_kml` -- KML 2.2 (opens in Google Earth), built with ElementTree so every text is
  escaped; the banner in the document's name and description and in every placemark's.
* :func:`to_geoparquet` -- GeoParquet 1.1: WKB geometry column and the ``geo`` metadata key,
  the banner in the file's metadata too.

Keeping them here, apart from the routes, lets tests parse each one back, and lets the CLI or a
notebook write the same files.
"""

from __future__ import annotations

import csv
import io
import json
import math
import struct
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

FORMATS = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "kml": "application/vnd.google-earth.kml+xml",
    "parquet": "application/vnd.apache.parquet",
}
KML_NS = "http://www.opengis.net/kml/2.2"
GEOPARQUET_VERSION = "1.1.0"


@dataclass(frozen=True)
class Feature:
    """One exported record: ``coords`` is ``[(lon, lat)]`` for a point, two or more pairs for
    a line, empty when the record has no position; ``properties`` are flat values (text,
    numbers, booleans, None; anything else is written as JSON text)."""

    coords: Sequence[tuple[float, float]]
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str | None:
        """ "Point", "LineString" or None."""
        usable = [c for c in self.coords if all(math.isfinite(v) for v in c)]
        if not usable:
            return None
        return "Point" if len(usable) == 1 else "LineString"

    def points(self) -> list[tuple[float, float]]:
        return [(float(x), float(y)) for x, y in self.coords if math.isfinite(x + y)]


def _flat(v: Any) -> Any:
    if v is None or isinstance(v, str | int | float | bool):
        return v
    return json.dumps(v, ensure_ascii=False, default=str)


def _columns(features: Sequence[Feature]) -> list[str]:
    cols: dict[str, None] = {}
    for f in features:
        cols.update(dict.fromkeys(f.properties))
    return list(cols)


def geometry_json(f: Feature) -> dict[str, Any] | None:
    kind = f.kind
    if kind is None:
        return None
    pts = f.points()
    return {
        "type": kind,
        "coordinates": list(pts[0]) if kind == "Point" else [list(p) for p in pts],
    }


def to_geojson(features: Sequence[Feature], banner: str, title: str = "") -> bytes:
    """A GeoJSON FeatureCollection; ``marking`` (the banner) and ``title`` as foreign members."""
    doc = {
        "type": "FeatureCollection",
        "marking": banner,
        "title": title,
        "features": [
            {
                "type": "Feature",
                "geometry": geometry_json(f),
                "properties": {k: _flat(v) for k, v in f.properties.items()},
            }
            for f in features
        ],
    }
    return json.dumps(doc, ensure_ascii=False).encode()


def _wkt(f: Feature) -> str:
    kind = f.kind
    if kind is None:
        return ""
    body = ", ".join(f"{x:.6f} {y:.6f}" for x, y in f.points())
    return f"POINT ({body})" if kind == "Point" else f"LINESTRING ({body})"


def to_csv(features: Sequence[Feature], banner: str, title: str = "") -> bytes:
    """CSV with the banner in ``#`` comment lines first (read it back with
    ``csv.reader`` after skipping lines that start with ``#``)."""
    buf = io.StringIO()
    buf.write(f"# {banner}\n")
    if title:
        buf.write(f"# {' '.join(title.split())}\n")
    cols = _columns(features)
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["lon", "lat", "wkt", *cols])
    for f in features:
        pts = f.points()
        lon, lat = (pts[0] if f.kind == "Point" else (None, None)) if pts else (None, None)
        w.writerow(
            [
                "" if lon is None else f"{lon:.6f}",
                "" if lat is None else f"{lat:.6f}",
                _wkt(f) if f.kind == "LineString" else "",
                *["" if f.properties.get(c) is None else _flat(f.properties.get(c)) for c in cols],
            ]
        )
    return buf.getvalue().encode("utf-8")


def to_kml(
    features: Sequence[Feature], banner: str, title: str = "", name_key: str = "name"
) -> bytes:
    """KML 2.2: one Placemark per feature with a position (a record without one cannot be
    placed, so it is not in the file), its properties as ExtendedData, the banner in the
    document and in every placemark's description."""
    ET.register_namespace("", KML_NS)
    q = f"{{{KML_NS}}}"
    root = ET.Element(f"{q}kml")
    doc = ET.SubElement(root, f"{q}Document")
    ET.SubElement(doc, f"{q}name").text = f"{banner} — {title}" if title else banner
    ET.SubElement(doc, f"{q}description").text = banner
    for f in features:
        kind = f.kind
        if kind is None:
            continue
        pm = ET.SubElement(doc, f"{q}Placemark")
        name = f.properties.get(name_key)
        ET.SubElement(pm, f"{q}name").text = str(name if name is not None else "")
        marking = f.properties.get("marking") or banner
        ET.SubElement(pm, f"{q}description").text = f"{marking}"
        ext = ET.SubElement(pm, f"{q}ExtendedData")
        for k, v in f.properties.items():
            data = ET.SubElement(ext, f"{q}Data", name=str(k))
            ET.SubElement(data, f"{q}value").text = "" if v is None else str(_flat(v))
        coords = " ".join(f"{x:.6f},{y:.6f}" for x, y in f.points())
        geom = ET.SubElement(pm, f"{q}{kind}")
        ET.SubElement(geom, f"{q}coordinates").text = coords
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def wkb(f: Feature) -> bytes | None:
    """ISO WKB (little-endian) of a feature's point or line; None without a position."""
    kind = f.kind
    if kind is None:
        return None
    pts = f.points()
    if kind == "Point":
        return struct.pack("<BIdd", 1, 1, *pts[0])
    return struct.pack("<BII", 1, 2, len(pts)) + b"".join(struct.pack("<dd", *p) for p in pts)


def _arrow_column(values: list[Any]) -> pa.Array:
    kinds = {type(v) for v in values if v is not None}
    if kinds and kinds <= {bool}:
        return pa.array(values, pa.bool_())
    if kinds and kinds <= {int}:
        return pa.array(values, pa.int64())
    if kinds and kinds <= {int, float}:
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    return pa.array([None if v is None else str(_flat(v)) for v in values], pa.string())


def to_geoparquet(features: Sequence[Feature], banner: str, title: str = "") -> bytes:
    """GeoParquet 1.1 (WKB ``geometry``, CRS OGC:CRS84 by default, ``geo`` metadata with the
    geometry types and bbox); the banner under the ``neonwatch:marking`` metadata key."""
    cols = _columns(features)
    arrays = {c: _arrow_column([f.properties.get(c) for f in features]) for c in cols}
    geoms = [wkb(f) for f in features]
    arrays["geometry"] = pa.array(geoms, pa.binary())
    table = pa.table(arrays)
    pts = [p for f in features for p in f.points()]
    types = sorted({k for f in features if (k := f.kind) is not None})
    column: dict[str, Any] = {"encoding": "WKB", "geometry_types": types}
    if pts:
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        column["bbox"] = [min(xs), min(ys), max(xs), max(ys)]
    geo = {
        "version": GEOPARQUET_VERSION,
        "primary_column": "geometry",
        "columns": {"geometry": column},
    }
    meta = dict(table.schema.metadata or {})
    meta[b"geo"] = json.dumps(geo).encode()
    meta[b"neonwatch:marking"] = banner.encode()
    meta[b"neonwatch:title"] = title.encode()
    table = table.replace_schema_metadata(meta)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


WRITERS = {"geojson": to_geojson, "csv": to_csv, "kml": to_kml, "parquet": to_geoparquet}


def write(fmt: str, features: Sequence[Feature], banner: str, title: str = "") -> bytes:
    """The bytes of ``features`` in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in WRITERS:
        raise ValueError(f"format {fmt!r}: one of {', '.join(WRITERS)}")
    return WRITERS[fmt](features, banner, title)
