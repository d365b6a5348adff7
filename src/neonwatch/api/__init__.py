"""The ``serve`` stage: the shared picture over HTTP (FastAPI, routes under ``/api/v1/``).

Public surface: :func:`create_app` (the ASGI app over an opened store) and :class:`Settings`.
Every route but ``POST /api/v1/login`` needs a bearer token or a session cookie; every list,
search and get filters by policy inside the SQL (:func:`neonwatch.share.policy.readable`); every
read and write appends to the audit chain in the same transaction.
"""

from neonwatch.api.app import NOT_FOUND, Settings, create_app

__all__ = ["NOT_FOUND", "Settings", "create_app"]
