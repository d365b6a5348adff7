"""Tables of the screening stage: watchlist entries, hits, identity anomalies and risk.

Every hit, anomaly and risk factor carries its evidence in words, so an analyst can see why a
vessel was flagged without re-running anything.
"""

from __future__ import annotations

import pyarrow as pa

UTC_MS = pa.timestamp("ms", tz="UTC")

# One row per listed party (vessel, organisation or person) of one list version.
WATCHLIST = pa.schema(
    [
        ("list_id", pa.string()),  # "<list_name>@<list_version>", e.g. "ofac-sdn@2021-07"
        ("list_name", pa.string()),  # "ofac-sdn", "un-consolidated", or a CSV list's own name
        ("list_version", pa.string()),  # the publisher's date of the list, ISO 8601
        ("source", pa.string()),  # file name and sha256 of what was loaded
        ("entry_id", pa.string()),  # the list's own id (OFAC ent_num, UN reference "KPe.020")
        ("entity_type", pa.string()),  # "vessel", "organization" or "individual"
        ("name", pa.string()),  # primary name as listed
        ("aliases", pa.list_(pa.string())),  # a.k.a., f.k.a., former names
        ("imo", pa.int32()),
        ("mmsi", pa.int32()),
        ("callsign", pa.string()),
        ("flag", pa.string()),  # as listed (country name or ISO code)
        ("owner", pa.string()),  # owner or operator named in the entry
        ("program", pa.string()),  # sanctions programme, e.g. "DPRK3" or "1718"
        ("remarks", pa.string()),
    ]
)

# One row per (vessel, list entry) match, with the reason.
HITS = pa.schema(
    [
        ("mmsi", pa.int32()),
        ("imo", pa.int32()),
        ("name", pa.string()),  # the vessel's name as broadcast or reported
        ("list_id", pa.string()),
        ("entry_id", pa.string()),
        ("listed_name", pa.string()),
        ("listed_imo", pa.int32()),
        ("matched_on", pa.string()),  # "imo", "mmsi", "callsign", "name", "owner"
        ("score", pa.float64()),  # 0..100 (100 for exact identifiers)
        ("why", pa.string()),  # e.g. "IMO 7389704 equals the listed IMO of RYE SONG GANG 1"
    ]
)

# One row per identity anomaly of a vessel.
ANOMALIES = pa.schema(
    [
        ("mmsi", pa.int32()),
        ("imo", pa.int32()),
        ("check", pa.string()),  # e.g. "invalid_imo", "imo_one_digit_off_listed", "mid_445"
        ("evidence", pa.string()),
    ]
)

# One row per factor of a vessel's (or event's) risk; the score is the sum of the weights.
RISK_FACTORS = pa.schema(
    [
        ("subject", pa.string()),  # "vessel" or "event"
        ("subject_id", pa.string()),  # MMSI as text, or the event_id
        ("factor", pa.string()),  # the factor's name in risk.toml
        ("weight", pa.float64()),
        ("evidence", pa.string()),
    ]
)
