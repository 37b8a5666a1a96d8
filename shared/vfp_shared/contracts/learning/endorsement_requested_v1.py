from datetime import datetime

from vfp_shared.contracts.base import Contract, event
from vfp_shared.contracts.vocabulary import ContactRoute


@event("learning.endorsement-requested", version=1, key="participant_ref")
class EndorsementRequestedV1(Contract):
    endorsement_ref: str
    subject: str
    participant_ref: str
    contact_route: ContactRoute
    supporter_ref: str | None = None
    requested_at: datetime
