"""The ``share`` stage: security of information for the shared picture.

Markings and their equivalence between Canada's and Japan's schemes (:mod:`.markings`, from
``classification.toml``), access decisions from Cedar policies and the same rules as a store
query filter (:mod:`.policy`), users and tokens (:mod:`.users`), the hash-chained audit log
(:mod:`.audit`) and originator control (:mod:`.control`). No HTTP here; the API builds on it.
"""

from neonwatch.share.audit import VerifyResult, append, verify
from neonwatch.share.control import PolicyDenied, downgrade, widen_releasability
from neonwatch.share.markings import (
    Marking,
    MarkingError,
    in_scheme,
    parse_releasability,
    render_releasability,
)
from neonwatch.share.policy import ACTIONS, Decision, Principal, decide, permitted, readable
from neonwatch.share.users import create_user

__all__ = [
    "ACTIONS",
    "Decision",
    "Marking",
    "MarkingError",
    "PolicyDenied",
    "Principal",
    "VerifyResult",
    "append",
    "create_user",
    "decide",
    "downgrade",
    "in_scheme",
    "parse_releasability",
    "permitted",
    "readable",
    "render_releasability",
    "verify",
    "widen_releasability",
]
