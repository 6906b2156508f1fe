"""Settings from ``PAYMENTS_*`` environment variables and an optional ``payments.toml``.

Precedence (highest first): explicit overrides (CLI options) > environment > ``payments.toml``
in the working directory > defaults. Keys in ``payments.toml`` are the lower-case names
without the prefix (``database_url = "..."``). An unknown key in the file, or a value of the
wrong type, is an error (``CONFIG_INVALID``) rather than a silently ignored setting.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from iso20022.pain001 import MAX_TX_PER_PAYMENT_INFO
from payments.errors import InputError

CONFIG_FILE = "payments.toml"
ENV_PREFIX = "PAYMENTS_"
_REVIEW_LIMIT = Decimal(10) ** 12  # DKK; as øre well inside a BIGINT


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = "sqlite:///payments.db"
    parameters_dir: str | None = None
    debtor_name: str = "DEMO Udbetalingsmyndighed (fiktiv)"
    debtor_iban: str = "DK5000400440116243"
    debtor_bic: str = "DABADKKK"
    debtor_cvr: str = "13585628"
    debtor_country: str = "DK"  # Dbtr/PstlAdr/Ctry
    #: InitgPty/Id: the bank agreement id (scheme CUST) or, by default, the CVR (COID)
    initiating_party_id: str | None = None
    initiating_party_scheme: str = "COID"
    pain001_version: str = "001.001.03"
    max_tx_per_file: int = MAX_TX_PER_PAYMENT_INFO
    output_dir: str = "out"
    outbox_dir: str = "outbox"
    review_amount: Decimal = Decimal("1000000")
    cooling_off_days: int = 0
    # the HTTP API (payments serve): tokens from the agency's OpenID Connect provider, or
    # development tokens signed with a local key when no provider is configured
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks: str | None = None  # a JWKS URL, or the path of a JWKS file (no network)
    dev_key_file: str = "payments-dev-key.pem"
    spool_dir: str = "spool"  # claim files sent over HTTP wait here for a worker
    # the web pages (api/web): people log in through the same provider with the
    # authorization-code flow; without an issuer the pages offer the test log-in instead
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    #: the provider's discovery document: its URL, or a file (no network)
    oidc_discovery: str | None = None
    #: where the pages are served (https://…): the OIDC redirect URI is <public_url>/login/
    #: callback, and session cookies are Secure when it is https
    public_url: str = "http://127.0.0.1:8000"
    session_idle_minutes: int = 15  # a web session ends after this long without a request

    @property
    def oidc(self) -> bool:
        """Whether tokens come from an OpenID Connect provider (development tokens are off)."""
        return self.oidc_issuer is not None

    @property
    def parameter_dirs(self) -> tuple[str, ...]:
        """Operator folders of legal-parameter files, for ``rules.load_parameters``."""
        return (self.parameters_dir,) if self.parameters_dir else ()

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _convert(name: str, raw: Any, kind: type) -> Any:
    try:
        if kind is int:
            if isinstance(raw, bool):
                raise ValueError
            return int(raw)
        if kind is Decimal:
            return Decimal(str(raw))
        if not isinstance(raw, str):
            raise ValueError
        return raw
    except (ValueError, InvalidOperation):
        raise InputError(
            "CONFIG_INVALID", f"setting {name} has an invalid value {raw!r}", field=name
        ) from None


def load_settings(
    environ: dict[str, str] | None = None, cwd: Path | None = None, **overrides: Any
) -> Settings:
    """Read the settings; ``overrides`` (e.g. from CLI options) win over everything."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    kinds = {
        "max_tx_per_file": int,
        "cooling_off_days": int,
        "review_amount": Decimal,
        "session_idle_minutes": int,
    }
    values: dict[str, Any] = {}

    path = cwd / CONFIG_FILE
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError("CONFIG_INVALID", f"{path}: {exc}", field=str(path)) from None
        for key, raw in data.items():
            if key not in fields:
                raise InputError("CONFIG_INVALID", f"{path}: unknown setting {key!r}", field=key)
            values[key] = _convert(key, raw, kinds.get(key, str))

    for name in fields:
        env = environ.get(ENV_PREFIX + name.upper())
        if env is not None and env != "":
            values[name] = _convert(ENV_PREFIX + name.upper(), env, kinds.get(name, str))

    settings = Settings(**values).replace(**overrides)
    if settings.initiating_party_scheme not in ("CUST", "COID", "BANK"):
        raise InputError(
            "CONFIG_INVALID",
            "PAYMENTS_INITIATING_PARTY_SCHEME must be CUST (the bank agreement id), COID (the "
            f"CVR) or BANK, not {settings.initiating_party_scheme!r}",
            "initiating_party_scheme",
        )
    if not (len(settings.debtor_country) == 2 and settings.debtor_country.isalpha()
            and settings.debtor_country.isupper()):  # fmt: skip
        raise InputError(
            "CONFIG_INVALID",
            f"PAYMENTS_DEBTOR_COUNTRY must be an ISO 3166 code such as DK, not "
            f"{settings.debtor_country!r}",
            "debtor_country",
        )
    if settings.pain001_version not in ("001.001.03", "001.001.09"):
        raise InputError(
            "CONFIG_INVALID",
            f"PAYMENTS_PAIN001_VERSION must be 001.001.03 or 001.001.09, not "
            f"{settings.pain001_version!r}",
            field="pain001_version",
        )
    if not 1 <= settings.max_tx_per_file <= MAX_TX_PER_PAYMENT_INFO:
        # one PmtInf per file, and Nordea's guide takes at most 9,999 transactions in one
        raise InputError(
            "CONFIG_INVALID",
            f"PAYMENTS_MAX_TX_PER_FILE must be 1 to {MAX_TX_PER_PAYMENT_INFO:,} (the banks' "
            f"limit per payment information), not {settings.max_tx_per_file}",
            "max_tx_per_file",
        )
    review = settings.review_amount
    if not (review.is_finite() and 0 < review < _REVIEW_LIMIT and review == round(review, 2)):
        # zero or less would hold every order for review, a huge one would overflow øre
        raise InputError(
            "CONFIG_INVALID",
            "PAYMENTS_REVIEW_AMOUNT must be an amount in DKK "
            f"above 0 and below {_REVIEW_LIMIT:,}, in whole øre, not {review}",
            "review_amount",
        )
    if not 0 <= settings.cooling_off_days <= 365:
        raise InputError(
            "CONFIG_INVALID",
            f"PAYMENTS_COOLING_OFF_DAYS must be 0 to 365 days, not {settings.cooling_off_days}",
            "cooling_off_days",
        )
    if not 1 <= settings.session_idle_minutes <= 24 * 60:
        raise InputError(
            "CONFIG_INVALID",
            "PAYMENTS_SESSION_IDLE_MINUTES must be 1 to 1440 minutes, not "
            f"{settings.session_idle_minutes}",
            "session_idle_minutes",
        )
    if not settings.public_url.startswith(("https://", "http://")):
        raise InputError(
            "CONFIG_INVALID", "PAYMENTS_PUBLIC_URL must be an http(s) URL", "public_url"
        )
    _check_oidc(settings)
    return settings


