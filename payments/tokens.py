"""Bearer tokens: who calls the HTTP API, in which role, for which CPR or CVR.

A token is a signed JWT. In production it comes from the agency's OpenID Connect provider
(``PAYMENTS_OIDC_ISSUER``, ``PAYMENTS_OIDC_AUDIENCE``, and its keys from
``PAYMENTS_OIDC_JWKS``: a JWKS URL, or a JWKS file so that no network is needed). Without a
provider, development tokens are signed with a local ES256 key (``PAYMENTS_DEV_KEY_FILE``)
and minted by ``payments auth token``; with a provider configured, no development token is
minted or accepted. Only asymmetric algorithms are accepted (never ``none`` or HMAC: a
shared secret would let anyone who verifies also sign).

The claims read, and what they mean:

============  ===============================================================================
``sub``       the caller; recorded as the actor of everything it does, and compared by four
              eyes. 1-100 printable characters, never a full CPR (it reaches the audit log)
``role``      ``citizen``, ``employer``, ``bank``, ``authority``, ``operator`` or ``auditor``
``cpr``       a citizen's own CPR number (required for ``citizen``): the only CPR the
              citizen's requests can concern
``cvr``       an employer's or a bank's own CVR number (required for ``employer``, ``bank``)
``name``      a display name (optional, never trusted for anything)
``scope``     space-separated grants; ``mapper:details`` lets an authority's mapper
              resolve show the masked account instead of yes/no
``iss``,      issuer and audience as configured; ``exp`` required, ``nbf`` and ``iat``
``aud``,      honoured, against the clock the caller passes (the API's edge clock), with
``exp``       :data:`LEEWAY` seconds of leeway
============  ===============================================================================

Nothing here reads the clock: :func:`mint` and :meth:`Verifier.verify` take ``now``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from identifiers import IdentifierError, cpr, cvr, holds_full_number
from payments import actors
from payments.config import Settings
from payments.errors import InputError, PaymentsError

ROLES = ("citizen", "employer", "bank", "authority", "operator", "auditor")
DEV_ISSUER = "payments-dev"
DEV_AUDIENCE = "payments-api"
DEV_ALGORITHM = "ES256"
#: what a provider may sign with: asymmetric algorithms only
OIDC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
LEEWAY = 30  # seconds of clock difference between the provider and this server
MAX_DEV_TTL = 24 * 3600
DETAILS_SCOPE = "mapper:details"


class AuthError(PaymentsError):
    """The caller is not authenticated (HTTP 401): no token, or one that does not verify."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: what its token allows, and nothing a request body says."""

    role: str
    subject: str
    cpr: str | None = None
    cvr: str | None = None
    name: str | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def actor(self) -> str:
        """Who is recorded as doing what this caller does (the token's subject)."""
        return self.subject

    @property
    def owner(self) -> tuple[str, str]:
        """The NemKonto owner this caller is: a citizen's CPR, an employer's or bank's CVR."""
        if self.cpr:
            return ("cpr", self.cpr)
        return ("cvr", self.cvr or "")


def principal(claims: dict[str, Any], today: dt.date) -> Principal:
    """The caller the verified ``claims`` describe, or ``AUTH_CLAIMS_INVALID``."""

    def bad(field: str, what: str) -> AuthError:
        return AuthError("AUTH_CLAIMS_INVALID", f"the token's {field} claim {what}", field)

    role = claims.get("role")
    if role not in ROLES:
        raise bad("role", f"must be one of {', '.join(ROLES)}")
    try:
        subject = actors.actor(claims.get("sub"), "sub")
    except PaymentsError:
        raise bad("sub", "must be 1-100 printable characters") from None
    if holds_full_number(subject):
        raise bad("sub", "may not hold a CPR number (it is written to the audit log)")
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise bad("scope", "must be a space-separated text")
    name = claims.get("name")
    number_cpr = number_cvr = None
    try:
        if role == "citizen":
            number_cpr = cpr.parse(claims.get("cpr"), "cpr", on=today)
        if role in ("employer", "bank"):
            number_cvr = cvr.parse(claims.get("cvr"), "cvr")
    except IdentifierError as exc:
        raise bad(exc.field or "cpr", "is missing or not a valid number") from None
    return Principal(
        role=role,
        subject=subject,
        cpr=number_cpr,
        cvr=number_cvr,
        name=name if isinstance(name, str) else None,
        scopes=frozenset(scope.split()),
    )


