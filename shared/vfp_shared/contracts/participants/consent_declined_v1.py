from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("participants.consent-declined", version=1, key="participant_ref")
class ConsentDeclinedV1(Contract):
    participant_ref: str
    declined_at: datetime
