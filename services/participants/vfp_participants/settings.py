"""The participants service's settings (environment variables; service fields prefixed)."""

from pydantic import Field

from vfp_shared.contracts.vocabulary import FocusTheme
from vfp_shared.settings import ServiceSettings


# vfp_shared ships no py.typed, so mypy sees it as Any here.
class ParticipantsSettings(ServiceSettings):  # type: ignore[misc, unused-ignore]
    http_port: int = 8001
    # Screening policy: the label names it in every decision (with a digest of the values).
    participants_policy_label: str = "2026-1"
    participants_cooling_off_days: int = Field(default=28, ge=0)
    participants_contact_interval_days: int = Field(default=180, ge=0)
    participants_focus_themes: list[FocusTheme] = list(FocusTheme)
    # How often deferred candidates are re-screened; 0 turns the timer off (sweep by HTTP).
    participants_sweep_interval_s: float = Field(default=300.0, ge=0)
    # Declined, unanswered, excluded and withdrawn candidates unchanged for this long are erased
    # (by the sweep: the timer and POST /screening/sweep).
    participants_retention_days: int = Field(default=730, ge=1)
