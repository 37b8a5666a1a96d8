"""The dispatcher: claims due sends (SKIP LOCKED, so several instances share the work), sends
them after the consuming transaction has committed, and records how each went.

A claim is a lease: if the process dies mid-send, the row becomes due again when the lease
ends, so a send is at least once across crashes and exactly once otherwise.

A send cancelled after its claim (consent withdrawn, candidate excluded) does not go out: just
before sending, a short transaction checks that the row is still pending under this claim's
lease. One cancelled while the message is already with the channel cannot be called back: the
row stays cancelled, and the log says truthfully that it went out (sent_at, and a reason code
`sent_in_flight:<why cancelled>`)."""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from jinja2 import TemplateError
from opentelemetry.trace import SpanKind
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from vfp_notifications.adapters import sends
from vfp_notifications.adapters.channels import Outgoing, Sender
from vfp_notifications.adapters.directory import Directory
from vfp_notifications.adapters.dispatch_dead_letters import dead_letter
from vfp_notifications.adapters.rendering import Renderer
from vfp_notifications.domain import routing
from vfp_notifications.domain.model import (
    Channel,
    DeliveryError,
    DirectoryEntry,
    PermanentFailure,
    Status,
    TransientFailure,
)
from vfp_notifications.domain.policy import QuietHours, deferral, retry_delay
from vfp_notifications.service_layer.handlers import failure, utc_now
from vfp_shared.contracts import NotificationSentV1
from vfp_shared.storage.unit_of_work import UnitOfWorkFactory
from vfp_shared.telemetry import span_from

log = logging.getLogger(__name__)

SENDS = Counter("vfp_notifications_sends", "Send attempts by outcome", ["channel", "outcome"])


@dataclass(frozen=True)
class DispatchPolicy:
    quiet_hours: QuietHours | None
    urgent_templates: frozenset[str]
    limit_per_hour: int
    max_attempts: int
    retry_base_s: float
    retry_max_s: float
    batch_size: int
    lease_s: float
    poll_s: float


@dataclass(frozen=True)
class Claimed:
    """A send under this dispatcher's lease, with the directory facts to render it by."""

    send: sends.Send
    entry: DirectoryEntry | None
    names: Mapping[str, str]


