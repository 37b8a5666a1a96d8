from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("notifications.sent", version=1, key="recipient_ref")
class NotificationSentV1(Contract):
    notification_ref: str
    source_event_id: str
    template: str
    channel: str
    recipient_ref: str
    sent_at: datetime
