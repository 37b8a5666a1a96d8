"""Events in, messages out, over the real Kafka, PostgreSQL and SMTP (aiosmtpd) server."""

import json
from typing import Any
from uuid import uuid4

import icalendar
import sqlalchemy as sa
from notifications_checks import deliveries
from notifications_events import (
    action_raised,
    consent_withdrawn,
    endorsement_requested,
    ref,
    victim_invited,
)
from notifications_fixtures import Directory
from notifications_stand_ins import Mailbox, eventually
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_notifications.bootstrap import Notifications
from vfp_notifications.service_layer import handlers
from vfp_notifications.service_layer.lookups import Lookups
from vfp_notifications.settings import NotificationsSettings
from vfp_shared.bus.dead_letters import ERROR_MESSAGE, ORIGINAL_TOPIC
from vfp_shared.contracts import ActionRaisedV1, DeliveryFailedV1, NotificationSentV1
from vfp_shared.envelope import Envelope
from vfp_shared.testing import TopicReader, envelope, publish

DISPATCH_DLQ = "notifications.dispatch.dlq"


async def test_an_invitation_reaches_the_supporter_by_smtp_with_the_ics_attached(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    client: Any,
    coordinator: dict[str, str],
    engine: AsyncEngine,
) -> None:
    event = victim_invited()
    supporter = await directory.add(
        event.supporter_ref or "", kind="support_worker", name="Alex Worker"
    )
    address = f"{supporter}@force.example"
    async with TopicReader(settings.kafka_bootstrap_servers, NotificationSentV1.TOPIC) as reader:
        await publish(settings.kafka_bootstrap_servers, [event])
        [message] = await eventually(lambda: mailbox.to(address), what="the invitation email")
        [sent] = await reader.events(lambda e: e.data.recipient_ref == supporter, count=1)

    assert message["Subject"].startswith("Invitation for participant")
    plain = message.get_body(("plain",))
    assert plain is not None and "Dear Alex Worker," in plain.get_content()
    assert message.get_body(("html",)) is not None
    [attachment] = [
        p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"
    ]
    [vevent] = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert str(vevent["UID"]) == event.invitation_ref
    assert str(vevent["SUMMARY"]) == event.title
    assert str(vevent["LOCATION"]) == event.location
    assert vevent.decoded("DTSTART") == event.starts_at
    assert vevent.decoded("DTEND") == event.ends_at

    assert sent.data.template == "invitation_via_supporter" and sent.data.channel == "email"
    [logged] = await deliveries(client, coordinator, recipient_ref=supporter)
    assert logged["status"] == "sent" and logged["notification_ref"] == sent.data.notification_ref
    assert address not in json.dumps(logged)
    async with engine.connect() as conn:
        kept = await conn.scalar(
            sa.text("SELECT context FROM notifications.notifications WHERE notification_ref = :r"),
            {"r": logged["notification_ref"]},
        )
    assert kept is None  # nothing to rebuild the message from once it went


async def test_the_sent_event_continues_the_trace_of_the_event_that_caused_it(
    settings: NotificationsSettings, directory: Directory
) -> None:
    event = action_raised()
    await directory.add(event.owner_ref)
    trace_id = uuid4().hex
    traced = envelope(event, traceparent=f"00-{trace_id}-{uuid4().hex[:16]}-01")
    async with TopicReader(settings.kafka_bootstrap_servers, NotificationSentV1.TOPIC) as reader:
        await publish(settings.kafka_bootstrap_servers, [traced])
        [sent] = await reader.events(lambda e: e.data.recipient_ref == event.owner_ref, count=1)
    assert sent.traceparent is not None and sent.traceparent.split("-")[1] == trace_id


