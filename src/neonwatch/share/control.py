"""Originator control: only the nation that originated a record downgrades it, declassifies it
or widens its releasability, and a release to a third nation records the originator's consent.
Each change is decided by the Cedar policies and written to the audit log with the record in one
transaction (the caller's session)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from neonwatch.share import audit
from neonwatch.share.markings import (
    level,
    normalize_level,
    parse_releasability,
    render_releasability,
    scheme,
)
from neonwatch.share.policy import (
    DECLASSIFY,
    DOWNGRADE,
    RELEASE_THIRD,
    WIDEN,
    Principal,
    decide,
    third_nations,
)


class PolicyDenied(PermissionError):
    """The policies refuse the change; ``reason`` says which rule."""

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(f"{action} refused: {reason}")
        self.action = action
        self.reason = reason


def _ref(record: Any) -> tuple[str, str]:
    mapper = sa_inspect(record).mapper
    key = mapper.primary_key_from_instance(record)
    return mapper.local_table.name, "/".join(str(k) for k in key)


def _deny(session: Session, principal: Principal, action: str, record: Any, why: str) -> None:
    rtype, rid = _ref(record)
    # recorded in the caller's transaction: commit it to keep the refusal on the log
    audit.append(session, principal.user, f"{action}.refused", rtype, rid, {"reason": why})
    raise PolicyDenied(action, why)


def downgrade(session: Session, principal: Principal, record: Any, new_classification: str) -> Any:
    """Lower ``record``'s classification to ``new_classification`` (in the originator's scheme;
    UNCLASSIFIED declassifies). Only the originator; the new level must be lower on the same
    track. Refusals are audited too."""
    nation = record.originator_nation
    old = level(record.classification, nation)
    try:
        new = level(normalize_level(new_classification, nation), nation)
    except ValueError as exc:
        problem, new = str(exc), None
    action = DECLASSIFY if new is not None and new.track == "unclassified" else DOWNGRADE
    decision = decide(principal, action, record)  # first: a refusal tells nothing more
    if not decision:
        _deny(session, principal, action, record, decision.reason)
    if new is None:
        raise ValueError(f"downgrade: {problem}")
    lower = new.track == "unclassified" or (new.track == old.track and new.order < old.order)
    if not lower or new.name == old.name:
        raise ValueError(f"{action}: {new.name} is not below {old.name} on the same track")
    rtype, rid = _ref(record)
    record.classification = new.name
    audit.append(
        session,
        principal.user,
        action,
        rtype,
        rid,
        {"from": old.name, "to": new.name, "originator": nation, "reason": decision.reason},
    )
    session.flush()
    return record


def widen_releasability(
    session: Session,
    principal: Principal,
    record: Any,
    nations: Iterable[str],
    consent: str | None = None,
) -> Any:
    """Add ``nations`` to ``record``'s releasability. Only the originator; a third nation (not
    a partner of ``classification.toml``) needs ``consent``, the originator's consent reference
    (who agreed, under what authority), which is recorded in the audit entry."""
    current = parse_releasability(record.releasability)
    added = sorted(set(nations) - set(current))
    wanted = render_releasability([*current, *added])
    if not added:
        raise ValueError(f"widen: {record.releasability} already names {', '.join(nations)}")
    third = third_nations(added)
    action = RELEASE_THIRD if third else WIDEN
    consent_text = (consent or "").strip()
    decision = decide(principal, action, record, consent=bool(consent_text))
    if not decision:
        _deny(session, principal, action, record, decision.reason)
    rtype, rid = _ref(record)
    detail: dict[str, Any] = {
        "from": record.releasability,
        "to": wanted,
        "added": added,
        "originator": record.originator_nation,
    }
    if third:
        detail["third_nations"] = third
        detail["consent"] = consent_text
        detail["partners"] = list(scheme().partners)
    record.releasability = wanted
    audit.append(session, principal.user, action, rtype, rid, detail)
    session.flush()
    return record
