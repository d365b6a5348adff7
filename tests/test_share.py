"""The share layer on both backends (a SQLite file and PostgreSQL on 127.0.0.1:5432, never
skipped): markings and their equivalence, the policy matrix (Cedar decisions and the SQL filter
agree with an independent oracle on every cell), the audit chain and its tampering, originator
control, users created through the CLI, and migration 0002 up and down."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, func, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from neonwatch.cli import app
from neonwatch.share import audit
from neonwatch.share.control import PolicyDenied, downgrade, widen_releasability
from neonwatch.share.markings import (
    Marking,
    MarkingError,
    in_scheme,
    normalize_level,
    parse_releasability,
    render_releasability,
    scheme,
)
from neonwatch.share.policy import ACTIONS, Principal, decide, permitted, readable
from neonwatch.share.users import check_password, create_user, issue_token, user_for_token
from neonwatch.store import AuditEntry, Event, Store, User
from neonwatch.store.engine import alembic_config
from neonwatch.store.models import AuditPending
from neonwatch.store.publish import Markings

# --- fixtures (PostgreSQL database: pg_url in conftest.py) ----------------------------------


def _event(originator: str, classification: str, releasability: str, group: str) -> Event:
    return Event(
        event_id=uuid.uuid4(),
        kind="encounter",
        originator_nation=originator,
        originating_node="test-node",
        classification=classification,
        releasability=releasability,
        group=group,
    )


# --- markings -------------------------------------------------------------------------------


def test_markings_render_in_each_scheme() -> None:
    can = Marking.of("CAN", "SECRET", "REL TO CAN, JPN")
    jpn = Marking.of("JPN", "極秘", "REL TO JPN, CAN")
    for m in (can, jpn):
        assert in_scheme(m, "CAN") == "SECRET // REL TO CAN, JPN"
        assert in_scheme(m, "JPN") == "極秘 // REL TO CAN, JPN"
    assert can.rank == jpn.rank == 2
    pairs = {("CONFIDENTIAL", "秘"), ("SECRET", "極秘"), ("TOP SECRET", "機密")}
    for c, j in pairs:
        assert Marking.of("CAN", c, "REL TO CAN").rank == Marking.of("JPN", j, "REL TO JPN").rank
        assert in_scheme(Marking.of("JPN", j, "REL TO CAN, JPN"), "CAN").startswith(c + " //")
    assert in_scheme(Marking.of("CAN", "UNCLASSIFIED", "REL TO CAN, JPN"), "JPN").startswith(
        "UNCLASSIFIED"
    )
    assert Marking.parse("secret // rel to can, jpn", "CAN") == can
    assert normalize_level("gokuhi", "JPN") == "極秘"
    assert parse_releasability("REL TO JPN, CAN") == ("CAN", "JPN")
    assert render_releasability(["JPN", "CAN", "JPN"]) == "REL TO CAN, JPN"
    with pytest.raises(MarkingError, match="no level"):
        in_scheme(Marking.of("CAN", "PROTECTED B", "REL TO CAN, JPN"), "JPN")
    for bad in (("CAN", "極秘", "REL TO CAN"), ("JPN", "SECRET", "REL TO JPN"), ("XX", "秘", "")):
        with pytest.raises(MarkingError):
            Marking.of(*bad)
    for rel in ("CAN, JPN", "REL TO CAN,JPN", "REL TO", "NOFORN"):
        with pytest.raises(MarkingError):
            parse_releasability(rel)
    assert scheme().partners == ("CAN", "JPN")


# --- the matrix -----------------------------------------------------------------------------

# The oracle: the rules of DESIGN.md written out independently of classification.toml.
RANK = {
    ("CAN", "UNCLASSIFIED"): 0,
    ("CAN", "CONFIDENTIAL"): 1,
    ("CAN", "SECRET"): 2,
    ("CAN", "TOP SECRET"): 3,
    ("JPN", "UNCLASSIFIED"): 0,
    ("JPN", "秘"): 1,
    ("JPN", "極秘"): 2,
    ("JPN", "機密"): 3,
}
PROTECTED = {("CAN", "PROTECTED A"), ("CAN", "PROTECTED B"), ("CAN", "PROTECTED C")}
CLEARANCES = {
    "CAN": ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET"],
    "JPN": ["UNCLASSIFIED", "秘", "極秘", "機密"],
}
RELEASABILITY = ["REL TO CAN", "REL TO JPN", "REL TO CAN, JPN", "REL TO CAN, JPN, USA"]
GROUPS = ["neon", "other"]
# (action, originator's consent to a third-nation release recorded)
ACTION_CELLS = [(a, False) for a in ACTIONS] + [("release_third_nation", True)]
MALFORMED = [
    ("CAN", "極秘", "REL TO CAN, JPN", "neon"),  # a level of the other scheme
    ("JPN", "SECRET", "REL TO CAN, JPN", "neon"),
    ("CAN", "BOGUS", "REL TO CAN, JPN", "neon"),
    ("CAN", "UNCLASSIFIED", "NOFORN", "neon"),
    ("JPN", "UNCLASSIFIED", "", "neon"),
]


def expected(nation: str, clearance: int, rec: tuple[str, str, str, str], cell: Any) -> bool:
    originator, classification, releasability, group = rec
    action, consent = cell
    if (originator, classification) in PROTECTED:
        rank = 1
        if nation != originator:
            return False
    elif (originator, classification) in RANK:
        rank = RANK[(originator, classification)]
    else:
        return False
    nations = releasability[7:].split(", ") if releasability.startswith("REL TO ") else []
    if clearance < rank or nation not in nations or group != "neon":
        return False
    if action != "read" and nation != originator:
        return False
    return not (action == "release_third_nation" and not consent)


def _matrix_records() -> list[tuple[str, str, str, str]]:
    levels = [k for k in RANK] + sorted(PROTECTED)
    recs = [(o, c, r, g) for (o, c) in levels for r in RELEASABILITY for g in GROUPS]
    return recs + MALFORMED


def test_policy_matrix_decide_and_sql_agree(store: Store) -> None:
    """Every cell of nation x clearance x (originator, classification) x releasability x group
    x action: Cedar's decision, the SQL filter and the oracle give the same answer."""
    records = _matrix_records()
    rows = {uuid.uuid4(): rec for rec in records}
    with Session(store.engine) as session, session.begin():
        for eid, (o, c, r, g) in rows.items():
            ev = _event(o, c, r, g)
            ev.event_id = eid
            session.add(ev)
    cells = 0
    wrong: list[str] = []
    allowed_cells = 0
    with Session(store.engine) as session:
        for nation, names in CLEARANCES.items():
            for rank, clearance in enumerate(names):
                p = Principal(f"{nation}-{rank}", nation, clearance, frozenset({"neon", "ops"}))
                for cell in ACTION_CELLS:
                    action, consent = cell
                    where = permitted(p, action, Event, consent=consent)
                    in_sql = set(session.scalars(select(Event.event_id).where(where)))
                    count = session.scalar(select(func.count()).select_from(Event).where(where))
                    assert count == len(in_sql)
                    for eid, rec in rows.items():
                        cells += 1
                        want = expected(nation, rank, rec, cell)
                        got = decide(p, action, dict(zip(_KEYS, rec, strict=True)), consent=consent)
                        allowed_cells += want
                        if got.allowed != want or (eid in in_sql) != want:
                            wrong.append(f"{p.user} {cell} {rec}: want {want}, cedar {got}, sql")
    assert cells == 8 * len(ACTION_CELLS) * len(records)
    assert 0 < allowed_cells < cells
    assert wrong == [], f"{len(wrong)} disagreeing cells, first: {wrong[:5]}"


