"""The envelope follows CloudEvents' Kafka binding (binary mode)."""

import time
from uuid import RFC_4122, uuid4

import pytest
from pydantic import ValidationError

from tests.bus.builders import case_closed
from vfp_shared.envelope import MalformedEnvelope, decode, header_map, new_event_id
from vfp_shared.testing import envelope


def test_an_envelope_round_trips_through_kafka_headers_and_value() -> None:
    sent = envelope(case_closed("case-1"), traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01")
    received = decode(sent.topic, sent.kafka_value(), sent.kafka_headers())
    assert received == sent


def test_the_headers_carry_the_cloudevents_attributes() -> None:
    sent = envelope(case_closed("case-1"))
    headers = header_map(sent.kafka_headers())
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_type"] == "vfp.bench.case-closed"
    assert headers["ce_subject"] == "case-1"
    assert headers["ce_schemaversion"] == "1"
    assert headers["ce_id"] == str(sent.id)


def test_a_record_without_an_event_id_is_malformed() -> None:
    sent = envelope(case_closed("case-1"))
    headers = [(k, v) for k, v in sent.kafka_headers() if k != "ce_id"]
    with pytest.raises(MalformedEnvelope):
        decode(sent.topic, sent.kafka_value(), headers)


def test_a_record_of_another_schema_version_is_malformed() -> None:
    sent = envelope(case_closed("case-1"))
    headers = [(k, b"2" if k == "ce_schemaversion" else v) for k, v in sent.kafka_headers()]
    with pytest.raises(MalformedEnvelope):
        decode(sent.topic, sent.kafka_value(), headers)


def test_invalid_data_names_the_field() -> None:
    headers = [
        ("ce_id", str(uuid4()).encode()),
        ("ce_time", b"2026-01-01T00:00:00+00:00"),
        ("ce_source", b"/x"),
    ]
    with pytest.raises(ValidationError, match="case_ref"):
        decode("force.case-closed.v1", b'{"victim_ref": "v"}', headers)


def test_event_ids_are_uuid7_ordered_by_time() -> None:
    """Time-ordered ids keep every inbox index growing at its end."""
    earlier = new_event_id()
    time.sleep(0.002)
    later = new_event_id()
    assert (earlier.version, earlier.variant) == (7, RFC_4122)
    assert earlier < later
    millis = later.int >> 80
    assert abs(millis - time.time_ns() // 1_000_000) < 1_000
    assert len({new_event_id() for _ in range(10_000)}) == 10_000


def test_a_header_without_a_value_counts_as_missing() -> None:
    """Kafka allows a header with no value; ours must be malformed (dead-lettered), not crash
    the consumer's batch again and again."""
    sent = envelope(case_closed("case-1"))
    headers = [(k, None if k == "ce_id" else v) for k, v in sent.kafka_headers()]
    with pytest.raises(MalformedEnvelope):
        decode(sent.topic, sent.kafka_value(), headers)
    assert "ce_id" not in header_map(headers)
