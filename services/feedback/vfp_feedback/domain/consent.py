"""What a victim agreed to, as the feedback service needs it, and the rules it decides."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from vfp_feedback.domain.errors import ScopeNotGranted

# The scope words of participants.consent-given.v1.
CASE_STUDY_TO_NAMED_TEAMS = "case_study_to_named_teams"
PRAISE_TO_NAMED_OFFICERS = "praise_to_named_officers"


class RecipientKind(StrEnum):
    INDIVIDUAL = "individual"
    TEAM = "team"
    FORCE = "force"


@dataclass(frozen=True)
class Consent:
    participant_ref: str
    mode: str
    scopes: frozenset[str]
    contact_route: str
    supporter_ref: str | None
    support_service_ref: str | None
    case_study_team_refs: frozenset[str]
    praise_officer_refs: frozenset[str]
    given_at: datetime

    def require_case_study_for(self, team_refs: Collection[str]) -> None:
        """A case study reaches only teams the victim named, under its own scope."""
        if CASE_STUDY_TO_NAMED_TEAMS not in self.scopes:
            raise ScopeNotGranted("the victim did not consent to case studies for teams")
        unnamed = set(team_refs) - self.case_study_team_refs
        if unnamed or not team_refs:
            raise ScopeNotGranted("a case study may only go to teams the victim named")

    def require_praise_for(self, kind: RecipientKind, recipient_ref: str) -> None:
        """Praise is passed on only under its scope; an individual or a team must be one the
        victim named (the force as a whole needs only the scope)."""
        if PRAISE_TO_NAMED_OFFICERS not in self.scopes:
            raise ScopeNotGranted("the victim did not consent to passing on praise")
        if kind is not RecipientKind.FORCE and recipient_ref not in self.praise_officer_refs:
            raise ScopeNotGranted("praise may only go to officers or teams the victim named")

    def is_client_of(self, support_service_ref: str | None) -> bool:
        return support_service_ref is not None and self.support_service_ref == support_service_ref
