"""The force's choices for its panels (from the settings), handed to the service layer."""

from dataclasses import dataclass
from datetime import timedelta

from vfp_panels.domain.dates import Cadence


@dataclass(frozen=True)
class PanelPolicy:
    # Each commissioned service gets a timeslot at every panel.
    commissioned_service_refs: tuple[str, ...]
    cadence: Cadence
    # A withdrawal this close to a panel raises an alert on it for the coordinators.
    near: timedelta
