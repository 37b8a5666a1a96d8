from datetime import datetime

from vfp_shared.contracts.base import Contract, event


@event("feedback.case-study-shared", version=1, key="case_study_ref")
class CaseStudySharedV1(Contract):
    """A case-study write-up is ready for the named teams (the text stays in the service)."""

    case_study_ref: str
    panel_ref: str | None = None
    team_refs: list[str]
    shared_at: datetime