# -- the development key ---------------------------------------------------------------------


def dev_key(path: str | os.PathLike[str], *, create: bool) -> ec.EllipticCurvePrivateKey:
    """The local signing key; with ``create``, a new P-256 key when the file does not exist.

    The key is written whole to a file of its own (0600, ``O_EXCL | O_NOFOLLOW``: never
    through a symbolic link an attacker planted) and then hard-linked to ``path``, which
    fails if ``path`` exists: another process never sees the key file empty or half
    written (the workers of ``payments serve --workers N`` start together, and one that read
    the file between its creation and its writing refused to start), and a key another
    process published first wins (that one is read).
    """
    path = Path(path)
    try:
        return _read_key(path)
    except FileNotFoundError:
        if not create:
            raise InputError(
                "AUTH_DEV_KEY_INVALID",
                f"there is no development key at {path}; mint a token with "
                "`payments auth token` to create one",
                "dev_key_file",
            ) from None
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd, written = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        try:
            os.link(written, path)
        except FileExistsError:  # another process published one meanwhile: use that one
            return _read_key(path)
    finally:
        os.unlink(written)
    return key


def _read_key(path: Path) -> ec.EllipticCurvePrivateKey:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read()
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise InputError(
            "AUTH_DEV_KEY_INVALID", f"{path} is not a P-256 private key in PEM", "dev_key_file"
        )
    return key


def mint(
    key: ec.EllipticCurvePrivateKey,
    *,
    role: str,
    subject: str,
    now: dt.datetime,
    ttl: int = 3600,
    cpr_number: str | None = None,
    cvr_number: str | None = None,
    name: str | None = None,
    scopes: tuple[str, ...] = (),
) -> str:
    """A development token for ``role``; its claims are checked as the server checks them."""
    if not 1 <= ttl <= MAX_DEV_TTL:
        raise InputError("REQUEST_INVALID", f"--ttl must be 1 to {MAX_DEV_TTL} seconds", "ttl")
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "sub": subject,
        "role": role,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl,
    }
    if cpr_number:
        claims["cpr"] = cpr_number
    if cvr_number:
        claims["cvr"] = cvr_number
    if name:
        claims["name"] = name
    if scopes:
        claims["scope"] = " ".join(scopes)
    found = principal(claims, now.date())  # refuse to mint what the server would refuse
    claims["sub"] = found.subject
    if found.cpr:
        claims["cpr"] = found.cpr
    if found.cvr:
        claims["cvr"] = found.cvr
    return jwt.encode(claims, key, algorithm=DEV_ALGORITHM)


# -- verification ----------------------------------------------------------------------------


