from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("participants.candidate-excluded", version=1, key="participant_ref")
class CandidateExcludedV1(Contract):
    participant_ref: str
    reason_codes: list[str]
    policy_version: str
    excluded_at: datetime
