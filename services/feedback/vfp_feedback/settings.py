"""The feedback service's settings: the platform's, plus its own (prefixed ``feedback_``)."""

from pydantic import Field

from vfp_shared.settings import ServiceSettings


# vfp_shared ships no py.typed, so mypy sees it as Any here.
class FeedbackSettings(ServiceSettings):  # type: ignore[misc, unused-ignore]
    http_port: int = 8003
    # A theme (with polarity) recurs when raised in at least this many testimonies ...
    feedback_recurring_min_testimonies: int = Field(default=3, ge=1)
    # ... spread over at least this many panels ...
    feedback_recurring_min_panels: int = Field(default=2, ge=1)
    # ... within this rolling window (days); a theme/polarity is published once per window.
    feedback_recurring_window_days: int = Field(default=365, ge=1)
    # k-anonymity: no aggregate is published (event or report) with fewer distinct victims.
    feedback_k_anonymity: int = Field(default=3, ge=1)
    # Retention: testimonies (with tags), case studies, endorsements, recognition messages and
    # survey free text recorded longer ago than this are purged (service_layer/retention.py) ...
    feedback_retention_days: int = Field(default=730, ge=1)
    # ... by a timer this often (seconds; 0 = only by POST /retention/purge).
    feedback_retention_sweep_interval_s: float = Field(default=3600.0, ge=0)