_KEYS = ("originator_nation", "classification", "releasability", "group")


def test_readable_is_the_read_filter_and_reasons_are_given(store: Store) -> None:
    p = Principal("aiko", "JPN", "秘", frozenset({"neon"}))
    with Session(store.engine) as session, session.begin():
        session.add_all(
            [
                _event("CAN", "CONFIDENTIAL", "REL TO CAN, JPN", "neon"),
                _event("CAN", "SECRET", "REL TO CAN, JPN", "neon"),
                _event("CAN", "PROTECTED A", "REL TO CAN, JPN", "neon"),
            ]
        )
    with Session(store.engine) as session:
        shown = session.scalars(select(Event.classification).where(readable(p, Event))).all()
        assert shown == ["CONFIDENTIAL"]
        secret = session.scalars(select(Event).where(Event.classification == "SECRET")).one()
        d = decide(p, "read", secret)
        assert not d and "clearance" in d.reason
        prot = session.scalars(select(Event).where(Event.classification == "PROTECTED A")).one()
        assert "PROTECTED" in decide(p, "read", prot).reason


# --- audit ----------------------------------------------------------------------------------


def _fill_audit(store: Store, n: int = 6) -> None:
    with Session(store.engine) as session, session.begin():
        for i in range(n):
            audit.append(session, "alice", "read", "events", str(i), {"i": i, "note": "秘 ok"})


