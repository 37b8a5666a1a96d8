from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("force.complaint-opened", version=1, key="case_ref")
class ComplaintOpenedV1(Contract):
    """Professional standards opened a complaint about how a case was handled."""

    complaint_ref: str
    case_ref: str
    opened_at: datetime