class Verifier:
    """Checks bearer tokens: the provider's (OIDC) or, without one, the development key's."""

    CACHE_SIZE = 10_000

    def __init__(self, settings: Settings) -> None:
        # a verified token's principal and expiry, by the token's whole text: a client sends
        # the same token for an hour, and an ECDSA or RSA verification costs more than the
        # rest of a look-up. Time claims are still checked on every use.
        self._verified: dict[str, tuple[Principal, float, float]] = {}
        self._jwks_client: jwt.PyJWKClient | None = None
        self._keys: dict[str | None, Any] = {}
        if settings.oidc:
            self.issuer, self.audience = settings.oidc_issuer, settings.oidc_audience
            self.algorithms = list(OIDC_ALGORITHMS)
            source = settings.oidc_jwks
            if source.startswith(("https://", "http://")):
                self._jwks_client = jwt.PyJWKClient(source, cache_keys=True, lifespan=300)
            else:
                self._load_jwks_file(Path(source))
        else:
            self.issuer, self.audience = DEV_ISSUER, DEV_AUDIENCE
            self.algorithms = [DEV_ALGORITHM]
            self._keys[None] = dev_key(settings.dev_key_file, create=True).public_key()

    def _load_jwks_file(self, path: Path) -> None:
        try:
            keys = jwt.PyJWKSet.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, jwt.PyJWTError) as exc:
            raise InputError(
                "CONFIG_INVALID", f"PAYMENTS_OIDC_JWKS: cannot use {path}: {exc}", "oidc_jwks"
            ) from None
        for found in keys.keys:
            self._keys[found.key_id] = found.key
        if len(keys.keys) == 1:  # a token without a key id may use the only key
            self._keys.setdefault(None, keys.keys[0].key)

    def _key_for(self, token: str) -> Any:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError(
                "AUTH_TOKEN_INVALID", "the token is not a JWT", "authorization"
            ) from None
        if header.get("alg") not in self.algorithms:
            raise AuthError(
                "AUTH_TOKEN_INVALID", "the token is signed with an algorithm not accepted", "alg"
            )
        if self._jwks_client is not None:
            try:
                return self._jwks_client.get_signing_key_from_jwt(token).key
            except jwt.PyJWTError:
                raise AuthError(
                    "AUTH_TOKEN_INVALID", "no key of the provider signed the token", "kid"
                ) from None
        kid = header.get("kid")
        key = self._keys.get(kid) if kid in self._keys else self._keys.get(None)
        if key is None:
            raise AuthError("AUTH_TOKEN_INVALID", "no known key signed the token", "kid")
        return key

    def known(self, token: str, now: dt.datetime) -> Principal | None:
        """The caller of a token verified before and still valid at ``now``, or None: a
        dictionary look-up, cheap enough for the event loop (:func:`verify` may have to
        fetch the provider's keys)."""
        known = self._verified.get(token)
        if known is not None:
            found, not_before, expires = known
            if not_before - LEEWAY <= now.timestamp() <= expires + LEEWAY:
                return found
        return None

    def verify(self, token: str, now: dt.datetime) -> Principal:
        """The caller ``token`` authenticates, or :class:`AuthError` (``AUTH_TOKEN_INVALID``,
        ``AUTH_CLAIMS_INVALID``). Time claims are checked against ``now``, not the clock."""
        known = self.known(token, now)
        if known is not None:
            return known
        claims = self.claims(token, now)
        found = principal(claims, now.date())
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.clear()
        not_before = max(claims.get(n) or 0 for n in ("nbf", "iat"))
        self._verified[token] = (found, not_before, claims["exp"])
        return found

    def claims(self, token: str, now: dt.datetime, *, audience: str | None = None) -> dict:
        """The verified claims of ``token`` (signature, issuer, audience, time against
        ``now``), or :class:`AuthError`. ``audience``: another than the API's — the web
        log-in checks an ID token, whose audience is the pages' client id."""
        moment = now.timestamp()
        key = self._key_for(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=self.algorithms,
                audience=audience or self.audience,
                issuer=self.issuer,
                options={
                    "require": ["exp", "iss", "aud", "sub"],
                    "verify_exp": False,  # checked below against the edge's clock
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise AuthError(
                "AUTH_TOKEN_INVALID", f"the token does not verify ({type(exc).__name__})", None
            ) from None
        for name, late in (("exp", False), ("nbf", True), ("iat", True)):
            value = claims.get(name)
            if value is None:
                continue
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise AuthError("AUTH_TOKEN_INVALID", f"the token's {name} is not a time", name)
            if (not late and moment > value + LEEWAY) or (late and value > moment + LEEWAY):
                what = "has expired" if name == "exp" else "is not valid yet"
                raise AuthError("AUTH_TOKEN_INVALID", f"the token {what}", name)
        return claims


def jwks_of(key: ec.EllipticCurvePrivateKey, kid: str = "dev") -> str:
    """The public JWKS of a key (tests stand up a provider's key file with it)."""
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    return json.dumps({"keys": [jwk | {"kid": kid, "use": "sig", "alg": DEV_ALGORITHM}]})
