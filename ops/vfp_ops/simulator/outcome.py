"""What a cycle found: each stage's outcome and the figures the stages collected."""

from dataclasses import dataclass, field
from typing import Any

STAGE_COUNT = 13


@dataclass(frozen=True)
class StageOutcome:
    name: str
    ok: bool
    detail: str
    seconds: float = 0.0


class StageFailed(Exception):
    """A stage found something other than what it expected."""


@dataclass
class CycleResult:
    run_id: str
    wall_s: float = 0.0
    events_published: int = 0
    later_events_published: int = 0
    candidates: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    excluded_by_reason: dict[str, int] = field(default_factory=dict)
    deferred_by_reason: dict[str, int] = field(default_factory=dict)
    showcase: dict[str, dict[str, Any]] = field(default_factory=dict)
    excluded_later: dict[str, list[str]] = field(default_factory=dict)
    child_consent_without_guardian_status: int | None = None
    consents: int = 0
    declines: int = 0
    consent_modes: dict[str, str] = field(default_factory=dict)
    panel_ref: str | None = None
    earlier_panel_ref: str | None = None
    next_panel_ref: str | None = None
    agenda_items: list[str] = field(default_factory=list)
    agenda_published: bool = False
    invitations: int = 0
    invitations_delivered: int = 0
    ics_summary: str | None = None
    ics_matches_panel: bool = False
    emails_in_mailbox: int | None = None
    emails_by_subject: dict[str, int] = field(default_factory=dict)
    registrations: int = 0
    attendees: int = 0
    survey_opened: bool = False
    survey_responses: int = 0
    testimonies: int = 0
    recurring_theme: str | None = None
    recurring_published: list[str] = field(default_factory=list)
    below_k_theme: str | None = None
    below_k_published: bool = False
    learning_events: dict[str, int] = field(default_factory=dict)
    you_said_we_did_sent: int = 0
    board_report_path: str | None = None
    board_report: dict[str, Any] = field(default_factory=dict)
    withdrawn_participant: str | None = None
    withdrawal_checks: dict[str, bool] = field(default_factory=dict)
    cancelled_notifications: int | None = None
    dead_letters: dict[str, int] = field(default_factory=dict)
    delivery_failures: dict[str, int] = field(default_factory=dict)
    trace_id: str | None = None
    trace_services: list[str] = field(default_factory=list)
    where_to_look: dict[str, str] = field(default_factory=dict)
    stages: list[StageOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return len(self.stages) == STAGE_COUNT and all(s.ok for s in self.stages)

    def stage(self, name: str) -> StageOutcome:
        return next(s for s in self.stages if s.name == name)
