"""The ledger's errors: one base class, one subclass per way a request can fail, each with a
message that says what happened and what to do. The API maps them to HTTP statuses
(:data:`HTTP_STATUS`) and the CLI to one red line."""

from __future__ import annotations


class AcsaError(Exception):
    """Any refusal of the ledger; ``str(exc)`` is the message for the user."""

    status = 400


class NotFound(AcsaError):
    """No such order, or the reader may not see the ledger (the two look alike)."""

    status = 404


class NotAllowed(AcsaError):
    """The reader's party may not take this step (or the reader is not a ledger officer)."""

    status = 403


class StaleVersion(AcsaError):
    """Someone changed the order since the version the caller read (optimistic locking)."""

    status = 409


class RuleViolation(AcsaError):
    """The agreement forbids it: weapons, an ineligible activity, a bad amount, wrong state."""

    status = 422
