"""Cancelled sends stay unsent: a withdrawal between the dispatcher's claim and its send, and a
participants exclusion, both stop what is pending about the victim. One already with the channel
cannot be called back: the log says so."""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import sqlalchemy as sa
from notifications_checks import deliveries, handled, knows_participant, withdrawn
from notifications_events import (
    action_completed,
    candidate_excluded,
    consent_given,
    consent_withdrawn,
    endorsement_requested,
    ref,
)
from notifications_fixtures import Clock, Directory, at_night
from notifications_stand_ins import Mailbox, eventually
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_notifications.adapters import participants, sends
from vfp_notifications.adapters.channels import Outgoing, Sender
from vfp_notifications.bootstrap import Notifications, dispatch_policy, renderer_for, senders
from vfp_notifications.domain.model import Channel, DirectoryEntry
from vfp_notifications.service_layer.dispatcher import Dispatcher
from vfp_notifications.settings import NotificationsSettings
from vfp_shared.contracts import NotificationSentV1
from vfp_shared.envelope import Envelope
from vfp_shared.testing import TopicReader, publish


async def _with_reason(
    client: Any, headers: dict[str, str], recipient: str, reason: str
) -> list[dict[str, Any]]:
    rows = await deliveries(client, headers, recipient_ref=recipient)
    return [r for r in rows if r["reason_code"] == reason]


async def claimed_at_night(
    service: Notifications,
    settings: NotificationsSettings,
    clock: Clock,
    directory: Directory,
    client: Any,
    coordinator: dict[str, str],
) -> tuple[str, str, sends.Send, DirectoryEntry | None]:
    """An endorsement request deferred to the morning (so the running dispatcher leaves it
    alone), then claimed as the dispatcher claims: a lease on the pending row.
    Returns (victim, supporter, the claimed send, the supporter's directory entry)."""
    request = endorsement_requested()
    supporter = await directory.add(request.supporter_ref or "", kind="support_worker")
    with at_night(clock, settings):
        await publish(settings.kafka_bootstrap_servers, [request])
        [waiting] = await eventually(
            lambda: _with_reason(client, coordinator, supporter, "quiet_hours"), what="deferral"
        )
    assert waiting["channel"] == "email"
    lease = datetime.now(UTC) + timedelta(minutes=5)
    async with service.runtime.units_of_work() as uow:
        ref = UUID(waiting["notification_ref"])
        assert await sends.update(uow.session, ref, claimed_until=lease)
        found = await sends.get(uow.session, ref)
        entries = await service.directory_for(uow.session).find([supporter])
        await uow.commit()
    assert found is not None
    return (
        request.participant_ref,
        supporter,
        replace(found[0], claimed_until=lease),
        entries.get(supporter),
    )


async def test_a_withdrawal_between_the_claim_and_the_send_stops_the_send(
    settings: NotificationsSettings,
    service: Notifications,
    directory: Directory,
    mailbox: Mailbox,
    clock: Clock,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    victim, supporter, claimed, entry = await claimed_at_night(
        service, settings, clock, directory, client, coordinator
    )
    # The victim withdraws while the send is claimed...
    await publish(settings.kafka_bootstrap_servers, [consent_withdrawn(victim)])
    await eventually(
        lambda: _with_reason(client, coordinator, supporter, "consent_withdrawn"), what="cancel"
    )
    # ... and then the dispatcher sends: it finds the send cancelled and sends nothing.
    await service.dispatcher.deliver(claimed, entry)

    assert mailbox.to(f"{supporter}@force.example") == []
    [row] = await deliveries(client, coordinator, recipient_ref=supporter)
    assert (row["status"], row["reason_code"], row["sent_at"]) == (
        "cancelled",
        "consent_withdrawn",
        None,
    )


async def test_an_exclusion_cancels_what_is_pending_and_keeps_the_supporter_map(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    engine: AsyncEngine,
    clock: Clock,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    victim = ref("victim")
    isva = await directory.add(ref("isva"), kind="support_worker")
    await publish(settings.kafka_bootstrap_servers, [consent_given(victim, isva)])
    await eventually(lambda: knows_participant(engine, victim), what="the consent")
    with at_night(clock, settings):
        await publish(
            settings.kafka_bootstrap_servers,
            [endorsement_requested(participant_ref=victim, supporter_ref=isva)],
        )
        await eventually(
            lambda: _with_reason(client, coordinator, isva, "quiet_hours"), what="deferral"
        )

    await publish(settings.kafka_bootstrap_servers, [candidate_excluded(victim, "complaint_open")])
    [cancelled] = await eventually(
        lambda: _with_reason(client, coordinator, isva, "candidate_excluded"), what="cancel"
    )
    assert cancelled["status"] == "cancelled"
    assert mailbox.to(f"{isva}@force.example") == []
    # Not a withdrawal: the victim may come back, so their supporter is still known.
    assert not await withdrawn(engine, victim)
    async with engine.connect() as conn:
        supporter = await conn.scalar(
            sa.text(
                "SELECT supporter_ref FROM notifications.participants WHERE participant_ref = :r"
            ),
            {"r": victim},
        )
        audited = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM notifications.audit_log "
                "WHERE subject_ref = :r AND action = 'cancel'"
            ),
            {"r": victim},
        )
    assert supporter == isva
    assert audited == 1


