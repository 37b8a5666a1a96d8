"""What the handlers need besides a unit of work: the vault, the rules and the clock."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from vfp_feedback.domain.recurrence import RecurrenceRules
from vfp_shared.crypto import Vault

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_ref(kind: str) -> str:
    return f"{kind}-{uuid.uuid4()}"


@dataclass(frozen=True)
class Context:
    vault: Vault
    rules: RecurrenceRules
    audit: sa.Table
    clock: Clock = utc_now
    # What victims and staff told us is deleted this long after it was recorded.
    retention_days: int = 730

    @property
    def k_anonymity(self) -> int:
        return self.rules.k_anonymity
