from datetime import datetime

from vfp_shared.contracts.base import Contract, event
from vfp_shared.contracts.vocabulary import AgeBand, JusticeStatus


@event("force.case-closed", version=1, key="case_ref")
class CaseClosedV1(Contract):
    """A force records system closed a case. The victim is known only by a pseudonymous ref."""

    case_ref: str
    victim_ref: str
    oic_ref: str
    offence_category: str
    domestic_abuse: bool = False
    sexual_offence: bool = False
    stalking_harassment: bool = False
    hate_crime: bool = False
    other_high_harm: bool = False
    outcome: str
    justice_status: JusticeStatus
    closed_at: datetime
    age_band: AgeBand
    support_service_ref: str | None = None
    support_worker_ref: str | None = None
    safeguarding: bool = False
