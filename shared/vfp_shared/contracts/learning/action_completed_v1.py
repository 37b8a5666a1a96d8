from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("learning.action-completed", version=1, key="action_ref")
class ActionCompletedV1(Contract):
    """Done: the participants whose feedback led to it can hear "you said, we did"."""

    action_ref: str
    title: str
    participant_refs: list[str]
    completed_at: datetime
