"""Schemathesis's stateful run: chains of calls along the links it infers from the OpenAPI
document (a claim created, then read by its ``external_ref``; a claim file, then its job;
a batch run, then read, approved, released or rejected by its ``batch_id``). Every answer
in a chain must conform to the document and none may be a 5xx — the checks of
``test_schema_properties``, applied where one call's output is the next one's input.

Each call carries the token of the audience its path serves (a citizen for ``/v1/me``, the
employer for its claims and jobs, …); approval and rejection go out as another operator
than the one who ran the batch, so a chain can get past four eyes. Every chain starts from
an empty database (so that Hypothesis can replay and shrink it). Bounded, like the
stateless run: a few short chains per database.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.conftest import engine_of
from tests.api.test_schema_properties import CHECKS, _document
from tests.support import wipe

AUDIENCES = (
    ("/v1/me", "citizen"),
    ("/v1/claim", "employer"),  # /v1/claims, /v1/claim-files
    ("/v1/jobs", "employer"),
    ("/v1/bank", "bank"),
    ("/v1/mapper", "authority"),
    ("/v1/audit", "auditor"),
)
SECOND_OPERATOR = ("/approval", "/rejection", "/review-approval")


def test_chains_of_calls_along_the_inferred_links(app, token):
    workflow = schemathesis.openapi.from_dict(_document()).as_state_machine()
    assert workflow.bundles, "schemathesis found no links to follow"
    headers = {role: token(role) for _, role in AUDIENCES}
    headers["authority"] = token("authority", scopes=("mapper:details",))
    headers["operator"] = token("operator", "alice")
    headers["second operator"] = token("operator", "bob")

    def role(path: str) -> str:
        if path.endswith(SECOND_OPERATOR):
            return "second operator"
        return next((r for prefix, r in AUDIENCES if path.startswith(prefix)), "operator")

    class Chains(workflow):
        def setup(self):  # each chain from an empty database, so chains can be replayed
            wipe(engine_of(app))

        def get_call_kwargs(self, case):
            return {"headers": headers[role(case.operation.path)]}

        def call(self, case, **kwargs):
            return case.call(app=app, **kwargs)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Chains.run(
        settings=settings(
            max_examples=25,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
