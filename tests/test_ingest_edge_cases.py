"""Edge cases of NMEA ingest, on inputs made from real sentences.

Every sentence below is copied from a committed real sample (``test_sentences_are_real``
checks that) and, where a case needs it, modified: fields re-encoded with the bit-level
encoder below, sequence ids or channels changed, checksums recomputed.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from neonwatch.ingest import decode_nmea, ingest

DATA = Path(__file__).parent / "data"
USCG_SAMPLE = DATA / "uscg-nais-2016-07-28-head3000.nmea.gz"

# --- real sentences ------------------------------------------------------------------------
# USCG NAIS 2016-07-28 (uscg-nais-2016-07-28-head3000.nmea.gz), line 22: type 1, MMSI 367493450
USCG_TYPE1 = (
    r"\g:1-2-0739,n:1220,s:D08MN-NO-BSABS1,c:1469663999*04"
    r"\!SAVDM,1,1,8,B,15NN1BP01FIMqkB@mdJ1KA:00D1R,0*1E"
)
TYPE1_PAYLOAD = "15NN1BP01FIMqkB@mdJ1KA:00D1R"
# lines 57-58: type 5 ARBORELLA (538004720); lines 125-126: type 5 MILLENIUM FALCON (366978720)
ARBORELLA = (
    "!SAVDM,2,1,2,B,5815<t42BcvQKMU?:20588u8Dhh6222222222216E`J<D5tR0ED3lU80DU25,0*37",
    "!SAVDM,2,2,2,B,D`888888880,2*1B",
)
FALCON = (
    "!SAVDM,2,1,8,A,55MvV`00@bdQL=cS3S8lThhDpUDn0H4h<tp0000l1PG654000045AiE84kmC,0*33",
    "!SAVDM,2,2,8,A,Q0000000000,2*57",
)
# lines 852 and 2788: type 24 part A and part B of BLONDIE (367550410)
BLONDIE_A = (
    r"\g:1-2-0526,n:8358,s:D07MN-MI-LAKBS1,c:1469664000*1D"
    r"\!SAVDM,1,1,5,A,H5NQOjP8htp@TD0000000000000,2*28"
)
BLONDIE_B = (
    r"\g:1-2-0531,n:8368,s:D07MN-MI-LAKBS1,c:1469664000*18"
    r"\!SAVDM,1,1,9,A,H5NQOjTU71B=9>0G47moqq000000,0*4B"
)
# a type 4 base station report (3669154)
USCG_TYPE4 = (
    r"\g:1-2-4994,n:14630,s:D13MN-PS-GOLBS1,c:1469664000*2A"
    r"\!SAVDM,1,1,4,A,403Ot`Qv1uosso@7:bK?fhO02H00,0*57"
)
# a type 18 (367694180)
USCG_TYPE18 = (
    r"\n:421581,s:b003669983,c:1469664001*1A\!SAVDM,1,1,,A,B5NbAI00DncT`n5ft6LugwuWkP06,0*5B"
)
# exactEarth tag-block groups (amsa-exact-earth-with-tag-block.txt lines 60-61 and 63-64):
# type 5 IOLCOS PRIDE (249945000) and WAKASHIO (372711000); part 2 carries only g:
EE_IOLCOS = (
    r"\g:1-2-3993,s:rEV02,c:1334337326*28"
    r"\!AIVDM,2,1,0,B,53fGKb02?l>CTP7;3STTth<u>118T@F222222216HhO;I5:<0K3@D5E3,0*49",
    r"\g:2-2-3993*5D\!AIVDM,2,2,0,B,p3CnPC@RDEAH880,2*40",
)
EE_WAKASHIO = (
    r"\g:1-2-3997,s:rEV02,c:1334337327*2D"
    r"\!AIVDM,2,1,1,B,55SLNF02>NAw<DdKN21L4d5<PTv2222222222216PHaND5=e0e2T82lk,0*2C",
    r"\g:2-2-3997*59\!AIVDM,2,2,1,B,H0k`88888888880,2*55",
)
# DMA AisLib stream (dma-aislib-stream-head2000.nmea.gz) lines 5-6 and 20-22
DMA_PGHP = "$PGHP,1,2010,6,11,11,46,12,451,219,1,992190917,1,58*14"
DMA_TYPE3 = "!AIVDM,1,1,,A,33nr7t001f13KNTOahh2@QpF00vh,0*58"  # 258902000
DMA_PGHP_2 = "$PGHP,1,2010,6,11,11,46,11,929,244,0,,1,72*21"
DMA_PASSAAT = (  # type 5, 246901005, empty channel field
    "!AIVDM,2,1,1,,53cMa3@000010WSW?V105=<45B2222222222220t388151:9e2UiDm851DTh,0*65",
    "!AIVDM,2,2,1,,j1C32CQp888,2*17",
)
# type 27 (gfw-mixed-types.nmea), 366926320
GFW_TYPE27 = "!AIVDM,1,1,,A,KmMsIt?uItk2F4mp,0*42"
# AMSA (amsa-nmea-timestamped.txt line 77): a type 1 with MMSI 0
AMSA_MMSI0 = r"\c:1420030800*00\!BSVDM,1,1,8,A,1000000P048>uc3k`GddIgwP0HLv,0*46"

REAL_SAMPLES = [
    "uscg-nais-2016-07-28-head3000.nmea.gz",
    "amsa-exact-earth-with-tag-block.txt",
    "amsa-nmea-timestamped.txt",
    "dma-aislib-stream-head2000.nmea.gz",
    "gfw-mixed-types.nmea",
]


def test_sentences_are_real() -> None:
    text = ""
    for name in REAL_SAMPLES:
        raw = (DATA / name).read_bytes()
        text += (gzip.decompress(raw) if name.endswith(".gz") else raw).decode()
    lines = set(text.splitlines())
    for sentence in [
        USCG_TYPE1,
        *ARBORELLA,
        *FALCON,
        BLONDIE_A,
        BLONDIE_B,
        USCG_TYPE4,
        USCG_TYPE18,
        *EE_IOLCOS,
        *EE_WAKASHIO,
        DMA_PGHP,
        DMA_TYPE3,
        DMA_PGHP_2,
        *DMA_PASSAAT,
        GFW_TYPE27,
        AMSA_MMSI0,
    ]:
        assert sentence in lines or any(line.endswith(sentence) for line in lines), sentence


def test_encoder_round_trips_real_sentences() -> None:
    bits = bits_of(TYPE1_PAYLOAD)
    assert len(bits) == 168
    assert (get(bits, 0, 6), get(bits, 8, 30), get(bits, 116, 12)) == (1, 367493450, 365)
    assert fields_of(type1_with())[5:] == fields_of(USCG_TYPE1)[5:]
    for real, made in zip(FALCON, type5_parts(FALCON), strict=True):
        assert fields_of(made)[1:] == fields_of(real)[1:]
    for line in (USCG_TYPE1, *ARBORELLA, *EE_IOLCOS, DMA_TYPE3):
        assert with_checksum(line) == line


# --- a small NMEA / AIS encoder ----------------------------------------------------------------


def checksum(body: str) -> str:
    x = 0
    for ch in body:
        x ^= ord(ch)
    return f"{x:02X}"


def with_checksum(sentence: str) -> str:
    """Recompute the checksum of '!AIVDM,...,0*hh' (tag block and trailing fields kept)."""
    tag = ""
    if sentence.startswith("\\"):
        end = sentence.index("\\", 1) + 1
        tag, sentence = sentence[:end], sentence[end:]
    body = sentence[1 : sentence.index("*")]
    return f"{tag}!{body}*{checksum(body)}"


def nmea(
    payload: str,
    fill: int = 0,
    *,
    count: int = 1,
    num: int = 1,
    seq: str = "",
    channel: str = "A",
    tag: str | None = None,
) -> str:
    body = f"AIVDM,{count},{num},{seq},{channel},{payload},{fill}"
    line = f"!{body}*{checksum(body)}"
    return line if tag is None else f"\\{tag}*{checksum(tag)}\\{line}"


def fields_of(sentence: str) -> list[str]:
    return sentence.split("\\")[-1].split("*")[0].split(",")


def bits_of(payload: str, fill: int = 0) -> str:
    values = [ord(c) - 48 for c in payload]
    bits = "".join(format(v - 8 if v > 40 else v, "06b") for v in values)
    return bits[: len(bits) - fill]


def armour(bits: str) -> tuple[str, int]:
    fill = -len(bits) % 6
    bits += "0" * fill
    values = [int(bits[i : i + 6], 2) for i in range(0, len(bits), 6)]
    return "".join(chr(v + 48 if v < 40 else v + 56) for v in values), fill


def put(bits: str, start: int, length: int, value: int) -> str:
    value &= (1 << length) - 1  # two's complement for signed fields
    return bits[:start] + format(value, f"0{length}b") + bits[start + length :]


def put_text(bits: str, start: int, chars: int, text: str) -> str:
    for i, ch in enumerate(text.ljust(chars, "@")):
        code = ord(ch)
        bits = put(bits, start + 6 * i, 6, code - 64 if code >= 64 else code)
    return bits


def get(bits: str, start: int, length: int) -> int:
    return int(bits[start : start + length], 2)


def type1_with(**values: int) -> str:
    """The real USCG type 1 payload with some fields replaced (ITU-R M.1371 bit offsets)."""
    layout = {
        "mmsi": (8, 30),
        "status": (38, 4),
        "speed": (50, 10),
        "lon": (61, 28),
        "lat": (89, 27),
        "course": (116, 12),
        "heading": (128, 9),
    }
    bits = bits_of(TYPE1_PAYLOAD)
    for name, value in values.items():
        bits = put(bits, *layout[name], value)
    payload, fill = armour(bits)
    return nmea(payload, fill, channel="B")


def type5_parts(sentences: tuple[str, str], **changes: Any) -> tuple[str, str]:
    """A real two-part type 5 re-encoded with some fields changed (same sequence id)."""
    first, second = fields_of(sentences[0]), fields_of(sentences[1])
    bits = bits_of(first[5] + second[5], int(second[6]))
    layout = {
        "imo": (40, 30),
        "shiptype": (232, 8),
        "to_bow": (240, 9),
        "to_stern": (249, 9),
        "to_port": (258, 6),
        "to_starboard": (264, 6),
        "draught": (294, 8),
    }
    for name, value in changes.items():
        if name == "shipname":
            bits = put_text(bits, 112, 20, value)
        else:
            bits = put(bits, *layout[name], value)
    payload, fill = armour(bits)
    cut = len(first[5])
    seq, channel = first[3], first[4]
    return (
        nmea(payload[:cut], 0, count=2, num=1, seq=seq, channel=channel),
        nmea(payload[cut:], fill, count=2, num=2, seq=seq, channel=channel),
    )


def retag(sentence: str, tag: str) -> str:
    """The sentence of a real line under another tag block."""
    return f"\\{tag}*{checksum(tag)}\\" + sentence.split("\\")[-1]


def plain(sentence: str) -> str:
    return sentence.split("\\")[-1]


# --- helpers -----------------------------------------------------------------------------------


def write(path: Path, lines: list[str | bytes]) -> Path:
    data = b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines)
    path.write_bytes(data)
    return path


def dataset(folder: Path) -> pa.Table:
    """Every part of a day-partitioned dataset, as one table (no rows: no partitions)."""
    parts = sorted(folder.glob("day=*/part-0.parquet"))
    if not parts:
        return pa.table({})
    return pa.concat_tables([pq.read_table(p) for p in parts])


def rows(table: pa.Table) -> list[dict[str, Any]]:
    return sorted(table.to_pylist(), key=repr)


def ms(ts: datetime | None) -> int | None:
    return None if ts is None else round(ts.timestamp() * 1000)


def static_by_mmsi(lines: list[str]) -> dict[int, dict[str, Any]]:
    log = decode_nmea(("\n".join(lines) + "\n").encode())
    return {r["mmsi"]: r for r in log.static.to_pylist()}


# --- multipart reassembly ----------------------------------------------------------------------


def _as(sentence: str, seq: str, channel: str) -> str:
    f = fields_of(sentence)
    return nmea(f[5], int(f[6]), count=int(f[1]), num=int(f[2]), seq=seq, channel=channel)


ARBORELLA_ROW = ("ARBORELLA", "V7YS2", "PORT ARTHUR", 9613288, 70)
FALCON_ROW = ("MILLENIUM FALCON", "WCZ8082", "PUGET SOUND", 1092296, 52)


def _identity(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["name"], row["callsign"], row["destination"], row["imo"], row["ship_type"])


@pytest.mark.parametrize(
    "order",
    [
        # same sequence id, parts of the two messages on different channels, nested
        [("A", 0, "3", "A"), ("F", 0, "3", "B"), ("F", 1, "3", "B"), ("A", 1, "3", "A")],
        # same channel, different sequence ids, alternating
        [("A", 0, "4", "A"), ("F", 0, "5", "A"), ("A", 1, "4", "A"), ("F", 1, "5", "A")],
        # different channels and sequence ids, the second message completing first
        [("A", 0, "1", "B"), ("F", 0, "2", "A"), ("F", 1, "2", "A"), ("A", 1, "1", "B")],
    ],
)
def test_interleaved_multipart_messages_reassemble(order: list[tuple[str, int, str, str]]) -> None:
    source = {"A": ARBORELLA, "F": FALCON}
    lines = [_as(source[m][part], seq, channel) for m, part, seq, channel in order]
    log = decode_nmea(("\n".join(lines) + "\n").encode())
    assert log.rejected == {}
    assert log.messages == 2
    got = {r["mmsi"]: _identity(r) for r in log.static.to_pylist()}
    assert got == {538004720: ARBORELLA_ROW, 366978720: FALCON_ROW}
    # each message is reported at the line of its first part
    first = {m: i + 1 for i, (m, part, _, _) in reversed(list(enumerate(order))) if part == 0}
    assert sorted(log.line_no[5].tolist()) == sorted(first.values())


def test_tag_block_groups_tie_parts_without_station_or_time() -> None:
    """Two exactEarth groups interleaved, both parts on the same channel and sequence id: only
    the g: group tells them apart. Part 2 carries no s:/c:, so time comes from part 1."""
    wakashio = tuple(  # WAKASHIO moved to sequence id 0, like IOLCOS PRIDE
        line.replace(",2,1,1,B,", ",2,1,0,B,").replace(",2,2,1,B,", ",2,2,0,B,")
        for line in EE_WAKASHIO
    )
    wakashio = tuple(with_checksum(line) for line in wakashio)
    lines = [EE_IOLCOS[0], wakashio[0], EE_IOLCOS[1], wakashio[1]]
    log = decode_nmea(("\n".join(lines) + "\n").encode())
    assert log.rejected == {}
    got = {
        r["mmsi"]: (r["name"], r["callsign"], r["destination"], ms(r["ts"]))
        for r in log.static.to_pylist()
    }
    assert got == {
        249945000: ("IOLCOS PRIDE", "9HA2089", "MAPUTO MOZAMBIQUE", 1334337326000),
        372711000: ("WAKASHIO", "3EKF7", "JP KSM CN", 1334337327000),
    }


def test_tag_block_group_gives_later_parts_station_and_time() -> None:
    """A real type 1 split over two sentences in a g: group (as satellite feeds do); the second
    part has only g:. A second group from another station uses the same channel and sequence
    id and interleaves."""
    head, tail = TYPE1_PAYLOAD[:14], TYPE1_PAYLOAD[14:]
    other = fields_of(plain(ARBORELLA[0]))[5], fields_of(ARBORELLA[1])[5]
    lines = [
        nmea(
            head, 0, count=2, num=1, seq="7", channel="A", tag="g:1-2-101,s:STATION-X,c:1469663999"
        ),
        nmea(
            other[0],
            0,
            count=2,
            num=1,
            seq="7",
            channel="A",
            tag="g:1-2-102,s:STATION-Y,c:1469664005",
        ),
        nmea(tail, 0, count=2, num=2, seq="7", channel="A", tag="g:2-2-101"),
        nmea(other[1], 2, count=2, num=2, seq="7", channel="A", tag="g:2-2-102"),
    ]
    log = decode_nmea(("\n".join(lines) + "\n").encode())
    assert log.rejected == {}
    (pos,) = log.positions.to_pylist()
    assert pos["mmsi"] == 367493450
    assert pos["station"] == "STATION-X"
    assert ms(pos["ts"]) == 1469663999000
    assert pos["lat"] == pytest.approx(29.428227, abs=1e-6)
    (static,) = log.static.to_pylist()
    assert (static["name"], ms(static["ts"])) == ("ARBORELLA", 1469664005000)


# --- refused input: counted by reason and written to rejected.parquet ---------------------------


def test_bad_input_is_counted_and_written_with_its_reason(tmp_path: Path) -> None:
    good = plain(USCG_TYPE1)
    fields = fields_of(good)
    payload = fields[5]
    bad_char = with_checksum(good.replace(payload, payload[:10] + "x" + payload[11:]))
    bang = with_checksum(good.replace(payload, payload[:20] + "!" + payload[21:]))
    short = with_checksum(good.replace(payload, payload[:-3]))  # 150 bits instead of 168
    lat95 = type1_with(mmsi=367493451, lat=95 * 600_000)
    lines: list[tuple[str | bytes, str | None]] = [
        ("# a comment", None),  # 1
        (good, None),  # 2
        (good[:-2] + ("1F" if not good.endswith("1F") else "1E"), "bad checksum"),  # 3
        (good[: len(good) // 2], "truncated sentence"),  # 4
        (EE_WAKASHIO[1], "orphaned multipart fragment"),  # 5: part 2 of a group, no part 1
        (bad_char, "illegal 6-bit character"),  # 6
        (bang, "illegal 6-bit character"),  # 7
        (short, "wrong bit length"),  # 8
        (lat95, "impossible coordinates"),  # 9
        ("hello, this is not an AIS log", "not an NMEA sentence"),  # 10
        (b"\xff\xfe\x00\x81 binary junk", "not an NMEA sentence"),  # 11
        (AMSA_MMSI0, "invalid MMSI"),  # 12
        ("", None),  # 13
        (ARBORELLA[0], None),  # 14
        (ARBORELLA[1], None),  # 15
        (plain(DMA_PASSAAT[0]), "orphaned multipart fragment"),  # 16: part 1, no part 2
        (DMA_PGHP, None),  # 17
        (plain(USCG_TYPE18), None),  # 18
    ]
    path = write(tmp_path / "bad.nmea", [line for line, _ in lines])
    summary = ingest([path], tmp_path / "out")

    expected = [(i, reason) for i, (_, reason) in enumerate(lines, 1) if reason]
    counts: dict[str, int] = {}
    for _, reason in expected:
        counts[reason] = counts.get(reason, 0) + 1
    assert summary.rejected == counts
    assert summary.skipped == {"comment or blank": 2, "time line ($PGHP)": 1}
    assert summary.lines == len(lines)
    assert summary.messages == 3  # type 1, type 5, type 18
    assert summary.message_lines == 4
    assert summary.positions == 2

    table = pq.read_table(tmp_path / "out" / "rejected" / "rejected.parquet")
    got = sorted(zip(table["line_no"].to_pylist(), table["reason"].to_pylist(), strict=True))
    assert got == expected
    text = dict(zip(table["line_no"].to_pylist(), table["line"].to_pylist(), strict=True))
    for line_no, _ in expected:
        line = lines[line_no - 1][0]
        want = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        assert text[line_no] == want
    assert set(table["source"].to_pylist()) == {str(path)}


def test_rejected_multipart_message_counts_each_line(tmp_path: Path) -> None:
    """A two-part type 5 with an illegal character is one rejected row (at its first line) but
    two rejected lines in the summary, so that lines still add up."""
    first, second = fields_of(ARBORELLA[0]), ARBORELLA[1]
    bad = with_checksum(plain(ARBORELLA[0]).replace(first[5], first[5][:-1] + "x"))
    path = write(tmp_path / "t5.nmea", [plain(USCG_TYPE1), bad, second])
    summary = ingest([path], tmp_path / "out")
    assert summary.rejected == {"illegal 6-bit character": 2}
    assert summary.lines == summary.message_lines + 2 == 3
    table = pq.read_table(tmp_path / "out" / "rejected" / "rejected.parquet").to_pylist()
    assert [(r["line_no"], r["reason"], r["line"]) for r in table] == [
        (2, "illegal 6-bit character", bad)
    ]


# --- ITU-R M.1371 "not available" ---------------------------------------------------------------


def test_not_available_values_become_nulls() -> None:
    na = type1_with(
        mmsi=367493452,
        lat=91 * 600_000,
        lon=181 * 600_000,
        speed=1023,
        course=3600,
        heading=511,
        status=15,
    )
    heading_only = type1_with(mmsi=367493453, heading=511)
    b18 = bits_of(fields_of(USCG_TYPE18)[5])
    for start, length, value in (
        (46, 10, 1023),
        (57, 28, 181 * 600_000),
        (85, 27, 91 * 600_000),
        (112, 12, 3600),
        (124, 9, 511),
    ):
        b18 = put(b18, start, length, value)
    b27 = bits_of(fields_of(GFW_TYPE27)[5])
    for start, length, value in (
        (44, 18, 181 * 600),
        (62, 17, 91 * 600),
        (79, 6, 63),
        (85, 9, 511),
    ):
        b27 = put(b27, start, length, value)
    lines = [na, heading_only, nmea(*armour(b18)), nmea(*armour(b27))]
    log = decode_nmea(("\n".join(lines) + "\n").encode())
    assert log.rejected == {}
    got = {r["mmsi"]: r for r in log.positions.to_pylist()}
    assert set(got) == {367493452, 367493453, 367694180, 366926320}
    for mmsi in (367493452, 367694180, 366926320):
        row = got[mmsi]
        assert (row["lat"], row["lon"], row["sog"], row["cog"], row["heading"]) == (None,) * 5
    assert got[367493452]["nav_status"] is None  # status 15: not defined
    kept = got[367493453]
    assert kept["heading"] is None
    assert kept["lat"] == pytest.approx(29.428227, abs=1e-6)
    assert kept["lon"] == pytest.approx(-91.334652, abs=1e-6)
    assert kept["sog"] == pytest.approx(8.6)
    assert kept["cog"] == pytest.approx(36.5)
    assert kept["nav_status"] == 0


def test_static_not_available_values_become_nulls() -> None:
    """Type 5: IMO 0, ship type 0, draught 0 and dimensions all 0 are 'not available'; so is
    ship type 0 in a type 24 part B (and its dimensions all 0)."""
    parts = type5_parts(
        FALCON, imo=0, shiptype=0, draught=0, to_bow=0, to_stern=0, to_port=0, to_starboard=0
    )
    b = bits_of(fields_of(BLONDIE_B)[5])
    b = put(b, 40, 8, 0)  # ship type 0
    lines = [*parts, nmea(*armour(b))]
    got = static_by_mmsi(lines)
    falcon = got[366978720]
    assert falcon["name"] == "MILLENIUM FALCON"
    for column in ("imo", "ship_type", "draught", "to_bow", "to_stern", "to_port", "to_starboard"):
        assert falcon[column] is None, column
    blondie = got[367550410]
    assert blondie["callsign"] == "WDG5799"
    for column in ("ship_type", "to_bow", "to_stern", "to_port", "to_starboard"):
        assert blondie[column] is None, column


# --- duplicates, receive times ------------------------------------------------------------------


def test_a_message_heard_by_several_stations_counts_once(tmp_path: Path) -> None:
    t0 = 1469663999
    lines = [
        retag(USCG_TYPE1, f"s:D08MN-NO-BSABS1,c:{t0}"),
        retag(USCG_TYPE1, f"s:D08MN-HG-CANBS1,c:{t0 + 20}"),  # another station, 20 s later
        retag(USCG_TYPE1, f"s:D08MN-HG-CANBS1,c:{t0 + 120}"),  # heard again 2 minutes later
    ]
    summary = ingest([write(tmp_path / "dup.nmea", lines)], tmp_path / "out")
    assert summary.duplicates == 1
    assert summary.messages == 3
    assert summary.positions == 2
    got = rows(dataset(tmp_path / "out" / "positions"))
    assert [(ms(r["ts"]), r["station"]) for r in got] == [
        (t0 * 1000, "D08MN-NO-BSABS1"),
        ((t0 + 120) * 1000, "D08MN-HG-CANBS1"),
    ]


def test_receive_times(tmp_path: Path) -> None:
    """$PGHP lines time the sentences after them; a trailing epoch (ms or s) times its own
    line, even after a $PGHP line; tag block c: times its line."""
    trailing_ms = "!AIVDM,1,1,,A,144jT8QP1K;KJJ7O5dka1W<j1PS9,0*02,1327992619059"  # 273458210
    trailing_s = "!AIVDM,1,1,,A,15RK:b002H8<wr5d;fvcT9DT04i0,0*21,1327992619"  # 371641000
    lines = [DMA_PGHP, DMA_TYPE3, DMA_PGHP_2, *DMA_PASSAAT, trailing_ms, trailing_s, USCG_TYPE1]
    summary = ingest([write(tmp_path / "times.nmea", lines)], tmp_path / "out")
    assert summary.untimed == 0
    assert summary.skipped == {"time line ($PGHP)": 2}
    positions = {
        r["mmsi"]: ms(r["ts"]) for r in dataset(tmp_path / "out" / "positions").to_pylist()
    }
    assert positions == {
        258902000: ms(datetime(2010, 6, 11, 11, 46, 12, 451_000, tzinfo=UTC)),
        273458210: 1327992619059,
        371641000: 1327992619000,
        367493450: 1469663999000,
    }
    log = decode_nmea(("\n".join(lines) + "\n").encode())
    (passaat,) = log.static.to_pylist()
    assert passaat["name"] == "PASSAAT"
    assert ms(passaat["ts"]) == ms(datetime(2010, 6, 11, 11, 46, 11, 929_000, tzinfo=UTC))


# --- positions and base stations kept apart ----------------------------------------------------


def test_base_stations_are_kept_apart(tmp_path: Path) -> None:
    summary = ingest([write(tmp_path / "b.nmea", [USCG_TYPE4, USCG_TYPE1])], tmp_path / "out")
    assert (summary.positions, summary.base_stations) == (1, 1)
    (base,) = dataset(tmp_path / "out" / "base_stations").to_pylist()
    assert base["mmsi"] == 3669154
    assert base["station"] == "D13MN-PS-GOLBS1"
    assert ms(base["ts"]) == 1469664000000
    assert base["station_time"] == datetime(2016, 7, 27, 23, 59, 59, tzinfo=UTC)
    assert base["lat"] == pytest.approx(47.615468, abs=1e-6)
    assert base["lon"] == pytest.approx(-122.309405, abs=1e-6)
    assert base["epfd"] == 15
    (pos,) = dataset(tmp_path / "out" / "positions").to_pylist()
    assert pos["mmsi"] == 367493450


# --- vessels: type 24 parts joined, identity changes --------------------------------------------


def test_type24_parts_join_into_one_vessel_row(tmp_path: Path) -> None:
    summary = ingest([write(tmp_path / "t24.nmea", [BLONDIE_A, BLONDIE_B])], tmp_path / "out")
    vessels = dataset(tmp_path / "out" / "vessels").to_pylist()
    assert summary.vessels == 1
    (v,) = vessels
    assert (v["mmsi"], v["name"], v["callsign"], v["ship_type"]) == (
        367550410,
        "BLONDIE",
        "WDG5799",
        37,
    )


def test_changed_name_starts_a_second_vessel_row(tmp_path: Path) -> None:
    t0 = 1469664001
    renamed = type5_parts(FALCON, shipname="MILLENNIUM FALCON II")
    lines = [
        retag(FALCON[0], f"g:1-2-1,s:b003669703,c:{t0}"),
        retag(FALCON[1], "g:2-2-1"),
        retag(FALCON[0], f"g:1-2-2,s:b003669703,c:{t0 + 300}"),
        retag(FALCON[1], "g:2-2-2"),
        retag(renamed[0], f"g:1-2-3,s:b003669703,c:{t0 + 600}"),
        retag(renamed[1], "g:2-2-3"),
    ]
    summary = ingest([write(tmp_path / "rename.nmea", lines)], tmp_path / "out")
    vessels = sorted(
        dataset(tmp_path / "out" / "vessels").to_pylist(), key=lambda r: r["first_seen"]
    )
    assert summary.vessels == 2
    assert [(v["mmsi"], v["name"], v["callsign"]) for v in vessels] == [
        (366978720, "MILLENIUM FALCON", "WCZ8082"),
        (366978720, "MILLENNIUM FALCON II", "WCZ8082"),
    ]
    assert [(ms(v["first_seen"]), ms(v["last_seen"])) for v in vessels] == [
        (t0 * 1000, (t0 + 300) * 1000),
        ((t0 + 600) * 1000, (t0 + 600) * 1000),
    ]


# --- input forms and chunking ------------------------------------------------------------------


def _outputs(out: Path) -> dict[str, list[dict[str, Any]]]:
    result = {}
    for name in ("positions", "vessels", "base_stations"):
        result[name] = rows(dataset(out / name))
    rejected = pq.read_table(out / "rejected" / "rejected.parquet").drop(["source"])
    result["rejected"] = rows(rejected)
    return result


def assert_same_outputs(a: Path, b: Path) -> None:
    """The datasets under two output folders hold the same rows (rejected: bar the source)."""
    first, second = _outputs(a), _outputs(b)
    for name in first:
        only_a = [r for r in first[name] if r not in second[name]]
        only_b = [r for r in second[name] if r not in first[name]]
        assert (only_a, only_b) == ([], []), f"{name}: rows only in {a.name}, only in {b.name}"
        assert first[name] == second[name], name


def _counts(summary: Any) -> dict[str, Any]:
    keep = (
        "messages",
        "positions",
        "vessels",
        "base_stations",
        "duplicates",
        "lines",
        "message_lines",
        "untimed",
        "rejected",
        "skipped",
        "types",
    )
    return {k: getattr(summary, k) for k in keep}


def test_gzip_input_reads_the_same_as_plain(tmp_path: Path) -> None:
    plain_path = tmp_path / "uscg.nmea"
    plain_path.write_bytes(gzip.decompress(USCG_SAMPLE.read_bytes()))
    a = ingest([plain_path], tmp_path / "a")
    b = ingest([USCG_SAMPLE], tmp_path / "b")
    assert a.positions > 400
    assert _counts(a) == _counts(b)
    assert_same_outputs(tmp_path / "a", tmp_path / "b")


def test_small_chunks_write_the_same_as_one_chunk(tmp_path: Path) -> None:
    """4 KB chunks cut the USCG sample in ~65 places, multipart messages included."""
    data = gzip.decompress(USCG_SAMPLE.read_bytes())
    a = ingest([USCG_SAMPLE], tmp_path / "a")
    b = ingest([USCG_SAMPLE], tmp_path / "b", chunk_bytes=4096)
    assert a.lines == b.lines == data.count(b"\n")
    assert _counts(a) == _counts(b)
    assert_same_outputs(tmp_path / "a", tmp_path / "b")


def test_multipart_message_across_a_chunk_boundary(tmp_path: Path) -> None:
    """Part 1 of a type 5 ends just before byte 4096, part 2 starts after it."""
    lines: list[str] = []
    t = 1469664000
    size = 0
    part1 = retag(ARBORELLA[0], f"g:1-2-901,s:b003669981,c:{t}")  # vessels need a time
    part2 = retag(ARBORELLA[1], "g:2-2-901")
    while size + 200 + len(part1) < 4090:
        line = retag(USCG_TYPE1, f"s:STATION-{len(lines)},c:{t + 120 * len(lines)}")  # no dups
        lines.append(line)
        size += len(line) + 1
    pad = 4090 - size - len(part1) - 1  # a comment line puts part 1's end at byte 4090
    lines += ["#" + "-" * (pad - 2), part1, part2, USCG_TYPE18]
    data = ("\n".join(lines) + "\n").encode()
    boundary = data.index(b"\n", data.index(part1.encode())) + 1
    assert boundary == 4090  # part 2 runs from byte 4090 to past 4096
    path = tmp_path / "cut.nmea"
    path.write_bytes(data)
    a = ingest([path], tmp_path / "a")
    b = ingest([path], tmp_path / "b", chunk_bytes=4096)
    assert b.rejected == {}
    assert _counts(a) == _counts(b)
    (vessel,) = dataset(tmp_path / "b" / "vessels").to_pylist()
    assert vessel["name"] == "ARBORELLA"
    assert_same_outputs(tmp_path / "a", tmp_path / "b")


def test_orphan_between_the_parts_of_a_message_near_a_chunk_end(tmp_path: Path) -> None:
    """Parts 1 and 2 of a type 5 with an orphaned fragment of another message between them
    (as in the DMA feed, where fragments get lost). Wherever chunks are cut, the type 5 is
    decoded, the orphan is rejected, and every line is accounted for."""
    t = 1469664000
    filler = [retag(USCG_TYPE1, f"s:STATION-{i},c:{t + 120 * i}") for i in range(120)]
    lines = [*filler[:5], ARBORELLA[0], plain(DMA_PASSAAT[1]), ARBORELLA[1], *filler[5:]]
    path = write(tmp_path / "orphan.nmea", lines)
    assert path.stat().st_size > 2 * 4096
    for name, kwargs in (("default", {}), ("4k", {"chunk_bytes": 4096})):
        summary = ingest([path], tmp_path / name, **kwargs)
        assert summary.rejected == {"orphaned multipart fragment": 1}, name
        assert summary.lines == summary.message_lines + 1 == len(lines), name
        assert summary.types == {"1": 120, "5": 1}, name
        table = pq.read_table(tmp_path / name / "rejected" / "rejected.parquet").to_pylist()
        assert [(r["line_no"], r["reason"]) for r in table] == [
            (7, "orphaned multipart fragment")
        ], name
    # A short log without a final newline: its last line comes as a chunk of its own, so the
    # rest is a non-final chunk even with the default chunk size.
    short = lines[:20]
    path.write_bytes("\n".join(short).encode())
    summary = ingest([path], tmp_path / "no-newline")
    assert summary.rejected == {"orphaned multipart fragment": 1}
    assert summary.lines == summary.message_lines + 1 == len(short)
    assert summary.types == {"1": 17, "5": 1}


def test_duplicates_across_chunks_when_the_log_goes_back_in_time(tmp_path: Path) -> None:
    """Two logs concatenated (USCG 2016, then DMA 2010): the DMA type 3 heard twice after one
    $PGHP time is one transmission whether or not a chunk boundary falls between the copies."""
    comments = [f"# {i:04d} " + "-" * 80 for i in range(60)]
    lines = [USCG_TYPE1, DMA_PGHP, DMA_TYPE3, *comments, DMA_TYPE3]
    path = write(tmp_path / "concat.nmea", lines)
    for name, kwargs in (("default", {}), ("4k", {"chunk_bytes": 4096})):
        summary = ingest([path], tmp_path / name, **kwargs)
        assert (summary.duplicates, summary.positions) == (1, 2), name


def test_a_refused_message_heard_twice_is_refused_twice(tmp_path: Path) -> None:
    """Each copy of a message with impossible coordinates is bad input, counted by reason and
    written to the rejected file; neither is an accepted message (nor a duplicate of one)."""
    bad = type1_with(mmsi=367493451, lat=95 * 600_000)
    lines = [
        retag(bad, "s:D08MN-NO-BSABS1,c:1469663999"),
        retag(bad, "s:D08MN-HG-CANBS1,c:1469664005"),
    ]
    summary = ingest([write(tmp_path / "bad-twice.nmea", lines)], tmp_path / "out")
    assert summary.rejected == {"impossible coordinates": 2}
    assert (summary.messages, summary.message_lines, summary.duplicates) == (0, 0, 0)
    table = pq.read_table(tmp_path / "out" / "rejected" / "rejected.parquet").to_pylist()
    assert [(r["line_no"], r["reason"]) for r in table] == [
        (1, "impossible coordinates"),
        (2, "impossible coordinates"),
    ]


# --- an interrupted run leaves nothing half-written --------------------------------------------


def test_interrupted_run_leaves_no_partial_datasets(tmp_path: Path) -> None:
    good = write(tmp_path / "good.nmea", [USCG_TYPE1, BLONDIE_A, BLONDIE_B, USCG_TYPE4])
    missing = tmp_path / "missing.nmea"
    out = tmp_path / "out"
    with pytest.raises(FileNotFoundError):
        ingest([good, missing], out)
    leftovers = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert leftovers == []

    first = ingest([good], out)
    assert first.positions == 1
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert any(p.match("positions/day=*/part-0.parquet") for p in before)
    with pytest.raises(FileNotFoundError):
        ingest([USCG_SAMPLE, missing], out)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
