"""Every operation, for every role, with generated requests (schemathesis): no answer is a
5xx, and every answer conforms to the OpenAPI document (status, media type, body, headers).

Bounded: a few examples per operation and role, so the suite stays within minutes. The
data state carries over between examples (a claim created by one may be unchanged in the
next), which is what a real client sees too.
"""

from __future__ import annotations

import tempfile

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from payments.config import Settings
from payments.tokens import ROLES

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _document() -> dict:
    """The OpenAPI document (it depends on no database: the app is only built, not run)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/unused.db", dev_key_file=f"{tmp}/key.pem"
        )
        return create_app(settings).openapi()


# the coverage phase generates every case the schema defines, whatever max_examples says:
# minutes per run. The examples and fuzzing phases, bounded, are kept.
CONFIG = SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}
)
schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_for_every_role(case, app, token):
    for role in ROLES:
        headers = token(role, scopes=("mapper:details",)) if role == "authority" else token(role)
        case.call_and_validate(app=app, headers=headers, checks=CHECKS)
