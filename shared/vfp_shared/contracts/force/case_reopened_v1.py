from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("force.case-reopened", version=1, key="case_ref")
class CaseReopenedV1(Contract):
    case_ref: str
    reopened_at: datetime
