"""The sighting report: what a patrol ship or aircraft saw, where and when.

A position comes either as latitude/longitude or, the way Japan's Ministry of Defense publishes
it, as a distance and a bearing from a named reference point ("about 250 km E of Shanghai").
The second form is converted on the WGS84 ellipsoid with :class:`pyproj.Geod` (the direct
geodesic problem, Karney's algorithm), and both the given form and the computed point are kept,
so nobody later mistakes a converted estimate for a GNSS fix. A report may leave the distance or
the bearing out (the published cases sometimes do); its position is then unresolved (no lat/lon)
but the reference, distance and bearing that were given are kept.

Every model refuses unknown fields, so a typo ("hose_connected") is an error, not silently
dropped evidence.
"""

from __future__ import annotations

import re
import tomllib
import uuid
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pyproj import Geod

from neonwatch.screen.identifiers import imo_check_digit_ok

NM_KM = 1.852
# The 16 points of the compass rose, 22.5 degrees apart, clockwise from north.
COMPASS: tuple[str, ...] = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE")
COMPASS += ("S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")
_WORDS = {"NORTH": "N", "EAST": "E", "SOUTH": "S", "WEST": "W"}
_GEOD = Geod(ellps="WGS84")
# Namespace of sighting ids derived from their content (cases files); never change it.
_Date = date  # aliases: the Sighting fields are named date and time
_Time = time
SIGHTING_NAMESPACE = uuid.UUID("6c1f3f0e-5a55-5b0e-8d3c-5349474854ee")


@cache
def reference_points() -> dict[str, dict[str, Any]]:
    """The named reference points (``reference_points.toml``): name -> lat, lon, aliases,
    source."""
    text = resources.files("neonwatch.sightings").joinpath("reference_points.toml").read_text()
    return dict(tomllib.loads(text)["points"])


def reference_point(name: str) -> tuple[str, float, float]:
    """The canonical name and coordinates of reference point ``name`` (case-insensitive, aliases
    accepted); a clear ``ValueError`` naming the known points otherwise."""
    key = name.strip().casefold()
    for canonical, p in reference_points().items():
        if key == canonical.casefold() or key in {a.casefold() for a in p.get("aliases", [])}:
            return canonical, float(p["lat"]), float(p["lon"])
    known = ", ".join(reference_points())
    raise ValueError(f"unknown reference point {name!r}; known points: {known}")


def parse_bearing(value: str | float | int) -> float:
    """Degrees true in [0, 360) from a number ("95", 95.0) or a compass point of the 16-point
    rose ("E", "SSE", "east")."""
    if isinstance(value, bool):
        raise ValueError(f"bearing {value!r}: give degrees (0-360) or a compass point like E, SE")
    if isinstance(value, int | float):
        deg = float(value)
    else:
        text = value.strip().upper().replace("°", "").replace("DEG", "").strip()
        text = _WORDS.get(text, text)
        if text in COMPASS:
            return COMPASS.index(text) * 22.5
        try:
            deg = float(text)
        except ValueError:
            raise ValueError(
                f"bearing {value!r}: not degrees (0-360) nor a compass point ({', '.join(COMPASS)})"
            ) from None
    if not 0.0 <= deg <= 360.0 or deg != deg:
        raise ValueError(f"bearing {value!r}: degrees must be between 0 and 360")
    return deg % 360.0


def parse_distance_km(value: str | float | int) -> float:
    """Kilometres from a number (km) or a string with its unit: "250km", "250 km", "135nm",
    "135 NM" (nautical miles)."""
    if isinstance(value, bool):
        raise ValueError(f"distance {value!r}: give a number with km or nm")
    if isinstance(value, int | float):
        km = float(value)
    else:
        m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*(km|nm|nmi|m)?\s*", value, re.IGNORECASE)
        if not m:
            raise ValueError(f"distance {value!r}: expected a number with km or nm, e.g. 250km")
        km = float(m.group(1))
        unit = (m.group(2) or "km").lower()
        if unit in ("nm", "nmi"):
            km *= NM_KM
        elif unit == "m":
            km /= 1000.0
    if not 0.0 <= km <= 20_000.0 or km != km:
        raise ValueError(f"distance {value!r}: must be between 0 and 20000 km")
    return km


