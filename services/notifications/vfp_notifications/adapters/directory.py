"""The directory: refs in events → people and groups with their addresses. Contact details
are sealed at rest (a key per entry, so deleting an entry crypto-shreds it)."""

import json
from collections.abc import Collection
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vfp_notifications.adapters.tables import directory_entries
from vfp_notifications.domain.model import Channel, DirectoryEntry
from vfp_shared.crypto import Vault


class Directory(Protocol):
    async def find(self, refs: Collection[str]) -> dict[str, DirectoryEntry]:
        """The entries known for these refs (unknown refs are left out)."""
        ...

    async def put(self, entry: DirectoryEntry) -> None: ...

    async def remove(self, ref: str) -> bool: ...


class SqlDirectory:
    """The default directory, in the service's own database (in the caller's transaction)."""

    def __init__(self, session: AsyncSession, vault: Vault):
        self._session = session
        self._vault = vault

    async def find(self, refs: Collection[str]) -> dict[str, DirectoryEntry]:
        if not refs:
            return {}
        rows = await self._session.execute(
            sa.select(directory_entries).where(directory_entries.c.ref.in_(list(refs)))
        )
        found = {}
        for row in rows:
            contact = json.loads(await self._vault.decrypt(self._session, row.ref, row.contact))
            found[row.ref] = DirectoryEntry(
                ref=row.ref,
                kind=row.kind,
                name=contact["name"],
                email=contact.get("email"),
                teams_webhook_url=contact.get("teams_webhook_url"),
                webhook_url=contact.get("webhook_url"),
                channels=tuple(Channel(c) for c in row.channels),
                line_manager_ref=row.line_manager_ref,
                member_refs=tuple(row.member_refs),
                organisation=row.organisation,
            )
        return found

    async def put(self, entry: DirectoryEntry) -> None:
        contact = json.dumps(
            {
                "name": entry.name,
                "email": entry.email,
                "teams_webhook_url": entry.teams_webhook_url,
                "webhook_url": entry.webhook_url,
            }
        )
        values = {
            "kind": entry.kind,
            "channels": [c.value for c in entry.channels],
            "line_manager_ref": entry.line_manager_ref,
            "member_refs": list(entry.member_refs),
            "organisation": entry.organisation,
            "contact": await self._vault.encrypt(self._session, entry.ref, contact),
            "updated_at": sa.func.now(),
        }
        await self._session.execute(
            insert(directory_entries)
            .values(ref=entry.ref, **values)
            .on_conflict_do_update(index_elements=["ref"], set_=values)
        )

    async def remove(self, ref: str) -> bool:
        await self._vault.erase(self._session, ref)
        result = await self._session.execute(
            sa.delete(directory_entries).where(directory_entries.c.ref == ref)
        )
        return bool(getattr(result, "rowcount", 0))
