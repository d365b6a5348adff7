"""Build the compact geographic reference shipped in ``src/neonwatch/geo/data``.

Why: the detectors need coastline, land, port and anchorage data on machines that do not have
the shared data folder, so the originals are reduced once, here, to a few MB of package data.

Reads (from ``--reference``, default ``../shared/data/reference`` beside the repository):
  natural-earth/ne_10m_coastline.7z, ne_10m_land.7z, ne_10m_minor_islands.json
  gfw-anchorages/anchorage_overrides.csv, WPI_ports.csv
Writes (to ``--out``, default ``src/neonwatch/geo/data``):
  coastline.npz  10m coastline + minor-island outlines, 1e-5° integer deltas
  land.npz       10m land + minor islands as a 1/60° bit grid (cell centre inside => land)
  ports.parquet  WPI ports and GFW named anchorages: name, iso3, lat, lon, source
  nodes.npz      for every node of a 0.25° grid, its nearest (densified) coastline point and
                 its nearest port, which the searches start from
  SOURCE.txt     origins, licences, checksums and what was done to them

Needs, besides neonwatch's own dependencies: ``pip install py7zr scipy`` (the .7z GeoJSON and
a k-d tree for the one-off node grids; neither is needed at run time). Takes about a minute
on one core.

Usage: python scripts/build_geo_reference.py [--reference DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from neonwatch.geo.reference import BUCKET_DEG, COAST_SPACING_KM, COORD_QUANTUM, densify
from neonwatch.geo.sphere import unit_vectors

REPO = Path(__file__).resolve().parents[1]
LAND_CELLS_PER_DEGREE = 60
NODE_STEP_DEG = 0.25

Ring = npt.NDArray[np.float64]


def read_geojson(path: Path) -> dict[str, Any]:
    """A GeoJSON file, or the single GeoJSON inside a .7z archive."""
    if path.suffix != ".7z":
        return dict(json.loads(path.read_text()))
    import py7zr  # build-time only

    with tempfile.TemporaryDirectory() as tmp, py7zr.SevenZipFile(path) as archive:
        archive.extractall(tmp)
        (inner,) = Path(tmp).glob("*json")
        return dict(json.loads(inner.read_text()))


def rings(geojson: dict[str, Any], holes: bool) -> list[Ring]:
    """Every line or polygon ring (exterior only unless ``holes``) as (n, 2) lon/lat."""
    out: list[Ring] = []
    for feature in geojson["features"]:
        geom = feature["geometry"]
        kind, coords = geom["type"], geom["coordinates"]
        if kind == "LineString":
            parts = [coords]
        elif kind == "MultiLineString":
            parts = coords
        elif kind == "Polygon":
            parts = coords if holes else coords[:1]
        elif kind == "MultiPolygon":
            parts = [r for poly in coords for r in (poly if holes else poly[:1])]
        else:
            raise ValueError(f"unexpected geometry {kind}")
        out.extend(np.asarray(p, dtype=np.float64) for p in parts)
    return out


def quantised_lines(lines: list[Ring]) -> tuple[npt.NDArray[np.int64], ...]:
    """Lines as 1e-5° integers, consecutive repeats dropped, lines under 2 vertices dropped."""
    lats, lons, lens = [], [], []
    for line in lines:
        q = np.round(line / COORD_QUANTUM).astype(np.int64)
        keep = np.ones(len(q), dtype=bool)
        keep[1:] = np.any(q[1:] != q[:-1], axis=1)
        q = q[keep]
        if len(q) >= 2:
            lons.append(q[:, 0])
            lats.append(q[:, 1])
            lens.append(len(q))
    return np.concatenate(lats), np.concatenate(lons), np.asarray(lens, dtype=np.int64)


def build_coastline(
    ne: Path, out: Path
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int32]]:
    """Write coastline.npz; return the coordinates exactly as neonwatch will decode them."""
    lines = rings(read_geojson(ne / "ne_10m_coastline.7z"), holes=False)
    islands = rings(read_geojson(ne / "ne_10m_minor_islands.json"), holes=False)
    qlat, qlon, lens = quantised_lines(lines + islands)
    dlat = np.diff(qlat, prepend=0).astype(np.int32)
    dlon = np.diff(qlon, prepend=0).astype(np.int32)
    np.savez_compressed(out / "coastline.npz", dlat=dlat, dlon=dlon, line_len=lens.astype(np.int32))
    print(f"coastline: {len(lines)} lines + {len(islands)} islands, {qlat.size} vertices")
    lat = np.cumsum(dlat.astype(np.int64)).astype(np.float64) * COORD_QUANTUM
    lon = np.cumsum(dlon.astype(np.int64)).astype(np.float64) * COORD_QUANTUM
    return lat, lon, lens.astype(np.int32)


def rasterise(polygons: list[Ring], cells_per_degree: int) -> npt.NDArray[np.bool_]:
    """Even-odd scanline fill: a cell is set when its centre is inside. Rings of one layer do
    not overlap in Natural Earth, so even-odd over the whole layer is the polygons' interior
    (holes included)."""
    res = cells_per_degree
    h, w = 180 * res, 360 * res
    xs = np.concatenate([np.stack([r[:-1, 0], r[1:, 0]], 1) for r in polygons])
    ys = np.concatenate([np.stack([r[:-1, 1], r[1:, 1]], 1) for r in polygons])
    xs = (xs + 180.0) * res - 0.5  # cell centres at integers
    ys = (ys + 90.0) * res - 0.5
    row0 = np.ceil(ys.min(1)).astype(np.int64)
    count = np.ceil(ys.max(1)).astype(np.int64) - row0  # rows whose centre the edge crosses
    keep = count > 0
    xs, ys, row0, count = xs[keep], ys[keep], row0[keep], count[keep]
    edge = np.repeat(np.arange(count.size), count)
    row = np.repeat(row0, count) + np.arange(edge.size) - np.repeat(np.cumsum(count) - count, count)
    x0, x1, y0, y1 = xs[edge, 0], xs[edge, 1], ys[edge, 0], ys[edge, 1]
    xc = x0 + (row - y0) * (x1 - x0) / (y1 - y0)
    o = np.lexsort((xc, row))
    row, xc = row[o], xc[o]
    if np.any(np.bincount(row, minlength=h) % 2):
        raise ValueError("odd number of crossings on a row: rings not closed?")
    start = np.clip(np.ceil(xc[0::2]), 0, w).astype(np.int64)
    stop = np.clip(np.ceil(xc[1::2]), 0, w).astype(np.int64)
    diff = np.zeros((h, w + 1), dtype=np.int8)
    np.add.at(diff, (row[0::2], start), 1)
    np.add.at(diff, (row[0::2], stop), -1)
    return np.cumsum(diff[:, :w], axis=1, dtype=np.int8) > 0


def build_land(ne: Path, out: Path) -> None:
    land = rasterise(rings(read_geojson(ne / "ne_10m_land.7z"), holes=True), LAND_CELLS_PER_DEGREE)
    islands = rings(read_geojson(ne / "ne_10m_minor_islands.json"), holes=True)
    land |= rasterise(islands, LAND_CELLS_PER_DEGREE)
    np.savez_compressed(
        out / "land.npz",
        bits=np.packbits(land, axis=1),
        cells_per_degree=np.int64(LAND_CELLS_PER_DEGREE),
    )
    print(f"land: {land.shape[0]}x{land.shape[1]} cells, {land.mean():.1%} land")


def build_ports(gfw: Path, out: Path) -> pl.DataFrame:
    wpi = pl.read_csv(gfw / "WPI_ports.csv", infer_schema_length=0).select(
        name=pl.col("label").str.strip_chars(),
        iso3=pl.col("iso3").str.strip_chars(),
        lat=pl.col("latitude").str.strip_chars().cast(pl.Float64),
        lon=pl.col("longitude").str.strip_chars().cast(pl.Float64),
        source=pl.lit("wpi"),
    )
    gfw_raw = pl.read_csv(gfw / "anchorage_overrides.csv", infer_schema_length=0)
    sub = pl.col("sublabel").str.strip_chars()
    label = pl.col("label").str.strip_chars()
    # The sublabel is worth showing when it names something (not the S2 cell id, not a copy
    # of the label): "FUJAIRAH (FUJAIRAH OFFSHORE)", "BAYUQUAN (YINGKOU)".
    named = sub.is_not_null() & (sub != pl.col("s2id")) & (sub != label)
    anchorages = gfw_raw.select(
        name=pl.when(named).then(label + " (" + sub + ")").otherwise(label),
        iso3=pl.col("iso3").str.strip_chars(),
        lat=pl.col("latitude").str.strip_chars().cast(pl.Float64),
        lon=pl.col("longitude").str.strip_chars().cast(pl.Float64),
        source=pl.lit("gfw_anchorage"),
    )
    ports = pl.concat([wpi, anchorages])
    # One GFW row ("OU", no country) sits at the North Pole: a placeholder, not a port; one
    # (POINTE NOIRE, COG) has longitude 1001.
    valid = (pl.col("lat").abs() < 89.9) & (pl.col("lon").abs() <= 180.0)
    dropped = ports.filter(~valid)
    print(f"ports: dropped {dropped.height} invalid rows: {dropped.rows()}")
    ports = ports.filter(valid).with_columns(pl.col("lat").round(6), pl.col("lon").round(6))
    ports.write_parquet(out / "ports.parquet", compression="zstd", compression_level=19)
    print(f"ports: {ports.height} ({(ports['source'] == 'wpi').sum()} WPI)")
    return ports


def node_nearest(points: npt.NDArray[np.float64]) -> npt.NDArray[np.int32]:
    """Index of the nearest of ``points`` (unit vectors) to each 0.25° grid node, exactly."""
    from scipy.spatial import cKDTree  # build-time only

    lat = np.linspace(-90.0, 90.0, round(180 / NODE_STEP_DEG) + 1)
    lon = np.linspace(-180.0, 180.0, round(360 / NODE_STEP_DEG) + 1)
    glat, glon = np.meshgrid(lat, lon, indexing="ij")
    _, nearest = cKDTree(points).query(unit_vectors(glat.ravel(), glon.ravel()), workers=2)
    return np.asarray(nearest, dtype=np.int32).reshape(glat.shape)


def build_nodes(
    coast: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int32]],
    ports: pl.DataFrame,
    out: Path,
) -> None:
    lat, lon, lens = coast
    v, _ = densify(lat, lon, lens, COAST_SPACING_KM)
    np.savez_compressed(
        out / "nodes.npz",
        coast_nearest=node_nearest(v),
        port_nearest=node_nearest(unit_vectors(ports["lat"].to_numpy(), ports["lon"].to_numpy())),
        coast_points=np.int64(v.shape[0]),
        step_deg=np.float64(NODE_STEP_DEG),
    )
    print(f"nodes: {v.shape[0]} densified coast points")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_of(folder: Path) -> str:
    """Repository, commit and date from the first line of a reference folder's SOURCE.txt."""
    text = (folder / "SOURCE.txt").read_text().splitlines()
    if not text:
        return "(no SOURCE.txt)"
    head = text[0].removeprefix("SOURCE: ")
    return head.split("): ")[0] + ")" if "): " in head else head