def destination(lat: float, lon: float, bearing_deg: float, km: float) -> tuple[float, float]:
    """The point ``km`` from (lat, lon) along the initial bearing ``bearing_deg`` on the WGS84
    ellipsoid (pyproj's direct geodesic)."""
    lon2, lat2, _ = _GEOD.fwd(lon, lat, bearing_deg, km * 1000.0)
    return float(lat2), float(lon2)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Position(_Strict):
    """Where: ``lat``/``lon`` (decimal degrees, WGS84), or ``reference`` + ``distance_km`` +
    ``bearing`` (from which lat/lon are computed). Given both ways at once is refused."""

    lat: float | None = None
    lon: float | None = None
    reference: str | None = None
    distance_km: float | None = None
    bearing_deg: float | None = None
    bearing: str | None = None  # as reported ("E", "95")
    computed: bool = False  # lat/lon derived from reference, distance and bearing

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        d = dict(data)
        if "distance" in d:
            raw = d.pop("distance")
            d["distance_km"] = None if raw in (None, "") else parse_distance_km(raw)
        elif d.get("distance_km") not in (None, ""):
            d["distance_km"] = parse_distance_km(d["distance_km"])
        raw_bearing = d.get("bearing")
        if raw_bearing not in (None, ""):
            if d.get("bearing_deg") is None:
                d["bearing_deg"] = parse_bearing(raw_bearing)
            d["bearing"] = str(raw_bearing)
        elif d.get("bearing_deg") is not None:
            d["bearing_deg"] = parse_bearing(d["bearing_deg"])
        has_latlon = d.get("lat") is not None or d.get("lon") is not None
        has_ref = any(d.get(k) not in (None, "") for k in ("reference", "distance_km", "bearing"))
        if has_latlon and has_ref and not d.get("computed"):
            raise ValueError(
                "position: give lat/lon or a distance and bearing from a reference point, not both"
            )
        if has_latlon and (d.get("lat") is None or d.get("lon") is None):
            raise ValueError("position: lat and lon go together; one of them is missing")
        if has_ref and not has_latlon:
            if not d.get("reference"):
                raise ValueError("position: a distance or bearing needs a reference point")
            name, rlat, rlon = reference_point(str(d["reference"]))
            d["reference"] = name
            if d.get("distance_km") is not None and d.get("bearing_deg") is not None:
                d["lat"], d["lon"] = destination(rlat, rlon, d["bearing_deg"], d["distance_km"])
                d["computed"] = True
        return d

    @field_validator("lat")
    @classmethod
    def _lat(cls, v: float | None) -> float | None:
        if v is not None and not -90.0 <= v <= 90.0:
            raise ValueError(f"latitude {v} is impossible: must be between -90 and 90")
        return v

    @field_validator("lon")
    @classmethod
    def _lon(cls, v: float | None) -> float | None:
        if v is not None and not -180.0 <= v <= 180.0:
            raise ValueError(f"longitude {v} is impossible: must be between -180 and 180")
        return v

    @property
    def resolved(self) -> bool:
        """Whether a point is known (given, or computed from a complete distance and bearing)."""
        return self.lat is not None and self.lon is not None

    def describe(self) -> str:
        """The position in words, as given."""
        if self.reference:
            dist = f"{self.distance_km:.0f} km" if self.distance_km is not None else "? km"
            brg = self.bearing or (f"{self.bearing_deg:.0f}°" if self.bearing_deg else "?")
            where = f"{dist} {brg} of {self.reference}"
            if self.resolved:
                where += f" ({self.lat:.3f}, {self.lon:.3f})"
            return where
        if self.resolved:
            return f"{self.lat:.4f}, {self.lon:.4f}"
        return "unknown"


Role = Literal["dprk", "other", "unknown"]


class ObservedVessel(_Strict):
    """One vessel seen: any of name, IMO, MMSI, flag, the name painted on the hull, and its
    role in the transfer (``dprk`` for the North Korean side)."""

    name: str | None = None
    imo: int | None = None
    mmsi: int | None = None
    flag: str | None = None
    painted_name: str | None = None
    role: Role = "unknown"

    @field_validator("imo", mode="before")
    @classmethod
    def _imo(cls, v: Any) -> Any:
        if v in (None, ""):
            return None
        text = str(v).strip().upper().removeprefix("IMO").strip()
        if not re.fullmatch(r"[0-9]{7}", text):
            raise ValueError(f"IMO {v!r}: must be 7 digits")
        return int(text)

    @field_validator("mmsi", mode="before")
    @classmethod
    def _mmsi(cls, v: Any) -> Any:
        if v in (None, ""):
            return None
        text = str(v).strip()
        if not re.fullmatch(r"[0-9]{9}", text):
            raise ValueError(f"MMSI {v!r}: must be 9 digits")
        return int(text)

    @model_validator(mode="after")
    def _something(self) -> ObservedVessel:
        if not any((self.name, self.imo, self.mmsi, self.painted_name, self.flag)):
            raise ValueError("vessel: give at least one of name, imo, mmsi, painted_name, flag")
        return self

    @property
    def imo_valid(self) -> bool | None:
        """Whether the IMO's check digit holds (None without an IMO); a broken one is kept, as
        reported: a forged hull number is evidence too."""
        return None if self.imo is None else bool(imo_check_digit_ok(self.imo))

    def label(self) -> str:
        """A short label: name (or painted name), IMO."""
        name = self.name or self.painted_name or (f"MMSI {self.mmsi}" if self.mmsi else "")
        name = name or f"unnamed ({self.flag or 'no flag'})"
        return f"{name} (IMO {self.imo})" if self.imo else name


