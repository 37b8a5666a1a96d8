"""An excluded victim: nothing more is queued about them unless they are screened in again, or
consent, after the exclusion, whichever of these events arrives first."""

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from notifications_checks import deliveries, handled, knows_participant, marker
from notifications_events import (
    NOW,
    action_completed,
    candidate_excluded,
    candidate_identified,
    consent_given,
    endorsement_requested,
    participant_removed,
    ref,
    victim_invited,
)
from notifications_fixtures import Directory
from notifications_stand_ins import Mailbox, eventually
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_notifications.bootstrap import Notifications
from vfp_notifications.domain.model import COORDINATION_TEAM
from vfp_notifications.service_layer import handlers
from vfp_notifications.service_layer.lookups import Lookups
from vfp_notifications.settings import NotificationsSettings
from vfp_shared.contracts import CandidateIdentifiedV1, ConsentGivenV1
from vfp_shared.envelope import Envelope
from vfp_shared.testing import publish


async def applied(settings: NotificationsSettings, engine: AsyncEngine, *events: Any) -> None:
    """Publish these events one after another, each handled before the next is sent."""
    for data in events:
        event = Envelope(data, source="/test")
        await publish(settings.kafka_bootstrap_servers, [event])
        await eventually(lambda e=event: handled(engine, e.id), what=event.topic)  # type: ignore[misc]


def coming_back(
    how: str, victim: str, supporter: str, at: datetime
) -> CandidateIdentifiedV1 | ConsentGivenV1:
    """The victim screened in again (a new approach), or consenting, at `at`."""
    if how == "identified":
        return candidate_identified(
            participant_ref=victim, supporter_ref=supporter, identified_at=at
        )
    return consent_given(victim, supporter, given_at=at)


