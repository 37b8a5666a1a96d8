from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("participants.consent-withdrawn", version=1, key="participant_ref")
class ConsentWithdrawnV1(Contract):
    """Every service must erase or irreversibly redact what it holds about this participant."""

    participant_ref: str
    withdrawn_at: datetime
