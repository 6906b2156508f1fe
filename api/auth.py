"""Authentication (a bearer JWT, :mod:`payments.tokens`) and authorization by role.

Every route but health and docs depends on :func:`caller` through :func:`role`: the token
is verified against the service's clock, its claims become a
:class:`~payments.tokens.Principal`, and a role that may not use the route gets 403
``AUTH_FORBIDDEN``. What a route may touch comes from the principal only (a citizen's CPR,
an employer's CVR); :func:`same_owner` refuses a body that names another.
"""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import ApiError
from api.state import state
from identifiers import IdentifierError, cpr, cvr
from payments.tokens import AuthError, Principal

bearer = HTTPBearer(auto_error=False, description="a JWT from the agency's OpenID provider")


async def caller(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Principal:
    """The verified caller. A token seen before is answered on the event loop; a new one is
    verified in the thread pool (its signature, perhaps a fetch of the provider's keys).
    Both dependencies here are ``async`` so that a request costs one thread-pool hop (its
    route), not three."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError("AUTH_REQUIRED", "send a bearer token (Authorization: Bearer …)", None)
    app = state(request)
    now = app.clock.now()
    known = app.verifier.known(credentials.credentials, now)
    if known is not None:
        return known
    return await run_in_threadpool(app.verifier.verify, credentials.credentials, now)


def role(*roles: str):
    """A dependency: the caller, when its role is one of ``roles``."""

    async def allowed(principal: Principal = Depends(caller)) -> Principal:
        if principal.role not in roles:
            raise ApiError("AUTH_FORBIDDEN", f"a {principal.role} may not do this", "role")
        return principal

    return allowed


def same_owner(principal: Principal, kind: str, given: str | None, field: str) -> None:
    """Refuse (403 ``AUTH_SUBJECT_MISMATCH``) a body naming another CPR/CVR than the token."""
    if given is None:
        return
    try:
        number = cpr.parse(given, field) if kind == "cpr" else cvr.parse(given, field)
    except IdentifierError:
        number = None
    if number != (principal.cpr if kind == "cpr" else principal.cvr):
        raise ApiError(
            "AUTH_SUBJECT_MISMATCH",
            f"the {field} is not yours; you may only act for the {kind.upper()} of your token",
            field,
        )
