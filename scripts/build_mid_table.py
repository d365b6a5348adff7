"""Build ``src/neonwatch/screen/data/mid.csv`` (mid, iso2, country) from pyais's MID table.

The Maritime Identification Digits (the first three digits of a ship's MMSI) name the flag
administration that assigned the MMSI; ITU publishes the allocation. pyais (MIT licence)
carries it as ``pyais.constants.COUNTRY_MAPPING``; we copy it into a CSV so that neonwatch
itself does not import pyais at run time, and write a SOURCE note beside it.

Run: ``.venv/bin/python scripts/build_mid_table.py`` (needs pyais, from the ``test`` extra).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pyais
from pyais.constants import COUNTRY_MAPPING

OUT = Path(__file__).resolve().parents[1] / "src" / "neonwatch" / "screen" / "data"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "mid.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["mid", "iso2", "country"])
        for mid in sorted(COUNTRY_MAPPING):
            iso2, country = COUNTRY_MAPPING[mid]
            writer.writerow([mid, iso2, country])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (OUT / "SOURCE-mid.txt").write_text(
        "SOURCE: pyais " + pyais.__version__ + " (github.com/M0r13n/pyais), "
        "pyais/constants.py COUNTRY_MAPPING, converted by scripts/build_mid_table.py.\n"
        "LICENCE: pyais is MIT (Copyright (c) 2019 M0r13n); the table itself is ITU's public list "
        "of Maritime Identification Digits (ITU-R M.585, MID allocation table).\n"
        f"FILE: mid.csv ({len(COUNTRY_MAPPING)} MIDs) sha256 {digest}\n"
        "USE: the flag administration behind an MMSI's first three digits (MID 445 is North "
        "Korea, 'DPR Korea' here), for neonwatch.screen.identity.\n"
    )
    print(f"{path}: {len(COUNTRY_MAPPING)} MIDs")


if __name__ == "__main__":
    main()
