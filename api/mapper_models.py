"""The G2P Connect mapper's envelope and items (sync API, ``mapper_core_api_v1.0.0``).

Fields the spec defines and this service does not use (``signature``, ``sender_uri``,
``receiver_id``, ``locale``, ``additional_info``, …) are accepted and ignored, so that a
conforming sender is not refused for sending them. Encrypted messages are not taken.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Ref = Annotated[str, Field(min_length=1, max_length=100)]
Short = Annotated[str, Field(max_length=100)]
MAX_ITEMS = 1000


class Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Header(Loose):
    version: Short | None = None
    message_id: Ref
    message_ts: dt.datetime
    action: Annotated[str, Field(max_length=20)]
    sender_id: Annotated[str, Field(min_length=1, max_length=200)]
    receiver_id: Annotated[str, Field(max_length=200)] | None = None
    total_count: Annotated[int, Field(ge=0, le=1_000_000)]


class Item(Loose):
    reference_id: Ref
    timestamp: dt.datetime
    id: Short | None = None
    fa: Short | None = None
    name: Annotated[str, Field(max_length=200)] | None = None
    additional_info: Any = None
    locale: Short | None = None


class ResolveItem(Item):
    scope: Literal["yes_no", "details"] = "yes_no"


class LinkItem(Item):
    id: Short
    fa: Short
    phone_number: Short | None = None


class UnlinkItem(Item):
    id: Short
    reason: Annotated[str, Field(max_length=20)] | None = Field(
        None, description="why the NemKonto ends (extension): owner_request (default), deceased"
    )


def _items(kind: type[Item]):
    return Annotated[list[kind], Field(min_length=1, max_length=MAX_ITEMS)]


class ResolveMessage(Loose):
    transaction_id: Ref
    resolve_request: _items(ResolveItem)


class LinkMessage(Loose):
    transaction_id: Ref
    link_request: _items(LinkItem)


class UpdateMessage(Loose):
    transaction_id: Ref
    update_request: _items(LinkItem)


class UnlinkMessage(Loose):
    transaction_id: Ref
    unlink_request: _items(UnlinkItem)


class ResolveRequest(Loose):
    signature: str | None = None
    header: Header
    message: ResolveMessage


class LinkRequest(Loose):
    signature: str | None = None
    header: Header
    message: LinkMessage


class UpdateRequest(Loose):
    signature: str | None = None
    header: Header
    message: UpdateMessage


class UnlinkRequest(Loose):
    signature: str | None = None
    header: Header
    message: UnlinkMessage


# -- answers -----------------------------------------------------------------------------------

Status = Literal["succ", "rjct", "pdng"]


class CallbackHeader(BaseModel):
    version: str
    message_id: str
    message_ts: dt.datetime
    action: str
    status: Status
    status_reason_code: str | None
    status_reason_message: str | None
    total_count: int
    completed_count: int
    sender_id: str
    receiver_id: str


class ProviderInfo(BaseModel):
    name: str
    code: str


class Answer(BaseModel):
    reference_id: str
    timestamp: dt.datetime
    id: str | None = None
    fa: str | None = None
    status: Status
    status_reason_code: str | None
    status_reason_message: str | None
    code: str | None = Field(description="the engine's stable code when refused (extension)")


class ResolveAnswer(Answer):
    account_provider_info: ProviderInfo | None = None
    active_from: dt.date | None = None
    reason: str | None = Field(None, description="why not payable (details scope only)")


class AnswerMessage(BaseModel):
    transaction_id: str | None
    correlation_id: str
    resolve_response: list[ResolveAnswer] | None = None
    link_response: list[Answer] | None = None
    update_response: list[Answer] | None = None
    unlink_response: list[Answer] | None = None


class Response(BaseModel):
    header: CallbackHeader
    message: AnswerMessage | None
