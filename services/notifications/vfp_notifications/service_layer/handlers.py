"""Event handlers: they only decide and write pending sends (an outbox of messages) in the
consuming transaction. Sending happens after commit, in the dispatcher."""

from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from vfp_notifications.adapters import participants, sends
from vfp_notifications.adapters.tables import audit
from vfp_notifications.domain import routing
from vfp_notifications.domain.model import (
    Channel,
    Intent,
    NotRetryable,
    Status,
    UnknownNotification,
)
from vfp_notifications.domain.policy import choose_channel
from vfp_notifications.service_layer.lookups import Lookups
from vfp_shared.audit import record
from vfp_shared.contracts import (
    CandidateExcludedV1,
    CandidateIdentifiedV1,
    ConsentGivenV1,
    ConsentWithdrawnV1,
    DeliveryFailedV1,
)
from vfp_shared.envelope import Envelope
from vfp_shared.storage.unit_of_work import UnitOfWork
from vfp_shared.telemetry import current_traceparent

NO_CHANNEL = "none"


async def plan(
    event: Envelope[Any], lookups: Lookups, enabled: Collection[Channel]
) -> list[tuple[Intent, Channel | None, str | None]]:
    """Who must hear about `event` and by which channel (or why no one can be reached)."""
    data = event.data
    supporters = await lookups.links(routing.victims_named(data))
    staff = await lookups.entries(routing.staff_needing_line_manager(data))
    managers = {ref: e.line_manager_ref for ref, e in staff.items() if e.line_manager_ref}
    intents = routing.route(data, routing.Known(supporters, managers))
    resolved = await resolve(lookups, intents, enabled)
    # Belt and braces: a victim is never a recipient, even if a group lists them.
    victims = await lookups.links({i.recipient_ref for i, _, _ in resolved})
    return [item for item in resolved if item[0].recipient_ref not in victims]


async def resolve(
    lookups: Lookups, intents: list[Intent], enabled: Collection[Channel]
) -> list[tuple[Intent, Channel | None, str | None]]:
    """Each intent to a recipient and channel; a group without an address of its own is
    reached through its members. Unreachable ones come back with a reason code."""
    planned: list[tuple[Intent, Channel | None, str | None]] = []
    seen = {(i.recipient_ref, i.template) for i in intents}
    expanded: set[str] = set()
    pending = intents
    while pending:
        entries = await lookups.entries({i.recipient_ref for i in pending})
        following: list[Intent] = []
        for intent in pending:
            if intent.unreachable:
                planned.append((intent, None, intent.unreachable))
                continue
            entry = entries.get(intent.recipient_ref)
            if entry is None:
                planned.append((intent, None, "recipient_not_in_directory"))
                continue
            channel = choose_channel(entry, enabled, about_victim=bool(intent.about_refs))
            if channel is not None:
                planned.append((intent, channel, None))
            elif entry.member_refs and entry.ref not in expanded:
                expanded.add(entry.ref)
                for member in entry.member_refs:
                    if (member, intent.template) not in seen:
                        seen.add((member, intent.template))
                        following.append(replace(intent, recipient_ref=member))
            else:
                planned.append((intent, None, "no_usable_channel"))
        pending = following
    return planned


async def enqueue(
    uow: UnitOfWork,
    event: Envelope[Any],
    lookups: Lookups,
    enabled: Collection[Channel],
    now: datetime,
) -> None:
    """Write one pending send per (event, recipient, template). One nobody can reach is
    written as failed and reported (delivery-failed) at once: coordinators fix the directory
    (or, for a victim without a supporter, find them one)."""
    # The victims' supporter links are read under their locks: a withdrawal or an exclusion on
    # another instance either lands first (its tombstone or marker: nothing is queued about
    # that victim) or finds the send to cancel.
    await lookups.lock_participants(uow, routing.victims_named(event.data))
    planned = await plan(event, lookups, enabled)
    unreachable: dict[UUID, str] = {}
    traceparent = current_traceparent()
    rows = []
    for intent, channel, reason in planned:
        ref = uuid4()
        if reason:
            unreachable[ref] = reason
        rows.append(
            {
                "notification_ref": ref,
                "source_event_id": event.id,
                "source_topic": event.topic,
                "template": intent.template.value,
                "recipient_ref": intent.recipient_ref,
                "channel": channel.value if channel else None,
                "about_refs": list(intent.about_refs),
                "status": Status.FAILED if reason else Status.PENDING,
                "reason_code": reason,
                "due_at": now,
                # Nothing to send again to the coordination team: they are told by the log.
                "context": None if intent.unreachable else routing.context_json(intent),
                "traceparent": traceparent,
            }
        )
    for send in await sends.add(uow.session, rows):
        if send.notification_ref in unreachable:
            uow.emit(failure(send, NO_CHANNEL, unreachable[send.notification_ref], now))


