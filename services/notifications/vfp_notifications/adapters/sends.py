"""The sends table: pending rows written by the event handlers, claimed by the dispatcher,
kept afterwards as the delivery log (refs, times and status only)."""

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vfp_notifications.adapters.tables import notifications, participants
from vfp_notifications.domain.model import Channel, Status, Template

t = notifications
p = participants


@dataclass(frozen=True)
class Send:
    """A send as the dispatcher sees it."""

    notification_ref: UUID
    source_event_id: UUID
    source_topic: str
    template: Template
    recipient_ref: str
    channel: Channel | None
    about_refs: tuple[str, ...]
    attempts: int
    context: dict[str, Any]
    traceparent: str | None = None
    # The lease this dispatcher took when it claimed the send (its claim token).
    claimed_until: datetime | None = None

    @classmethod
    def of(cls, row: Any) -> "Send":
        return cls(
            notification_ref=row.notification_ref,
            source_event_id=row.source_event_id,
            source_topic=row.source_topic,
            template=Template(row.template),
            recipient_ref=row.recipient_ref,
            channel=Channel(row.channel) if row.channel else None,
            about_refs=tuple(row.about_refs),
            attempts=row.attempts,
            context=row.context or {},
            traceparent=row.traceparent,
        )


async def add(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[Send]:
    """Insert new sends; a (event, recipient, template) already there is left alone.
    Returns the rows that were new."""
    if not rows:
        return []
    # Parameters apart from the statement, so its compiled form is cached (a hot path).
    result = await session.execute(
        insert(t)
        .on_conflict_do_nothing(index_elements=["source_event_id", "recipient_ref", "template"])
        .returning(t),
        list(rows),
    )
    return [Send.of(row) for row in result]


async def get(session: AsyncSession, ref: UUID) -> tuple[Send, Status] | None:
    row = (await session.execute(sa.select(t).where(t.c.notification_ref == ref))).first()
    return (Send.of(row), Status(row.status)) if row else None


async def log_entry(session: AsyncSession, ref: UUID) -> dict[str, Any]:
    [entry] = [
        dict(row._mapping)
        for row in await session.execute(sa.select(*LOG_COLUMNS).where(t.c.notification_ref == ref))
    ]
    return entry


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[Send]:
    """Lock due pending sends that no one else holds (SKIP LOCKED), oldest first."""
    rows = await session.execute(
        sa.select(t)
        .where(
            t.c.status == Status.PENDING,
            t.c.due_at <= now,
            sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until < now),
        )
        .order_by(t.c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [Send.of(row) for row in rows]


async def sent_since(
    session: AsyncSession, recipient_refs: Collection[str], since: datetime
) -> dict[str, list[datetime]]:
    rows = await session.execute(
        sa.select(t.c.recipient_ref, t.c.sent_at).where(
            t.c.recipient_ref.in_(list(recipient_refs)), t.c.sent_at > since
        )
    )
    found: dict[str, list[datetime]] = defaultdict(list)
    for recipient_ref, sent_at in rows:
        found[recipient_ref].append(sent_at)
    return found


async def update(
    session: AsyncSession, ref: UUID, *, only_pending: bool = True, **values: Any
) -> bool:
    statement = sa.update(t).where(t.c.notification_ref == ref)
    if only_pending:
        statement = statement.where(t.c.status == Status.PENDING)
    result = await session.execute(statement.values(updated_at=sa.func.now(), **values))
    return bool(getattr(result, "rowcount", 0))


async def still_claimed(
    session: AsyncSession, ref: UUID, claimed_until: datetime | None, about_refs: Sequence[str]
) -> bool:
    """Just before sending: is the send still pending under this dispatcher's lease? Not if it
    was cancelled (withdrawal, exclusion) since the claim, or the lease passed to another. A
    victim who has withdrawn (however the send got past the withdrawal) is taken off it, as
    `cancel_about` does: it goes on about the others, and is cancelled when none are left.
    `about_refs`: the send's at its claim (refs are only ever taken off a send since)."""
    remaining: Any = t.c.about_refs
    for about in about_refs:
        withdrawn = sa.exists().where(p.c.participant_ref == about, p.c.withdrawn_at.is_not(None))
        # array_remove of NULL leaves the array as it is: only the withdrawn go.
        remaining = sa.func.array_remove(remaining, sa.case((withdrawn, sa.literal(about))))
    no_one_left = sa.and_(
        sa.func.cardinality(t.c.about_refs) > 0, sa.func.cardinality(remaining) == 0
    )
    result = await session.execute(
        sa.update(t)
        .where(
            t.c.notification_ref == ref,
            t.c.status == Status.PENDING,
            t.c.claimed_until == claimed_until,
        )
        .values(
            about_refs=remaining,
            status=sa.case((no_one_left, Status.CANCELLED), else_=t.c.status),
            reason_code=sa.case((no_one_left, "consent_withdrawn"), else_=t.c.reason_code),
            context=sa.case((no_one_left, sa.null()), else_=t.c.context),
            updated_at=sa.func.now(),
        )
        .returning(t.c.status)
    )
    row = result.first()
    return row is not None and row.status == Status.PENDING


IN_FLIGHT = "sent_in_flight:"


async def record_sent_after_cancel(
    session: AsyncSession, ref: UUID, sent_at: datetime, attempts: int
) -> bool:
    """A send cancelled while the message was already with the channel: the cancellation
    stands (status cancelled), but the log says truthfully that it went out, and when."""
    result = await session.execute(
        sa.update(t)
        .where(t.c.notification_ref == ref, t.c.status == Status.CANCELLED)
        .values(
            sent_at=sent_at,
            attempts=attempts,
            reason_code=sa.func.concat(IN_FLIGHT, t.c.reason_code),
            updated_at=sa.func.now(),
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def cancel_about(
    session: AsyncSession,
    participant_ref: str,
    reason_code: str = "consent_withdrawn",
    *,
    erase: bool = True,
) -> int:
    """Stop what is pending about a victim. A send about other victims too (one "you said, we
    did" per supporter) goes on without them; any other is cancelled. What is left about them
    cannot be sent again (its context is deleted); with `erase` (a withdrawal), their ref is
    also erased from every row. Returns how many sends were cancelled."""
    about = sa.literal(participant_ref) == sa.any_(t.c.about_refs)
    without_them = sa.func.array_remove(t.c.about_refs, participant_ref)
    # Its context names none of them (merged sends share it), so it is still right to send.
    await session.execute(
        sa.update(t)
        .where(
            about,
            t.c.status.in_([Status.PENDING, Status.FAILED]),
            sa.func.cardinality(t.c.about_refs) > 1,
        )
        .values(about_refs=without_them, updated_at=sa.func.now())
    )
    cancelled = await session.execute(
        sa.update(t)
        .where(about, t.c.status == Status.PENDING)
        .values(
            status=Status.CANCELLED,
            reason_code=reason_code,
            context=None,
            claimed_until=None,
            updated_at=sa.func.now(),
        )
    )
    await session.execute(
        sa.update(t)
        .where(about)
        .values(context=None, **({"about_refs": without_them} if erase else {}))
    )
    return int(getattr(cancelled, "rowcount", 0))


# A send whose story is over: nothing sends it again (unless a coordinator retries a failed one).
FINISHED = (Status.SENT, Status.CANCELLED, Status.FAILED)


async def delete_finished(
    session: AsyncSession, *, unchanged_since: datetime, now: datetime, limit: int
) -> int:
    """The retention purge of the log: delete up to `limit` finished sends whose last change
    (`updated_at`: claims, deferrals, outcomes, cancellations and retries all set it) is older
    than `unchanged_since`, oldest first. Rows another transaction holds are skipped, so several
    instances share the work. Returns how many went."""
    due = (
        sa.select(t.c.notification_ref)
        .where(
            t.c.status.in_(FINISHED),
            t.c.updated_at < unchanged_since,
            # A lease still running: its dispatcher may yet write to the row.
            sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until < now),
        )
        .order_by(t.c.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(sa.delete(t).where(t.c.notification_ref.in_(due)))
    return int(getattr(result, "rowcount", 0))


# What the delivery log shows: refs, times, status. No addresses, no bodies, no victim refs.
LOG_COLUMNS = [
    t.c.notification_ref,
    t.c.source_event_id,
    t.c.source_topic,
    t.c.template,
    t.c.recipient_ref,
    t.c.channel,
    t.c.status,
    t.c.reason_code,
    t.c.attempts,
    t.c.created_at,
    t.c.due_at,
    t.c.sent_at,
    t.c.updated_at,
]


@dataclass(frozen=True)
class LogQuery:
    recipient_ref: str | None = None
    status: Status | None = None
    template: Template | None = None
    source_event_id: UUID | None = None
    since: datetime | None = None
    limit: int = 100


async def delivery_log(session: AsyncSession, query: LogQuery) -> list[dict[str, Any]]:
    """What was sent to whom (ref), when, by which channel, and how it went. No bodies."""
    statement = sa.select(*LOG_COLUMNS).order_by(t.c.created_at.desc()).limit(query.limit)
    if query.recipient_ref:
        statement = statement.where(t.c.recipient_ref == query.recipient_ref)
    if query.status:
        statement = statement.where(t.c.status == query.status)
    if query.template:
        statement = statement.where(t.c.template == query.template)
    if query.source_event_id:
        statement = statement.where(t.c.source_event_id == query.source_event_id)
    if query.since:
        statement = statement.where(t.c.created_at >= query.since)
    return [dict(row._mapping) for row in await session.execute(statement)]