def _check_oidc(settings: Settings) -> None:
    """The three OIDC settings go together: a server with an issuer but no keys would
    accept nothing, and one with keys but no issuer would fall back to development tokens."""
    given = {
        "PAYMENTS_OIDC_ISSUER": settings.oidc_issuer,
        "PAYMENTS_OIDC_AUDIENCE": settings.oidc_audience,
        "PAYMENTS_OIDC_JWKS": settings.oidc_jwks,
    }
    missing = [name for name, value in given.items() if not value]
    if len(missing) not in (0, 3):
        raise InputError(
            "CONFIG_INVALID",
            f"the OpenID Connect settings go together; {', '.join(missing)} not set",
            missing[0].removeprefix(ENV_PREFIX).lower(),
        )
    web = {
        "PAYMENTS_OIDC_CLIENT_ID": settings.oidc_client_id,
        "PAYMENTS_OIDC_CLIENT_SECRET": settings.oidc_client_secret,
        "PAYMENTS_OIDC_DISCOVERY": settings.oidc_discovery,
    }
    absent = [name for name, value in web.items() if not value]
    # the web log-in needs all three, and a provider (the three above) to check its ID tokens
    lacking = absent if len(absent) not in (0, 3) else (missing if not absent else [])
    if lacking:
        raise InputError(
            "CONFIG_INVALID",
            f"the web log-in's OpenID Connect settings go together; {', '.join(lacking)} not set",
            lacking[0].removeprefix(ENV_PREFIX).lower(),
        )
    if missing:
        return
    if not settings.oidc_issuer.startswith(("https://", "http://")):
        raise InputError(
            "CONFIG_INVALID", "PAYMENTS_OIDC_ISSUER must be the provider's URL", "oidc_issuer"
        )
    jwks = settings.oidc_jwks
    if not jwks.startswith(("https://", "http://")) and not Path(jwks).is_file():
        raise InputError(
            "CONFIG_INVALID",
            "PAYMENTS_OIDC_JWKS must be a JWKS URL or the path of an existing JWKS file",
            "oidc_jwks",
        )
