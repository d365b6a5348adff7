"""``POST /api/v1/login``: a user name and password for a bearer token and a session cookie;
``POST /api/v1/logout``: the token forgotten and the cookies cleared."""

import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from neonwatch.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    ApiContext,
    Auth,
    Ctx,
    Strict,
    csrf_token,
    request_token,
)
from neonwatch.api.records import PREFIX
from neonwatch.share import audit
from neonwatch.share.users import check_password, hash_password, issue_token, revoke_token
from neonwatch.share.users import principal as principal_of
from neonwatch.store.models import User

router = APIRouter(prefix=PREFIX, tags=["auth"])

# a real argon2 hash of a random password, checked when the user does not exist, so a wrong
# user name costs the same time as a wrong password
_DUMMY_HASH = hash_password(uuid.uuid4().hex)


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


@router.post("/login")
def login(body: LoginIn, response: Response, ctx: Ctx) -> dict[str, Any]:
    """Exchange a user name and password for a bearer token; also sets the HttpOnly session
    cookie and the CSRF cookie (send its value back in X-CSRF-Token with the cookie)."""
    cfg = ctx.settings
    with Session(ctx.engine) as s, s.begin():
        user = s.scalars(select(User).where(User.username == body.username)).first()
        if user is None:
            check_password(User(password_hash=_DUMMY_HASH), body.password)
            ok = False
        else:
            ok = check_password(user, body.password)
        if user is None or not ok:
            audit.append(s, body.username, "login.failed", "user", None, {})
            failed = True
        else:
            failed = False
            token = issue_token(s, user, cfg.token_ttl)
            p = principal_of(user)
            audit.append(s, user.username, "login", "user", str(user.id), {"via": "password"})
    if failed:
        raise HTTPException(
            401, "wrong user name or password", headers={"WWW-Authenticate": "Bearer"}
        )
    csrf = csrf_token(token)
    age = int(cfg.token_ttl.total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=age,
        httponly=True,
        secure=cfg.cookie_secure,
        samesite="strict",
        path=PREFIX,
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=age,
        httponly=False,
        secure=cfg.cookie_secure,
        samesite="strict",
        path="/",
    )
    return {
        "token": token,
        "token_type": "bearer",
        "expires_in": age,
        "csrf_token": csrf,
        "user": {
            "username": p.user,
            "nation": p.nation,
            "clearance": p.clearance,
            "groups": sorted(p.groups),
        },
    }


@router.post("/logout")
async def logout(p: Auth, ctx: Ctx, request: Request, response: Response) -> dict[str, Any]:
    """Forget the caller's token (bearer or session cookie, the latter with its CSRF header)
    and clear both cookies: the token stops working at once in this server process and within
    half a minute in the others (their token cache)."""
    token, _ = request_token(request)
    ctx.forget_token(token)
    await run_in_threadpool(_revoke, ctx, p.user, token)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    response.delete_cookie(CSRF_COOKIE, path="/")
    return {"logged_out": p.user}


def _revoke(ctx: ApiContext, user: str, token: str) -> None:
    with Session(ctx.engine) as s, s.begin():
        revoke_token(s, token)
        audit.append(s, user, "logout", "user", None, {})
