from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("panels.panel-held", version=1, key="panel_ref")
class PanelHeldV1(Contract):
    """The panel took place; starts the staff survey and the recording/survey messages."""

    panel_ref: str
    title: str
    held_at: datetime
    recording_ref: str
    attendee_refs: list[str]
    attendance_by_command_area: dict[str, int] = {}
    attendance_by_role: dict[str, int] = {}
    attendance_by_organisation: dict[str, int] = {}
