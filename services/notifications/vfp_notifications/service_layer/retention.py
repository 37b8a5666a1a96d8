"""The retention purge: what this service holds about victims does not outlive its use.

A send whose story is over (sent, cancelled, failed) and unchanged for the retention period
leaves the delivery log (a failed one can no longer be retried); a pending one, or one under a
dispatcher's lease, is never touched. Then a participant record (supporter link, withdrawal
tombstone, exclusion marker) none of whose times is within the retention period, and that no
remaining send names, is forgotten (`participants.forget_idle` says why that is safe).

Bounded batches, each its own transaction with `SKIP LOCKED`: several instances share the work
and no lock is held for long. Each batch that deletes anything is audited with its counts only:
the refs it forgets are not written anywhere else."""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from vfp_notifications.adapters import participants, sends
from vfp_notifications.adapters.tables import audit
from vfp_notifications.service_layer.handlers import utc_now
from vfp_shared.audit import record
from vfp_shared.auth import Principal
from vfp_shared.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

SYSTEM = "system"
ACTION = "retention:purge"
# The audit entry's subject: the run, not a victim (their refs are what it forgets).
SUBJECT = "retention"
BATCH_SIZE = 1000


@dataclass(frozen=True)
class Purged:
    notifications: int = 0
    participants: int = 0

    def __add__(self, other: "Purged") -> "Purged":
        return Purged(
            self.notifications + other.notifications, self.participants + other.participants
        )


async def purge_batch(
    uow: UnitOfWork,
    *,
    now: datetime,
    retention_days: int,
    limit: int,
    who: Principal | str = SYSTEM,
) -> Purged:
    """At most `limit` sends and `limit` participant records, in the caller's transaction."""
    cutoff = now - timedelta(days=retention_days)
    s = uow.session
    # Sends first: a participant record only they named goes in the same transaction.
    purged = Purged(
        notifications=await sends.delete_finished(s, unchanged_since=cutoff, now=now, limit=limit),
        participants=await participants.forget_idle(s, unchanged_since=cutoff, limit=limit),
    )
    if purged.notifications or purged.participants:
        await record(
            s,
            audit,
            who,
            ACTION,
            SUBJECT,
            f"{purged.notifications} finished notification(s) and {purged.participants} "
            f"participant record(s) unchanged for {retention_days} days deleted",
        )
    return purged


class RetentionPurge:
    """The purge on a timer (`run`, every `interval_s`) and on demand (`purge`)."""

    def __init__(
        self,
        *,
        units_of_work: UnitOfWorkFactory,
        retention_days: int,
        interval_s: float,
        clock: Callable[[], datetime] = utc_now,
        batch_size: int = BATCH_SIZE,
    ):
        self._uows = units_of_work
        self.retention_days = retention_days
        self.interval_s = interval_s
        self._clock = clock
        self._batch_size = batch_size
        self._stopping = asyncio.Event()

    async def purge(self, who: Principal | str = SYSTEM) -> Purged:
        """Batch after batch until one is not full (or `stop()`). Returns what went."""
        total = Purged()
        while True:
            async with self._uows() as uow:
                batch = await purge_batch(
                    uow,
                    now=self._clock(),
                    retention_days=self.retention_days,
                    limit=self._batch_size,
                    who=who,
                )
                await uow.commit()
            total += batch
            full = max(batch.notifications, batch.participants) >= self._batch_size
            if not full or self._stopping.is_set():
                return total

    async def run(self) -> None:
        """Purge, then wait `interval_s` (> 0), until `stop()`; a failed run is logged and
        tried again at the next interval."""
        while not self._stopping.is_set():
            try:
                purged = await self.purge()
                if purged.notifications or purged.participants:
                    log.info(
                        "retention purge deleted %d notifications and %d participant records",
                        purged.notifications,
                        purged.participants,
                    )
            except Exception:
                log.exception("retention purge failed; trying again at the next interval")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval_s)

    def stop(self) -> None:
        """Finish the current batch, then return from `run`."""
        self._stopping.set()
