"""Who is calling, from a bearer token."""

import jwt
import pytest

from vfp_shared.auth import Role, TokenVerifier, issue_token

KEY = "a-test-secret-that-is-long-enough-for-hs256"


def test_roles_organisation_and_teams_come_from_the_token() -> None:
    token = issue_token(KEY, "pc-101", [Role.STAFF], "force-east", teams=["cid-north"])
    who = TokenVerifier(KEY).verify(token)
    assert (who.subject, who.organisation) == ("pc-101", "force-east")
    assert who.roles == frozenset({Role.STAFF})
    assert who.teams == frozenset({"cid-north"})


def test_unknown_roles_are_ignored_not_trusted() -> None:
    token = jwt.encode({"sub": "x", "exp": 2**31, "roles": ["admin", "board"]}, KEY)
    assert TokenVerifier(KEY).verify(token).roles == frozenset({Role.BOARD})


def test_a_token_signed_with_another_key_is_refused() -> None:
    token = issue_token("another-secret-that-is-long-enough-for-hs256", "x", [Role.COORDINATOR])
    with pytest.raises(jwt.InvalidSignatureError):
        TokenVerifier(KEY).verify(token)


def test_an_expired_token_is_refused() -> None:
    token = issue_token(KEY, "x", [Role.COORDINATOR], ttl_s=-10)
    with pytest.raises(jwt.ExpiredSignatureError):
        TokenVerifier(KEY).verify(token)


@pytest.mark.parametrize("teams", [None, 7, [{"team": "x"}], {"cid": 1}])
def test_a_teams_claim_that_is_not_a_list_of_strings_is_an_invalid_token(teams: object) -> None:
    claims = {"sub": "x", "exp": 2**31, "roles": ["staff"], "teams": teams}
    token = jwt.encode(claims, KEY)
    if teams is None:  # absent or null: no teams
        assert TokenVerifier(KEY).verify(token).teams == frozenset()
        return
    with pytest.raises(jwt.InvalidTokenError):
        TokenVerifier(KEY).verify(token)
