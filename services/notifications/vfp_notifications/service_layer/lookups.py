"""Directory entries and supporter links, read at most once per batch: the consumer applies a
whole batch in one unit of work, and a flood of events naming the same people (a bench, a
replay) must not cost a round trip per event."""

from collections.abc import Collection
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncSession

from vfp_notifications.adapters import participants
from vfp_notifications.adapters.directory import Directory
from vfp_notifications.domain.model import DirectoryEntry, SupporterLink
from vfp_shared.storage.unit_of_work import UnitOfWork


class Lookups:
    def __init__(self, session: AsyncSession, directory: Directory):
        self._session = session
        self._directory = directory
        self._entries: dict[str, DirectoryEntry | None] = {}
        self._links: dict[str, SupporterLink | None] = {}

    async def entries(self, refs: Collection[str]) -> dict[str, DirectoryEntry]:
        missing = [r for r in refs if r not in self._entries]
        if missing:
            found = await self._directory.find(missing)
            self._entries.update({r: found.get(r) for r in missing})
        return {r: e for r in refs if (e := self._entries[r]) is not None}

    async def links(self, refs: Collection[str]) -> dict[str, SupporterLink]:
        """Supporter links of those refs that are victims (participants)."""
        missing = [r for r in refs if r not in self._links]
        if missing:
            found = await participants.links(self._session, missing)
            self._links.update({r: found.get(r) for r in missing})
        return {r: link for r in refs if (link := self._links[r]) is not None}

    async def lock_participants(self, uow: UnitOfWork, refs: Collection[str]) -> None:
        """Hold these victims' locks until the batch commits. A link cached before its lock was
        taken may be stale, so it is read again. (The consumer locks a batch's victims before
        its handlers run, so in a batch nothing is newly locked here and the cache stands.)"""
        for ref in await uow.lock_participants(refs):
            self._links.pop(ref, None)

    def forget_participant(self, ref: str) -> None:
        self._links.pop(ref, None)


class LookupsPerBatch:
    """One `Lookups` per unit of work (its session lives exactly as long as the batch)."""

    def __init__(self) -> None:
        self._by_session: WeakKeyDictionary[AsyncSession, Lookups] = WeakKeyDictionary()

    def __call__(self, session: AsyncSession, directory: Directory) -> Lookups:
        found = self._by_session.get(session)
        if found is None:
            found = self._by_session[session] = Lookups(session, directory)
        return found
