from datetime import datetime

from vfp_shared.contracts.base import Contract, event
from vfp_shared.contracts.vocabulary import AgeBand


@event("support.client-nominated", version=1, key="victim_ref")
class ClientNominatedV1(Contract):
    """A commissioned support service nominates one of its clients for a panel."""

    victim_ref: str
    service_ref: str
    support_worker_ref: str
    case_ref: str | None = None
    age_band: AgeBand = AgeBand.ADULT
    nominated_at: datetime