class Observations(_Strict):
    """What was seen. ``None`` means not reported (different from ``False``: looked, not so)."""

    alongside: bool | None = None
    hoses_connected: bool | None = None
    lights_at_night: bool | None = None
    notes: str | None = None


class PhotoRef(_Strict):
    """A stored photo: its SHA-256 (the file name under the photo folder), size and type."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=1)
    mime: Literal["image/jpeg", "image/png"]
    filename: str | None = None


class Sighting(_Strict):
    """A sighting report by a patrol ship or aircraft.

    ``date`` is the UTC date; ``time`` the UTC time of day when known (else ``None``), and
    ``time_of_day`` any words the report gives instead ("late night"). ``id`` is random unless
    given (cases derive it from their content, so loading them twice adds nothing)."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    asset: str = Field(min_length=1, max_length=128)
    date: _Date
    time: _Time | None = None
    time_of_day: str | None = None
    position: Position | None = None
    vessels: list[ObservedVessel] = Field(default_factory=list)
    observations: Observations = Field(default_factory=Observations)
    photos: list[PhotoRef] = Field(default_factory=list)
    source: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _when(cls, data: Any) -> Any:
        """Accept ``when`` (an ISO date or date-time) in place of date and time; a date-time
        with an offset is converted to UTC, one without is taken as UTC."""
        if not isinstance(data, dict) or "when" not in data:
            return data
        d = dict(data)
        date_, time_ = parse_when(d.pop("when"))
        d.setdefault("date", date_)
        if time_ is not None:
            d.setdefault("time", time_)
        return d

    @field_validator("time")
    @classmethod
    def _naive_utc(cls, v: _Time | None) -> _Time | None:
        if v is not None and v.tzinfo is not None:
            off = v.utcoffset()
            if off:
                raise ValueError("time: give the time of day in UTC (or use `when` with offset)")
            v = v.replace(tzinfo=None)
        return v

    @property
    def at(self) -> datetime | None:
        """The UTC date-time when the time of day is known."""
        return None if self.time is None else datetime.combine(self.date, self.time, UTC)

    def window(self, minutes: float) -> tuple[datetime, datetime]:
        """The UTC interval AIS is searched in: ``minutes`` either side of the time, or the
        whole UTC day widened by ``minutes`` when only the date is known."""
        pad = timedelta(minutes=minutes)
        if self.at is not None:
            return self.at - pad, self.at + pad
        start = datetime.combine(self.date, time(0), UTC)
        return start - pad, start + timedelta(days=1) + pad


def parse_when(value: str | date | datetime) -> tuple[date, time | None]:
    """(UTC date, UTC time or None) from "2018-02-24", "2018-02-24T15:20Z",
    "2018-02-24 15:20+09:00" (converted to UTC) or "2018-02-24T15:20" (taken as UTC)."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        return value, None
    else:
        text = str(value).strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                return date.fromisoformat(text), None
            except ValueError as exc:
                raise ValueError(f"time {value!r}: {exc}") from None
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"time {value!r}: expected an ISO date or date-time, e.g. 2018-02-24 or "
                "2018-02-24T15:20Z"
            ) from None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt.date(), dt.time()


def case_id(*parts: object) -> uuid.UUID:
    """A sighting id derived from content (UUID5), so a file of cases loads once."""
    return uuid.uuid5(SIGHTING_NAMESPACE, "|".join("" if p is None else str(p) for p in parts))


def error_text(exc: Exception) -> str:
    """One line saying what is wrong: each pydantic error as ``field.path: message`` (without
    pydantic's "Value error," prefix), or the exception's own text."""
    if not isinstance(exc, ValidationError):
        return str(exc)
    parts = []
    for e in exc.errors():
        loc = ".".join(str(x) for x in e["loc"])
        msg = str(e["msg"]).removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field (not part of a sighting report)"
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)
