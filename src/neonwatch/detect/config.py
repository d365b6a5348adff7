"""Detection thresholds as data: ``defaults.toml`` (each value with its source) plus a user's
overrides. A rule reports the section it used with every event, so a finding can be traced
to the exact numbers behind it."""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Tracks:
    grid_minutes: float
    max_interpolation_h: float
    max_speed_kn: float
    min_jump_km: float
    stale_h: float
    teleport_max_points: int
    shared_min_points: int
    shared_min_overlap_h: float


@dataclass(frozen=True)
class Encounter:
    max_distance_m: float
    min_duration_h: float
    max_median_sog_kn: float
    min_port_distance_km: float
    min_shore_distance_km: float
    in_port: bool
    merge_gap_h: float
    candidate_sog_kn: float


@dataclass(frozen=True)
class Loitering:
    max_sog_kn: float
    min_duration_h: float
    min_shore_distance_nm: float
    merge_gap_h: float


@dataclass(frozen=True)
class Gap:
    min_duration_h: float
    max_duration_h: float


@dataclass(frozen=True)
class AisDisabling:
    min_duration_h: float
    min_shore_distance_nm: float


@dataclass(frozen=True)
class DarkRendezvous:
    max_distance_km: float
    time_slack_h: float
    min_gap_h: float
    both_dark_max_distance_km: float
    both_dark_min_overlap_h: float
    min_port_distance_km: float
    min_shore_distance_km: float


@dataclass(frozen=True)
class Teleport:
    max_speed_kn: float
    min_distance_km: float


@dataclass(frozen=True)
class Run:
    overlap_h: float


@dataclass(frozen=True)
class Config:
    tracks: Tracks
    encounter: Encounter
    loitering: Loitering
    gap: Gap
    ais_disabling: AisDisabling
    dark_rendezvous: DarkRendezvous
    teleport: Teleport
    run: Run

    def section_json(self, name: str) -> str:
        """The thresholds of one section, as recorded on each event it produced."""
        return json.dumps(asdict(getattr(self, name)), sort_keys=True)


def _defaults() -> dict[str, dict[str, Any]]:
    text = resources.files("neonwatch.detect").joinpath("defaults.toml").read_text()
    return tomllib.loads(text)


def load_config(path: Path | str | None = None) -> Config:
    """Defaults, overridden by the sections and keys of the TOML file at ``path``."""
    data = _defaults()
    if path is not None:
        user = tomllib.loads(Path(path).read_text())
        for section, values in user.items():
            if section not in data:
                raise ValueError(
                    f"{path}: unknown section [{section}]; known: {', '.join(sorted(data))}"
                )
            unknown = set(values) - set(data[section])
            if unknown:
                raise ValueError(
                    f"{path}: unknown key(s) {', '.join(sorted(unknown))} in [{section}]; "
                    f"known: {', '.join(sorted(data[section]))}"
                )
            data[section].update(values)
    sections = {}
    for f in fields(Config):
        cls = f.type if isinstance(f.type, type) else globals()[str(f.type)]
        sections[f.name] = cls(**data[f.name])
    return Config(**sections)
