"""Dead letters: a record that cannot be applied goes to ``<topic>.dlq`` with why and where from."""

import logging

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker

from vfp_shared.logs import safe_reason
from vfp_shared.telemetry import EVENTS_DEAD_LETTERED

log = logging.getLogger(__name__)

DLQ_SUFFIX = ".dlq"
ORIGINAL_TOPIC = "dlq_original_topic"
ORIGINAL_PARTITION = "dlq_original_partition"
ORIGINAL_OFFSET = "dlq_original_offset"
CONSUMER_GROUP = "dlq_consumer_group"
ERROR_CLASS = "dlq_error_class"
ERROR_MESSAGE = "dlq_error_message"
DLQ_HEADERS = (
    ORIGINAL_TOPIC,
    ORIGINAL_PARTITION,
    ORIGINAL_OFFSET,
    CONSUMER_GROUP,
    ERROR_CLASS,
    ERROR_MESSAGE,
)


def dead_letter_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


class DeadLetters:
    def __init__(self, broker: KafkaBroker, *, group: str, service: str):
        self._broker = broker
        self._group = group
        self._service = service

    async def send(self, record: ConsumerRecord[bytes, bytes], error: BaseException) -> None:
        headers = {name: value.decode(errors="replace") for name, value in record.headers or ()}
        headers.update(
            {
                ORIGINAL_TOPIC: record.topic,
                ORIGINAL_PARTITION: str(record.partition),
                ORIGINAL_OFFSET: str(record.offset),
                CONSUMER_GROUP: self._group,
                ERROR_CLASS: type(error).__name__,
                ERROR_MESSAGE: safe_reason(error),
            }
        )
        await self._broker.publish(
            record.value or b"",
            topic=dead_letter_topic(record.topic),
            key=record.key,
            headers=headers,
        )
        EVENTS_DEAD_LETTERED.labels(self._service, record.topic).inc()
        log.warning(
            "event dead-lettered",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "error_class": type(error).__name__,
            },
        )
