"""A small OpenID Connect provider inside the test suite (no network).

It does what the agency's provider does for the pages' log-in, and checks what a real one
checks: the authorization request (``response_type=code``, the client, the redirect URI,
a PKCE S256 challenge), then at the token endpoint the client's secret (HTTP Basic), the
code (once), the redirect URI and the verifier against the challenge. Its ID tokens are
ES256 JWTs signed with a key of its own, published as a JWKS file; ``claims`` are what it
says about the user, and ``nonce`` replaces the nonce it signs (to test a bad one).

The browser's part (following the redirect to the provider, logging in there, coming
back) is :meth:`authorize`: given the URL the pages sent the browser to, the URL the
provider sends it back to.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from payments import tokens

ISSUER = "https://idp.test"
CLIENT_ID = "payments-pages"
CLIENT_SECRET = "a-secret-of-the-pages"


class Provider:
    def __init__(self, directory: Path, now: dt.datetime) -> None:
        self.now = now
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.jwks = directory / "idp-jwks.json"
        self.jwks.write_text(tokens.jwks_of(self.key, kid="idp-1"), encoding="utf-8")
        self.discovery = directory / "idp-discovery.json"
        self.discovery.write_text(
            json.dumps(
                {
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                    "response_types_supported": ["code"],
                    "code_challenge_methods_supported": ["S256"],
                }
            ),
            encoding="utf-8",
        )
        self.claims: dict = {}
        self.nonce: str | None = None  # sign this nonce instead of the request's
        self.codes: dict[str, dict] = {}
        self.exchanged = 0
        self.transport = httpx.MockTransport(self._handle)

    def authorize(self, url: str) -> str:
        """The user logs in at the provider: the callback URL it sends the browser to."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{ISSUER}/authorize"
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
        assert "openid" in query["scope"].split()
        assert query["code_challenge_method"] == "S256" and query["code_challenge"]
        assert query["state"] and query["nonce"]
        code = secrets.token_urlsafe(16)
        self.codes[code] = query
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/token" or request.method != "POST":
            return httpx.Response(404)
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {basic}":
            return httpx.Response(401, json={"error": "invalid_client"})
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        asked = self.codes.pop(form.get("code", ""), None)
        if form.get("grant_type") != "authorization_code" or asked is None:
            return httpx.Response(400, json={"error": "invalid_grant"})
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if (
            challenge != asked["code_challenge"]
            or form.get("redirect_uri") != asked["redirect_uri"]
        ):
            return httpx.Response(400, json={"error": "invalid_grant"})
        self.exchanged += 1
        issued = int(self.now.timestamp())
        claims = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "iat": issued,
            "exp": issued + 300,
            "nonce": self.nonce or asked["nonce"],
        } | self.claims
        id_token = jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": "idp-1"})
        return httpx.Response(
            200,
            json={"access_token": "at", "token_type": "Bearer", "expires_in": 300,
                  "id_token": id_token},
        )  # fmt: skip
