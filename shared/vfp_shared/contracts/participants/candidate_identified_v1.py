from datetime import datetime

from vfp_shared.contracts.base import Contract, event
from vfp_shared.contracts.vocabulary import CandidateSource, ContactRoute, FocusTheme


@event("participants.candidate-identified", version=1, key="participant_ref")
class CandidateIdentifiedV1(Contract):
    """A victim passed screening and may be approached, through `supporter_ref`."""

    participant_ref: str
    themes: list[FocusTheme]
    source: CandidateSource
    contact_route: ContactRoute
    supporter_ref: str | None = None
    child: bool = False
    policy_version: str
    identified_at: datetime
