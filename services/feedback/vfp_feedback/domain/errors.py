"""What can go wrong, as types. The HTTP entrypoint maps them in one place:
NotFound → 404, Conflict (and its kinds) → 409, InvalidFeedback → 422."""


class FeedbackError(Exception):
    """Base of the feedback domain's errors."""


class NotFound(FeedbackError):
    """No such record, or not one the caller may see (existence does not leak)."""


class Conflict(FeedbackError):
    """The request contradicts the record's state or the victim's consent."""


class ConsentNotGiven(Conflict):
    """No consent from this participant: nothing of theirs may be captured."""


class ScopeNotGranted(Conflict):
    """The victim's consent does not cover this use (scope or named recipient missing)."""


class AlreadyResponded(Conflict):
    """One survey response per attendee, one outcome per endorsement."""


class IllegalTransition(Conflict):
    """A state change the record's lifecycle does not allow."""


class InvalidFeedback(FeedbackError):
    """Input the domain rejects (unknown theme, answer out of range, ...), naming the field:
    `field` is its path in the request (e.g. ("answers", "usefulness")), `source` where the
    request carries it ("body" or "query"), so the reply can locate it as FastAPI does."""

    def __init__(
        self, message: str, field: tuple[str | int, ...] = (), *, source: str = "body"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.loc: tuple[str | int, ...] = (source, *field)
