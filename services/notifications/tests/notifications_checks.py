"""Looking at what the service did: its delivery log (through the API) and its tables."""

from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine


async def deliveries(
    client: httpx.AsyncClient, headers: dict[str, str], **query: Any
) -> list[dict[str, Any]]:
    response = await client.get("/deliveries", params=query, headers=headers)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


async def knows_participant(engine: AsyncEngine, participant_ref: str) -> bool:
    async with engine.connect() as conn:
        found = await conn.scalar(
            sa.text("SELECT count(*) FROM notifications.participants WHERE participant_ref = :r"),
            {"r": participant_ref},
        )
    return bool(found)


async def withdrawn(engine: AsyncEngine, participant_ref: str) -> bool:
    async with engine.connect() as conn:
        return bool(
            await conn.scalar(
                sa.text(
                    "SELECT withdrawn_at IS NOT NULL FROM notifications.participants "
                    "WHERE participant_ref = :r"
                ),
                {"r": participant_ref},
            )
        )


async def marker(engine: AsyncEngine, participant_ref: str) -> tuple[datetime | None, ...]:
    """The victim's exclusion and latest readmission (screened in, consent) times."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                sa.text(
                    "SELECT excluded_at, readmitted_at FROM notifications.participants "
                    "WHERE participant_ref = :r"
                ),
                {"r": participant_ref},
            )
        ).first()
    return (row.excluded_at, row.readmitted_at) if row else (None, None)


async def handled(engine: AsyncEngine, event_id: UUID) -> bool:
    """The event went through the service's inbox (its effects committed with it)."""
    async with engine.connect() as conn:
        return bool(
            await conn.scalar(
                sa.text("SELECT count(*) FROM notifications.inbox WHERE event_id = :id"),
                {"id": event_id},
            )
        )
