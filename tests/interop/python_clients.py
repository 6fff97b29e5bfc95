"""Standard Python OAuth clients against a running Tessera.

Run by tests/api/interop.rs with TESSERA_BASE (where the server listens), TESSERA_ISSUER
(what tokens name as `iss` and `aud`), CLIENT_ID/CLIENT_SECRET of an application with the
client_credentials and password grants, and USERNAME/PASSWORD of its owner.
authlib speaks the token, revocation and introspection endpoints; PyJWT verifies tokens
against the JWKS, as a resource server would.
"""

import os
import sys

import jwt
from authlib.integrations.requests_client import OAuth2Session, OAuthError

BASE = os.environ["TESSERA_BASE"]
ISSUER = os.environ["TESSERA_ISSUER"]
CLIENT_ID = os.environ["CLIENT_ID"]
CLIENT_SECRET = os.environ["CLIENT_SECRET"]
USERNAME = os.environ["USERNAME"]
PASSWORD = os.environ["PASSWORD"]
TOKEN_URL = f"{BASE}/oauth2-token"

checks = []


def check(name):
    def register(fn):
        checks.append((name, fn))
        return fn

    return register


def session(method="client_secret_basic", secret=CLIENT_SECRET):
    return OAuth2Session(CLIENT_ID, secret, token_endpoint_auth_method=method)


def verify(access_token):
    """Verifies like a resource server: key by `kid` from the JWKS, one algorithm."""
    jwks = jwt.PyJWKClient(f"{BASE}/.well-known/jwks.json")
    key = jwks.get_signing_key_from_jwt(access_token)
    header = jwt.get_unverified_header(access_token)
    assert header["typ"] == "at+jwt", header
    claims = jwt.decode(
        access_token,
        key.key,
        algorithms=[header["alg"]],
        audience=ISSUER,
        issuer=ISSUER,
        options={"require": ["exp", "iat", "nbf", "jti", "sub", "client_id"]},
    )
    assert claims["client_id"] == CLIENT_ID, claims
    return claims


@check("client_credentials with client_secret_basic")
def client_credentials_basic():
    token = session().fetch_token(TOKEN_URL, grant_type="client_credentials")
    assert token["token_type"].lower() == "bearer", token
    assert "refresh_token" not in token, "RFC 6749 4.4.3: no refresh token"
    claims = verify(token["access_token"])
    assert claims["sub"] == CLIENT_ID, claims


@check("client_credentials with client_secret_post")
def client_credentials_post():
    token = session("client_secret_post").fetch_token(TOKEN_URL, grant_type="client_credentials")
    verify(token["access_token"])


@check("password grant, then refresh rotation")
def password_and_refresh():
    client = session()
    token = client.fetch_token(TOKEN_URL, username=USERNAME, password=PASSWORD)
    verify(token["access_token"])
    first_refresh = token["refresh_token"]
    renewed = client.refresh_token(TOKEN_URL, refresh_token=first_refresh)
    assert renewed["refresh_token"] != first_refresh, "a new refresh token each time"
    verify(renewed["access_token"])
    try:
        client.refresh_token(TOKEN_URL, refresh_token=first_refresh)
    except OAuthError as error:
        assert error.error == "invalid_grant", error.error
    else:
        raise AssertionError("a spent refresh token was accepted")


@check("a wrong secret is invalid_client")
def wrong_secret():
    try:
        session(secret="tsk_not-the-secret").fetch_token(TOKEN_URL, grant_type="client_credentials")
    except OAuthError as error:
        assert error.error == "invalid_client", error.error
    else:
        raise AssertionError("a wrong secret was accepted")


@check("revocation and introspection")
def revoke_and_introspect():
    client = session()
    token = client.fetch_token(TOKEN_URL, username=USERNAME, password=PASSWORD)
    active = client.introspect_token(f"{BASE}/oauth2-introspect", token=token["access_token"]).json()
    assert active["active"] is True and active["client_id"] == CLIENT_ID, active
    response = client.revoke_token(f"{BASE}/oauth2-revoke", token=token["refresh_token"])
    assert response.status_code == 200, response.text
    revoked = client.introspect_token(f"{BASE}/oauth2-introspect", token=token["refresh_token"]).json()
    assert revoked == {"active": False}, revoked


failed = 0
for name, fn in checks:
    try:
        fn()
        print(f"ok      {name}")
    except Exception as error:  # report every check, then fail
        failed += 1
        print(f"FAILED  {name}: {type(error).__name__}: {error}")
print(f"python interop: {len(checks) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
