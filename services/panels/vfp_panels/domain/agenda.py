"""Agenda items: opening, victim case studies, a slot per commissioned service, the in-depth
Q&A, recognition and close, each with its duration in minutes."""

from dataclasses import dataclass

from vfp_panels.domain.errors import Invalid
from vfp_shared.contracts.panels.vocabulary import AgendaItemKind
from vfp_shared.contracts.vocabulary import ParticipationMode


@dataclass(frozen=True)
class AgendaItem:
    kind: AgendaItemKind
    minutes: int
    participant_ref: str | None = None
    service_ref: str | None = None
    mode: ParticipationMode | None = None
    # Where a pre-recorded testimony is kept (a reference, never the media itself).
    media_ref: str | None = None


def check_item(position: int, item: AgendaItem) -> None:
    """Each kind of agenda item carries exactly what it needs."""

    def invalid(name: str, message: str) -> Invalid:
        return Invalid(("body", "items", position, name), message)

    if item.minutes < 1:
        raise invalid("minutes", "an item lasts at least a minute")
    is_case_study = item.kind == AgendaItemKind.CASE_STUDY
    if is_case_study and (not item.participant_ref or item.mode is None):
        raise invalid("participant_ref", "a case study names its participant and mode")
    if not is_case_study and (item.participant_ref or item.mode or item.media_ref):
        raise invalid("participant_ref", "only a case study has a participant, mode or media")
    is_service_slot = item.kind == AgendaItemKind.SERVICE_SLOT
    if is_service_slot and not item.service_ref:
        raise invalid("service_ref", "a service slot names its commissioned service")
    if not is_service_slot and item.service_ref:
        raise invalid("service_ref", "only a service slot names a service")
