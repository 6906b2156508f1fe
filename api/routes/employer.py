"""The employer's payroll system: claims, claim files, the claim feed, one claim's state.

The employer is the token's ``cvr``: every claim sent must name it (else that claim is
refused, ``AUTH_SUBJECT_MISMATCH``), and only its own claims and jobs can be read (another
employer's are 404, as if they did not exist).
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import respond
from api.auth import role
from api.edge import TooLarge
from api.models import CLAIMS_BODY, ClaimsResult, ClaimStatus, Explanation, FeedPage, Job
from api.problems import ApiError, problem
from api.routes import problems
from api.state import state
from payments import employer, jobs
from payments.errors import InputError
from payments.tokens import Principal

router = APIRouter(tags=["employer"])
Employer = Annotated[Principal, Depends(role("employer"))]
Ref = Annotated[str, Path(min_length=1, max_length=35)]
MAX_CLAIMS = 1000
FILE_LIMIT = 4 * 1024**3  # a claim file of 4 GiB is some ten million claims
FILE_NAMES = {"text/csv": "upload.csv", "application/x-ndjson": "upload.ndjson"}
#: a refused single claim: its first code's status
SINGLE_STATUS = {"CLAIM_DUPLICATE_REF": 409, "CLAIM_CONFLICT": 409, "AUTH_SUBJECT_MISMATCH": 403}


def _claims(body: bytes) -> tuple[list, bool]:
    try:
        data = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError):
        raise ApiError("REQUEST_MALFORMED", "the body is not well-formed JSON") from None
    if isinstance(data, dict):
        return [data], True
    if not isinstance(data, list) or not data:
        raise InputError(
            "REQUEST_INVALID", "send one claim object or a non-empty array of claims", "body"
        )
    if len(data) > MAX_CLAIMS:
        raise InputError(
            "CLAIMS_TOO_MANY",
            f"at most {MAX_CLAIMS} claims per request; send a claim file for more",
            "body",
        )
    return data, False


@router.post(
    "/v1/claims",
    status_code=200,
    response_model=ClaimsResult,
    responses={201: {"model": ClaimsResult, "description": "the one claim sent was created"}}
    | problems(409),
    openapi_extra={"requestBody": CLAIMS_BODY},
)
async def submit(request: Request, me: Employer) -> Response:
    """Decide and store one claim (201 created, 200 unchanged or corrected, 409 reference
    used for another claim, 422 invalid) or an array of up to 1,000 (200, one outcome each)."""
    app = state(request)
    raws, single = await run_in_threadpool(_claims, await request.body())
    outcomes = await run_in_threadpool(
        employer.submit,
        app.engine,
        raws,
        employer_cvr=me.cvr,
        actor=me.actor,
        today=app.clock.today(),
        now=app.clock.now(),
        parameters=app.parameters,
    )
    counts = dict.fromkeys(employer.OUTCOMES, 0)
    for outcome in outcomes:
        counts[outcome["outcome"]] += 1
    result = {"counts": counts, "outcomes": outcomes}
    if not single:
        return respond.json(result)
    (one,) = outcomes
    if one["outcome"] == "invalid":
        code = one["codes"][0] if one["codes"] else "REQUEST_INVALID"
        first = one["problems"][0] if one["problems"] else {}
        refused = problem(
            SINGLE_STATUS.get(code, 422),
            code,
            first.get("message") or "the claim was not stored",
            first.get("field"),
        )
        return refused
    return respond.json(result, 201 if one["outcome"] == "created" else 200)


@router.post(
    "/v1/claim-files",
    status_code=202,
    response_model=Job,
    responses=problems(),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}}
                for t in ("application/x-ndjson", "application/json", "text/csv")
            },
        }
    },
)
async def submit_file(request: Request, me: Employer) -> Response:
    """Send a claim file of any size (NDJSON, JSON array or CSV): it is spooled and queued,
    and a ``payments worker`` decides it. Follow the job at ``Location``."""
    app = state(request)
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    spool = jobs.spool_dir(app.settings)
    name = jobs.new_spool_name()
    path = spool / name
    digest, size = hashlib.sha256(), 0
    try:
        with open(path, "xb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > FILE_LIMIT:
                    raise TooLarge()
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InputError("REQUEST_INVALID", "the claim file is empty", "body")
        job = await run_in_threadpool(
            jobs.create,
            app.engine,
            employer_cvr=me.cvr,
            actor=me.actor,
            spool_name=name,
            file_name=FILE_NAMES.get(media, "upload.json"),
            size_bytes=size,
            sha256=digest.hexdigest(),
            received_on=app.clock.today(),
            now=app.clock.now(),
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return respond.json(job.as_dict(), 202, headers={"Location": f"/v1/jobs/{job.id}"})


@router.get("/v1/jobs/{job_id}", response_model=Job, responses=problems(404))
def job(request: Request, me: Employer, job_id: Annotated[int, Path(ge=1, le=2**62)]) -> Response:
    """A claim-file job of the employer: its state, progress and outcome counts."""
    app = state(request)
    return respond.json(jobs.get(app.engine, job_id, me.cvr).as_dict())


@router.get("/v1/claims", response_model=FeedPage, responses=problems())
def feed(
    request: Request,
    me: Employer,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """The employer's claims as a feed in a stable order (the claim's ``sequence``): read
    on with ``?after=`` the last sequence seen."""
    items = employer.feed(state(request).engine, me.cvr, after=after, limit=limit)
    return respond.json(
        {"items": items, "next_after": items[-1]["sequence"] if len(items) == limit else None}
    )


@router.get("/v1/claims/{external_ref}", response_model=ClaimStatus, responses=problems(404))
def claim(request: Request, me: Employer, external_ref: Ref) -> Response:
    """One claim: its decision, amount, and where every payment order of it stands."""
    return respond.json(employer.claim(state(request).engine, me.cvr, external_ref))


@router.get(
    "/v1/claims/{external_ref}/explanation", response_model=Explanation, responses=problems(404)
)
def explanation(request: Request, me: Employer, external_ref: Ref) -> Response:
    """The decision's trace, as readable text and as its JSON steps."""
    return respond.json(employer.explanation(state(request).engine, me.cvr, external_ref))
