"""Words of the panels' contracts."""

from enum import StrEnum


class PanelFormat(StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"


class InviteeKind(StrEnum):
    VICTIM = "victim"
    STAFF_AUDIENCE = "staff_audience"
    CPS = "cps"
    PARTNER = "partner"
    SUPPORT_SERVICE = "support_service"


class AgendaItemKind(StrEnum):
    OPENING = "opening"
    CASE_STUDY = "case_study"
    SERVICE_SLOT = "service_slot"
    QUESTIONS = "questions"
    RECOGNITION = "recognition"
    CLOSE = "close"
