"""Bus handlers: thin, each hands its event to the service layer in the batch's unit of work."""

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vfp_notifications.adapters.directory import Directory
from vfp_notifications.domain import routing
from vfp_notifications.domain.model import Channel
from vfp_notifications.service_layer import handlers
from vfp_notifications.service_layer.lookups import Lookups, LookupsPerBatch
from vfp_shared.bus.consumer import EventHandler, LockKeys, its_participant
from vfp_shared.contracts import (
    ActionCompletedV1,
    ActionRaisedV1,
    CandidateExcludedV1,
    CandidateIdentifiedV1,
    CaseStudySharedV1,
    ConsentGivenV1,
    ConsentWithdrawnV1,
    EndorsementRequestedV1,
    PanelHeldV1,
    PanelScheduledV1,
    ParticipantInvitedV1,
    ParticipantRemovedV1,
    RecognitionAwardedV1,
)
from vfp_shared.envelope import Envelope
from vfp_shared.storage.unit_of_work import UnitOfWork, participant_lock

# The events someone must hear about; routing.route says who.
ROUTED = (
    CandidateIdentifiedV1,
    ParticipantInvitedV1,
    PanelScheduledV1,
    PanelHeldV1,
    CaseStudySharedV1,
    RecognitionAwardedV1,
    ActionRaisedV1,
    EndorsementRequestedV1,
    ActionCompletedV1,
    ParticipantRemovedV1,
)


def event_handlers(
    directory_for: Callable[[AsyncSession], Directory],
    enabled: Collection[Channel],
    clock: Callable[[], datetime],
) -> dict[str, EventHandler]:
    lookups_per_batch = LookupsPerBatch()

    def lookups(uow: UnitOfWork) -> Lookups:
        return lookups_per_batch(uow.session, directory_for(uow.session))

    async def on_routed_event(uow: UnitOfWork, event: Envelope[Any]) -> None:
        await handlers.enqueue(uow, event, lookups(uow), enabled, clock())

    async def on_candidate_identified(uow: UnitOfWork, event: Envelope[Any]) -> None:
        await handlers.identify(uow, event, lookups(uow), enabled, clock())

    async def on_consent_given(uow: UnitOfWork, event: Envelope[Any]) -> None:
        await handlers.record_consent(uow, event.data, lookups(uow))

    async def on_consent_withdrawn(uow: UnitOfWork, event: Envelope[Any]) -> None:
        await handlers.withdraw(uow, event.data, lookups(uow))

    async def on_candidate_excluded(uow: UnitOfWork, event: Envelope[Any]) -> None:
        await handlers.exclude(uow, event.data, lookups(uow))

    return {
        **{contract.TOPIC: on_routed_event for contract in ROUTED},
        CandidateIdentifiedV1.TOPIC: on_candidate_identified,
        ConsentGivenV1.TOPIC: on_consent_given,
        ConsentWithdrawnV1.TOPIC: on_consent_withdrawn,
        CandidateExcludedV1.TOPIC: on_candidate_excluded,
    }


def lock_keys() -> dict[str, LockKeys]:
    """The victims each handler locks, for the consumer to lock a whole batch's at once."""

    def named(event: Envelope[Any]) -> list[str]:
        return [participant_lock(ref) for ref in routing.victims_named(event.data)]

    return {
        **{contract.TOPIC: named for contract in ROUTED},
        ConsentWithdrawnV1.TOPIC: its_participant,
        CandidateExcludedV1.TOPIC: its_participant,
    }
