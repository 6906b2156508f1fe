"""Who may call, and what they may send: tokens that must not pass, input that must not
reach the engine, and the headers every answer carries."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from api.app import create_app
from api.state import Clock
from payments import tokens
from payments.config import Settings, load_settings
from payments.errors import InputError
from tests.api.conftest import CITIZEN, NOW, TODAY


def _code(response) -> str:
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()["code"]


def _claims(**changes) -> dict:
    base = {
        "iss": tokens.DEV_ISSUER,
        "aud": tokens.DEV_AUDIENCE,
        "sub": "someone",
        "role": "operator",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 600,
    }
    return {k: v for k, v in (base | changes).items() if v is not None}


def _bearer(claims: dict, key) -> dict:
    return {"Authorization": "Bearer " + jwt.encode(claims, key, algorithm="ES256")}


@pytest.fixture
def dev_key(settings):
    return tokens.dev_key(settings.dev_key_file, create=True)


def test_a_valid_token_passes(client, dev_key):
    assert client.get("/v1/batches", headers=_bearer(_claims(), dev_key)).status_code == 200


@pytest.mark.parametrize(
    "case",
    [
        "none",
        "not a jwt",
        "other key",
        "expired",
        "other audience",
        "other issuer",
        "no exp",
        "not yet valid",
        "hmac",
        "basic",
    ],  # fmt: skip
)
def test_tokens_that_must_not_pass(client, dev_key, case):
    other = ec.generate_private_key(ec.SECP256R1())
    headers = {
        "none": {},
        "not a jwt": {"Authorization": "Bearer abc.def"},
        "other key": _bearer(_claims(), other),
        "expired": _bearer(_claims(exp=int(NOW.timestamp()) - 120), dev_key),
        "other audience": _bearer(_claims(aud="another-service"), dev_key),
        "other issuer": _bearer(_claims(iss="https://evil.example"), dev_key),
        "no exp": _bearer(_claims(exp=None), dev_key),
        "not yet valid": _bearer(_claims(nbf=int(NOW.timestamp()) + 3600), dev_key),
        "hmac": {"Authorization": "Bearer " + jwt.encode(_claims(), "s" * 32, algorithm="HS256")},
        "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
    }[case]
    response = client.get("/v1/batches", headers=headers)
    assert response.status_code == 401
    assert _code(response) in ("AUTH_REQUIRED", "AUTH_TOKEN_INVALID")
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "claims",
    [
        {"role": "king"},
        {"role": "citizen"},  # no cpr
        {"role": "citizen", "cpr": "not-a-cpr"},
        {"role": "employer"},  # no cvr
        {"role": "operator", "sub": "0101901234"},  # a CPR as the actor would reach the log
        {"role": "operator", "sub": ""},
    ],
)
def test_claims_that_must_not_pass(client, dev_key, claims):
    response = client.get("/v1/batches", headers=_bearer(_claims(**claims), dev_key))
    assert response.status_code == 401
    assert _code(response) == "AUTH_CLAIMS_INVALID"


def test_a_role_that_may_not_gets_403(client, token):
    response = client.get("/v1/batches", headers=token("citizen"))
    assert response.status_code == 403 and _code(response) == "AUTH_FORBIDDEN"


def test_oidc_tokens_verify_with_a_jwks_file_and_dev_tokens_do_not(db_url, tmp_path, settings):
    provider = ec.generate_private_key(ec.SECP256R1())
    jwks = tmp_path / "jwks.json"
    jwks.write_text(tokens.jwks_of(provider, kid="k1"))
    oidc = Settings(
        database_url=db_url,
        oidc_issuer="https://login.example.dk",
        oidc_audience="payments",
        oidc_jwks=str(jwks),
        dev_key_file=settings.dev_key_file,
    )
    app = create_app(oidc, clock=Clock(now=lambda: NOW, date=TODAY))
    good = _claims(iss="https://login.example.dk", aud="payments")
    signed = jwt.encode(good, provider, algorithm="ES256", headers={"kid": "k1"})
    dev = tokens.mint(
        tokens.dev_key(settings.dev_key_file, create=True), role="operator", subject="x", now=NOW
    )
    with TestClient(app) as client:
        ok = client.get("/v1/batches", headers={"Authorization": f"Bearer {signed}"})
        refused = client.get("/v1/batches", headers={"Authorization": f"Bearer {dev}"})
    app.state.payments.engine.dispose()
    assert ok.status_code == 200
    assert refused.status_code == 401 and _code(refused) == "AUTH_TOKEN_INVALID"


def test_oidc_settings_go_together(tmp_path):
    with pytest.raises(InputError) as half:
        load_settings(environ={"PAYMENTS_OIDC_ISSUER": "https://login.example.dk"}, cwd=tmp_path)
    assert half.value.code == "CONFIG_INVALID"
    with pytest.raises(InputError) as missing_file:
        load_settings(
            environ={
                "PAYMENTS_OIDC_ISSUER": "https://login.example.dk",
                "PAYMENTS_OIDC_AUDIENCE": "payments",
                "PAYMENTS_OIDC_JWKS": str(tmp_path / "nowhere.json"),
            },
            cwd=tmp_path,
        )
    assert missing_file.value.field == "oidc_jwks"


def test_the_dev_key_is_created_private_and_never_through_a_link(tmp_path):
    path = tmp_path / "key.pem"
    key = tokens.dev_key(path, create=True)
    assert path.stat().st_mode & 0o777 == 0o600
    assert tokens.dev_key(path, create=False).private_numbers() == key.private_numbers()
    link = tmp_path / "link.pem"
    link.symlink_to(path)
    with pytest.raises(OSError):
        tokens.dev_key(link, create=True)


def test_a_dev_key_being_written_is_never_read_half_written(tmp_path, monkeypatch):
    """Two processes start at once (``serve --workers 2``): the second looks for the key
    while the first is writing it. It must not find an empty file (AUTH_DEV_KEY_INVALID);
    it makes its own, and the one published first is the key of both."""
    path = tmp_path / "key.pem"
    opened = tokens.os.fdopen
    other: list = []

    def fdopen(fd, *args, **kwargs):  # the first process, about to write its key
        if not other:
            other.append(None)
            other[0] = tokens.dev_key(path, create=True)  # the second process, now
        return opened(fd, *args, **kwargs)

    monkeypatch.setattr(tokens.os, "fdopen", fdopen)
    first = tokens.dev_key(path, create=True)
    assert first.private_numbers() == other[0].private_numbers()
    assert tokens.dev_key(path, create=False).private_numbers() == first.private_numbers()
    assert [p.name for p in tmp_path.iterdir()] == ["key.pem"]  # nothing left behind


def test_the_cli_mints_no_dev_token_when_oidc_is_configured(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cli.main import cli

    jwks = tmp_path / "jwks.json"
    jwks.write_text(tokens.jwks_of(ec.generate_private_key(ec.SECP256R1())))
    monkeypatch.setenv("PAYMENTS_OIDC_ISSUER", "https://login.example.dk")
    monkeypatch.setenv("PAYMENTS_OIDC_AUDIENCE", "payments")
    monkeypatch.setenv("PAYMENTS_OIDC_JWKS", str(jwks))
    monkeypatch.setenv("PAYMENTS_DEV_KEY_FILE", str(tmp_path / "k.pem"))
    result = CliRunner().invoke(cli, ["auth", "token", "--role", "operator"])
    assert result.exit_code == 2
    assert "AUTH_DEV_TOKENS_DISABLED" in result.output
    assert not (tmp_path / "k.pem").exists()


def test_the_cli_token_is_accepted_and_its_subject_holds_no_cpr(client, settings, monkeypatch):
    from click.testing import CliRunner

    from cli.main import cli

    monkeypatch.setenv("PAYMENTS_DEV_KEY_FILE", settings.dev_key_file)
    monkeypatch.setattr("cli.main.App.now", staticmethod(lambda: NOW))
    result = CliRunner().invoke(cli, ["auth", "token", "--role", "citizen", "--cpr", "010190-1234"])
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), options={"verify_signature": False})
    assert claims["cpr"] == CITIZEN and CITIZEN not in claims["sub"]
    me = client.get("/v1/me/nemkonto", headers={"Authorization": f"Bearer {result.output.strip()}"})
    assert me.status_code == 200


# -- bad input over HTTP ---------------------------------------------------------------------


def test_malformed_json_is_400(client, token):
    response = client.post(
        "/v1/me/nemkonto",
        content=b'{"reg_no": "1234",',
        headers=token("citizen") | {"Content-Type": "application/json"},
    )
    assert response.status_code == 400 and _code(response) == "REQUEST_MALFORMED"
    claims = client.post(
        "/v1/claims",
        content=b"[{",
        headers=token("employer") | {"Content-Type": "application/json"},
    )
    assert claims.status_code == 400 and _code(claims) == "REQUEST_MALFORMED"


def test_a_wrong_content_type_is_415(client, token):
    response = client.post(
        "/v1/me/nemkonto",
        content=b"reg_no=1234&account_no=1",
        headers=token("citizen") | {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415 and _code(response) == "REQUEST_CONTENT_TYPE"
    upload = client.post(
        "/v1/claim-files", content=b"{}", headers=token("employer") | {"Content-Type": "image/png"}
    )
    assert upload.status_code == 415


def test_a_huge_body_is_413(client, token):
    huge = b'{"rows": [' + b" " * (11 * 1024 * 1024) + b"]}"
    response = client.post(
        "/v1/bank/registrations",
        content=huge,
        headers=token("bank") | {"Content-Type": "application/json"},
    )
    assert response.status_code == 413 and _code(response) == "REQUEST_TOO_LARGE"

    def streamed():  # no Content-Length: counted as it arrives
        yield b'{"rows": ['
        for _ in range(11):
            yield b" " * (1024 * 1024)
        yield b"]}"

    chunked = client.post(
        "/v1/bank/registrations",
        content=streamed(),
        headers=token("bank") | {"Content-Type": "application/json"},
    )
    assert chunked.status_code == 413 and _code(chunked) == "REQUEST_TOO_LARGE"


@pytest.mark.parametrize(
    "url", ["/v1/me/nemkonto?cpr=0101901234", "/v1/audit?x=010190-1234", "/v1/claims/010190-1234"]
)
def test_a_cpr_in_the_url_is_refused(client, token, url, caplog):
    with caplog.at_level("INFO", logger="payments.api.access"):
        response = client.get(url, headers=token("citizen"))
    assert response.status_code == 400 and _code(response) == "REQUEST_CPR_IN_URL"
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "400" in logged and "1234" not in logged.replace("**********", "")


def test_unknown_fields_and_bad_values_are_422(client, token):
    response = client.post("/v1/me/nemkonto", json={"regno": "1"}, headers=token("citizen"))
    assert response.status_code == 422 and _code(response) == "REQUEST_INVALID"
    assert response.json()["field"] == "regno"


def test_every_answer_carries_the_security_headers(client, token):
    for response in (
        client.get("/healthz"),
        client.get("/v1/batches"),
        client.get("/nowhere"),
        client.get("/v1/batches", headers=token("operator")),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
    assert client.get("/v1/nowhere").json()["code"] == "REQUEST_NOT_FOUND"
    # outside the API a path is a page: the 404 is one too (tests/web/test_foundation.py)
    assert 'data-code="REQUEST_NOT_FOUND"' in client.get("/nowhere").text


def test_a_bug_is_500_without_a_traceback(client, token, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail /etc/passwd")

    monkeypatch.setattr("payments.batch.night.list_batches", broken)
    response = client.get("/v1/batches", headers=token("operator"))
    assert response.status_code == 500 and _code(response) == "INTERNAL_ERROR"
    assert "secret" not in response.text and "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_database_that_is_gone_is_503(settings, tmp_path):
    gone = settings.replace(database_url=f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    app = create_app(gone, clock=Clock(now=lambda: NOW, date=TODAY))
    with TestClient(app) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503 and _code(ready) == "DB_SCHEMA_MISSING"


def test_the_openapi_document_is_3_1_and_names_no_cpr_parameter(client):
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    for path, operations in document["paths"].items():
        assert "cpr" not in path
        for operation in operations.values():
            names = {p["name"] for p in operation.get("parameters", ())}
            assert not names & {"cpr", "employee_cpr"}, path
    assert client.get("/docs").status_code == 200


def test_time_claims_use_the_service_clock(client, dev_key):
    late = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    future = _bearer(_claims(iat=int(late.timestamp()), exp=int(late.timestamp()) + 60), dev_key)
    assert client.get("/v1/batches", headers=future).status_code == 401


def test_a_token_verified_once_still_expires(settings, dev_key):
    moment = [NOW]
    app = create_app(settings, clock=Clock(now=lambda: moment[0], date=TODAY))
    headers = _bearer(_claims(exp=int(NOW.timestamp()) + 60), dev_key)
    with TestClient(app) as client:
        assert client.get("/v1/batches", headers=headers).status_code == 200
        moment[0] = NOW + dt.timedelta(minutes=5)
        late = client.get("/v1/batches", headers=headers)
    app.state.payments.engine.dispose()
    assert late.status_code == 401 and _code(late) == "AUTH_TOKEN_INVALID"
