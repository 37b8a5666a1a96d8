"""The idempotent inbox: an event id is claimed in the same transaction as its effect."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from vfp_shared.storage.bus_tables import BusTables


async def claim(
    session: AsyncSession, tables: BusTables, events: Sequence[tuple[UUID, str]]
) -> set[UUID]:
    """Record (event id, topic) pairs as handled; return the ids that were new. One round trip
    of plain SQL (it runs for every batch), in the session's transaction."""
    if not events:
        return set()
    connection = await session.connection()
    result = await connection.exec_driver_sql(
        f"INSERT INTO {tables.schema}.inbox (event_id, topic) "
        "SELECT * FROM unnest($1::uuid[], $2::text[]) "
        "ON CONFLICT DO NOTHING RETURNING event_id",
        ([event_id for event_id, _ in events], [topic for _, topic in events]),
    )
    return set(result.scalars())
