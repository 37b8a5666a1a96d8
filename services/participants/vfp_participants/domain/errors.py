"""What the domain refuses, as types; the entry points map them to HTTP codes or dead letters."""


class ParticipantsError(Exception):
    """Base of this service's domain errors."""


class CandidateNotFound(ParticipantsError, LookupError):
    """No such candidate, or not one the caller may see."""


class IllegalTransition(ParticipantsError):
    """The candidate's status does not allow this step."""

    def __init__(self, participant_ref: str, status: str, step: str, *, why: str | None = None):
        super().__init__(f"candidate {participant_ref} {why or f'is {status}'}: cannot {step}")
        self.status = status
        self.step = step


class MergedAway(IllegalTransition):
    """The candidate is a self-referrer merged into the victim's candidate (`merged_duplicate`):
    what the victim asks for (withdrawal, the do-not-contact list, a step) is for that one,
    which holds their consent and contact; done here, it would not reach them."""

    def __init__(self, participant_ref: str, status: str, step: str, merged_into: str):
        why = f"was merged into candidate {merged_into} (act on that one)"
        super().__init__(participant_ref, status, step, why=why)
        self.merged_into = merged_into


class RuleViolation(ParticipantsError):
    """A command breaks a rule about one of its fields (e.g. a child without guardian consent)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class ListingNotFound(ParticipantsError, LookupError):
    """No such entry on the do-not-contact list."""


class ListingKept(ParticipantsError):
    """A withdrawal's do-not-contact entry stays: the victim asked never to be sourced again."""

    def __init__(self, entry_id: str):
        super().__init__(f"do-not-contact entry {entry_id} is a withdrawal's: it stays")