async def test_an_event_delivered_twice_sends_one_message(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    event = action_raised()
    owner = await directory.add(event.owner_ref)
    twice = Envelope(event, source="/test/learning")
    # Same key, so same partition, after both copies: once it is sent, both copies were read.
    after = action_raised(action_ref=event.action_ref, owner_ref=await directory.add(ref("owner")))
    await publish(settings.kafka_bootstrap_servers, [twice, twice, after])

    await eventually(lambda: mailbox.to(f"{after.owner_ref}@force.example"), what="the sentinel")
    await eventually(lambda: mailbox.to(f"{owner}@force.example"), what="the message")
    assert len(mailbox.to(f"{owner}@force.example")) == 1
    assert len(await deliveries(client, coordinator, source_event_id=str(twice.id))) == 1


async def test_the_same_event_planned_twice_writes_one_send(
    service: Notifications,
    directory: Directory,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    # Past the inbox, the unique (event, recipient, template) still holds.
    event = Envelope(action_raised(), source="/test/learning")
    await directory.add(event.data.owner_ref)
    for _ in range(2):
        async with service.runtime.units_of_work() as uow:
            lookups = Lookups(uow.session, service.directory_for(uow.session))
            await handlers.enqueue(uow, event, lookups, service.channels, handlers.utc_now())
            await uow.commit()
    assert len(await deliveries(client, coordinator, source_event_id=str(event.id))) == 1


async def test_a_title_with_a_line_break_is_sent_with_a_one_line_subject(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    event = action_raised(title="Update the stalking\r\nrisk-assessment training")
    owner = await directory.add(event.owner_ref)
    await publish(settings.kafka_bootstrap_servers, [event])

    [message] = await eventually(lambda: mailbox.to(f"{owner}@force.example"), what="the mail")
    assert message["Subject"] == (
        "Learning action for you: Update the stalking risk-assessment training"
    )
    [logged] = await eventually(lambda: _with_status(client, coordinator, owner, "sent"))
    assert logged["attempts"] == 1


async def test_a_server_answering_451_first_gets_the_message_on_a_retry(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    event = action_raised()
    owner = await directory.add(event.owner_ref)
    mailbox.script(f"{owner}@force.example", "451 4.3.0 Try again later")
    await publish(settings.kafka_bootstrap_servers, [event])

    await eventually(lambda: mailbox.to(f"{owner}@force.example"), what="the retried email")
    [logged] = await eventually(
        lambda: _with_status(client, coordinator, owner, "sent"), what="the log"
    )
    assert logged["attempts"] == 2


async def test_a_refused_recipient_fails_permanently_to_the_dead_letter_topic(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    event = action_raised()
    owner = await directory.add(event.owner_ref)
    mailbox.script(f"{owner}@force.example", "550 5.1.1 No such mailbox")
    topics = (DeliveryFailedV1.TOPIC, DISPATCH_DLQ)
    async with TopicReader(settings.kafka_bootstrap_servers, *topics) as reader:
        await publish(settings.kafka_bootstrap_servers, [event])
        records = await reader.records(lambda r: r.key == owner.encode(), count=2)

    [failed] = [r for r in records if r.topic == DeliveryFailedV1.TOPIC]
    failure = DeliveryFailedV1.model_validate_json(failed.value or b"")
    assert (failure.reason_code, failure.channel, failure.template) == (
        "smtp_550",
        "email",
        "action_raised",
    )
    [dead] = [r for r in records if r.topic == DISPATCH_DLQ]
    headers = {k: v.decode() for k, v in dead.headers}
    assert headers[ORIGINAL_TOPIC] == ActionRaisedV1.TOPIC
    assert headers[ERROR_MESSAGE] == "smtp_550"
    letter = json.loads(dead.value or b"")
    assert letter["notification_ref"] == failure.notification_ref
    assert f"{owner}@force.example" not in (dead.value or b"").decode()
    [logged] = await deliveries(client, coordinator, recipient_ref=owner)
    assert (logged["status"], logged["attempts"]) == ("failed", 1)
    assert mailbox.to(f"{owner}@force.example") == []


async def test_a_server_that_keeps_answering_4xx_exhausts_the_attempts(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    event = action_raised()
    owner = await directory.add(event.owner_ref)
    mailbox.script(
        f"{owner}@force.example", *["421 4.4.2 Busy"] * settings.notifications_max_attempts
    )
    await publish(settings.kafka_bootstrap_servers, [event])

    [logged] = await eventually(
        lambda: _with_status(client, coordinator, owner, "failed"), what="the failure"
    )
    assert logged["reason_code"] == "attempts_exhausted:smtp_421"
    assert logged["attempts"] == settings.notifications_max_attempts


async def test_a_recipient_missing_from_the_directory_is_reported_not_guessed(
    settings: NotificationsSettings,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    event = action_raised()
    async with TopicReader(settings.kafka_bootstrap_servers, DeliveryFailedV1.TOPIC) as reader:
        await publish(settings.kafka_bootstrap_servers, [event])
        [failed] = await reader.events(lambda e: e.data.recipient_ref == event.owner_ref, count=1)
    assert failed.data.reason_code == "recipient_not_in_directory"
    [logged] = await deliveries(client, coordinator, recipient_ref=event.owner_ref)
    assert logged["status"] == "failed" and logged["channel"] is None


async def test_a_coordinator_retries_a_failed_notification_once_the_recipient_is_known(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    event = action_raised()
    await publish(settings.kafka_bootstrap_servers, [event])
    [failed] = await eventually(
        lambda: _with_status(client, coordinator, event.owner_ref, "failed"), what="the failure"
    )
    url = f"/deliveries/{failed['notification_ref']}/retry"
    assert (await client.post(url, headers=coordinator)).status_code == 409

    await directory.add(event.owner_ref)
    response = await client.post(url, headers=coordinator)
    assert response.status_code == 200 and response.json()["status"] == "pending"
    await eventually(lambda: mailbox.to(f"{event.owner_ref}@force.example"), what="the mail")
    await eventually(lambda: _with_status(client, coordinator, event.owner_ref, "sent"))
    assert (await client.post(url, headers=coordinator)).status_code == 409


async def test_sends_over_the_hourly_limit_are_deferred_and_a_withdrawal_cancels_them(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    client: Any,
    coordinator: dict[str, str],
    engine: AsyncEngine,
) -> None:
    victim, isva = ref("victim"), await directory.add(ref("isva"), kind="support_worker")
    limit = settings.notifications_rate_limit_per_hour
    requests = [
        endorsement_requested(participant_ref=victim, supporter_ref=isva) for _ in range(limit + 1)
    ]
    await publish(settings.kafka_bootstrap_servers, requests)

    await eventually(lambda: len(mailbox.to(f"{isva}@force.example")) == limit, what="sends")
    [deferred] = await eventually(
        lambda: _with_reason(client, coordinator, isva, "rate_limited"), what="a deferral"
    )
    assert deferred["status"] == "pending"
    async with engine.connect() as conn:
        wait = await conn.scalar(
            sa.text(
                "SELECT due_at - now() FROM notifications.notifications WHERE notification_ref = :r"
            ),
            {"r": deferred["notification_ref"]},
        )
    assert wait.total_seconds() > 50 * 60

    await publish(settings.kafka_bootstrap_servers, [consent_withdrawn(victim)])
    [cancelled] = await eventually(
        lambda: _with_reason(client, coordinator, isva, "consent_withdrawn"), what="the cancel"
    )
    assert cancelled["notification_ref"] == deferred["notification_ref"]
    assert cancelled["status"] == "cancelled"
    assert len(mailbox.to(f"{isva}@force.example")) == limit


async def _with_status(
    client: Any, headers: dict[str, str], recipient: str, status: str
) -> list[dict[str, Any]]:
    return await deliveries(client, headers, recipient_ref=recipient, status=status)


async def _with_reason(
    client: Any, headers: dict[str, str], recipient: str, reason: str
) -> list[dict[str, Any]]:
    rows = await deliveries(client, headers, recipient_ref=recipient)
    return [r for r in rows if r["reason_code"] == reason]
