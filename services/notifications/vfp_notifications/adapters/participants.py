"""The participant → supporter map (from participants.consent-given), withdrawal tombstones and
exclusion markers."""

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
            row.supporter_ref,
            row.direct_contact,
            withdrawn=row.withdrawn_at is not None,
            excluded=row.excluded_at is not None,
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
    topic or a replay) does not revive the victim; one given after it does. Likewise for an
    exclusion: one given after it lifts the marker, an older one leaves it."""
    values = {
        "supporter_ref": supporter_ref,
        "direct_contact": direct_contact,
        "consented_at": given_at,
        "withdrawn_at": None,
    }
    # An exclusion not older than the consent stands (CASE without ELSE: NULL, lifted).
    still_excluded = sa.case((p.c.excluded_at >= given_at, p.c.excluded_at))
    await session.execute(
        insert(p)
        .values(participant_ref=participant_ref, **values)
        .on_conflict_do_update(
            index_elements=["participant_ref"],
            set_={**values, "excluded_at": still_excluded},
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


async def record_exclusion(session: AsyncSession, participant_ref: str, at: datetime) -> None:
    """The marker, at the latest exclusion. Not an erasure: the supporter and the consent stay,
    as the victim may come back."""
    await session.execute(
        insert(p)
        .values(participant_ref=participant_ref, excluded_at=at)
        .on_conflict_do_update(
            index_elements=["participant_ref"],
            set_={"excluded_at": at},
            where=sa.or_(p.c.excluded_at.is_(None), p.c.excluded_at < at),
        )
    )


async def lift_exclusion(session: AsyncSession, participant_ref: str, at: datetime) -> bool:
    """The victim was screened in again at `at`: an exclusion before that no longer holds, one
    after it (however late `at` arrives) stands. Returns whether the marker was lifted."""
    result = await session.execute(
        sa.update(p)
        .where(p.c.participant_ref == participant_ref, p.c.excluded_at < at)
        .values(excluded_at=None)
    )
    return bool(getattr(result, "rowcount", 0))
