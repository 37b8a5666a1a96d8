"""The panels service's settings (environment variables; service fields start with panels_)."""

from datetime import time, timedelta

from pydantic import Field, field_validator

from vfp_panels.domain.dates import Cadence
from vfp_panels.domain.policy import PanelPolicy
from vfp_shared.settings import ServiceSettings


class PanelsSettings(ServiceSettings):  # type: ignore[misc, unused-ignore]
    http_port: int = 8002
    # Each of these commissioned services gets a timeslot at every panel.
    panels_commissioned_service_refs: list[str] = [
        "svc-sexual-offences",
        "svc-domestic-abuse",
        "svc-victim-support",
    ]
    # Twice a year by default; must divide 12.
    panels_per_year: int = Field(default=2, ge=1, le=12)
    panels_default_minutes: int = Field(default=180, ge=30)
    panels_default_start: time = time(10, 0)
    panels_first_lead_days: int = Field(default=56, ge=0)
    # A withdrawal this many days before a panel (or less) raises an alert on it.
    panels_near_days: int = Field(default=14, ge=0)

    @field_validator("panels_per_year")
    @classmethod
    def _divides_the_year(cls, value: int) -> int:
        if 12 % value:
            raise ValueError("panels per year must divide 12 (1, 2, 3, 4, 6 or 12)")
        return value

    def policy(self) -> PanelPolicy:
        return PanelPolicy(
            commissioned_service_refs=tuple(self.panels_commissioned_service_refs),
            cadence=Cadence(
                per_year=self.panels_per_year,
                minutes=self.panels_default_minutes,
                start_time=self.panels_default_start,
                first_lead=timedelta(days=self.panels_first_lead_days),
            ),
            near=timedelta(days=self.panels_near_days),
        )
