"""The idempotent inbox: an event id is claimed in the same transaction as its effect."""

from collections.abc import Sequence
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from vfp_shared.storage.bus_tables import BusTables


async def claim(
    session: AsyncSession, tables: BusTables, events: Sequence[tuple[UUID, str]]
) -> set[UUID]:
    """Record (event id, topic) pairs as handled; return the ids that were new. One round trip."""
    if not events:
        return set()
    statement = sa.text(
        f"INSERT INTO {tables.schema}.inbox (event_id, topic) "
        "SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:topics AS text[])) "
        "ON CONFLICT DO NOTHING RETURNING event_id"
    )
    ids = [event_id for event_id, _ in events]
    topics = [topic for _, topic in events]
    result = await session.execute(statement, {"ids": ids, "topics": topics})
    return set(result.scalars())
