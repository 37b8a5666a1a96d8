"""Signed webhooks for downstream systems (training, media): the Standard Webhooks scheme
(webhook-id, webhook-timestamp, webhook-signature = HMAC-SHA256 over id.timestamp.body)."""

import json
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from vfp_notifications.adapters.channels import Outgoing
from vfp_notifications.adapters.channels.http_status import check_status
from vfp_notifications.domain.model import TransientFailure


class WebhookSender:
    def __init__(self, client: httpx.AsyncClient, secret: str):
        self._client = client
        self._signer = Webhook(secret)

    async def send(self, outgoing: Outgoing) -> None:
        body = json.dumps(
            {
                "type": f"vfp.notification.{outgoing.metadata['template']}",
                "timestamp": datetime.now(UTC).isoformat(),
                "data": {
                    **outgoing.metadata,
                    "notification_ref": outgoing.notification_ref,
                    "subject": outgoing.message.subject,
                    "text": outgoing.message.text,
                },
            },
            separators=(",", ":"),
            default=str,
        )
        at = datetime.now(UTC)
        headers = {
            # The id is the notification ref: a receiver dedupes a retried delivery by it.
            "webhook-id": outgoing.notification_ref,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": self._signer.sign(outgoing.notification_ref, at, body),
            "content-type": "application/json",
        }
        try:
            response = await self._client.post(outgoing.address, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise TransientFailure(f"webhook_unavailable:{type(error).__name__}") from None
        check_status(response.status_code, "webhook")