class WithdrawnMeanwhile:
    """The real SMTP sender, behind a stand-in that lets the victim withdraw (over Kafka, until
    the cancellation is committed) after the dispatcher's last check, as the message goes."""

    def __init__(self, real: Sender, withdraw: Callable[[], Awaitable[None]]):
        self._real = real
        self._withdraw = withdraw

    async def send(self, outgoing: Outgoing) -> None:
        await self._withdraw()
        await self._real.send(outgoing)


async def test_a_send_withdrawn_while_with_the_channel_is_logged_as_having_gone_out(
    settings: NotificationsSettings,
    service: Notifications,
    directory: Directory,
    mailbox: Mailbox,
    clock: Clock,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    victim, supporter, claimed, entry = await claimed_at_night(
        service, settings, clock, directory, client, coordinator
    )

    async def withdraw() -> None:
        await publish(settings.kafka_bootstrap_servers, [consent_withdrawn(victim)])
        await eventually(
            lambda: _with_reason(client, coordinator, supporter, "consent_withdrawn"),
            what="cancel",
        )

    async with httpx.AsyncClient() as http:
        smtp = senders(settings, http)[Channel.EMAIL]
        dispatcher = Dispatcher(
            units_of_work=service.runtime.units_of_work,
            directory_for=service.directory_for,
            senders={Channel.EMAIL: WithdrawnMeanwhile(smtp, withdraw)},
            renderer=renderer_for(settings),
            policy=dispatch_policy(settings),
        )
        async with TopicReader(
            settings.kafka_bootstrap_servers, NotificationSentV1.TOPIC
        ) as reader:
            await dispatcher.deliver(claimed, entry)
            [sent] = await reader.events(
                lambda e: e.data.notification_ref == str(claimed.notification_ref), count=1
            )

    assert sent.data.recipient_ref == supporter
    assert len(mailbox.to(f"{supporter}@force.example")) == 1
    # The withdrawal's cancellation stands, and the log says truthfully that it went out.
    [row] = await deliveries(client, coordinator, recipient_ref=supporter)
    assert (row["status"], row["reason_code"], row["attempts"]) == (
        "cancelled",
        "sent_in_flight:consent_withdrawn",
        1,
    )
    assert row["sent_at"] is not None


async def test_a_claimed_send_about_a_victim_since_withdrawn_is_cancelled_not_sent(
    settings: NotificationsSettings,
    service: Notifications,
    directory: Directory,
    mailbox: Mailbox,
    clock: Clock,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    victim, supporter, claimed, entry = await claimed_at_night(
        service, settings, clock, directory, client, coordinator
    )
    # The tombstone alone, as if the send had slipped past the withdrawal's cancellation.
    async with service.runtime.units_of_work() as uow:
        await participants.record_withdrawal(uow.session, victim, datetime.now(UTC))
        await uow.commit()

    await service.dispatcher.deliver(claimed, entry)

    assert mailbox.to(f"{supporter}@force.example") == []
    [row] = await deliveries(client, coordinator, recipient_ref=supporter)
    assert (row["status"], row["reason_code"], row["sent_at"]) == (
        "cancelled",
        "consent_withdrawn",
        None,
    )
    # Erased from the row too, as a withdrawal's cancellation does.
    assert await _status_and_about(service.runtime.engine, row["notification_ref"]) == (
        "cancelled",
        [],
    )


async def test_a_claimed_you_said_we_did_goes_on_without_a_victim_since_withdrawn(
    settings: NotificationsSettings,
    service: Notifications,
    directory: Directory,
    mailbox: Mailbox,
    engine: AsyncEngine,
    clock: Clock,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    first, second = ref("victim"), ref("victim")
    isva = await directory.add(ref("isva"), kind="support_worker")
    await publish(
        settings.kafka_bootstrap_servers, [consent_given(first, isva), consent_given(second, isva)]
    )
    for victim in (first, second):
        await eventually(lambda v=victim: knows_participant(engine, v), what="the consents")  # type: ignore[misc]
    with at_night(clock, settings):
        await publish(settings.kafka_bootstrap_servers, [action_completed([first, second])])
        [waiting] = await eventually(
            lambda: _with_reason(client, coordinator, isva, "quiet_hours"), what="deferral"
        )
    lease = datetime.now(UTC) + timedelta(minutes=5)
    async with service.runtime.units_of_work() as uow:
        notification_ref = UUID(waiting["notification_ref"])
        assert await sends.update(uow.session, notification_ref, claimed_until=lease)
        found = await sends.get(uow.session, notification_ref)
        entries = await service.directory_for(uow.session).find([isva])
        # The first victim's tombstone alone, as if the send had slipped past the withdrawal.
        await participants.record_withdrawal(uow.session, first, datetime.now(UTC))
        await uow.commit()
    assert found is not None

    await service.dispatcher.deliver(replace(found[0], claimed_until=lease), entries.get(isva))

    # Sent, about the other victim alone: the withdrawn one is no longer named on the row.
    assert len(mailbox.to(f"{isva}@force.example")) == 1
    assert await _status_and_about(engine, waiting["notification_ref"]) == ("sent", [second])


async def test_a_withdrawal_takes_only_that_victim_off_a_you_said_we_did_for_several(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    engine: AsyncEngine,
    clock: Clock,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    first, second = ref("victim"), ref("victim")
    isva = await directory.add(ref("isva"), kind="support_worker")
    await publish(
        settings.kafka_bootstrap_servers, [consent_given(first, isva), consent_given(second, isva)]
    )
    for victim in (first, second):
        await eventually(lambda v=victim: knows_participant(engine, v), what="the consents")  # type: ignore[misc]
    with at_night(clock, settings):
        await publish(settings.kafka_bootstrap_servers, [action_completed([first, second])])
        [waiting] = await eventually(
            lambda: _with_reason(client, coordinator, isva, "quiet_hours"), what="deferral"
        )

    await publish(settings.kafka_bootstrap_servers, [consent_withdrawn(first)])
    await eventually(lambda: withdrawn(engine, first), what="the first withdrawal")
    # Still to be sent, now about the other victim alone.
    assert await _status_and_about(engine, waiting["notification_ref"]) == ("pending", [second])

    await publish(settings.kafka_bootstrap_servers, [consent_withdrawn(second)])
    await eventually(lambda: withdrawn(engine, second), what="the second withdrawal")
    assert await _status_and_about(engine, waiting["notification_ref"]) == ("cancelled", [])
    assert mailbox.to(f"{isva}@force.example") == []


async def test_a_failed_send_about_an_excluded_victim_cannot_be_retried(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    engine: AsyncEngine,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    # The supporter is not in the directory yet: the send fails, waiting for a retry.
    request = endorsement_requested()
    isva = request.supporter_ref or ""
    await publish(settings.kafka_bootstrap_servers, [request])
    [failed] = await eventually(
        lambda: deliveries(client, coordinator, recipient_ref=isva, status="failed"),
        what="the failure",
    )
    exclusion = Envelope(candidate_excluded(request.participant_ref), source="/test")
    await publish(settings.kafka_bootstrap_servers, [exclusion])
    await eventually(lambda: handled(engine, exclusion.id), what="the exclusion")

    await directory.add(isva, kind="support_worker")
    retry = await client.post(
        f"/deliveries/{failed['notification_ref']}/retry", headers=coordinator
    )
    assert retry.status_code == 409
    [row] = await deliveries(client, coordinator, recipient_ref=isva)
    assert row["status"] == "failed"
    assert mailbox.to(f"{isva}@force.example") == []


async def _status_and_about(engine: AsyncEngine, notification_ref: str) -> tuple[str, list[str]]:
    async with engine.connect() as conn:
        [(status, about_refs)] = (
            await conn.execute(
                sa.text(
                    "SELECT status, about_refs FROM notifications.notifications "
                    "WHERE notification_ref = :r"
                ),
                {"r": notification_ref},
            )
        ).all()
    return status, list(about_refs)
