"""The event envelope, following CloudEvents' Kafka protocol binding in binary mode:
attributes travel as ``ce_*`` headers, the contract's JSON is the record value, the
partition key is the record key, and W3C ``traceparent`` rides beside them."""

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from vfp_shared.contracts.base import Contract, contract_for

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
TRACEPARENT = "traceparent"

C = TypeVar("C", bound=Contract)

Headers = Sequence[tuple[str, bytes | None]]


class MalformedEnvelope(ValueError):
    """A record whose CloudEvents headers are missing or wrong."""


_MILLIS = (1 << 48) - 1
_RAND_B = (1 << 62) - 1


def new_event_id() -> UUID:
    """A UUIDv7 (RFC 9562): time-ordered, so every inbox's index grows at its end rather than
    on random pages (a claim then costs PostgreSQL half as much). Its random bits come from the
    OS, as the RFC asks: no seeding anywhere in the process can make two ids alike."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10)) >> 6  # 74 bits
    return UUID(
        int=(millis & _MILLIS) << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62 | rand & _RAND_B
    )


@dataclass(frozen=True)
class Envelope(Generic[C]):
    data: C
    source: str
    id: UUID = field(default_factory=new_event_id)
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    traceparent: str | None = None

    @property
    def topic(self) -> str:
        return self.data.TOPIC

    @property
    def type(self) -> str:
        return f"vfp.{self.data.EVENT_TYPE}"

    @property
    def subject(self) -> str:
        return self.data.partition_key()

    def attributes(self) -> dict[str, str]:
        """The CloudEvents attributes as Kafka header names and text values."""
        headers = {
            "ce_specversion": SPEC_VERSION,
            "ce_id": str(self.id),
            "ce_type": self.type,
            "ce_source": self.source,
            "ce_time": self.time.isoformat(),
            "ce_subject": self.subject,
            "ce_schemaversion": str(self.data.VERSION),
            "ce_dataschema": f"urn:vfp:contract:{self.topic}",
            "content-type": CONTENT_TYPE,
        }
        if self.traceparent:
            headers[TRACEPARENT] = self.traceparent
        return headers

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        return [(name, value.encode()) for name, value in self.attributes().items()]

    def kafka_value(self) -> bytes:
        return self.data.model_dump_json().encode()


def header_map(headers: Headers | None) -> dict[str, str]:
    """Header values as text; Kafka allows a header without a value: it is left out."""
    return {name: value.decode(errors="replace") for name, value in headers or () if value}


# The headers `decode` reads; the others (e.g. ce_type, content-type) follow from the topic.
_READ = frozenset({"ce_id", "ce_time", "ce_source", "ce_schemaversion", TRACEPARENT})


def decode(topic: str, value: bytes | None, headers: Headers | None) -> Envelope[Any]:
    """Read one Kafka record into an envelope; raises on a bad envelope or invalid data."""
    # A header may come without a value (Kafka allows it): then it is missing, as if not sent.
    found = {
        name: raw.decode(errors="replace") for name, raw in headers or () if name in _READ and raw
    }
    try:
        event_id = UUID(found["ce_id"])
        at = datetime.fromisoformat(found["ce_time"])
        source = found["ce_source"]
    except (KeyError, ValueError) as exc:
        raise MalformedEnvelope(f"missing or invalid CloudEvents header: {exc}") from None
    model = contract_for(topic)
    if found.get("ce_schemaversion", str(model.VERSION)) != str(model.VERSION):
        raise MalformedEnvelope(f"schema version {found['ce_schemaversion']} on {topic}")
    if value is None:
        raise MalformedEnvelope("record has no value")
    data = model.model_validate_json(value)
    return Envelope(data, source=source, id=event_id, time=at, traceparent=found.get(TRACEPARENT))
