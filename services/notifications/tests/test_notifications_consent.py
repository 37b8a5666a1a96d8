"""Victims: reached only through their supporter, and never again once they withdraw."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from notifications_checks import deliveries, handled, knows_participant, withdrawn
from notifications_events import (
    NOW,
    action_completed,
    consent_given,
    consent_withdrawn,
    endorsement_requested,
    invited,
    panel_held,
    ref,
    victim_invited,
)
from notifications_fixtures import Clock, Directory
from notifications_stand_ins import Mailbox, eventually
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_notifications.domain.model import COORDINATION_TEAM, VICTIM_WITHOUT_SUPPORTER
from vfp_notifications.settings import NotificationsSettings
from vfp_shared.contracts import DeliveryFailedV1
from vfp_shared.contracts.vocabulary import ContactRoute
from vfp_shared.envelope import Envelope
from vfp_shared.testing import TopicReader, publish


async def test_no_victim_is_contacted_directly_with_or_without_consent(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    engine: AsyncEngine,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    # Someone put the victims' refs in the directory with an address: it must still not be used.
    consented = await directory.add(ref("victim"), kind="staff")
    stranger = await directory.add(ref("victim"), kind="staff")
    await publish(
        settings.kafka_bootstrap_servers,
        [consent_given(consented, None, direct_contact=True, contact_route=ContactRoute.DIRECT)],
    )
    await eventually(lambda: knows_participant(engine, consented), what="the consent")
    panel = ref("panel")
    invitations = [
        victim_invited(
            panel_ref=panel,
            participant_ref=victim,
            recipient_ref=victim,
            supporter_ref=None,
            contact_route=ContactRoute.DIRECT,
        )
        for victim in (consented, stranger)
    ]
    staff = await directory.add(ref("staff"))
    # The same key (panel) as the invitations, so it is handled after them; and a held panel
    # whose attendees list the consented victim beside a member of staff.
    after = invited(panel_ref=panel, recipient_ref=staff)
    held = panel_held(attendee_refs=[consented, staff])
    await publish(settings.kafka_bootstrap_servers, [*invitations, after, held])

    await eventually(lambda: len(mailbox.to(f"{staff}@force.example")) == 2, what="staff mail")
    for victim in (consented, stranger):
        assert mailbox.to(f"{victim}@force.example") == []
        assert await deliveries(client, coordinator, recipient_ref=victim) == []


async def test_you_said_we_did_reaches_the_supporters_from_the_consent_map(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    engine: AsyncEngine,
) -> None:
    a, b = ref("victim"), ref("victim")
    isva = await directory.add(ref("isva"), kind="support_worker")
    await publish(
        settings.kafka_bootstrap_servers, [consent_given(a, isva), consent_given(b, isva)]
    )
    await eventually(lambda: knows_participant(engine, b), what="the consents")
    await publish(settings.kafka_bootstrap_servers, [action_completed([a, b, ref("victim")])])

    [message] = await eventually(lambda: mailbox.to(f"{isva}@force.example"), what="the mail")
    assert message["Subject"].startswith("You said, we did")


async def test_withdrawal_cancels_a_send_waiting_for_quiet_hours_to_end(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    clock: Clock,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    request = endorsement_requested()
    supporter = await directory.add(request.supporter_ref or "", kind="support_worker")
    quiet_start = datetime.strptime(settings.notifications_quiet_hours_start, "%H:%M").time()
    london = datetime.now(ZoneInfo("Europe/London"))
    night = datetime.combine(london.date(), quiet_start, london.tzinfo) + timedelta(minutes=30)
    if night < london:
        night += timedelta(days=1)
    clock.offset = night.astimezone(UTC) - datetime.now(UTC)
    try:
        await publish(settings.kafka_bootstrap_servers, [request])
        [waiting] = await eventually(
            lambda: _with_reason(client, coordinator, supporter, "quiet_hours"), what="deferral"
        )
    finally:
        clock.offset = timedelta()
    assert waiting["status"] == "pending"

    await publish(settings.kafka_bootstrap_servers, [consent_withdrawn(request.participant_ref)])
    [cancelled] = await eventually(
        lambda: _with_reason(client, coordinator, supporter, "consent_withdrawn"), what="cancel"
    )
    assert cancelled["status"] == "cancelled"
    assert mailbox.to(f"{supporter}@force.example") == []


async def test_nothing_is_sent_about_a_victim_after_their_withdrawal(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    engine: AsyncEngine,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    victim = ref("victim")
    isva = await directory.add(ref("isva"), kind="support_worker")
    await publish(settings.kafka_bootstrap_servers, [consent_given(victim, isva)])
    await publish(settings.kafka_bootstrap_servers, [consent_withdrawn(victim)])
    await eventually(lambda: withdrawn(engine, victim), what="the withdrawal")
    request = Envelope(
        endorsement_requested(participant_ref=victim, supporter_ref=isva), source="/test"
    )
    await publish(settings.kafka_bootstrap_servers, [request])

    await eventually(lambda: handled(engine, request.id), what="the request")
    assert await deliveries(client, coordinator, source_event_id=str(request.id)) == []
    assert mailbox.to(f"{isva}@force.example") == []


async def test_a_consent_given_after_a_withdrawal_counts_and_an_older_one_does_not(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    engine: AsyncEngine,
) -> None:
    revived, stale = ref("victim"), ref("victim")
    isva = await directory.add(ref("isva"), kind="support_worker")
    await publish(
        settings.kafka_bootstrap_servers,
        [consent_withdrawn(revived, at=NOW), consent_withdrawn(stale, at=NOW)],
    )
    await eventually(lambda: withdrawn(engine, stale), what="the withdrawals")
    late = Envelope(consent_given(stale, isva, given_at=NOW - timedelta(days=1)), source="/t")
    anew = Envelope(consent_given(revived, isva, given_at=NOW + timedelta(days=1)), source="/t")
    await publish(settings.kafka_bootstrap_servers, [late, anew])
    await eventually(lambda: handled(engine, late.id), what="the late consent")
    await eventually(lambda: handled(engine, anew.id), what="the new consent")

    assert await withdrawn(engine, stale)
    assert not await withdrawn(engine, revived)
    event = action_completed([revived])
    await publish(settings.kafka_bootstrap_servers, [event])
    [message] = await eventually(lambda: mailbox.to(f"{isva}@force.example"), what="the mail")
    assert event.title in message["Subject"]


async def _with_reason(
    client: Any, headers: dict[str, str], recipient: str, reason: str
) -> list[dict[str, Any]]:
    rows = await deliveries(client, headers, recipient_ref=recipient)
    return [r for r in rows if r["reason_code"] == reason]


async def test_a_victim_without_a_supporter_is_reported_to_the_coordination_team(
    settings: NotificationsSettings,
    mailbox: Mailbox,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    # Nobody can approach the victim: no supporter named, none in the consent map.
    request = Envelope(endorsement_requested(supporter_ref=None), source="/test")
    victim = request.data.participant_ref
    async with TopicReader(settings.kafka_bootstrap_servers, DeliveryFailedV1.TOPIC) as reader:
        await publish(settings.kafka_bootstrap_servers, [request])
        [failed] = await reader.events(lambda e: e.data.source_event_id == str(request.id), count=1)

    assert (failed.data.recipient_ref, failed.data.reason_code) == (
        COORDINATION_TEAM,
        VICTIM_WITHOUT_SUPPORTER,
    )
    assert victim not in failed.data.model_dump_json()
    [logged] = await deliveries(client, coordinator, source_event_id=str(request.id))
    assert (logged["recipient_ref"], logged["status"], logged["template"]) == (
        COORDINATION_TEAM,
        "failed",
        "endorsement_requested",
    )
    # Nobody to send it to, so nothing to send again; and the victim is never written to.
    retry = await client.post(
        f"/deliveries/{logged['notification_ref']}/retry", headers=coordinator
    )
    assert retry.status_code == 409
    assert await deliveries(client, coordinator, recipient_ref=victim) == []
    assert mailbox.to(f"{victim}@force.example") == []
