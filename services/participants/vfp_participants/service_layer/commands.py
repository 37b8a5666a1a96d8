"""What the entry points ask of the service layer, in the domain's words."""

from dataclasses import dataclass
from datetime import datetime

from vfp_shared.contracts.vocabulary import AgeBand, FocusTheme, JusticeStatus


@dataclass(frozen=True)
class RecordCaseClosure:
    case_ref: str
    victim_ref: str
    oic_ref: str
    themes: frozenset[FocusTheme]
    justice_status: JusticeStatus
    closed_at: datetime
    age_band: AgeBand
    support_service_ref: str | None
    support_worker_ref: str | None
    safeguarding: bool


@dataclass(frozen=True)
class RecordCaseReopening:
    case_ref: str
    reopened_at: datetime


@dataclass(frozen=True)
class RecordComplaint:
    case_ref: str
    complaint_ref: str
    resolved: bool


@dataclass(frozen=True)
class NominateClient:
    victim_ref: str
    service_ref: str
    support_worker_ref: str
    age_band: AgeBand
    case_ref: str | None = None


@dataclass(frozen=True)
class FlagVictim:
    victim_ref: str
    case_ref: str
    flagged_by_ref: str
    team_ref: str | None = None


@dataclass(frozen=True)
class SelfRefer:
    """The one command that carries personal data: sealed before it is stored."""

    name: str
    email: str | None
    phone: str | None
    case_ref: str
    age_band: AgeBand
    themes: frozenset[FocusTheme]
