"""Bus handlers: each applies one event inside the batch's unit of work (never commits)."""

from typing import Any

from vfp_feedback.service_layer import participants, referrals, surveys
from vfp_feedback.service_layer.context import Context
from vfp_shared.bus.consumer import EventHandler, LockKeys, its_participant
from vfp_shared.contracts import ConsentGivenV1, ConsentWithdrawnV1, PanelHeldV1, ReferralMadeV1
from vfp_shared.envelope import Envelope
from vfp_shared.storage.unit_of_work import UnitOfWork


def handlers(ctx: Context) -> dict[str, EventHandler]:
    async def on_consent_given(uow: UnitOfWork, event: Envelope[Any]) -> None:
        await participants.consent_given(uow, ctx, event.data)

    async def on_consent_withdrawn(uow: UnitOfWork, event: Envelope[Any]) -> None:
        withdrawn: ConsentWithdrawnV1 = event.data
        await participants.erase_participant(
            uow, ctx, withdrawn.participant_ref, withdrawn.withdrawn_at
        )

    async def on_panel_held(uow: UnitOfWork, event: Envelope[Any]) -> None:
        await surveys.panel_held(uow, event.data)

    async def on_referral_made(uow: UnitOfWork, event: Envelope[Any]) -> None:
        await referrals.referral_made(uow, event.data)

    return {
        ConsentGivenV1.TOPIC: on_consent_given,
        ConsentWithdrawnV1.TOPIC: on_consent_withdrawn,
        PanelHeldV1.TOPIC: on_panel_held,
        ReferralMadeV1.TOPIC: on_referral_made,
    }


def lock_keys() -> dict[str, LockKeys]:
    """Consent and withdrawal lock their victim: the consumer locks a whole batch's at once."""
    return dict.fromkeys((ConsentGivenV1.TOPIC, ConsentWithdrawnV1.TOPIC), its_participant)
