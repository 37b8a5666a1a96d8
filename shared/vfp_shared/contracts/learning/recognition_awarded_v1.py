from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("learning.recognition-awarded", version=1, key="recognition_ref")
class RecognitionAwardedV1(Contract):
    """Praise for staff, passed on under the victim's consent. Names the staff, never the victim."""

    recognition_ref: str
    recipient_kind: str
    recipient_ref: str
    line_manager_ref: str | None = None
    panel_ref: str | None = None
    awarded_at: datetime
