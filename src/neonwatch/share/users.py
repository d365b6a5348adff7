"""Users and API tokens: nation, clearance and need-to-know groups; passwords as argon2 hashes,
bearer tokens as their SHA-256. There are no default credentials: the first user is created
with ``neonwatch users create``."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from neonwatch.share import audit
from neonwatch.share.markings import check_nation, clearance_rank, normalize_level
from neonwatch.share.policy import Principal
from neonwatch.store.models import ApiToken, User, utcnow

_HASHER = PasswordHasher()
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")
MIN_PASSWORD = 12


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted, with its parameters)."""
    return _HASHER.hash(password)


def check_password(user: User, password: str) -> bool:
    """Whether ``password`` is ``user``'s (False when the user has none)."""
    if not user.password_hash:
        return False
    try:
        return _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    session: Session,
    username: str,
    *,
    nation: str,
    clearance: str,
    groups: Iterable[str],
    password: str | None = None,
    actor: str | None = None,
) -> User:
    """Create a user (clearance given in their nation's scheme, romaji accepted for Japan) and
    record it in the audit log. Raises ValueError for a taken name or an unknown level."""
    if not USERNAME_RE.match(username):
        raise ValueError(f"username {username!r}: letters, digits and . _ @ - only")
    code = check_nation(nation)
    level = normalize_level(clearance, code)
    clearance_rank(level, code)
    names = sorted({g.strip() for g in groups if g.strip()})
    if password is not None and len(password) < MIN_PASSWORD:
        raise ValueError(f"password: at least {MIN_PASSWORD} characters")
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise ValueError(f"user {username!r} exists already")
    user = User(
        username=username,
        nation=code,
        clearance=level,
        groups=names,
        password_hash=hash_password(password) if password is not None else None,
    )
    session.add(user)
    session.flush()
    audit.append(
        session,
        actor or username,
        "user.create",
        "user",
        str(user.id),
        {"username": username, "nation": code, "clearance": level, "groups": names},
    )
    return user


def principal(user: User) -> Principal:
    """The policy principal of a stored user."""
    return Principal(user.username, user.nation, user.clearance, frozenset(user.groups or []))


def issue_token(session: Session, user: User, ttl: timedelta = timedelta(hours=12)) -> str:
    """A new bearer token for ``user``; only its SHA-256 is stored."""
    token = secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode()).hexdigest()
    session.add(ApiToken(token_hash=digest, user_id=user.id, expires_at=utcnow() + ttl))
    session.flush()
    return token


def revoke_token(session: Session, token: str) -> bool:
    """Forget ``token`` (log out): True if it was stored. Its SHA-256 row is deleted, so the
    token no longer authenticates anywhere the store is read."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    result = session.execute(delete(ApiToken).where(ApiToken.token_hash == digest))
    return bool(getattr(result, "rowcount", 0))


def token_principal(session: Session, token: str) -> tuple[Principal, datetime] | None:
    """The principal of an unexpired bearer token and when the token expires, else None: one
    query (the API asks this on every request)."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = session.execute(
        select(User.username, User.nation, User.clearance, User.groups, ApiToken.expires_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == digest)
    ).first()
    if row is None:
        return None
    expires = row.expires_at
    if expires.tzinfo is None:  # SQLite drops the zone; stored as UTC
        expires = expires.replace(tzinfo=UTC)
    if expires <= utcnow():
        return None
    return Principal(row.username, row.nation, row.clearance, frozenset(row.groups or [])), expires


def user_for_token(session: Session, token: str) -> User | None:
    """The user of an unexpired bearer token, else None."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = session.get(ApiToken, digest)
    if row is None:
        return None
    expires = row.expires_at
    if expires.tzinfo is None:  # SQLite drops the zone; stored as UTC
        expires = expires.replace(tzinfo=utcnow().tzinfo)
    if expires <= utcnow():
        return None
    return session.get(User, row.user_id)
