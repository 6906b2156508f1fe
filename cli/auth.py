"""``payments auth token``: a short-lived development token (no OpenID provider needed)."""

from __future__ import annotations

import hashlib

import click

from identifiers import parse_owner
from payments import tokens
from payments.errors import InputError


def _default_subject(role: str, cpr: str | None, cvr: str | None, name: str | None) -> str:
    """A citizen's subject is a digest of the CPR, never the CPR: it reaches the audit log."""
    if cpr:
        number = parse_owner("cpr", cpr, "cpr").number
        return f"{role}-" + hashlib.sha256(number.encode()).hexdigest()[:16]
    if cvr:
        return f"{role}-{parse_owner('cvr', cvr, 'cvr').number}"
    return name or role


@click.group()
def group() -> None:
    """Development tokens for the HTTP API."""


@group.command()
@click.option("--role", required=True, type=click.Choice(tokens.ROLES))
@click.option("--cpr", metavar="NUMBER", help="The citizen's CPR (role citizen).")
@click.option("--cvr", metavar="NUMBER", help="The employer's or bank's CVR.")
@click.option("--sub", metavar="NAME", help="The subject (the actor); default from the rest.")
@click.option("--name", metavar="NAME", help="A display name.")
@click.option("--scope", "scopes", multiple=True, help="A grant, e.g. mapper:details.")
@click.option("--ttl", default=3600, show_default=True, type=int, help="Seconds it is valid.")
@click.pass_obj
def token(app, role, cpr, cvr, sub, name, scopes, ttl) -> None:
    """Print a token signed with the local key (PAYMENTS_DEV_KEY_FILE, created 0600 on first
    use). Refused when an OpenID Connect issuer is configured: the server then accepts only
    the provider's tokens."""
    settings = app.settings
    if settings.oidc:
        raise InputError(
            "AUTH_DEV_TOKENS_DISABLED",
            "PAYMENTS_OIDC_ISSUER is set: tokens come from the provider, not from here",
            "oidc_issuer",
        )
    if sub is None:
        sub = _default_subject(role, cpr, cvr, name)
    key = tokens.dev_key(settings.dev_key_file, create=True)
    click.echo(
        tokens.mint(
            key,
            role=role,
            subject=sub,
            now=app.now(),
            ttl=ttl,
            cpr_number=cpr,
            cvr_number=cvr,
            name=name,
            scopes=tuple(scopes),
        )
    )
