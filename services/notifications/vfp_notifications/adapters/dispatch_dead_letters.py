"""Failed sends on `notifications.dispatch.dlq`: written to the outbox in the same transaction
as the failure (so the relay publishes it exactly when the failure commits). Non-personal
metadata only, with the dlq_* headers of vfp_shared.bus.dead_letters."""

import json
import zlib
from datetime import datetime
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from vfp_notifications.adapters.sends import Send
from vfp_notifications.adapters.tables import BUS
from vfp_shared.bus import dead_letters as dlq
from vfp_shared.storage.bus_tables import OUTBOX_SLOTS

DISPATCH_DLQ = "notifications.dispatch.dlq"
DISPATCHER_GROUP = "notifications-dispatcher"
# Not an event that failed to apply but a message that failed to go: replaying it means
# POST /deliveries/{notification_ref}/retry, not republishing the record to its source topic.
KIND = "dlq_kind"


async def dead_letter(
    session: AsyncSession, send: Send, channel: str, reason_code: str, failed_at: datetime
) -> None:
    payload = {
        "notification_ref": str(send.notification_ref),
        "source_event_id": str(send.source_event_id),
        "source_topic": send.source_topic,
        "template": send.template.value,
        "channel": channel,
        "recipient_ref": send.recipient_ref,
        "attempts": send.attempts,
        "reason_code": reason_code,
        "failed_at": failed_at.isoformat(),
    }
    headers = {
        dlq.ORIGINAL_TOPIC: send.source_topic,
        dlq.CONSUMER_GROUP: DISPATCHER_GROUP,
        dlq.ERROR_CLASS: "DeliveryFailed",
        dlq.ERROR_MESSAGE: reason_code,
        KIND: "notification-dispatch",
        "content-type": "application/json",
    }
    await session.execute(
        BUS.outbox.insert().values(
            event_id=uuid4(),
            topic=DISPATCH_DLQ,
            key=send.recipient_ref,
            slot=zlib.crc32(send.recipient_ref.encode()) % OUTBOX_SLOTS,
            headers=json.dumps(headers),  # the outbox keeps Kafka-ready JSON text
            payload=json.dumps(payload).encode(),
        )
    )
