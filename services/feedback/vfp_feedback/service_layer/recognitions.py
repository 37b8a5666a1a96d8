"""Recognition: a victim's praise passed on to staff, only as far as the victim allowed."""

from typing import Any

import sqlalchemy as sa

from vfp_feedback.adapters import repository
from vfp_feedback.adapters import tables as t
from vfp_feedback.domain.consent import RecipientKind
from vfp_feedback.domain.errors import ConsentNotGiven, NotFound
from vfp_feedback.service_layer.context import Context, new_ref
from vfp_shared.audit import record
from vfp_shared.auth import Principal
from vfp_shared.contracts import RecognitionAwardedV1
from vfp_shared.storage.unit_of_work import UnitOfWork


async def award_recognition(
    uow: UnitOfWork,
    ctx: Context,
    participant_ref: str,
    recipient_kind: RecipientKind,
    recipient_ref: str,
    line_manager_ref: str | None,
    panel_ref: str | None,
    message: str | None,
    who: Principal,
) -> str:
    await uow.lock_participants([participant_ref])
    consent = await repository.load_consent(uow.session, participant_ref)
    if consent is None:
        raise ConsentNotGiven("no consent from this participant")
    consent.require_praise_for(recipient_kind, recipient_ref)
    ref = new_ref("recognition")
    now = ctx.clock()
    await uow.session.execute(
        t.recognitions.insert().values(
            recognition_ref=ref,
            participant_ref=participant_ref,
            panel_ref=panel_ref,
            recipient_kind=recipient_kind.value,
            recipient_ref=recipient_ref,
            line_manager_ref=line_manager_ref,
            message=(
                await ctx.vault.encrypt(uow.session, participant_ref, message) if message else None
            ),
            awarded_by=who.subject,
            awarded_at=now,
        )
    )
    await record(
        uow.session,
        ctx.audit,
        who,
        "recognition.awarded",
        participant_ref,
        f"recognition {ref} to {recipient_kind.value} {recipient_ref}",
    )
    # Names the staff, never the victim.
    uow.emit(
        RecognitionAwardedV1(
            recognition_ref=ref,
            recipient_kind=recipient_kind.value,
            recipient_ref=recipient_ref,
            line_manager_ref=line_manager_ref,
            panel_ref=panel_ref,
            awarded_at=now,
        )
    )
    return ref


async def read_recognition(
    uow: UnitOfWork, ctx: Context, recognition_ref: str, who: Principal
) -> dict[str, Any]:
    """The recognition with the victim's message (gone once they withdrew or it was purged)."""
    row = (
        await uow.session.execute(
            sa.select(t.recognitions).where(t.recognitions.c.recognition_ref == recognition_ref)
        )
    ).first()
    if row is None:
        raise NotFound("no such recognition")
    victim = row.participant_ref
    await record(
        uow.session,
        ctx.audit,
        who,
        "recognition.read",
        victim or f"recognition:{recognition_ref}",
        f"recognition {recognition_ref}",
    )
    return {
        "recognition_ref": row.recognition_ref,
        "recipient_kind": row.recipient_kind,
        "recipient_ref": row.recipient_ref,
        "line_manager_ref": row.line_manager_ref,
        "panel_ref": row.panel_ref,
        "message": (
            await ctx.vault.decrypt(uow.session, victim, row.message)
            if victim and row.message
            else None
        ),
        "awarded_at": row.awarded_at,
    }
