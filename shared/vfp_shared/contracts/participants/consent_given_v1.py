from datetime import datetime

from vfp_shared.contracts.base import Contract, event
from vfp_shared.contracts.vocabulary import (
    ConsentScope,
    ContactRoute,
    FocusTheme,
    ParticipationMode,
)


@event("participants.consent-given", version=1, key="participant_ref")
class ConsentGivenV1(Contract):
    """The victim agreed to take part, in `mode`, under `scopes` only."""

    participant_ref: str
    mode: ParticipationMode
    scopes: list[ConsentScope]
    themes: list[FocusTheme]
    contact_route: ContactRoute
    supporter_ref: str | None = None
    support_service_ref: str | None = None
    case_study_team_refs: list[str] = []
    praise_officer_refs: list[str] = []
    direct_contact: bool = False
    given_at: datetime
