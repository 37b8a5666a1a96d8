from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("feedback.theme-recurring", version=1, key="theme_code")
class ThemeRecurringV1(Contract):
    """A theme raised often enough, by enough distinct victims (k-anonymity), to be learning."""

    theme_code: str
    polarity: str
    victims_code_right: int | None = None
    testimony_count: int
    victim_count: int
    panel_count: int
    window_start: datetime
    window_end: datetime
