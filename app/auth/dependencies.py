"""FastAPI dependencies: the acting user from the request's bearer token, and role checks.

@router.get("/records")
def records(actor: CurrentActor, session: SessionDep) -> ...

@router.post("/sites", dependencies=[Depends(require_roles(Role.admin))])
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.actor import Actor, Role
from app.auth.tokens import actor_for_token
from app.core.deps import SessionDep
from app.core.errors import Forbidden, Unauthorized

# auto_error=False: a missing token is reported by actor_for_token, as problem+json like every error.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="apiToken",
    description="An API token made with `edc tokens create EMAIL`, sent as `Authorization: Bearer edc_...`.",
)


class BearerUnauthorized(Unauthorized):
    """A 401 that names the scheme to use (RFC 6750 section 3)."""

    headers = {"WWW-Authenticate": "Bearer"}


def _current_actor(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Actor:
    if credentials is None and "authorization" in request.headers:
        raise BearerUnauthorized("the Authorization header must read 'Bearer <token>'")
    try:
        return actor_for_token(session, credentials.credentials if credentials else None)
    except Unauthorized as exc:
        raise BearerUnauthorized(exc.detail) from None


# Uses the request's SessionDep, so the token check (and its last_used_at) is part of the
# request's one transaction. A `def` dependency of its own (one thread-pool hop), not part of the
# endpoint's `run_and_commit`: FastAPI resolves it before it validates the body, so a caller without
# a valid token gets a 401 and learns nothing about the request's shape.
CurrentActor = Annotated[Actor, Depends(_current_actor)]


def require_roles(*roles: Role) -> Callable[[Actor], Actor]:
    """A dependency that lets through only actors holding one of `roles` (403 otherwise)."""
    if not roles:
        raise ValueError("require_roles needs at least one role")
    allowed = frozenset(Role(role) for role in roles)
    names = " or ".join(sorted(allowed))

    def check(actor: CurrentActor) -> Actor:
        if actor.role not in allowed:
            raise Forbidden(f"only {names} may do this; you are {actor.role}")
        return actor

    return check