class Dispatcher:
    def __init__(
        self,
        *,
        units_of_work: UnitOfWorkFactory,
        directory_for: Callable[[AsyncSession], Directory],
        senders: Mapping[Channel, Sender],
        renderer: Renderer,
        policy: DispatchPolicy,
        clock: Callable[[], datetime] = utc_now,
    ):
        self._uows = units_of_work
        self._directory_for = directory_for
        self._senders = senders
        self._renderer = renderer
        self._policy = policy
        self._clock = clock
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Dispatch until `stop()`; a failed round is logged and retried at the next poll."""
        while not self._stopping.is_set():
            try:
                handled = await self.dispatch_once()
            except Exception:
                log.exception("dispatch round failed; retrying")
                handled = 0
            if handled < self._policy.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._policy.poll_s)

    def stop(self) -> None:
        """Finish the current round, then return from `run`."""
        self._stopping.set()

    async def dispatch_once(self) -> int:
        """One round: claim what is due, send it, record the outcomes. Returns how many."""
        claimed = await self._claim()
        await asyncio.gather(*(self.deliver(c.send, c.entry, c.names) for c in claimed))
        return len(claimed)

    async def _claim(self) -> list[Claimed]:
        now = self._clock()
        async with self._uows() as uow:
            due = await sends.claim_due(uow.session, now, self._policy.batch_size)
            if not due:
                return []
            recipients = {s.recipient_ref for s in due}
            recent = await sends.sent_since(uow.session, recipients, now - timedelta(hours=1))
            named = {ref for s in due for ref in routing.staff_named(s.context)}
            entries = await self._directory_for(uow.session).find(recipients | named)
            claimed: list[Claimed] = []
            for send in due:
                wait = deferral(
                    now=now,
                    channel=_channel_of(send),
                    urgent=send.template.value in self._policy.urgent_templates,
                    quiet_hours=self._policy.quiet_hours,
                    recent_sends=recent[send.recipient_ref],
                    limit_per_hour=self._policy.limit_per_hour,
                )
                if wait is not None:
                    await sends.update(
                        uow.session,
                        send.notification_ref,
                        due_at=wait.until,
                        reason_code=wait.reason_code,
                    )
                    continue
                recent[send.recipient_ref].append(now)
                lease = now + timedelta(seconds=self._policy.lease_s)
                await sends.update(uow.session, send.notification_ref, claimed_until=lease)
                names = routing.names_of_staff_named(send.context, entries)
                claimed.append(
                    Claimed(
                        replace(send, claimed_until=lease), entries.get(send.recipient_ref), names
                    )
                )
            await uow.commit()
        return claimed

    async def deliver(
        self,
        send: sends.Send,
        entry: DirectoryEntry | None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        """Send one claimed send (`send.claimed_until` is its lease) and record how it went.
        `names`: directory names of the staff the message names."""
        channel = _channel_of(send)
        attributes = {
            "vfp.notification_ref": str(send.notification_ref),
            "vfp.template": send.template.value,
            "vfp.channel": channel.value,
        }
        # The send, and the event recording it, continue the trace of the event that caused it.
        with span_from(
            f"notification {channel.value} send", send.traceparent, SpanKind.CLIENT, attributes
        ):
            await self._send_and_record(send, channel, entry, names or {})

    async def _send_and_record(
        self,
        send: sends.Send,
        channel: Channel,
        entry: DirectoryEntry | None,
        names: Mapping[str, str],
    ) -> None:
        async with self._uows() as uow:
            still_ours = await sends.still_claimed(
                uow.session, send.notification_ref, send.claimed_until, send.about_refs
            )
            await uow.commit()
        if not still_ours:
            SENDS.labels(channel.value, "cancelled").inc()
            log.info(
                "send cancelled or taken over since its claim; not sent",
                extra={"notification_ref": str(send.notification_ref)},
            )
            return
        try:
            await self._senders[channel].send(self._outgoing(send, channel, entry, names))
        except DeliveryError as error:
            SENDS.labels(channel.value, type(error).__name__).inc()
            await self._failed(send, channel, error)
            return
        except Exception as error:
            # A bug in a sender must not wedge the row: count it as transient, so it is retried
            # and, if it keeps happening, ends as a permanent failure operators can see. No
            # traceback: its messages could quote an address.
            log.error(
                "sender raised an unexpected error",
                extra={"channel": channel.value, "error_class": type(error).__name__},
            )
            await self._failed(send, channel, TransientFailure("sender_error"))
            return
        SENDS.labels(channel.value, "sent").inc()
        now = self._clock()
        async with self._uows() as uow:
            recorded = await sends.update(
                uow.session,
                send.notification_ref,
                status=Status.SENT,
                sent_at=now,
                attempts=send.attempts + 1,
                reason_code=None,
                claimed_until=None,
                context=None,
            )
            if not recorded:
                # Cancelled while the message was with the channel: the cancellation stands,
                # and the log says that it went out all the same.
                await sends.record_sent_after_cancel(
                    uow.session, send.notification_ref, now, send.attempts + 1
                )
            uow.emit(
                NotificationSentV1(
                    notification_ref=str(send.notification_ref),
                    source_event_id=str(send.source_event_id),
                    template=send.template.value,
                    channel=channel.value,
                    recipient_ref=send.recipient_ref,
                    sent_at=now,
                )
            )
            await uow.commit()

    def _outgoing(
        self,
        send: sends.Send,
        channel: Channel,
        entry: DirectoryEntry | None,
        names: Mapping[str, str],
    ) -> Outgoing:
        address = entry.address_for(channel) if entry else None
        if entry is None or address is None:
            raise PermanentFailure("recipient_not_in_directory")
        try:
            message = self._renderer.render(send.template, send.context, entry.name, names)
        except (TemplateError, TypeError, ValueError) as error:
            raise PermanentFailure(f"template_error:{type(error).__name__}") from None
        return Outgoing(
            notification_ref=str(send.notification_ref),
            address=address,
            recipient_name=entry.name,
            message=message,
            metadata={
                "template": send.template.value,
                "source_event_id": str(send.source_event_id),
                "source_topic": send.source_topic,
                "recipient_ref": send.recipient_ref,
            },
        )

    async def _failed(self, send: sends.Send, channel: Channel, error: DeliveryError) -> None:
        now = self._clock()
        attempts = send.attempts + 1
        async with self._uows() as uow:
            if isinstance(error, TransientFailure) and attempts < self._policy.max_attempts:
                delay = retry_delay(
                    attempts, base_s=self._policy.retry_base_s, max_s=self._policy.retry_max_s
                )
                await sends.update(
                    uow.session,
                    send.notification_ref,
                    attempts=attempts,
                    due_at=now + delay,
                    claimed_until=None,
                    reason_code=error.reason_code,
                )
            else:
                reason = error.reason_code
                if isinstance(error, TransientFailure):
                    reason = f"attempts_exhausted:{reason}"
                still_pending = await sends.update(
                    uow.session,
                    send.notification_ref,
                    attempts=attempts,
                    status=Status.FAILED,
                    claimed_until=None,
                    reason_code=reason,
                )
                if still_pending:
                    failed = replace(send, attempts=attempts)
                    uow.emit(failure(failed, channel.value, reason, now))
                    await dead_letter(uow.session, failed, channel.value, reason, now)
            await uow.commit()


def _channel_of(send: sends.Send) -> Channel:
    assert send.channel is not None, "a pending send always has a channel"
    return send.channel
