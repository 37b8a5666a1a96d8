from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("force.complaint-resolved", version=1, key="case_ref")
class ComplaintResolvedV1(Contract):
    complaint_ref: str
    case_ref: str
    resolved_at: datetime
