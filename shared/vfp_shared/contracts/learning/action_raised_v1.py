from datetime import date, datetime

from vfp_shared.contracts.base import Contract, event


@event("learning.action-raised", version=1, key="action_ref")
class ActionRaisedV1(Contract):
    action_ref: str
    title: str
    owner_ref: str
    due_on: date
    theme_code: str | None = None
    raised_at: datetime
