"""One unit of work per command or batch: the domain change, the inbox record and the
outgoing events (outbox rows) commit together, or not at all."""

import zlib
from collections.abc import Sequence
from types import TracebackType
from typing import Self
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vfp_shared.contracts.base import Contract
from vfp_shared.envelope import Envelope
from vfp_shared.storage import inbox
from vfp_shared.storage.bus_tables import OUTBOX_SLOTS, BusTables
from vfp_shared.telemetry import current_traceparent


class UnitOfWork:
    """``async with uow_factory() as uow: ...; await uow.commit()`` — leaving without a commit
    rolls everything back, so nothing is half-applied and nothing is published."""

    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession], tables: BusTables, source: str):
        self._sessions = sessions
        self._tables = tables
        self._source = source
        self._outgoing: list[Envelope[Contract]] = []

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        self._outgoing = []
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()

    def emit(self, data: Contract) -> Envelope[Contract]:
        """Queue an outgoing event; it is written to the outbox at commit."""
        envelope: Envelope[Contract] = Envelope(
            data, source=self._source, traceparent=current_traceparent()
        )
        self._outgoing.append(envelope)
        return envelope

    async def claim(self, events: Sequence[tuple[UUID, str]]) -> set[UUID]:
        """Inbox: which of these events have not been handled before."""
        return await inbox.claim(self.session, self._tables, events)

    async def commit(self) -> None:
        if self._outgoing:
            await self.session.execute(
                self._tables.outbox.insert(), [_outbox_row(e) for e in self._outgoing]
            )
            # Delivered on commit: wakes the relay at once instead of at its next poll.
            await self.session.execute(
                sa.text("SELECT pg_notify(:channel, '')"),
                {"channel": self._tables.notify_channel},
            )
        await self.session.commit()
        self._outgoing = []


def _outbox_row(envelope: Envelope[Contract]) -> dict[str, object]:
    key = envelope.subject
    return {
        "event_id": envelope.id,
        "topic": envelope.topic,
        "key": key,
        "slot": zlib.crc32(key.encode()) % OUTBOX_SLOTS,
        "headers": {name: value.decode() for name, value in envelope.kafka_headers()},
        "payload": envelope.kafka_value(),
    }


class UnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine, tables: BusTables, source: str):
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.tables = tables
        self.source = source

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessions, self.tables, self.source)
