from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("notifications.delivery-failed", version=1, key="recipient_ref")
class DeliveryFailedV1(Contract):
    notification_ref: str
    source_event_id: str
    template: str
    channel: str
    recipient_ref: str
    reason_code: str
    failed_at: datetime
