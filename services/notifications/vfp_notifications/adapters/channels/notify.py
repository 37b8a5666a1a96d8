"""GOV.UK Notify email, through the official client (blocking: run in a worker thread)."""

import asyncio
import logging

from notifications_python_client.errors import APIError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient

from vfp_notifications.adapters.channels import Outgoing
from vfp_notifications.adapters.channels.http_status import check_status
from vfp_notifications.domain.model import TransientFailure

log = logging.getLogger(__name__)


class NotifySender:
    """Sends through one Notify email template whose body is ((subject)) and ((body))."""

    def __init__(self, *, api_key: str, base_url: str, template_id: str, timeout_s: float = 10.0):
        self._api_key = api_key
        self._base_url = base_url
        self._template_id = template_id
        self._timeout = timeout_s

    async def send(self, outgoing: Outgoing) -> None:
        await asyncio.to_thread(self._send, outgoing)

    def _send(self, outgoing: Outgoing) -> None:
        # A client per send: the client is not thread-safe.
        client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
            self._api_key, base_url=self._base_url, timeout=self._timeout
        )
        try:
            client.send_email_notification(  # type: ignore[no-untyped-call]
                email_address=outgoing.address,
                template_id=self._template_id,
                personalisation={
                    "subject": outgoing.message.subject,
                    "body": outgoing.message.text,
                },
                reference=outgoing.notification_ref,
            )
        except APIError as error:
            if isinstance(error, InvalidResponse) and 200 <= error.status_code < 300:
                # Notify took the message; only its reply is unreadable. Trying again would
                # send it twice.
                log.warning(
                    "Notify accepted a message but its reply was unreadable",
                    extra={"notification_ref": outgoing.notification_ref},
                )
                return
            check_status(error.status_code, "notify")
            raise TransientFailure("notify_no_status") from None
        except OSError as error:
            raise TransientFailure(f"notify_unavailable:{type(error).__name__}") from None