def write_source(reference: Path, out: Path) -> None:
    ne, gfw = reference / "natural-earth", reference / "gfw-anchorages"
    inputs = [
        ne / "ne_10m_coastline.7z",
        ne / "ne_10m_land.7z",
        ne / "ne_10m_minor_islands.json",
        gfw / "anchorage_overrides.csv",
        gfw / "WPI_ports.csv",
    ]
    outputs = ["coastline.npz", "land.npz", "ports.parquet", "nodes.npz"]
    buf = io.StringIO()
    w = buf.write
    w("Geographic reference data for neonwatch.geo, built by scripts/build_geo_reference.py.\n")
    w("Real public data, reduced; not written by this project.\n\n")
    w("ORIGINS\n")
    w(f"  Natural Earth, via {source_of(ne)}\n")
    w("    files 10m/physical/ne_10m_coastline.7z, ne_10m_land.7z, ne_10m_minor_islands.json\n")
    w("    licence: public domain (Natural Earth terms of use); repository licence CC0 1.0\n")
    w(f"  GFW anchorages and World Port Index, via {source_of(gfw)}\n")
    w("    files pipe_anchorages/data/port_lists/anchorage_overrides.csv, WPI_ports.csv\n")
    w("    licence: GFW anchorages_pipeline is Apache-2.0; World Port Index (NGA Pub. 150)\n")
    w("    is a US Government work in the public domain\n\n")
    w("WHAT WAS DONE\n")
    w("  coastline.npz: ne_10m_coastline lines + ne_10m_minor_islands exterior rings,\n")
    w("    rounded to 1e-5 degree, consecutive repeats dropped, stored as int32 deltas\n")
    w("    (cumsum * 1e-5 gives lat/lon) with per-line vertex counts.\n")
    w("  land.npz: ne_10m_land (its one hole, the Caspian, kept) + minor islands, rasterised\n")
    w(f"    at {LAND_CELLS_PER_DEGREE} cells per degree (cell = land if its centre is inside),\n")
    w("    rows from 90S, columns from 180W, bits packed along rows (numpy.packbits).\n")
    w("  ports.parquet: WPI_ports (label) and anchorage_overrides (label, plus the sublabel in\n")
    w("    parentheses when it is neither the S2 cell id nor the label); coordinates rounded\n")
    w("    to 1e-6 degree; two GFW rows dropped: a North Pole placeholder ('OU', no country)\n")
    w("    and 'POINTE NOIRE' (COG) whose longitude reads 1001.\n")
    w(f"  nodes.npz: for each node of a {NODE_STEP_DEG} degree grid (rows from 90S, columns\n")
    w("    from 180W, both ends included) the index of the nearest coastline point (lines\n")
    w(f"    densified to <= {COAST_SPACING_KM} km, in the order neonwatch.geo.reference.densify\n")
    w("    gives) and of the nearest port (row of ports.parquet); computed, not source data.\n")
    w(f"  Search buckets ({BUCKET_DEG} degree) are built at run time.\n\n")
    w("INPUTS (bytes, sha256)\n")
    for p in inputs:
        w(f"  {p.parent.name}/{p.name}\t{p.stat().st_size}\t{sha256(p)}\n")
    w("\nOUTPUTS (bytes, sha256)\n")
    for name in outputs:
        p = out / name
        w(f"  {name}\t{p.stat().st_size}\t{sha256(p)}\n")
    (out / "SOURCE.txt").write_text(buf.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reference", type=Path, default=REPO.parent / "shared" / "data" / "reference"
    )
    parser.add_argument("--out", type=Path, default=REPO / "src" / "neonwatch" / "geo" / "data")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    coast = build_coastline(args.reference / "natural-earth", out)
    build_land(args.reference / "natural-earth", out)
    ports = build_ports(args.reference / "gfw-anchorages", out)
    build_nodes(coast, ports, out)
    write_source(args.reference, out)
    total = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {out} ({total / 1e6:.2f} MB) in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
