"""Python's authlib through Tessera's authorization code flow with PKCE.

Run by tests/api/authorize_interop.rs with TESSERA_BASE (where the server listens),
TESSERA_ISSUER, CLIENT_ID/CLIENT_SECRET of a web application allowed the code flow,
REDIRECT_URI (registered for it) and USERNAME/PASSWORD of a person who may use it.
authlib builds the request and exchanges the code; the sign-in and consent pages are
driven with requests as a browser would submit them; PyJWT verifies the token.
"""

import os
import re
import sys
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

BASE = os.environ["TESSERA_BASE"]
ISSUER = os.environ["TESSERA_ISSUER"]
CLIENT_ID = os.environ["CLIENT_ID"]
CLIENT_SECRET = os.environ["CLIENT_SECRET"]
REDIRECT_URI = os.environ["REDIRECT_URI"]
USERNAME = os.environ["USERNAME"]
PASSWORD = os.environ["PASSWORD"]


def hidden(page, name):
    found = re.search(r'name="%s" value="([^"]*)"' % name, page)
    assert found, f"no {name} on the page: {page[:500]}"
    return found.group(1)


def follow(browser, response):
    assert response.status_code == 303, (response.status_code, response.text[:300])
    return browser.get(BASE + response.headers["location"], allow_redirects=False)


client = OAuth2Session(
    CLIENT_ID,
    CLIENT_SECRET,
    scope="read",
    redirect_uri=REDIRECT_URI,
    code_challenge_method="S256",
)
verifier = generate_token(48)
url, state = client.create_authorization_url(f"{BASE}/oauth2-authorize", code_verifier=verifier)

browser = requests.Session()
started = browser.get(url, allow_redirects=False)
page = follow(browser, started).text
assert "Sign in to continue to" in page, page
signed_in = browser.post(
    f"{BASE}/account/sign-in",
    data={
        "csrf_token": hidden(page, "csrf_token"),
        "request": hidden(page, "request"),
        "username": USERNAME,
        "password": PASSWORD,
    },
    allow_redirects=False,
)
page = follow(browser, signed_in).text
assert "wants to access your account" in page, page
allowed = browser.post(
    f"{BASE}/account/consent",
    data={
        "csrf_token": hidden(page, "csrf_token"),
        "request": hidden(page, "request"),
        "decision": "allow",
    },
    allow_redirects=False,
)
assert allowed.status_code == 303, allowed.text
callback = allowed.headers["location"]
assert callback.startswith(REDIRECT_URI + "?"), callback
params = parse_qs(urlsplit(callback).query)
assert params["iss"] == [ISSUER], params
assert params["state"] == [state], params

token = client.fetch_token(
    f"{BASE}/oauth2-token",
    authorization_response=callback,
    code_verifier=verifier,
)
assert token["token_type"].lower() == "bearer", token
assert token["scope"] == "read", token
assert "refresh_token" in token, token

jwks = jwt.PyJWKClient(f"{BASE}/.well-known/jwks.json")
key = jwks.get_signing_key_from_jwt(token["access_token"])
header = jwt.get_unverified_header(token["access_token"])
claims = jwt.decode(
    token["access_token"],
    key.key,
    algorithms=[header["alg"]],
    audience=ISSUER,
    issuer=ISSUER,
)
assert claims["client_id"] == CLIENT_ID, claims
print(f"python authorize: ok sub={claims['sub']}")

renewed = client.refresh_token(f"{BASE}/oauth2-token", refresh_token=token["refresh_token"])
assert renewed["refresh_token"] != token["refresh_token"], renewed
print("python authorize: refresh ok")
sys.exit(0)
