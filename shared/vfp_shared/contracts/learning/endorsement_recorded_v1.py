from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("learning.endorsement-recorded", version=1, key="participant_ref")
class EndorsementRecordedV1(Contract):
    endorsement_ref: str
    participant_ref: str
    outcome: str
    recorded_at: datetime
