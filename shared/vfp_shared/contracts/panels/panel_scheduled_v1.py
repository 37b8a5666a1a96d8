from datetime import datetime

from vfp_shared.contracts.base import Contract, event
from vfp_shared.contracts.panels.vocabulary import PanelFormat
from vfp_shared.contracts.vocabulary import FocusTheme


@event("panels.panel-scheduled", version=1, key="panel_ref")
class PanelScheduledV1(Contract):
    panel_ref: str
    title: str
    starts_at: datetime
    ends_at: datetime
    format: PanelFormat
    themes: list[FocusTheme]
    lead_ref: str
    command_area_refs: list[str] = []
    organisation_refs: list[str] = []
