"""The notifications service's settings (environment variables, e.g. NOTIFICATIONS_SMTP_HOST)."""

from pydantic import Field

from vfp_shared.bus.relay import KEEP_INBOX_DAYS
from vfp_shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    http_port: int = 8004

    # Email over SMTP (the default channel).
    notifications_smtp_host: str = "127.0.0.1"
    notifications_smtp_port: int = 1025
    notifications_smtp_starttls: bool = False
    notifications_smtp_username: str | None = None
    notifications_smtp_password: str | None = None
    notifications_smtp_timeout_s: float = Field(default=10.0, gt=0)
    notifications_mail_from: str = "Victim Feedback Panel <vfp-notifications@force.example>"

    # GOV.UK Notify: enabled when an API key is set (`name-<service uuid>-<secret uuid>`).
    notifications_notify_api_key: str | None = None
    notifications_notify_base_url: str = "https://api.notifications.service.gov.uk"
    # A Notify email template with ((subject)) and ((body)) placeholders.
    notifications_notify_template_id: str = "00000000-0000-0000-0000-000000000000"

    # Signed outbound webhooks (Standard Webhooks): enabled when a `whsec_...` secret is set.
    notifications_webhook_secret: str | None = None
    notifications_http_timeout_s: float = Field(default=10.0, gt=0)

    # Quiet hours for person-facing email (SMTP and Notify): non-urgent sends wait until the end.
    notifications_quiet_hours_enabled: bool = True
    notifications_quiet_hours_start: str = "21:00"
    notifications_quiet_hours_end: str = "07:00"
    notifications_timezone: str = "Europe/London"
    notifications_urgent_templates: list[str] = []
    # At most this many sends to one recipient per rolling hour; the rest are deferred.
    notifications_rate_limit_per_hour: int = Field(default=20, ge=1)

    # Retries of transient failures: base * 2^(attempt-1), capped; then a permanent failure.
    notifications_max_attempts: int = Field(default=6, ge=1)
    notifications_retry_base_s: float = Field(default=30.0, gt=0)
    notifications_retry_max_s: float = Field(default=3600.0, gt=0)

    # The dispatcher: how often it looks for due sends, how many it claims, how long a claim holds.
    notifications_dispatch_poll_s: float = Field(default=1.0, gt=0)
    notifications_dispatch_batch_size: int = Field(default=50, ge=1)
    notifications_claim_lease_s: float = Field(default=300.0, gt=0)

    # The retention purge (service_layer/retention.py): finished sends and participant records
    # unchanged for this long are deleted. Never shorter than the inbox remembers event ids: a
    # withdrawal's tombstone must outlast any redelivery of an event about that victim.
    notifications_retention_days: int = Field(default=730, ge=KEEP_INBOX_DAYS)
    # ... by a timer this often (seconds; 0 = only by POST /retention/purge).
    notifications_retention_sweep_interval_s: float = Field(default=3600.0, ge=0)

    # Links put in messages.
    notifications_portal_url: str = "https://vfp.force.example"
    notifications_recording_url: str = "https://vfp.force.example/recordings/{recording_ref}"
    notifications_survey_url: str = "https://vfp.force.example/panels/{panel_ref}/survey"
