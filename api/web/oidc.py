"""The pages' log-in in production: OpenID Connect's authorization-code flow (authlib).

1. ``GET /login/oidc`` makes a fresh anonymous session holding a random ``state``, a
   ``nonce`` and a PKCE ``code_verifier`` (S256), and sends the browser to the provider's
   authorization endpoint (from its discovery document, ``PAYMENTS_OIDC_DISCOVERY``: a URL,
   or a file so that no network is needed to start).
2. The provider sends the browser back to ``<PAYMENTS_PUBLIC_URL>/login/callback`` with a
   ``code`` and the ``state``; a state that is not the session's is refused
   (``WEB_LOGIN_STATE_INVALID``: a forged or replayed return), and the state is used once.
3. The code is exchanged at the token endpoint (client id and secret, the verifier); the
   ID token is checked exactly as the API checks a bearer token
   (:meth:`payments.tokens.Verifier.claims`: the provider's keys, issuer, time — the
   audience being the pages' client id), its ``nonce`` must be the session's
   (``WEB_LOGIN_NONCE_INVALID``), and its claims become a
   :class:`~payments.tokens.Principal` the same way (:func:`payments.tokens.principal`:
   ``role``, ``sub``, ``cpr``/``cvr``). The log-in session is then replaced by a new one.

Tests replace the HTTP transport (:attr:`Provider.transport`) by a provider of their own.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client

from payments.config import Settings
from payments.errors import PaymentsError

CALLBACK = "/login/callback"


class LoginFailed(PaymentsError):
    """The provider's answer cannot be used (a 403 page with the code)."""


class Provider:
    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        self.transport = transport
        self._metadata: dict[str, Any] | None = None

    @property
    def redirect_uri(self) -> str:
        return self.settings.public_url.rstrip("/") + CALLBACK

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (read once)."""
        if self._metadata is None:
            source = self.settings.oidc_discovery or ""
            if source.startswith(("https://", "http://")):
                with httpx.Client(transport=self.transport, timeout=10) as client:
                    self._metadata = client.get(source).raise_for_status().json()
            else:
                self._metadata = json.loads(Path(source).read_text(encoding="utf-8"))
        return self._metadata

    def _client(self) -> OAuth2Client:
        return OAuth2Client(
            client_id=self.settings.oidc_client_id,
            client_secret=self.settings.oidc_client_secret,
            scope="openid",
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            transport=self.transport,
            timeout=10,
        )

    def start(self) -> tuple[str, dict[str, str]]:
        """The provider's URL to send the browser to, and what the session must keep."""
        pending = {
            "state": secrets.token_urlsafe(32),
            "nonce": secrets.token_urlsafe(32),
            "code_verifier": generate_token(64),
        }
        with self._client() as client:
            url, _ = client.create_authorization_url(
                self.metadata()["authorization_endpoint"],
                state=pending["state"],
                nonce=pending["nonce"],
                code_verifier=pending["code_verifier"],
            )
        return url, pending

    def exchange(self, code: str, code_verifier: str) -> str:
        """The ID token the provider gives for ``code``."""
        try:
            with self._client() as client:
                token = client.fetch_token(
                    self.metadata()["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
        except Exception as exc:  # noqa: BLE001 (any failure of the provider: no log-in)
            raise LoginFailed(
                "WEB_LOGIN_FAILED", f"the provider did not exchange the code ({exc})", "code"
            ) from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise LoginFailed("WEB_LOGIN_FAILED", "the provider sent no ID token", "id_token")
        return id_token
