from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("panels.participant-removed", version=1, key="panel_ref")
class ParticipantRemovedV1(Contract):
    panel_ref: str
    participant_ref: str
    reason_code: str
    removed_at: datetime
