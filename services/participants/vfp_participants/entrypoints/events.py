"""Bus handlers: each turns one event into a command for the service layer. The batch consumer
claims the event in the inbox and commits; a handler never commits."""

from typing import Any

from vfp_participants.domain.screening import themes_of_case
from vfp_participants.service_layer import screening
from vfp_participants.service_layer.commands import (
    FlagVictim,
    NominateClient,
    RecordCaseClosure,
    RecordCaseReopening,
    RecordComplaint,
)
from vfp_participants.service_layer.unit import Services
from vfp_shared.bus.consumer import EventHandler, LockKeys
from vfp_shared.contracts import (
    CaseClosedV1,
    CaseReopenedV1,
    ClientNominatedV1,
    ComplaintOpenedV1,
    ComplaintResolvedV1,
    VictimFlaggedV1,
)
from vfp_shared.envelope import Envelope
from vfp_shared.storage.unit_of_work import UnitOfWork


def event_handlers(services: Services) -> dict[str, EventHandler]:
    async def on_case_closed(uow: UnitOfWork, event: Envelope[Any]) -> None:
        case: CaseClosedV1 = event.data
        await screening.record_case_closure(
            uow,
            services,
            RecordCaseClosure(
                case_ref=case.case_ref,
                victim_ref=case.victim_ref,
                oic_ref=case.oic_ref,
                themes=themes_of_case(
                    domestic_abuse=case.domestic_abuse,
                    sexual_offence=case.sexual_offence,
                    stalking_harassment=case.stalking_harassment,
                    hate_crime=case.hate_crime,
                    other_high_harm=case.other_high_harm,
                ),
                justice_status=case.justice_status,
                closed_at=case.closed_at,
                age_band=case.age_band,
                support_service_ref=case.support_service_ref,
                support_worker_ref=case.support_worker_ref,
                safeguarding=case.safeguarding,
            ),
            batched=True,
        )

    async def on_case_reopened(uow: UnitOfWork, event: Envelope[Any]) -> None:
        data: CaseReopenedV1 = event.data
        await screening.record_case_reopening(
            uow, services, RecordCaseReopening(data.case_ref, data.reopened_at), batched=True
        )

    async def on_complaint_opened(uow: UnitOfWork, event: Envelope[Any]) -> None:
        data: ComplaintOpenedV1 = event.data
        await screening.record_complaint(
            uow,
            services,
            RecordComplaint(data.case_ref, data.complaint_ref, resolved=False),
            batched=True,
        )

    async def on_complaint_resolved(uow: UnitOfWork, event: Envelope[Any]) -> None:
        data: ComplaintResolvedV1 = event.data
        await screening.record_complaint(
            uow,
            services,
            RecordComplaint(data.case_ref, data.complaint_ref, resolved=True),
            batched=True,
        )

    async def on_client_nominated(uow: UnitOfWork, event: Envelope[Any]) -> None:
        data: ClientNominatedV1 = event.data
        await screening.nominate_client(
            uow,
            services,
            NominateClient(
                data.victim_ref,
                data.service_ref,
                data.support_worker_ref,
                data.age_band,
                case_ref=data.case_ref,
            ),
            batched=True,
        )

    async def on_victim_flagged(uow: UnitOfWork, event: Envelope[Any]) -> None:
        data: VictimFlaggedV1 = event.data
        await screening.flag_victim(
            uow,
            services,
            FlagVictim(data.victim_ref, data.case_ref, data.flagged_by_ref, team_ref=data.team_ref),
            batched=True,
        )

    return {
        CaseClosedV1.TOPIC: on_case_closed,
        CaseReopenedV1.TOPIC: on_case_reopened,
        ComplaintOpenedV1.TOPIC: on_complaint_opened,
        ComplaintResolvedV1.TOPIC: on_complaint_resolved,
        ClientNominatedV1.TOPIC: on_client_nominated,
        VictimFlaggedV1.TOPIC: on_victim_flagged,
    }


def lock_keys(services: Services) -> dict[str, LockKeys]:
    """What sources a victim locks them (see lock_victim), a closure its case too (see
    `Services.case_lock`): the consumer locks a whole batch's keys in one round trip, so the
    hot path pays no statement per event for it."""

    def victim(event: Envelope[Any]) -> list[str]:
        return [services.victim_lock(event.data.victim_ref)]

    def case_and_victim(event: Envelope[Any]) -> list[str]:
        # The case too: a self-referrer claiming it is merged into the victim's candidate.
        return [services.case_lock(event.data.case_ref), *victim(event)]

    return {
        CaseClosedV1.TOPIC: case_and_victim,
        ClientNominatedV1.TOPIC: victim,
        VictimFlaggedV1.TOPIC: victim,
    }
