from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("panels.panel-cancelled", version=1, key="panel_ref")
class PanelCancelledV1(Contract):
    panel_ref: str
    reason_code: str
    cancelled_at: datetime
