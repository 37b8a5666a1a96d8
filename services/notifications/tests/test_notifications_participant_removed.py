"""A victim taken off a panel: the coordination team is told to review the panel, and the
withdrawal that took the victim off does not stop that message (it is about the panel)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from notifications_checks import deliveries, withdrawn
from notifications_events import consent_withdrawn, participant_removed, ref
from notifications_fixtures import Clock, Directory, at_night
from notifications_stand_ins import Mailbox, eventually
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_notifications.adapters import sends
from vfp_notifications.bootstrap import Notifications
from vfp_notifications.domain.model import COORDINATION_TEAM
from vfp_notifications.settings import NotificationsSettings
from vfp_shared.envelope import Envelope
from vfp_shared.testing import publish

COORDINATORS = f"{COORDINATION_TEAM}@force.example"


async def _logged(client: Any, headers: dict[str, str], event: Envelope[Any]) -> list[Any]:
    return await deliveries(client, headers, source_event_id=str(event.id))


async def test_a_removal_queued_before_the_withdrawal_lands_is_still_sent_to_the_coordinators(
    settings: NotificationsSettings,
    service: Notifications,
    directory: Directory,
    mailbox: Mailbox,
    engine: AsyncEngine,
    clock: Clock,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    await directory.add(COORDINATION_TEAM, kind="team")
    victim = ref("victim")
    removal = Envelope(participant_removed(participant_ref=victim), source="/test")
    # At night, all along: it waits (deferred to the morning) while the withdrawal lands, and
    # the service's dispatcher cannot send it meanwhile, whatever the time of day really is.
    with at_night(clock, settings):
        await publish(settings.kafka_bootstrap_servers, [removal])

        async def deferred() -> list[Any]:
            found = await _logged(client, coordinator, removal)
            return [row for row in found if row["reason_code"] == "quiet_hours"]

        [waiting] = await eventually(deferred, what="the send deferred to the morning")
        assert (waiting["recipient_ref"], waiting["template"], waiting["status"]) == (
            COORDINATION_TEAM,
            "participant_removed",
            "pending",
        )

        await publish(settings.kafka_bootstrap_servers, [consent_withdrawn(victim)])
        await eventually(lambda: withdrawn(engine, victim), what="the withdrawal")
        [after] = await _logged(client, coordinator, removal)
        assert (after["status"], after["reason_code"]) == ("pending", "quiet_hours")

    # Claimed and sent as the dispatcher does: its last check before sending lets it through.
    notification_ref = UUID(waiting["notification_ref"])
    lease = datetime.now(UTC) + timedelta(minutes=5)
    async with service.runtime.units_of_work() as uow:
        assert await sends.update(uow.session, notification_ref, claimed_until=lease)
        found = await sends.get(uow.session, notification_ref)
        entries = await service.directory_for(uow.session).find([COORDINATION_TEAM])
        await uow.commit()
    assert found is not None
    await service.dispatcher.deliver(
        replace(found[0], claimed_until=lease), entries[COORDINATION_TEAM]
    )

    [message] = [m for m in mailbox.to(COORDINATORS) if removal.data.panel_ref in m["Subject"]]
    assert message["Subject"] == (
        f"A participant was taken off panel {removal.data.panel_ref} (consent withdrawn): "
        "review the agenda and invitations"
    )
    assert victim not in message.as_string()
    [sent] = await _logged(client, coordinator, removal)
    assert (sent["status"], sent["reason_code"]) == ("sent", None)


async def test_a_removal_arriving_after_the_withdrawal_is_still_queued_for_the_coordinators(
    settings: NotificationsSettings,
    directory: Directory,
    engine: AsyncEngine,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    await directory.add(COORDINATION_TEAM, kind="team")
    victim = ref("victim")
    # The usual order: the withdrawal reaches this service before the panels service's removal.
    await publish(settings.kafka_bootstrap_servers, [consent_withdrawn(victim)])
    await eventually(lambda: withdrawn(engine, victim), what="the withdrawal")
    removal = Envelope(participant_removed(participant_ref=victim), source="/test")
    await publish(settings.kafka_bootstrap_servers, [removal])

    [row] = await eventually(lambda: _logged(client, coordinator, removal), what="the send")
    assert (row["recipient_ref"], row["template"], row["channel"]) == (
        COORDINATION_TEAM,
        "participant_removed",
        "email",
    )
    # Pending, or already sent by the running dispatcher (or held by the rate limit).
    assert row["status"] in {"pending", "sent"}
