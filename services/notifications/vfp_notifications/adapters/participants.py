"""The participant → supporter map (from participants.consent-given) and withdrawal tombstones."""

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vfp_notifications.adapters.tables import participants
from vfp_notifications.domain.model import SupporterLink

p = participants


async def links(session: AsyncSession, refs: Collection[str]) -> dict[str, SupporterLink]:
    if not refs:
        return {}
    rows = await session.execute(sa.select(p).where(p.c.participant_ref.in_(list(refs))))
    return {
        row.participant_ref: SupporterLink(
            row.supporter_ref, row.direct_contact, row.withdrawn_at is not None
        )
        for row in rows
    }


async def record_consent(
    session: AsyncSession,
    participant_ref: str,
    supporter_ref: str | None,
    direct_contact: bool,
    given_at: datetime,
) -> None:
    """Remember the supporter. A consent older than a withdrawal (arriving late, from another
    topic or a replay) does not revive the victim; one given after it does."""
    values = {
        "supporter_ref": supporter_ref,
        "direct_contact": direct_contact,
        "consented_at": given_at,
        "withdrawn_at": None,
    }
    await session.execute(
        insert(p)
        .values(participant_ref=participant_ref, **values)
        .on_conflict_do_update(
            index_elements=["participant_ref"],
            set_=values,
            where=sa.or_(p.c.withdrawn_at.is_(None), p.c.withdrawn_at < given_at),
        )
    )


async def record_withdrawal(session: AsyncSession, participant_ref: str, at: datetime) -> None:
    """The tombstone; a withdrawal older than the remembered consent leaves it alone."""
    values = {"supporter_ref": None, "direct_contact": False, "withdrawn_at": at}
    await session.execute(
        insert(p)
        .values(participant_ref=participant_ref, **values)
        .on_conflict_do_update(
            index_elements=["participant_ref"],
            set_=values,
            where=sa.or_(p.c.consented_at.is_(None), p.c.consented_at <= at),
        )
    )
