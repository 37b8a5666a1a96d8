"""Who is calling: roles and organisation from a bearer token (any OIDC-style JWT).

The token carries ``sub``, a ``roles`` (or ``role``) claim, an ``org`` claim (the caller's
organisation: the force, a commissioned service, the CPS, a partner) and optionally ``teams``
(the teams a member of staff belongs to, e.g. for case studies shared with named teams).
Verified with a shared secret (HS256) or a public key (RS256/ES256) given in the settings.
"""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt
from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer


class Role(StrEnum):
    PANEL_LEAD = "panel_lead"
    COORDINATOR = "coordinator"
    SUPPORT_SERVICE = "support_service"
    STAFF = "staff"
    BOARD = "board"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    organisation: str | None
    teams: frozenset[str] = frozenset()

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class TokenVerifier:
    key: str
    algorithms: tuple[str, ...] = ("HS256",)
    audience: str | None = None

    def verify(self, token: str) -> Principal:
        claims = jwt.decode(
            token,
            self.key,
            algorithms=list(self.algorithms),
            audience=self.audience,
            options={"verify_aud": self.audience is not None, "require": ["sub", "exp"]},
        )
        raw = claims.get("roles", claims.get("role", []))
        names = [raw] if isinstance(raw, str) else list(raw)
        roles = frozenset(Role(name) for name in names if name in Role._value2member_map_)
        teams = claims.get("teams") or []
        if isinstance(teams, str):
            teams = [teams]
        if not isinstance(teams, list) or not all(isinstance(team, str) for team in teams):
            raise jwt.InvalidTokenError("the teams claim must be a list of strings")
        return Principal(
            subject=str(claims["sub"]),
            roles=roles,
            organisation=claims.get("org"),
            teams=frozenset(teams),
        )


def issue_token(
    key: str,
    subject: str,
    roles: list[Role],
    organisation: str | None = None,
    ttl_s: int = 3600,
    teams: list[str] | None = None,
) -> str:
    """For tests, the simulator and local use: a signed HS256 token."""
    import time

    claims: dict[str, Any] = {
        "sub": subject,
        "roles": [r.value for r in roles],
        "exp": int(time.time()) + ttl_s,
    }
    if organisation:
        claims["org"] = organisation
    if teams:
        claims["teams"] = teams
    return jwt.encode(claims, key, algorithm="HS256")


_bearer = HTTPBearer(auto_error=False)
PrincipalDependency = Callable[..., Coroutine[Any, Any, Principal]]


def requires(verifier: TokenVerifier, *roles: Role) -> PrincipalDependency:
    """A FastAPI dependency: 401 without a valid token, 403 without one of `roles`."""

    async def principal(
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
    ) -> Principal:
        if credentials is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            found = verifier.verify(credentials.credentials)
        except jwt.PyJWTError as error:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                f"invalid token: {error}",
                headers={"WWW-Authenticate": "Bearer"},
            ) from None
        if roles and not found.has(*roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"needs one of the roles: {', '.join(sorted(roles))}"
            )
        return found

    return principal