def _verify(store: Store) -> audit.VerifyResult:
    with Session(store.engine) as session:
        return audit.verify(session)


def test_audit_chain_verifies(store: Store) -> None:
    assert _verify(store).ok
    _fill_audit(store)
    result = _verify(store)
    assert result.ok and result.entries == 6 and result.first_bad_seq is None
    with Session(store.engine) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert entries[0].prev_hash == audit.GENESIS
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))


@pytest.mark.parametrize("tamper", ["alter", "delete", "swap", "rehash-one"])
def test_audit_tampering_is_found(store: Store, tamper: str) -> None:
    _fill_audit(store)
    with Session(store.engine) as session, session.begin():
        if tamper == "alter":
            session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(detail={"i": 9}))
            bad = 3
        elif tamper == "delete":
            session.execute(delete(AuditEntry).where(AuditEntry.seq == 4))
            bad = 4
        elif tamper == "swap":  # entries 2 and 5 trade places
            a, b = (session.get(AuditEntry, s) for s in (2, 5))
            assert a is not None and b is not None
            cols = ("ts", "actor", "action", "record_type", "record_id", "detail")
            va = {c: getattr(a, c) for c in (*cols, "prev_hash", "hash")}
            vb = {c: getattr(b, c) for c in (*cols, "prev_hash", "hash")}
            session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(**vb))
            session.execute(update(AuditEntry).where(AuditEntry.seq == 5).values(**va))
            bad = 2
        else:  # alter entry 3 and recompute its own hash: entry 4 no longer chains
            e = session.get(AuditEntry, 3)
            assert e is not None
            content = audit.canonical(3, e.ts, "mallory", e.action, e.record_type, e.record_id, {})
            new_hash = audit.entry_hash(e.prev_hash, content)
            session.execute(
                update(AuditEntry)
                .where(AuditEntry.seq == 3)
                .values(actor="mallory", detail={}, hash=new_hash)
            )
            bad = 4
    result = _verify(store)
    assert not result.ok
    assert result.first_bad_seq == bad, result.reason
    url = store.engine.url.render_as_string(hide_password=False)
    out = CliRunner().invoke(app, ["audit", "verify", "--db", url, "--json"])
    assert out.exit_code == 1
    assert json.loads(out.stdout)["first_bad_seq"] == bad


def test_concurrent_appends_do_not_fork_the_chain(store: Store) -> None:
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(8):
                with Session(store.engine) as session, session.begin():
                    # keys that look like the entry's own: the hash must cover them as given
                    trap = {"seq": -1, "nested": {"seq": -1, "ts": "x"}, "note": '極秘 "seq":-1,'}
                    audit.append(session, f"w{k}", "write", "events", str(i), trap)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = _verify(store)
    assert result.ok and result.entries == 32, result.reason


def test_a_rolled_back_append_leaves_no_gap(store: Store) -> None:
    _fill_audit(store, 2)
    with pytest.raises(RuntimeError), Session(store.engine) as session, session.begin():
        audit.append(session, "alice", "write", "events", "gone")
        raise RuntimeError("the write failed after its audit entry")
    _fill_audit(store, 1)
    result = _verify(store)
    assert result.ok and result.entries == 3, result.reason
    with Session(store.engine) as session:  # PostgreSQL chains at COMMIT: nothing left pending
        assert session.scalar(select(func.count()).select_from(AuditPending)) == 0


def test_cli_audit_verify_ok(store: Store) -> None:
    _fill_audit(store, 3)
    url = store.engine.url.render_as_string(hide_password=False)
    out = CliRunner().invoke(app, ["audit", "verify", "--db", url])
    assert out.exit_code == 0, out.output
    assert "intact: 3 entries" in out.stdout


