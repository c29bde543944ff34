"""``POST /api/login`` and an organization's users: ``GET|POST /api/users``, ``PATCH /api/users/{uid}``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from persistence.commands.accounts import create_user, user_by_email
from persistence.commands.users import UserChanges, list_users, update_user
from persistence.rules.text import storable
from persistence.store.models import User

from .. import live
from ..auth import authenticate, hash_password, verify_password
from ..errors import ApiError
from ..services import services
from ..tokens import issue_token
from ..validation import json_object, opt_bool, opt_str, req_str

__all__ = [
    "create_user_route",
    "list_users_route",
    "login",
    "patch_user_route",
    "path_id",
    "routes",
    "user_json",
]

# A hash to verify against when the email is unknown, so that a wrong email
# and a wrong password take the same time.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$cgq+mP9QbAqDXPf+Yl70SA$BRWd57NWRWvaIRM1y0fXN40puOWXT6lqiDqH5xs3Xho"
)


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "active": user.active,
    }


async def login(request: Request) -> Response:
    svc = services(request)
    body = await json_object(request)
    email = req_str(body, "email", max_len=320).strip().lower()
    password = req_str(body, "password", max_len=1000, allow_empty=True)
    throttle = svc.extras["login_throttle"]
    client = request.client.host if request.client else "unknown"
    keys = (f"email:{email}", f"ip:{client}")
    wait = max(throttle.retry_after(k) for k in keys)
    if wait > 0:
        raise ApiError(
            429,
            "too_many_attempts",
            "Too many failed logins; wait a moment and try again.",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    async with svc.db.session() as session:
        user = await user_by_email(session, email) if storable(email) else None
    # A password no user can have (broken Unicode) is simply wrong.
    ok = storable(password) and await verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        for k in keys:
            throttle.failed(k)
        raise ApiError(401, "invalid_credentials", "The email or password is wrong.")
    for k in keys:
        throttle.succeeded(k)
    token = issue_token(svc.secret, user.id, user.organization_id, svc.settings.token_ttl_seconds)
    return JSONResponse({"token": token, "user": user_json(user)})


async def create_user_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await json_object(request)
    email = req_str(body, "email", max_len=320)
    password = req_str(body, "password", max_len=1000)
    if len(password) < 8:
        raise ApiError(422, "weak_password", "The password must have at least 8 characters.")
    first_name = req_str(body, "first_name", max_len=100)
    last_name = req_str(body, "last_name", max_len=100, allow_empty=True)
    role = req_str(body, "role", max_len=16)
    for key, value in (
        ("email", email),
        ("password", password),
        ("first_name", first_name),
        ("last_name", last_name),
    ):
        if not storable(value):
            raise ApiError(422, "invalid_input", f"'{key}' contains a NUL character or broken Unicode.")
    password_hash = await hash_password(password)
    async with services(request).db.transaction() as session:
        user = await create_user(
            session,
            actor.organization_id,
            email=email,
            password_hash=password_hash,
            first_name=first_name,
            last_name=last_name,
            role=role,
            actor=actor,
        )
    return JSONResponse(user_json(user), status_code=201)


async def list_users_route(request: Request) -> Response:
    actor = await authenticate(request)
    async with services(request).db.session() as session:
        users = await list_users(session, actor)
    return JSONResponse({"users": [user_json(u) for u in users]})


def path_id(request: Request, name: str) -> int:
    """A numeric path parameter; 404 (not 422) for anything else, like a missing row."""
    raw = request.path_params[name]
    if not raw.isdigit() or len(raw) > 18:
        raise ApiError(404, "not_found", f"No such {name.removesuffix('_id')}.")
    return int(raw)


async def patch_user_route(request: Request) -> Response:
    actor = await authenticate(request)
    user_id = path_id(request, "user_id")
    body = await json_object(request)
    unknown = set(body) - {"active", "first_name", "last_name", "role"}
    if unknown:
        raise ApiError(422, "invalid_input", f"Unknown field(s): {', '.join(sorted(unknown))}.")
    changes = UserChanges(
        active=opt_bool(body, "active"),
        first_name=opt_str(body, "first_name", max_len=100),
        last_name=opt_str(body, "last_name", max_len=100),
        role=opt_str(body, "role", max_len=16),
    )
    svc = services(request)
    async with svc.db.transaction() as session:
        user = await update_user(session, actor, user_id, changes)
    if changes.active is False or changes.role is not None:
        # Live subscriptions were authorized for the old role or an active
        # user: end them; the client reconnects with what it may still see.
        await live.revoke_access(svc, user_id=user.id)
    return JSONResponse(user_json(user))


routes: list[BaseRoute] = [
    Route("/api/login", login, methods=["POST"]),
    Route("/api/users", list_users_route, methods=["GET"]),
    Route("/api/users", create_user_route, methods=["POST"]),
    Route("/api/users/{user_id}", patch_user_route, methods=["PATCH"]),
]
