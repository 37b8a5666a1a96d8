"""The do-not-contact list. It holds keyed digests, never refs: it must outlive the erasure of
a withdrawn participant and still stop the force's next event from sourcing them again."""

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vfp_participants.adapters.tables import do_not_contact


def digest(key: bytes, kind: str, ref: str) -> str:
    """A keyed digest of a victim's ref: what the list (and a victim's lock) is keyed by."""
    return hmac.new(key, f"{kind}:{ref}".encode(), hashlib.sha256).hexdigest()


class DoNotContactList:
    """The list's entries, each by its id: the digest `key_of` gives."""

    def __init__(self, session: AsyncSession, key: bytes):
        self._session = session
        self._key = key

    def digest(self, kind: str, ref: str) -> str:
        return digest(self._key, kind, ref)

    def key_of(self, participant_ref: str, victim_ref: str | None) -> str:
        """A force victim is listed by their victim ref (it survives erasure); a self-referrer
        by their participant ref."""
        if victim_ref is not None:
            return self.digest("victim", victim_ref)
        return self.digest("participant", participant_ref)

    async def contains(self, entry_id: str) -> bool:
        found = await self._session.scalar(
            sa.select(sa.literal(True)).where(do_not_contact.c.digest == entry_id)
        )
        return bool(found)

    async def add(
        self, entry_id: str, participant_ref: str | None, reason_code: str, by: str, at: datetime
    ) -> None:
        await self._session.execute(
            insert(do_not_contact)
            .values(
                digest=entry_id,
                participant_ref=participant_ref,
                reason_code=reason_code,
                added_by=by,
                added_at=at,
            )
            .on_conflict_do_update(
                index_elements=[do_not_contact.c.digest],
                set_={"reason_code": reason_code, "participant_ref": participant_ref},
            )
        )

    async def move(self, old: str, new: str, participant_ref: str) -> bool:
        """An entry now keyed by another digest (a self-referrer found to be a force victim):
        kept as it was listed, unless the new digest is listed already. Returns whether the
        old digest was listed."""
        moved = (
            sa.delete(do_not_contact)
            .where(do_not_contact.c.digest == old)
            .returning(
                do_not_contact.c.reason_code, do_not_contact.c.added_by, do_not_contact.c.added_at
            )
            .cte("moved")
        )
        kept = (
            insert(do_not_contact)
            .from_select(
                ["digest", "participant_ref", "reason_code", "added_by", "added_at"],
                sa.select(sa.literal(new), sa.literal(participant_ref), *moved.c),
            )
            .on_conflict_do_nothing()
            .cte("kept")
        )
        listed = await self._session.scalar(
            sa.select(sa.exists(sa.select(moved.c.reason_code))).add_cte(kept)
        )
        return bool(listed)

    async def entry(self, entry_id: str, *, lock: bool = True) -> sa.Row[Any, Any] | None:
        """The entry's participant ref (if any) and reason code, locked unless `lock` is False."""
        query = sa.select(do_not_contact.c.participant_ref, do_not_contact.c.reason_code).where(
            do_not_contact.c.digest == entry_id
        )
        return (await self._session.execute(query.with_for_update() if lock else query)).first()

    async def remove(self, entry_id: str) -> None:
        await self._session.execute(
            sa.delete(do_not_contact).where(do_not_contact.c.digest == entry_id)
        )

    async def entries(self, limit: int, offset: int) -> Sequence[sa.Row[Any, Any, Any, Any, Any]]:
        return (
            await self._session.execute(
                sa.select(
                    do_not_contact.c.digest,
                    do_not_contact.c.participant_ref,
                    do_not_contact.c.reason_code,
                    do_not_contact.c.added_by,
                    do_not_contact.c.added_at,
                )
                .order_by(do_not_contact.c.added_at.desc())
                .limit(limit)
                .offset(offset)
            )
        ).all()