def test_entries_cut_off_the_end_are_found_with_an_anchor(store: Store, tmp_path: Path) -> None:
    """Removing the newest entries leaves a valid shorter chain; the anchor kept outside the
    store tells. Via the CLI: --record appends the head, a later --anchor check fails."""
    _fill_audit(store, 5)
    url = store.engine.url.render_as_string(hide_password=False)
    anchors = tmp_path / "audit-anchors.jsonl"
    out = CliRunner().invoke(app, ["audit", "verify", "--db", url, "--anchor", str(anchors)])
    assert out.exit_code == 0, out.output  # no anchor yet: nothing to hold the chain to
    out = CliRunner().invoke(
        app, ["audit", "verify", "--db", url, "--anchor", str(anchors), "--record"]
    )
    assert out.exit_code == 0, out.output
    held = audit.read_anchor(anchors)
    assert held is not None and (held.seq, held.hash) == (5, _verify(store).last_hash)
    _fill_audit(store, 2)  # the log grows past the anchor: still fine
    out = CliRunner().invoke(app, ["audit", "verify", "--db", url, "--anchor", str(anchors)])
    assert out.exit_code == 0, out.output
    with Session(store.engine) as session, session.begin():
        session.execute(delete(AuditEntry).where(AuditEntry.seq >= 4))
    assert _verify(store).ok  # the chain alone cannot tell
    out = CliRunner().invoke(
        app, ["audit", "verify", "--db", url, "--anchor", str(anchors), "--json"]
    )
    assert out.exit_code == 1
    verdict = json.loads(out.stdout)
    assert verdict["first_bad_seq"] == 4 and "removed" in verdict["reason"]
    anchors.write_text("not json\n")
    out = CliRunner().invoke(app, ["audit", "verify", "--db", url, "--anchor", str(anchors)])
    assert out.exit_code == 2 and "not an audit anchor" in out.output


# --- originator control ---------------------------------------------------------------------

CAN_SECRET = Principal("claire", "CAN", "SECRET", frozenset({"neon"}))
JPN_GOKUHI = Principal("kenji", "JPN", "極秘", frozenset({"neon"}))


def _one(store: Store, *args: str) -> uuid.UUID:
    ev = _event(*args)
    eid = ev.event_id
    with Session(store.engine) as session, session.begin():
        session.add(ev)
    return eid