async def identify(
    uow: UnitOfWork,
    event: Envelope[CandidateIdentifiedV1],
    lookups: Lookups,
    enabled: Collection[Channel],
    now: datetime,
) -> None:
    """A candidate screened in: an exclusion before this no longer holds (e.g. until a new
    closure), one after it stands (a late identification approaches no one). Recorded before
    the approach is routed, in the same transaction."""
    candidate = event.data
    ref = candidate.participant_ref
    await lookups.lock_participants(uow, [ref])
    await participants.record_readmission(uow.session, ref, candidate.identified_at)
    lookups.forget_participant(ref)
    await enqueue(uow, event, lookups, enabled, now)


def failure(send: sends.Send, channel: str, reason_code: str, now: datetime) -> DeliveryFailedV1:
    return DeliveryFailedV1(
        notification_ref=str(send.notification_ref),
        source_event_id=str(send.source_event_id),
        template=send.template.value,
        channel=channel,
        recipient_ref=send.recipient_ref,
        reason_code=reason_code,
        failed_at=now,
    )


async def record_consent(uow: UnitOfWork, consent: ConsentGivenV1, lookups: Lookups) -> None:
    lookups.forget_participant(consent.participant_ref)
    await participants.record_consent(
        uow.session,
        consent.participant_ref,
        consent.supporter_ref,
        consent.direct_contact,
        consent.given_at,
    )


async def withdraw(uow: UnitOfWork, withdrawal: ConsentWithdrawnV1, lookups: Lookups) -> None:
    """Cancel everything pending about the victim and erase their ref from the log. (Even a
    withdrawal older than a later consent cancels what is pending: erring towards silence.)"""
    ref = withdrawal.participant_ref
    await uow.lock_participants([ref])
    lookups.forget_participant(ref)
    await participants.record_withdrawal(uow.session, ref, withdrawal.withdrawn_at)
    cancelled = await sends.cancel_about(uow.session, ref)
    await record(
        uow.session,
        audit,
        "system",
        "erase",
        ref,
        f"consent withdrawn: {cancelled} pending notification(s) cancelled, refs erased",
    )


async def exclude(uow: UnitOfWork, exclusion: CandidateExcludedV1, lookups: Lookups) -> None:
    """Participants excluded the victim (a complaint, a reopened case, a coordinator's call):
    cancel everything pending about them, and take them off a message about other victims too
    (it goes on without them). The marker stops anything more about them unless they are
    screened in or consent after it (whichever event arrives first). Not an erasure: the
    supporter map stays (they may come back), and so does their ref on the rows about them
    alone. An exclusion arriving after a later readmission (on another topic) is kept but
    cancels nothing: it no longer holds."""
    ref = exclusion.participant_ref
    await uow.lock_participants([ref])
    await participants.record_exclusion(uow.session, ref, exclusion.excluded_at)
    lookups.forget_participant(ref)
    link = (await lookups.links([ref])).get(ref)
    if link is None or not link.excluded:
        return
    cancelled = await sends.cancel_about(uow.session, ref, "candidate_excluded", erase=False)
    await record(
        uow.session,
        audit,
        "system",
        "cancel",
        ref,
        f"candidate excluded ({', '.join(exclusion.reason_codes)}): "
        f"{cancelled} pending notification(s) cancelled",
    )


async def retry(
    uow: UnitOfWork, ref: UUID, lookups: Lookups, enabled: Collection[Channel], now: datetime
) -> None:
    """Queue a failed notification again (once the directory or the channel is fixed)."""
    found = await sends.get(uow.session, ref)
    if found is None:
        raise UnknownNotification(str(ref))
    send, status = found
    if status is not Status.FAILED:
        raise NotRetryable(f"a {status.value} notification cannot be sent again")
    if not send.context:
        # Cleared when its victim withdrew or was excluded; never kept when no one could be told.
        raise NotRetryable("nothing is kept to send again")
    entry = (await lookups.entries([send.recipient_ref])).get(send.recipient_ref)
    channel = choose_channel(entry, enabled, about_victim=bool(send.about_refs)) if entry else None
    if channel is None:
        raise NotRetryable(f"{send.recipient_ref} has no usable channel in the directory")
    await sends.update(
        uow.session,
        ref,
        only_pending=False,
        status=Status.PENDING,
        channel=channel.value,
        attempts=0,
        due_at=now,
        claimed_until=None,
        reason_code=None,
    )


def utc_now() -> datetime:
    return datetime.now(UTC)
