"""Bus handlers: what the participants service publishes, applied in the batch's unit of work."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from vfp_panels.domain.consent import Consent
from vfp_panels.domain.policy import PanelPolicy
from vfp_panels.service_layer import handlers
from vfp_shared.bus.consumer import EventHandler, LockKeys, its_participant
from vfp_shared.contracts import CandidateExcludedV1, ConsentGivenV1, ConsentWithdrawnV1
from vfp_shared.envelope import Envelope
from vfp_shared.storage.unit_of_work import UnitOfWork


async def on_consent_given(uow: UnitOfWork, event: Envelope[Any]) -> None:
    data: ConsentGivenV1 = event.data
    await handlers.on_consent_given(
        uow,
        Consent(
            participant_ref=data.participant_ref,
            mode=data.mode,
            themes=tuple(data.themes),
            contact_route=data.contact_route,
            supporter_ref=data.supporter_ref,
            support_service_ref=data.support_service_ref,
            given_at=data.given_at,
        ),
    )


def event_handlers(policy: PanelPolicy, clock: Callable[[], datetime]) -> dict[str, EventHandler]:
    """Topic → handler, for the service's runtime."""

    async def on_consent_withdrawn(uow: UnitOfWork, event: Envelope[Any]) -> None:
        data: ConsentWithdrawnV1 = event.data
        await handlers.on_consent_withdrawn(
            uow, policy, data.participant_ref, data.withdrawn_at, clock()
        )

    async def on_candidate_excluded(uow: UnitOfWork, event: Envelope[Any]) -> None:
        data: CandidateExcludedV1 = event.data
        await handlers.on_candidate_excluded(
            uow, policy, data.participant_ref, data.excluded_at, clock()
        )

    return {
        ConsentGivenV1.TOPIC: on_consent_given,
        ConsentWithdrawnV1.TOPIC: on_consent_withdrawn,
        CandidateExcludedV1.TOPIC: on_candidate_excluded,
    }


def lock_keys() -> dict[str, LockKeys]:
    """Each of these events locks its victim: the consumer locks a whole batch's at once."""
    return dict.fromkeys(
        (ConsentGivenV1.TOPIC, ConsentWithdrawnV1.TOPIC, CandidateExcludedV1.TOPIC), its_participant
    )
