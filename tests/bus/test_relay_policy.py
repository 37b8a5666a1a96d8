"""Which failures set an outbox row aside for good: only faults of the record itself."""

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    ProducerClosed,
    TopicAuthorizationFailedError,
)

from vfp_shared.bus.relay import _retriable


@pytest.mark.parametrize(
    "error",
    [
        KafkaTimeoutError(),
        KafkaConnectionError(),
        ProducerClosed(),
        TopicAuthorizationFailedError(),
        OSError("network"),
        RuntimeError("unknown"),
    ],
)
def test_the_brokers_troubles_are_retried_never_set_aside(error: BaseException) -> None:
    assert _retriable(error)


def test_a_record_too_large_is_set_aside() -> None:
    assert not _retriable(MessageSizeTooLargeError())
