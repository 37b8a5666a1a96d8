"""Victims asked, through their supporter, to endorse a new process or training."""

from enum import StrEnum

from vfp_feedback.domain.errors import AlreadyResponded


class EndorsementOutcome(StrEnum):
    ENDORSE = "endorse"
    ENDORSE_WITH_CHANGES = "endorse_with_changes"
    NOT_ENDORSE = "not_endorse"


def require_open(outcome: str | None) -> None:
    """An endorsement is answered once."""
    if outcome is not None:
        raise AlreadyResponded("this endorsement already has an outcome")
