"""A testimony: what worked well and what could have been better, by any route."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from vfp_feedback.domain.errors import InvalidFeedback
from vfp_feedback.domain.themes import ThemeTag


class TestimonyRoute(StrEnum):
    LIVE = "live"
    PRE_RECORDED = "pre_recorded"
    SUPPORT_WORKER = "support_worker"
    INFORMAL_OIC = "informal_oic"
    INFORMAL_SUPPORT_WORKER = "informal_support_worker"


@dataclass(frozen=True)
class Testimony:
    testimony_ref: str
    participant_ref: str
    panel_ref: str
    route: TestimonyRoute
    worked_well: str | None
    could_be_better: str | None
    tags: frozenset[ThemeTag]
    given_at: datetime


def check_testimony(
    worked_well: str | None, could_be_better: str | None, given_at: datetime, now: datetime
) -> None:
    """Both halves are first-class, but a testimony says something, and not in the future."""
    if not (worked_well or "").strip() and not (could_be_better or "").strip():
        raise InvalidFeedback(
            "a testimony says what worked well or what could have been better", ("worked_well",)
        )
    if given_at > now:
        raise InvalidFeedback("given_at is in the future", ("given_at",))
