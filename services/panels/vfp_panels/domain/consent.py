"""The pool: consented victims as the participants service announced them (references only)."""

from dataclasses import dataclass
from datetime import datetime

from vfp_shared.contracts.vocabulary import ContactRoute, FocusTheme, ParticipationMode

# Victims are reached through a supporter, never cold (the force learned this the hard way).
SUPPORTED_ROUTES = frozenset({ContactRoute.SUPPORT_WORKER, ContactRoute.OFFICER_IN_CASE})


@dataclass(frozen=True)
class Consent:
    participant_ref: str
    mode: ParticipationMode
    themes: tuple[FocusTheme, ...]
    contact_route: ContactRoute
    supporter_ref: str | None
    support_service_ref: str | None
    given_at: datetime

    @property
    def reachable_through_supporter(self) -> bool:
        return self.contact_route in SUPPORTED_ROUTES and bool(self.supporter_ref)


def counts(consent: Consent, barred_since: datetime | None) -> bool:
    """A consent counts unless the victim withdrew or was excluded at or after giving it
    (`barred_since`: the latest withdrawal or exclusion on record); a later one counts again."""
    return barred_since is None or consent.given_at > barred_since
