"""Who the simulated ships are: type, class, speed, size and a plausible identity.

Speeds by type are typical service speeds (cargo 12-16 kn, tankers 11-14, passenger ferries
15-22, fishing 3-10, tugs 6-10, pleasure craft 5-15); large ships carry class A transponders,
pleasure craft class B (SOLAS chapter V regulation 19 makes class A mandatory only for
ships of 300 GT and upwards on international voyages and all passenger ships).
MMSIs start with a real Maritime Identification Digits (MID) code of the flag (ITU MID table),
including flags of convenience and 445, North Korea. IMO numbers carry a valid check digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ShipType:
    name: str
    ais_types: tuple[int, ...]  # AIS "type of ship and cargo" codes (ITU-R M.1371 Table 53)
    class_a: bool
    speed_kn: tuple[float, float]  # service speed range
    length_m: tuple[int, int]
    beam_ratio: float  # beam / length
    draught_m: tuple[float, float]
    weight: float  # share of normal traffic


CARGO = ShipType(
    "cargo", (70, 70, 70, 71, 74, 79), True, (12.0, 16.0), (90, 300), 0.15, (6, 14), 0.32
)
TANKER = ShipType(
    "tanker", (80, 80, 81, 82, 84, 89), True, (11.0, 14.0), (80, 330), 0.17, (5, 17), 0.22
)
PASSENGER = ShipType("passenger", (60, 60, 69), True, (15.0, 22.0), (60, 200), 0.16, (3, 7), 0.05)
FISHING = ShipType("fishing", (30,), True, (3.0, 10.0), (20, 70), 0.22, (2, 6), 0.12)
TUG = ShipType("tug", (52, 52, 31), True, (6.0, 10.0), (20, 40), 0.33, (3, 5), 0.05)
PLEASURE = ShipType("pleasure", (37, 37, 36), False, (5.0, 15.0), (8, 25), 0.3, (1, 3), 0.24)

TYPES = (CARGO, TANKER, PASSENGER, FISHING, TUG, PLEASURE)
FISHING_SPEED_KN = (3.0, 6.0)  # while fishing; the type's upper range is its transit speed

NORTH_KOREA_MID = 445
# Flags of convenience seen on ships in DPRK-related transfers and in general trade.
CONVENIENCE_MIDS = (351, 352, 353, 354, 355, 356, 357, 370, 371, 372, 373, 636, 538, 511, 667)


def imo_check_digit(first_six: int) -> int:
    """IMO check digit: the first six digits weighted 7..2, summed, modulo 10."""
    digits = [int(c) for c in f"{first_six:06d}"]
    return sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10


def valid_imo(imo: int) -> bool:
    return 1_000_000 <= imo <= 9_999_999 and imo % 10 == imo_check_digit(imo // 10)


def make_imo(rng: np.random.Generator, used: set[int], old: bool = False) -> int:
    """A fresh 7-digit IMO number with a valid check digit (9xxxxxx for ships built since the
    1990s, 7/8xxxxxx for older hulls such as most DPRK tankers)."""
    while True:
        lead = int(rng.choice([7, 8])) if old else int(rng.choice([9, 9, 9, 8]))
        six = lead * 100_000 + int(rng.integers(0, 100_000))
        imo = six * 10 + imo_check_digit(six)
        if imo not in used:
            used.add(imo)
            return imo


def make_mmsi(mid: int, rng: np.random.Generator, used: set[int]) -> int:
    """A fresh ship-station MMSI MIDxxxxxx (ITU-R M.585)."""
    while True:
        mmsi = mid * 1_000_000 + int(rng.integers(100_000, 1_000_000))
        if mmsi not in used:
            used.add(mmsi)
            return mmsi


_WORDS = [
    "OCEAN",
    "PACIFIC",
    "ATLANTIC",
    "GOLDEN",
    "SILVER",
    "EASTERN",
    "WESTERN",
    "NORTHERN",
    "SOUTHERN",
    "ROYAL",
    "GRAND",
    "BRIGHT",
    "GLORY",
    "STAR",
    "SPIRIT",
    "PIONEER",
    "EXPRESS",
    "TRADER",
    "PRIDE",
    "FORTUNE",
    "HARMONY",
    "VICTORY",
    "NAVIGATOR",
    "HORIZON",
    "BREEZE",
    "WAVE",
    "PEARL",
    "JADE",
    "LOTUS",
    "CORAL",
    "DOLPHIN",
    "FALCON",
    "PHOENIX",
    "AURORA",
    "MERIDIAN",
    "VOYAGER",
    "ENDEAVOUR",
    "ISLAND",
    "SUNRISE",
    "CRYSTAL",
]
_EAST_ASIA = [
    "XIN",
    "HAI",
    "HUA",
    "YANG",
    "MING",
    "ZHOU",
    "DONG",
    "FANG",
    "HAN",
    "JIN",
    "PAN",
    "SHIN",
    "KAI",
    "YUAN",
    "FU",
    "TAI",
]
_DPRK = [
    "CHON MA SAN",
    "YU JONG",
    "NAM SAN",
    "JI SONG",
    "AN SAN",
    "SAM JONG",
    "PAEK MA",
    "KUM UN SAN",
    "YU SON",
    "SAEBYOL",
    "RYE SONG GANG",
    "CHONG RIM",
    "MU BONG",
    "JANG AN SAN",
]


def make_name(rng: np.random.Generator, region: str, dprk: bool) -> str:
    """A ship name in the style of the region (names repeat in reality too)."""
    if dprk:
        return f"{rng.choice(_DPRK)} {int(rng.integers(1, 20))}"
    if region == "east_asia" and rng.random() < 0.5:
        a, b = rng.choice(_EAST_ASIA, 2, replace=False)
        return f"{a} {b} {int(rng.integers(1, 99))}"
    a, b = rng.choice(_WORDS, 2, replace=False)
    return f"{a} {b}" if rng.random() < 0.6 else f"{a} {int(rng.integers(1, 30))}"


def make_callsign(rng: np.random.Generator) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    n = int(rng.integers(4, 7))
    chars = [letters[int(i)] for i in rng.integers(0, 26, 2)]
    chars += ["0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[int(i)] for i in rng.integers(0, 36, n - 2)]
    return "".join(chars)


@dataclass
class Vessel:
    """One simulated transmitter and the ship behind it."""

    index: int
    mmsi: int
    type: ShipType
    ais_type: int
    speed_kn: float
    region: str
    imo: int | None
    name: str
    callsign: str
    length_m: int
    beam_m: int
    draught_m: float
    destination: str = ""
    role: str = "normal"  # normal, anchorage, or the scenario it plays a part in

    @property
    def class_a(self) -> bool:
        return self.type.class_a


def make_vessel(
    index: int,
    ship_type: ShipType,
    region: str,
    mids: tuple[int, ...],
    rng: np.random.Generator,
    used_mmsi: set[int],
    used_imo: set[int],
    dprk: bool = False,
) -> Vessel:
    """A vessel of ``ship_type`` flagged by one of ``mids`` (North Korea when ``dprk``)."""
    mid = NORTH_KOREA_MID if dprk else int(rng.choice(mids))
    ais_type = int(rng.choice(ship_type.ais_types))
    if dprk and ship_type is TANKER:
        ais_type = int(rng.choice((80, 80, 81, 82, 89)))
    length = int(rng.integers(ship_type.length_m[0], ship_type.length_m[1] + 1))
    lo, hi = ship_type.speed_kn
    return Vessel(
        index=index,
        mmsi=make_mmsi(mid, rng, used_mmsi),
        type=ship_type,
        ais_type=ais_type,
        speed_kn=float(rng.uniform(lo, hi)),
        region=region,
        imo=make_imo(rng, used_imo, old=dprk) if ship_type.class_a else None,
        name=make_name(rng, region, dprk),
        callsign=make_callsign(rng),
        length_m=length,
        beam_m=max(3, round(length * ship_type.beam_ratio)),
        draught_m=round(float(rng.uniform(*ship_type.draught_m)), 1),
    )


def pick_type(rng: np.random.Generator) -> ShipType:
    weights = np.array([t.weight for t in TYPES])
    return TYPES[int(rng.choice(len(TYPES), p=weights / weights.sum()))]