async def test_nothing_is_queued_about_a_victim_after_their_exclusion(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    engine: AsyncEngine,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    victim, other = ref("victim"), ref("victim")
    isva = await directory.add(ref("isva"), kind="support_worker")
    await directory.add(COORDINATION_TEAM, kind="team")
    await publish(
        settings.kafka_bootstrap_servers, [consent_given(victim, isva), consent_given(other, isva)]
    )
    await eventually(lambda: knows_participant(engine, other), what="the consents")
    await applied(settings, engine, candidate_excluded(victim, "complaint_open"))

    invitation = Envelope(victim_invited(participant_ref=victim, supporter_ref=isva), source="/t")
    request = Envelope(
        endorsement_requested(participant_ref=victim, supporter_ref=isva), source="/t"
    )
    completed = Envelope(action_completed([victim, other]), source="/t")
    removal = Envelope(participant_removed(participant_ref=victim), source="/t")
    await publish(settings.kafka_bootstrap_servers, [invitation, request, completed, removal])

    for event in (invitation, request, completed, removal):
        await eventually(lambda e=event: handled(engine, e.id), what=event.topic)  # type: ignore[misc]
    assert await deliveries(client, coordinator, source_event_id=str(invitation.id)) == []
    assert await deliveries(client, coordinator, source_event_id=str(request.id)) == []
    # "You said, we did" goes on, to the supporter of the other victim, about them alone.
    [told] = await deliveries(client, coordinator, source_event_id=str(completed.id))
    assert told["recipient_ref"] == isva
    assert await about_refs(engine, told["notification_ref"]) == [other]
    [message] = await eventually(lambda: mailbox.to(f"{isva}@force.example"), what="the mail")
    assert completed.data.title in message["Subject"]
    # A removal names no victim: it is for the coordinators, whatever the exclusion.
    [review] = await deliveries(client, coordinator, source_event_id=str(removal.id))
    assert review["recipient_ref"] == COORDINATION_TEAM


@pytest.mark.parametrize("how", ["identified", "consented"])
async def test_an_identification_or_consent_older_than_the_exclusion_changes_nothing(
    how: str,
    settings: NotificationsSettings,
    directory: Directory,
    engine: AsyncEngine,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    victim = ref("victim")
    oic = await directory.add(ref("oic"))
    # The later exclusion stands, whatever older one arrives after it.
    await applied(
        settings,
        engine,
        candidate_excluded(victim),
        candidate_excluded(victim, at=NOW - timedelta(days=2)),
    )
    await applied(settings, engine, coming_back(how, victim, oic, NOW - timedelta(days=1)))

    assert await marker(engine, victim) == (NOW, NOW - timedelta(days=1))
    request = Envelope(
        endorsement_requested(participant_ref=victim, supporter_ref=oic), source="/t"
    )
    await publish(settings.kafka_bootstrap_servers, [request])
    await eventually(lambda: handled(engine, request.id), what="the request")
    assert await deliveries(client, coordinator, recipient_ref=oic) == []


@pytest.mark.parametrize("how", ["identified", "consented"])
async def test_a_victim_screened_in_or_consenting_after_the_exclusion_is_approached_again(
    how: str,
    settings: NotificationsSettings,
    directory: Directory,
    engine: AsyncEngine,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    victim = ref("victim")
    oic = await directory.add(ref("oic"))
    await applied(settings, engine, candidate_excluded(victim))
    back = Envelope(coming_back(how, victim, oic, NOW + timedelta(days=1)), source="/test")
    await publish(settings.kafka_bootstrap_servers, [back])
    await eventually(lambda: handled(engine, back.id), what="the victim coming back")

    assert await marker(engine, victim) == (NOW, NOW + timedelta(days=1))
    approaches = await deliveries(client, coordinator, source_event_id=str(back.id))
    expected = [(oic, "candidate_approach")] if how == "identified" else []
    assert [(a["recipient_ref"], a["template"]) for a in approaches] == expected
    request = Envelope(
        endorsement_requested(participant_ref=victim, supporter_ref=oic), source="/t"
    )
    await publish(settings.kafka_bootstrap_servers, [request])
    [asked] = await eventually(
        lambda: deliveries(client, coordinator, source_event_id=str(request.id)), what="the send"
    )
    assert (asked["recipient_ref"], asked["template"]) == (oic, "endorsement_requested")


async def test_an_older_exclusion_arriving_after_the_readmission_changes_nothing(
    settings: NotificationsSettings,
    directory: Directory,
    engine: AsyncEngine,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    """Excluded, then screened in again; the exclusion (on its own topic) arrives last. The
    victim was readmitted after it: they are not silenced."""
    victim = ref("victim")
    oic = await directory.add(ref("oic"))
    back = Envelope(
        candidate_identified(
            participant_ref=victim, supporter_ref=oic, identified_at=NOW + timedelta(days=1)
        ),
        source="/t",
    )
    await publish(settings.kafka_bootstrap_servers, [back])
    await eventually(lambda: handled(engine, back.id), what="the identification")
    await applied(settings, engine, candidate_excluded(victim))

    # Its approach still goes, and so does what follows.
    [approach] = await deliveries(client, coordinator, source_event_id=str(back.id))
    assert approach["recipient_ref"] == oic and approach["status"] != "cancelled"
    request = Envelope(
        endorsement_requested(participant_ref=victim, supporter_ref=oic), source="/t"
    )
    await publish(settings.kafka_bootstrap_servers, [request])
    [asked] = await eventually(
        lambda: deliveries(client, coordinator, source_event_id=str(request.id)), what="the send"
    )
    assert (asked["recipient_ref"], asked["template"]) == (oic, "endorsement_requested")


async def test_one_batch_sees_an_exclusion_and_its_lifting_in_order(
    service: Notifications, directory: Directory, client: Any, coordinator: dict[str, str]
) -> None:
    # As the consumer applies a batch: one unit of work, one Lookups (its links cached).
    victim = ref("victim")
    oic = await directory.add(ref("oic"))
    before = Envelope(endorsement_requested(participant_ref=victim, supporter_ref=oic), source="/t")
    after = Envelope(endorsement_requested(participant_ref=victim, supporter_ref=oic), source="/t")
    back = Envelope(
        candidate_identified(
            participant_ref=victim, supporter_ref=oic, identified_at=NOW + timedelta(days=1)
        ),
        source="/t",
    )
    async with service.runtime.units_of_work() as uow:
        lookups = Lookups(uow.session, service.directory_for(uow.session))

        async def enqueue(event: Envelope[Any]) -> None:
            await handlers.enqueue(uow, event, lookups, service.channels, handlers.utc_now())

        await enqueue(before)
        await handlers.exclude(uow, candidate_excluded(victim), lookups)
        await enqueue(after)
        await handlers.identify(uow, back, lookups, service.channels, handlers.utc_now())
        await uow.commit()

    [cancelled] = await deliveries(client, coordinator, source_event_id=str(before.id))
    assert (cancelled["status"], cancelled["reason_code"]) == ("cancelled", "candidate_excluded")
    assert await deliveries(client, coordinator, source_event_id=str(after.id)) == []
    [approach] = await deliveries(client, coordinator, source_event_id=str(back.id))
    assert approach["template"] == "candidate_approach"


async def about_refs(engine: AsyncEngine, notification_ref: str) -> list[str]:
    async with engine.connect() as conn:
        found = await conn.scalar(
            sa.text(
                "SELECT about_refs FROM notifications.notifications WHERE notification_ref = :r"
            ),
            {"r": notification_ref},
        )
    return list(found)
