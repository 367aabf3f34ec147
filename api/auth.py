"""Bearer-token authentication and role checks, declared on each view so the OpenAPI document can state them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from api.context import services
from engine.errors import Forbidden, Unauthenticated
from engine.names import USER_ROLES, Role

F = TypeVar("F", bound=Callable[..., Any])

ADMIN, RESPONDER, AUDITOR = Role.ADMINISTRATOR, Role.RESPONDER, Role.AUDITOR
EVERYONE = USER_ROLES


def requires(*roles: str) -> Callable[[F], F]:
    """Only callers whose role is listed get in: 401 without a valid token, 403 (audited) otherwise."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated("missing bearer token (Authorization: Bearer <token>)")
            actor = services().users.authenticate(token.strip())
            if actor is None:
                raise Unauthenticated("unknown or revoked token")
            g.actor = actor
            if actor.role not in roles:
                raise Forbidden(f"role {actor.role} may not call this endpoint", {"allowed_roles": list(roles)})
            return view(*args, **kwargs)

        wrapper.allowed_roles = roles  # type: ignore[attr-defined]  # read by the OpenAPI generator
        return wrapper  # type: ignore[return-value]  # wraps keeps the view's signature

    return decorate


def public(view: F) -> F:
    view.allowed_roles = ()  # type: ignore[attr-defined]  # read by the OpenAPI generator
    return view
