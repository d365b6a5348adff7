"""The published cases (``../shared/data/cases/dprk-sts-sightings.csv``) as sightings.

Each row is one sighting by Japan's Ministry of Defense of a suspected ship-to-ship transfer:
the date (no time, sometimes words like "late night"), the North Korean vessel (name, sometimes
its IMO), the other vessel (name, sometimes a flag), the position as a distance in km and a
compass bearing from a reference point (either may be missing), the detecting asset and the
public source. A row whose distance or bearing is blank loads with an unresolved position
(reference, and whatever was given, kept). The id of each sighting is derived from the row, so
loading the file twice adds nothing.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from neonwatch.sightings.model import ObservedVessel, Sighting, case_id, error_text

COLUMNS = (
    "date",
    "time_of_day",
    "dprk_vessel",
    "dprk_vessel_imo",
    "other_vessel",
    "other_vessel_flag",
    "reference_point",
    "distance_km",
    "bearing",
    "detected_by",
    "public_source",
)
_UNKNOWN = ("unknown",)  # an "unknown ..." name is a description, not a name


def _other(name: str, flag: str) -> tuple[ObservedVessel | None, str | None]:
    """The other vessel (None when the row names and flags nothing) and a note on it."""
    described = name.lower().startswith(_UNKNOWN)
    note = f"other vessel: {name}" if described else None
    if described:
        name = ""
    if not name and not flag:
        return None, note or "other vessel not identified"
    return ObservedVessel(name=name or None, flag=flag or None, role="other"), note


def case_row(row: dict[str, str]) -> Sighting:
    """One row of the cases file as a :class:`Sighting`."""
    cell = {k: (row.get(k) or "").strip() for k in COLUMNS}
    vessels = [
        ObservedVessel.model_validate(
            {
                "name": cell["dprk_vessel"] or None,
                "imo": cell["dprk_vessel_imo"] or None,
                "flag": "North Korea",
                "role": "dprk",
            }
        )
    ]
    other, note = _other(cell["other_vessel"], cell["other_vessel_flag"])
    if other is not None:
        vessels.append(other)
    notes = [note] if note else []
    position: dict[str, Any] | None = None
    if cell["reference_point"]:
        position = {
            "reference": cell["reference_point"],
            "distance": cell["distance_km"] or None,
            "bearing": cell["bearing"] or None,
        }
    data = {
        "id": case_id(cell["date"], cell["dprk_vessel"], cell["other_vessel"], cell["detected_by"]),
        "asset": cell["detected_by"] or "unknown",
        "date": cell["date"],
        "time_of_day": cell["time_of_day"] or None,
        "position": position,
        "vessels": vessels,
        "observations": {
            "notes": "; ".join(["suspected ship-to-ship transfer", *notes]),
            "lights_at_night": None,
        },
        "source": cell["public_source"] or None,
    }
    return Sighting.model_validate(data)


def load_cases(path: Path | str) -> list[Sighting]:
    """Every row of a cases CSV as a sighting; a bad row raises ``ValueError`` naming its line
    and what is wrong."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"{p}: cannot read ({exc.strerror})") from None
    reader = csv.DictReader(text.splitlines())
    fields = reader.fieldnames or []
    missing = [c for c in ("date", "dprk_vessel", "reference_point") if c not in fields]
    if missing:
        raise ValueError(f"{p}: not a cases file, missing columns {', '.join(missing)}")
    out = []
    for line, row in enumerate(reader, start=2):
        try:
            out.append(case_row(row))
        except (ValidationError, ValueError) as exc:
            raise ValueError(f"{p}, line {line}: {error_text(exc)}") from None
    return out
