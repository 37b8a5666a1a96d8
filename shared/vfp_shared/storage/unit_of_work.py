"""One unit of work per command or batch: the domain change, the inbox record and the
outgoing events (outbox rows) commit together, or not at all."""

import json
import zlib
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, Self
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql.expression import Executable

from vfp_shared.contracts.base import Contract
from vfp_shared.envelope import Envelope
from vfp_shared.storage import inbox
from vfp_shared.storage.bus_tables import OUTBOX_SLOTS, BusTables
from vfp_shared.telemetry import current_traceparent


def participant_lock(participant_ref: str) -> str:
    """The `UnitOfWork.lock` key of one victim: every change about them takes it, so their
    consent, withdrawal and the writes checked against them apply one after another."""
    return f"participant:{participant_ref}"


class UnitOfWork:
    """``async with uow_factory() as uow: ...; await uow.commit()`` — leaving without a commit
    rolls everything back, so nothing is half-applied and nothing is published."""

    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession], tables: BusTables, source: str):
        self._sessions = sessions
        self._tables = tables
        self._source = source
        self._outgoing: list[Envelope[Contract]] = []
        self._staged: dict[Executable, list[dict[str, Any]]] = {}
        self._held: set[str] = set()

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        self._outgoing = []
        self._staged = {}
        self._held = set()
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

    def stage(self, statement: Executable, row: dict[str, Any]) -> None:
        """Queue a write to run at commit, batched with the same statement's other rows (one
        round trip for a whole batch of events). Use `session` when you must read it back."""
        self._staged.setdefault(statement, []).append(row)

    async def lock(self, key: str) -> None:
        """Hold a lock on `key` until this unit of work ends: transactions that lock the same key
        (in this service) run one after another. E.g. a victim's consent and withdrawal, which
        travel on different topics and may be applied at once by two instances."""
        await self.lock_many([key])

    async def lock_many(self, keys: Iterable[str]) -> set[str]:
        """`lock` for several keys in one round trip, in the keys' byte order (two units of work
        locking overlapping sets in one call each cannot deadlock on them, and a caller can
        rely on the order: e.g. every `case:` key before every `victim:` key; a lock taken
        later, outside that order, can deadlock, and PostgreSQL then aborts one: the consumer
        retries it). A key held already costs nothing. Returns the keys this call locked (not
        held before): what was read before it may be stale."""
        fresh = {key for key in keys if self._lock_name(key) not in self._held}
        if not fresh:
            return set()
        names = sorted(self._lock_name(key) for key in fresh)
        # PostgreSQL evaluates a volatile function of the select list after ORDER BY; "C" is
        # byte order, as Python's sorted().
        await self.session.execute(
            sa.text(
                "SELECT pg_advisory_xact_lock(hashtext(k)) "
                'FROM unnest(CAST(:keys AS text[])) k ORDER BY k COLLATE "C"'
            ),
            {"keys": names},
        )
        self._held.update(names)
        return fresh

    async def lock_participants(self, participant_refs: Iterable[str]) -> set[str]:
        """Lock these victims (`participant_lock`): their consent, withdrawal and every write
        checked against them then apply one after another, so nothing lands after an erasure.
        Returns the refs this call locked (not held before)."""
        refs = set(participant_refs)
        newly = await self.lock_many(participant_lock(ref) for ref in refs)
        return {ref for ref in refs if participant_lock(ref) in newly}

    def _lock_name(self, key: str) -> str:
        return f"{self._tables.schema}:{key}"

    async def claim(self, events: Sequence[tuple[UUID, str]]) -> set[UUID]:
        """Inbox: which of these events have not been handled before."""
        return await inbox.claim(self.session, self._tables, events)

    async def commit(self) -> None:
        for statement, rows in self._staged.items():
            await self.session.execute(statement, rows)
        if self._outgoing:
            await self._write_outbox()
        await self.session.commit()
        self._outgoing = []
        self._staged = {}
        self._held = set()  # released with the transaction

    async def _write_outbox(self) -> None:
        """All outgoing events in one statement of plain SQL: it runs for every batch of every
        consumer. (Through the session's connection, so inside its transaction.)"""
        columns: tuple[list[Any], ...] = ([], [], [], [], [], [])
        ids, topics, keys, slots, headers, payloads = columns
        for envelope in self._outgoing:
            key = envelope.subject
            ids.append(envelope.id)
            topics.append(envelope.topic)
            keys.append(key)
            slots.append(zlib.crc32(key.encode()) % OUTBOX_SLOTS)
            headers.append(json.dumps(envelope.attributes()))
            payloads.append(envelope.kafka_value())
        connection = await self.session.connection()
        await connection.exec_driver_sql(self._tables.insert_outbox_sql, columns)


class UnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine, tables: BusTables, source: str):
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.tables = tables
        self.source = source

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessions, self.tables, self.source)
