"""Screening speed: 100,000 vessels against every real list (OFAC SDN, UN consolidated, UN 1718).

Run ``python benchmarks/screen.py`` (``--vessels N`` to change the size). The bar: <= 10 s on
2 cores for matching (IMO, MMSI, call sign, fuzzy names and aliases), identity checks and
vessel risk together; loading the lists is timed apart (it happens once per list version, when
``neonwatch lists add`` stores them).

The vessels are simulated: names built from the words of real ship names (so fuzzy matching
meets many near misses), IMOs with valid check digits, MMSIs under real MIDs (a few under 445).
A few hundred are real listed identities, each in one variant: the exact IMO, a misspelt name
("NO." inserted, spaces dropped, KANG for GANG, a letter lost), or an IMO one digit off. The
script checks that every planted identity is found and prints the time per stage; the last
line is machine-readable::

    screen: vessels=N seconds=S
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from neonwatch.screen.identifiers import imo_check_digit_ok
from neonwatch.screen.identity import identity_checks
from neonwatch.screen.lists import EXAMPLE_1718_CSV, load_csv_list, load_ofac, load_un_consolidated
from neonwatch.screen.match import match_vessels
from neonwatch.screen.risk import vessel_risk

REPO = Path(__file__).resolve().parents[1]
BAR_SECONDS = 10.0
MIDS = np.array([351, 352, 353, 355, 370, 371, 372, 412, 413, 440, 441, 431, 477, 538, 636, 667])


def shared_data() -> Path:
    env = os.environ.get("NEONWATCH_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def load_lists() -> pa.Table:
    folder = shared_data() / "sanctions" / "un-ofac"
    if not folder.is_dir():
        sys.exit(f"{folder}: not found; set NEONWATCH_SHARED_DATA to the shared data folder")
    tables = [
        load_ofac(
            folder / "ofac_sdn_2021-07.csv",
            folder / "ofac_alt_2021-07.csv",
            folder / "ofac_add_2021-07.csv",
        ),
        load_un_consolidated(folder / "UN_consolidated_2026-02-27.xml"),
        load_csv_list(EXAMPLE_1718_CSV),
    ]
    return pa.concat_tables(tables)


def valid_imos(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct IMO numbers with valid check digits (real IMOs are unique per hull)."""
    first = rng.choice(np.arange(100_000, 1_000_000, dtype=np.int64), n, replace=False)
    digits = (first[:, None] // 10 ** np.arange(5, -1, -1)) % 10
    check = (digits * np.arange(7, 1, -1)).sum(axis=1) % 10
    return first * 10 + check


def misspell(name: str, rng: np.random.Generator) -> str:
    """One of the ways a listed name reaches AIS or a sighting report."""
    words = name.split()
    way = int(rng.integers(0, 4))
    if way == 0 and words and words[-1].isdigit():
        return " ".join(words[:-1]) + " NO." + words[-1]
    if way == 1 and len(words) > 1:
        return "".join(words[:-1]) + (" " + words[-1] if len(words) > 1 else "")
    if way == 2 and "GANG" in words:
        return name.replace("GANG", "KANG")
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(letters) > 8:
        i = letters[int(rng.integers(1, len(letters)))]
        return name[:i] + name[i + 1 :]
    return name.lower()


def build_vessels(
    n: int, watchlist: pa.Table, rng: np.random.Generator
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """``n`` vessels, a few hundred of them listed identities; returns the planted (row, way)."""
    w = pl.from_arrow(watchlist)
    assert isinstance(w, pl.DataFrame)
    listed = w.filter((pl.col("entity_type") == "vessel") & pl.col("imo").is_not_null())
    words = sorted(
        {t for name in listed["name"].to_list() for t in name.split() if t.isalpha()}
        | {"OCEAN", "STAR", "PACIFIC", "GLORY", "SEA", "LUCKY", "GOLDEN", "HAI", "XIN", "HUA"}
    )
    vocab = np.array(words)
    a = vocab[rng.integers(0, len(vocab), n)]
    b = vocab[rng.integers(0, len(vocab), n)]
    number = rng.integers(1, 99, n)
    names = [f"{x} {y} {k}" for x, y, k in zip(a, b, number, strict=True)]
    imo = valid_imos(rng, n)
    mid = MIDS[rng.integers(0, len(MIDS), n)]
    mid[rng.random(n) < 0.002] = 445
    mmsi = mid * 1_000_000 + rng.choice(1_000_000, n, replace=False)  # distinct transmitters
    ship_type = rng.choice(np.array([70, 70, 70, 80, 81, 30, 60]), n)
    planted: list[tuple[int, str]] = []
    rows = rng.choice(n, size=min(300, listed.height * 3), replace=False)
    for k, row in enumerate(rows):
        entry = listed.row(k % listed.height, named=True)
        way = ("imo", "name", "imo_off")[k % 3]
        if way == "imo":
            imo[row] = entry["imo"]
            names[row] = entry["name"]
        elif way == "name":
            names[row] = misspell(entry["name"], rng)
        else:
            off = entry["imo"] + (1 if entry["imo"] % 10 < 9 else -1)  # the check digit
            imo[row] = off
        planted.append((int(row), way))
    table = pa.table(
        {
            "mmsi": pa.array(mmsi, pa.int32()),
            "imo": pa.array(imo, pa.int32()),
            "name": pa.array(names, pa.string()),
            "callsign": pa.array([None] * n, pa.string()),
            "ship_type": pa.array(ship_type, pa.int16()),
        }
    )
    return table, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vessels", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1718)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    t0 = time.perf_counter()
    watchlist = load_lists()
    t_lists = time.perf_counter() - t0
    lists = sorted(set(watchlist["list_id"].to_pylist()))
    vessels, planted = build_vessels(args.vessels, watchlist, rng)
    print(f"lists: {', '.join(lists)} ({watchlist.num_rows:,} entries) loaded in {t_lists:.2f} s")
    print(f"vessels: {vessels.num_rows:,} ({len(planted)} planted listed identities)")

    t0 = time.perf_counter()
    hits = match_vessels(vessels, watchlist)
    t_match = time.perf_counter() - t0
    anomalies = identity_checks(vessels, watchlist)
    t_identity = time.perf_counter() - t0 - t_match
    _scores, factors = vessel_risk(vessels, hits, anomalies)
    seconds = time.perf_counter() - t0
    t_risk = seconds - t_match - t_identity

    mmsi = vessels["mmsi"].to_numpy()
    hit_mmsi = set(hits["mmsi"].to_pylist())
    off_mmsi = set(
        anomalies.filter(pa.compute.equal(anomalies["check"], "imo_one_digit_off_listed"))[
            "mmsi"
        ].to_pylist()
    )
    found = {"imo": 0, "name": 0, "imo_off": 0}
    total = {"imo": 0, "name": 0, "imo_off": 0}
    for row, way in planted:
        total[way] += 1
        pool = off_mmsi if way == "imo_off" else hit_mmsi
        found[way] += int(mmsi[row]) in pool
    valid = int(imo_check_digit_ok(vessels["imo"].to_numpy()).sum())
    planted_mmsi = {int(mmsi[row]) for row, _ in planted}
    unplanted = len(hit_mmsi - planted_mmsi)
    print(
        f"match {t_match:.2f} s, identity {t_identity:.2f} s, risk {t_risk:.2f} s "
        f"({os.cpu_count()} cores)"
    )
    print(
        f"hits {hits.num_rows:,} ({len(hit_mmsi):,} vessels), anomalies {anomalies.num_rows:,}, "
        f"risk factors {factors.num_rows:,}, vessels with valid IMO {valid:,}"
    )
    for way in found:
        print(f"planted {way}: found {found[way]}/{total[way]}")
    print(f"hits on vessels not planted: {unplanted} (fuzzy names built from listed words)")
    verdict = "PASS" if seconds <= BAR_SECONDS else "FAIL"
    print(
        f"{verdict} screening {vessels.num_rows:,} vessels in {seconds:.2f} s (bar {BAR_SECONDS} s)"
    )
    print(f"screen: vessels={vessels.num_rows} seconds={seconds:.2f}")


if __name__ == "__main__":
    main()
