"""Asking victims, through their supporter, to endorse a new process or training."""

from typing import Any

import sqlalchemy as sa

from vfp_feedback.adapters import repository
from vfp_feedback.adapters import tables as t
from vfp_feedback.domain.endorsements import EndorsementOutcome, require_open
from vfp_feedback.domain.errors import ConsentNotGiven, NotFound
from vfp_feedback.service_layer.context import Context, new_ref
from vfp_shared.audit import record
from vfp_shared.auth import Principal
from vfp_shared.contracts import EndorsementRecordedV1, EndorsementRequestedV1
from vfp_shared.contracts.vocabulary import ContactRoute
from vfp_shared.storage.unit_of_work import UnitOfWork


async def request_endorsement(
    uow: UnitOfWork, ctx: Context, participant_refs: list[str], subject: str, who: Principal
) -> dict[str, str]:
    """One request per participant; every one of them must have consented."""
    refs: dict[str, str] = {}
    now = ctx.clock()
    await uow.lock_participants(participant_refs)
    for participant_ref in dict.fromkeys(participant_refs):
        consent = await repository.load_consent(uow.session, participant_ref)
        if consent is None:
            raise ConsentNotGiven(f"no consent from participant {participant_ref}")
        ref = new_ref("endorsement")
        await uow.session.execute(
            t.endorsements.insert().values(
                endorsement_ref=ref,
                participant_ref=participant_ref,
                subject=subject,
                supporter_ref=consent.supporter_ref,
                requested_by=who.subject,
                requested_at=now,
            )
        )
        await record(
            uow.session,
            ctx.audit,
            who,
            "endorsement.requested",
            participant_ref,
            f"endorsement {ref}",
        )
        uow.emit(
            EndorsementRequestedV1(
                endorsement_ref=ref,
                subject=subject,
                participant_ref=participant_ref,
                contact_route=ContactRoute(consent.contact_route),
                supporter_ref=consent.supporter_ref,
                requested_at=now,
            )
        )
        refs[participant_ref] = ref
    return refs


async def record_endorsement(
    uow: UnitOfWork,
    ctx: Context,
    endorsement_ref: str,
    outcome: EndorsementOutcome,
    comments: str | None,
    who: Principal,
    *,
    for_support_service: str | None = None,
) -> None:
    """The victim's answer, recorded by a coordinator or by the victim's own support service."""
    # The victim's lock before the row's, in the order a withdrawal takes them.
    await uow.lock_participants([(await _visible(uow, endorsement_ref, None)).participant_ref])
    row = await _visible(uow, endorsement_ref, for_support_service, for_update=True)
    require_open(row.outcome)
    now = ctx.clock()
    await uow.session.execute(
        sa.update(t.endorsements)
        .where(t.endorsements.c.endorsement_ref == endorsement_ref)
        .values(
            outcome=outcome.value,
            recorded_at=now,
            comments=(
                await ctx.vault.encrypt(uow.session, row.participant_ref, comments)
                if comments
                else None
            ),
        )
    )
    await record(
        uow.session,
        ctx.audit,
        who,
        "endorsement.recorded",
        row.participant_ref,
        f"endorsement {endorsement_ref}",
    )
    uow.emit(
        EndorsementRecordedV1(
            endorsement_ref=endorsement_ref,
            participant_ref=row.participant_ref,
            outcome=outcome.value,
            recorded_at=now,
        )
    )


async def _visible(
    uow: UnitOfWork,
    endorsement_ref: str,
    support_service: str | None,
    *,
    for_update: bool = False,
) -> Any:
    """The endorsement, if the caller may see it: a support service sees its own clients' only."""
    query = sa.select(t.endorsements).where(t.endorsements.c.endorsement_ref == endorsement_ref)
    row = (await uow.session.execute(query.with_for_update() if for_update else query)).first()
    if row is None:
        raise NotFound("no such endorsement")
    if support_service is not None:
        consent = await repository.load_consent(uow.session, row.participant_ref)
        if consent is None or not consent.is_client_of(support_service):
            raise NotFound("no such endorsement")
    return row


async def read_endorsement(
    uow: UnitOfWork,
    ctx: Context,
    endorsement_ref: str,
    who: Principal,
    *,
    for_support_service: str | None = None,
) -> dict[str, Any]:
    """The request and the victim's answer with their comments (a coordinator, or the victim's
    own support service)."""
    row = await _visible(uow, endorsement_ref, for_support_service)
    await record(
        uow.session,
        ctx.audit,
        who,
        "endorsement.read",
        row.participant_ref,
        f"endorsement {endorsement_ref}",
    )
    return {
        "endorsement_ref": row.endorsement_ref,
        "participant_ref": row.participant_ref,
        "subject": row.subject,
        "requested_at": row.requested_at,
        "outcome": row.outcome,
        "comments": (
            await ctx.vault.decrypt(uow.session, row.participant_ref, row.comments)
            if row.comments
            else None
        ),
        "recorded_at": row.recorded_at,
    }
