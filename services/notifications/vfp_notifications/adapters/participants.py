"""The participant → supporter map (from participants.consent-given), withdrawal tombstones and
exclusion markers."""

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import array, insert
from sqlalchemy.ext.asyncio import AsyncSession

from vfp_notifications.adapters.tables import notifications, participants
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
            # An exclusion at the same time as a readmission stands: erring towards silence.
            excluded=row.excluded_at is not None
            and (row.readmitted_at is None or row.excluded_at >= row.readmitted_at),
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
    topic or a replay) does not revive the victim; one given after it does. It readmits the
    victim too: an exclusion before it no longer holds."""
    values = {
        "supporter_ref": supporter_ref,
        "direct_contact": direct_contact,
        "consented_at": given_at,
        "withdrawn_at": None,
    }
    await session.execute(
        insert(p)
        .values(participant_ref=participant_ref, readmitted_at=given_at, **values)
        .on_conflict_do_update(
            index_elements=["participant_ref"],
            set_={**values, "readmitted_at": sa.func.greatest(p.c.readmitted_at, given_at)},
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
            set_={"excluded_at": sa.func.greatest(p.c.excluded_at, at)},
        )
    )


async def record_readmission(session: AsyncSession, participant_ref: str, at: datetime) -> None:
    """The victim was screened in at `at`: an exclusion before that no longer holds, one after
    it stands, whichever of the two arrives first."""
    await session.execute(
        insert(p)
        .values(participant_ref=participant_ref, readmitted_at=at)
        .on_conflict_do_update(
            index_elements=["participant_ref"],
            set_={"readmitted_at": sa.func.greatest(p.c.readmitted_at, at)},
        )
    )


async def forget_idle(session: AsyncSession, *, unchanged_since: datetime, limit: int) -> int:
    """The retention purge of the map: delete up to `limit` records (link, tombstone or marker)
    whose latest time is older than `unchanged_since` and that no remaining send names. Rows
    another transaction holds are skipped. Returns how many went.

    Forgetting a record matters only to an event about that victim arriving afterwards. Without
    the link, no supporter is found through the map: the send fails to the coordination team,
    or goes to the supporter the event itself names, as for a victim never seen before (and a
    victim listed as a recipient has no directory entry to be reached by). Without a tombstone
    or a marker, though, a message about a victim who withdrew or was excluded could be queued
    again: hence the retention period for these too, far longer than the inbox's window (which
    settings enforce). Upstream services erase a withdrawn victim at once, so only a redelivered
    or replayed event could name them, and none comes that late."""
    last_touched = sa.func.greatest(
        p.c.consented_at, p.c.withdrawn_at, p.c.excluded_at, p.c.readmitted_at
    )
    n = notifications
    # `@>` (not `= ANY`), so the GIN index on about_refs answers it.
    named = sa.exists().where(n.c.about_refs.contains(array([p.c.participant_ref])))
    due = (
        sa.select(p.c.participant_ref)
        .where(last_touched < unchanged_since, ~named)
        .order_by(last_touched)
        .limit(limit)
        .with_for_update(of=p, skip_locked=True)
    )
    result = await session.execute(sa.delete(p).where(p.c.participant_ref.in_(due)))
    return int(getattr(result, "rowcount", 0))
