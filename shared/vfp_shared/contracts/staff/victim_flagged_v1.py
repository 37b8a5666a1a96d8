from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("staff.victim-flagged", version=1, key="victim_ref")
class VictimFlaggedV1(Contract):
    """An officer or team flags a victim who might take part (often after a case result)."""

    victim_ref: str
    case_ref: str
    flagged_by_ref: str
    team_ref: str | None = None
    flagged_at: datetime
