"""Consent in, withdrawal out: what the feedback service holds about a victim follows it."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from vfp_feedback.adapters import repository
from vfp_feedback.adapters import tables as t
from vfp_feedback.domain.consent import Consent
from vfp_feedback.service_layer.context import Context
from vfp_shared.audit import record
from vfp_shared.contracts import ConsentGivenV1
from vfp_shared.storage.unit_of_work import UnitOfWork


async def consent_given(uow: UnitOfWork, ctx: Context, event: ConsentGivenV1) -> None:
    """Store the consent, unless the victim withdrew after giving it."""
    # Consent and withdrawal travel on different topics: one victim at a time.
    await uow.lock_participants([event.participant_ref])
    withdrawn_at = await uow.session.scalar(
        sa.select(t.withdrawals.c.withdrawn_at).where(
            t.withdrawals.c.participant_ref == event.participant_ref
        )
    )
    if withdrawn_at is not None and withdrawn_at >= event.given_at:
        return
    await repository.save_consent(
        uow.session,
        Consent(
            participant_ref=event.participant_ref,
            mode=event.mode.value,
            scopes=frozenset(scope.value for scope in event.scopes),
            contact_route=event.contact_route.value,
            supporter_ref=event.supporter_ref,
            support_service_ref=event.support_service_ref,
            case_study_team_refs=frozenset(event.case_study_team_refs),
            praise_officer_refs=frozenset(event.praise_officer_refs),
            given_at=event.given_at,
        ),
    )
    await record(
        uow.session,
        ctx.audit,
        "system",
        "consent.recorded",
        event.participant_ref,
        "participants.consent-given.v1",
    )


async def erase_participant(
    uow: UnitOfWork, ctx: Context, participant_ref: str, withdrawn_at: datetime
) -> None:
    """Withdrawal: shred the victim's key, delete their testimonies, case studies and
    endorsements, unlink them from recognitions and learning actions. Aggregates are computed
    from these rows, so every aggregate not yet published no longer counts them."""
    await uow.lock_participants([participant_ref])
    s = uow.session
    await s.execute(
        sa.delete(t.testimonies).where(t.testimonies.c.participant_ref == participant_ref)
    )
    await s.execute(
        sa.delete(t.case_studies).where(t.case_studies.c.participant_ref == participant_ref)
    )
    await s.execute(
        sa.delete(t.endorsements).where(t.endorsements.c.participant_ref == participant_ref)
    )
    await s.execute(
        sa.update(t.recognitions)
        .where(t.recognitions.c.participant_ref == participant_ref)
        .values(participant_ref=None, message=None)
    )
    await s.execute(
        sa.delete(t.action_participants).where(
            t.action_participants.c.participant_ref == participant_ref
        )
    )
    await s.execute(sa.delete(t.consents).where(t.consents.c.participant_ref == participant_ref))
    await ctx.vault.erase(s, participant_ref)
    statement = insert(t.withdrawals).values(
        participant_ref=participant_ref, withdrawn_at=withdrawn_at
    )
    await s.execute(
        statement.on_conflict_do_update(
            index_elements=["participant_ref"],
            set_={"withdrawn_at": sa.func.greatest(t.withdrawals.c.withdrawn_at, withdrawn_at)},
        )
    )
    await record(
        s,
        ctx.audit,
        "system",
        "participant.erased",
        participant_ref,
        "participants.consent-withdrawn.v1",
    )
