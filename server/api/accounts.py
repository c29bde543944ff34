"""``POST /api/login`` and an organization's users: ``GET|POST /api/users``, ``PATCH /api/users/{uid}``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from persistence.commands.accounts import create_user, user_by_email
from persistence.commands.users import UserChanges, list_users, update_user
from persistence.rules.errors import InvalidInput
from persistence.rules.text import storable
from persistence.store.models import User

from ..auth import authenticate, hash_password, verify_password
from ..errors import ApiError
from ..live import runtime as live
from ..parsing import Bool, Nullable, Str, param, parse_body
from ..routing import Operation, route
from ..services import services
from ..tokens import issue_token

__all__ = [
    "USER_SCHEMA",
    "CreateUserBody",
    "LoginBody",
    "PatchUserBody",
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


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginBody:
    """Log in."""

    email: str = param(Str(max_len=320), required=True)
    password: str = param(Str(max_len=1000, allow_blank=True), required=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateUserBody:
    """A new user of the caller's organization."""

    email: str = param(Str(max_len=320), required=True)
    password: str = param(Str(max_len=1000), required=True, description="At least 8 characters.")
    first_name: str = param(Str(max_len=100), required=True)
    last_name: str = param(Str(max_len=100, allow_blank=True), required=True)
    role: str = param(Str(max_len=16), required=True, description="owner, admin, moderator or sender.")


@dataclass(frozen=True, slots=True, kw_only=True)
class PatchUserBody:
    """Changes to a user; keys left out (or null) stay as they are."""

    active: bool | None = param(Nullable(Bool()))
    first_name: str | None = param(Nullable(Str(max_len=100, allow_blank=True)))
    last_name: str | None = param(Nullable(Str(max_len=100, allow_blank=True)))
    role: str | None = param(Nullable(Str(max_len=16, allow_blank=True)))


USER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "email", "role", "first_name", "last_name", "active"],
    "properties": {
        "id": {"type": "integer"},
        "email": {"type": "string"},
        "role": {"type": "string"},
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "active": {"type": "boolean"},
    },
}


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
    body = await parse_body(request, LoginBody)
    email = body.email.strip().lower()
    password = body.password
    throttle = svc.login_throttle
    client = request.client.host if request.client else "unknown"
    wait = await throttle.retry_after(email, client)
    if wait > 0:
        raise ApiError(
            429,
            "too_many_attempts",
            "Too many failed logins; wait a moment and try again.",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    async with svc.db.session() as session:
        user = await user_by_email(session, email) if storable(email) else None
    # A password no user can have (broken Unicode) is simply wrong.
    ok = storable(password) and await verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        await throttle.failed(email, client)
        raise ApiError(401, "invalid_credentials", "The email or password is wrong.")
    await throttle.succeeded(email, client)
    token = issue_token(svc.secret, user.id, user.organization_id, svc.settings.token_ttl_seconds)
    return JSONResponse({"token": token, "user": user_json(user)})


async def create_user_route(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_body(request, CreateUserBody)
    email, password, first_name, last_name, role = (
        body.email,
        body.password,
        body.first_name,
        body.last_name,
        body.role,
    )
    if len(password) < 8:
        raise InvalidInput("The password must have at least 8 characters.", code="weak_password")
    for key, value in (
        ("email", email),
        ("password", password),
        ("first_name", first_name),
        ("last_name", last_name),
    ):
        if not storable(value):
            raise InvalidInput(f"'{key}' contains a NUL character or broken Unicode.")
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
    """A numeric path parameter (routes declare it ``{name:id}``: anything else matched no route, 404)."""
    value: int = request.path_params[name]
    return value


async def patch_user_route(request: Request) -> Response:
    actor = await authenticate(request)
    user_id = path_id(request, "user_id")
    body = await parse_body(request, PatchUserBody)
    changes = UserChanges(
        active=body.active, first_name=body.first_name, last_name=body.last_name, role=body.role
    )
    svc = services(request)
    async with svc.db.transaction() as session:
        user = await update_user(session, actor, user_id, changes)
    if changes.active is False or changes.role is not None:
        # Live subscriptions were authorized for the old role or an active
        # user: end them; the client reconnects with what it may still see.
        await live.revoke_access(svc, user_id=user.id)
    return JSONResponse(user_json(user))


_LOGIN = {
    "type": "object",
    "required": ["token", "user"],
    "properties": {"token": {"type": "string"}, "user": USER_SCHEMA},
}
_USERS = {
    "type": "object",
    "required": ["users"],
    "properties": {"users": {"type": "array", "items": USER_SCHEMA}},
}

routes: list[BaseRoute] = [
    route(
        "POST",
        "/api/login",
        login,
        Operation(
            "Log in for a bearer token",
            body=LoginBody,
            responses={200: _LOGIN},
            auth=False,
            errors=(401, 429),
        ),
    ),
    route(
        "GET", "/api/users", list_users_route, Operation("The organization's users", responses={200: _USERS})
    ),
    route(
        "POST",
        "/api/users",
        create_user_route,
        Operation("Add a user", body=CreateUserBody, responses={201: USER_SCHEMA}, errors=(409,)),
    ),
    route(
        "PATCH",
        "/api/users/{user_id:id}",
        patch_user_route,
        Operation(
            "Change or deactivate a user", body=PatchUserBody, responses={200: USER_SCHEMA}, errors=(409,)
        ),
    ),
]