def _entries(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_only_the_originator_downgrades(store: Store) -> None:
    eid = _one(store, "CAN", "SECRET", "REL TO CAN, JPN", "neon")
    with Session(store.engine) as session, session.begin():
        ev = session.get(Event, eid)
        with pytest.raises(PolicyDenied, match="only the originator"):
            downgrade(session, JPN_GOKUHI, ev, "秘")
    with Session(store.engine) as session, session.begin():
        ev = session.get(Event, eid)
        assert ev is not None and ev.classification == "SECRET"
        downgrade(session, CAN_SECRET, ev, "confidential")
        with pytest.raises(ValueError, match="not below"):
            downgrade(session, CAN_SECRET, ev, "SECRET")
        downgrade(session, CAN_SECRET, ev, "UNCLASSIFIED")
    with Session(store.engine) as session:
        ev = session.get(Event, eid)
        assert ev is not None and ev.classification == "UNCLASSIFIED"
        log = _entries(session)
        assert [e.action for e in log] == ["downgrade.refused", "downgrade", "declassify"]
        assert log[0].actor == "kenji" and log[1].detail["to"] == "CONFIDENTIAL"
        assert audit.verify(session).ok


def test_widening_and_third_nation_consent(store: Store) -> None:
    eid = _one(store, "JPN", "極秘", "REL TO JPN", "neon")
    jpn = JPN_GOKUHI
    with Session(store.engine) as session, session.begin():
        ev = session.get(Event, eid)
        with pytest.raises(PolicyDenied, match="releasability"):  # CAN cannot even read it
            widen_releasability(session, CAN_SECRET, ev, ["CAN"])
        widen_releasability(session, jpn, ev, ["CAN"])
        assert ev is not None and ev.releasability == "REL TO CAN, JPN"
        with pytest.raises(PolicyDenied, match="only the originator"):
            widen_releasability(session, CAN_SECRET, ev, ["USA"], consent="whatever")
        with pytest.raises(PolicyDenied, match="consent"):
            widen_releasability(session, jpn, ev, ["USA"])
        widen_releasability(session, jpn, ev, ["USA"], consent="JMOD release authority #42")
        assert ev.releasability == "REL TO CAN, JPN, USA"
    with Session(store.engine) as session:
        log = _entries(session)
        assert [e.action for e in log] == [
            "widen_releasability.refused",
            "widen_releasability",
            "release_third_nation.refused",
            "release_third_nation.refused",
            "release_third_nation",
        ]
        last = log[-1].detail
        assert last["consent"] == "JMOD release authority #42"
        assert last["third_nations"] == ["USA"] and last["to"] == "REL TO CAN, JPN, USA"
        assert audit.verify(session).ok


# --- users ----------------------------------------------------------------------------------


def test_users_create_via_cli(store: Store) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    password = "correct horse battery staple"
    args = ["users", "create", "alice", "--nation", "CAN", "--clearance", "SECRET"]
    runner = CliRunner()
    out = runner.invoke(
        app,
        [*args, "--groups", "neon,ops", "--password-stdin", "--db", url, "--json"],
        input=password + "\n",
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["groups"] == ["neon", "ops"]
    again = runner.invoke(app, [*args, "--password-stdin", "--db", url], input=password)
    assert again.exit_code == 2 and "exists" in again.output
    bad = runner.invoke(
        app,
        [
            "users",
            "create",
            "bob",
            "--nation",
            "JPN",
            "--clearance",
            "SECRET",
            "--db",
            url,
            "--password-stdin",
        ],
        input=password,
    )
    assert bad.exit_code == 2 and "JPN" in bad.output
    short = runner.invoke(
        app,
        [
            "users",
            "create",
            "carl",
            "--nation",
            "JPN",
            "--clearance",
            "gokuhi",
            "--db",
            url,
            "--password-stdin",
        ],
        input="short",
    )
    assert short.exit_code == 2
    with Session(store.engine) as session, session.begin():
        users = session.scalars(select(User)).all()
        assert [u.username for u in users] == ["alice"]
        alice = users[0]
        assert alice.password_hash is not None and alice.password_hash.startswith("$argon2id$")
        assert password not in alice.password_hash
        assert check_password(alice, password) and not check_password(alice, "wrong password!")
        token = issue_token(session, alice)
        found = user_for_token(session, token)
        assert found is not None and found.username == "alice"
        assert user_for_token(session, "not-a-token") is None
        assert [e.action for e in _entries(session)] == ["user.create"]


def test_create_user_library(store: Store) -> None:
    with Session(store.engine) as session, session.begin():
        u = create_user(session, "kenji", nation="jpn", clearance="Gokuhi", groups=["neon", ""])
        assert (u.nation, u.clearance, u.groups, u.password_hash) == ("JPN", "極秘", ["neon"], None)
        assert not check_password(u, "anything at all")


# --- migrations -----------------------------------------------------------------------------


def test_releasability_is_kept_upper_case(store: Store) -> None:
    """The SQL filter tests releasability as stored (plain LIKEs), ``decide`` upper-cases it:
    migration 0006 upper-cases rows stored before it, PostgreSQL then refuses lower case, and
    on SQLite (whose LIKE ignores ASCII case) the two still agree on a lower-case row."""
    cfg = alembic_config(store.engine)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    with Session(store.engine) as session, session.begin():
        session.add(_event("CAN", "CONFIDENTIAL", "rel to can, jpn", "neon"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    reader = Principal("aiko", "JPN", "秘", frozenset({"neon"}))
    readable_count = select(func.count()).select_from(Event).where(readable(reader, Event))
    with Session(store.engine) as session:
        assert session.scalars(select(Event.releasability)).all() == ["REL TO CAN, JPN"]
        assert session.scalar(readable_count) == 1
    lower = _event("CAN", "CONFIDENTIAL", "rel to jpn", "neon")
    eid = lower.event_id
    if store.engine.dialect.name == "postgresql":
        with pytest.raises(IntegrityError), Session(store.engine) as session, session.begin():
            session.add(lower)
        return
    with Session(store.engine) as session, session.begin():
        session.add(lower)
    with Session(store.engine) as session:
        assert decide(reader, "read", session.get(Event, eid)).allowed
        assert session.scalar(readable_count) == 2
    assert Markings("JPN", "node", "秘", "rel to can, jpn", "neon").releasability == (
        "REL TO CAN, JPN"
    )


def test_migration_0002_up_and_down(store: Store) -> None:
    share_tables = {"users", "api_tokens", "audit"}
    assert share_tables <= set(inspect(store.engine).get_table_names())
    cfg = alembic_config(store.engine)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    names = set(inspect(store.engine).get_table_names())
    assert not (share_tables & names) and {"vessels", "events", "risk"} <= names
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert share_tables <= set(inspect(store.engine).get_table_names())
    _fill_audit(store, 2)
    assert _verify(store).ok
