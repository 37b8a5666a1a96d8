"""The checks an agenda passes before it is published. Each is a named rule returning what it
found wrong (nothing when it holds); `broken_rules` runs them all so the lead sees every problem."""

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from vfp_panels.domain.agenda import AgendaItem
from vfp_panels.domain.consent import Consent
from vfp_panels.domain.errors import BrokenRule
from vfp_shared.contracts.panels.vocabulary import AgendaItemKind
from vfp_shared.contracts.vocabulary import FocusTheme, ParticipationMode


@dataclass(frozen=True)
class AgendaFacts:
    """Everything the rules look at, gathered by the service layer."""

    items: Sequence[AgendaItem]
    event_minutes: int
    themes: Sequence[FocusTheme]
    case_study_capacity: int
    commissioned_service_refs: Sequence[str]
    consents: Mapping[str, Consent]
    invited_participant_refs: frozenset[str]

    def case_studies(self) -> list[AgendaItem]:
        return [i for i in self.items if i.kind == AgendaItemKind.CASE_STUDY]


def fits_the_event_length(facts: AgendaFacts) -> list[str]:
    total = sum(item.minutes for item in facts.items)
    if total > facts.event_minutes:
        return [f"the items last {total} minutes; the event lasts {facts.event_minutes}"]
    return []


def every_commissioned_service_has_its_slot(facts: AgendaFacts) -> list[str]:
    """Exactly one timeslot per commissioned service, and none for anyone else."""
    slots = Counter(i.service_ref for i in facts.items if i.kind == AgendaItemKind.SERVICE_SLOT)
    found = []
    for service in facts.commissioned_service_refs:
        if slots[service] == 0:
            found.append(f"no timeslot for {service}")
        elif slots[service] > 1:
            found.append(f"{slots[service]} timeslots for {service}; each service has one")
    found += [
        f"{service} has a timeslot but is not a commissioned service"
        for service in slots
        if service not in facts.commissioned_service_refs
    ]
    return found


def case_study_modes_match_consent(facts: AgendaFacts) -> list[str]:
    found = []
    for item in facts.case_studies():
        assert item.participant_ref is not None
        consent = facts.consents.get(item.participant_ref)
        if consent is None:
            found.append(f"{item.participant_ref} has no consent on record")
        elif consent.mode != item.mode:
            found.append(f"{item.participant_ref} consented to {consent.mode}, not {item.mode}")
    return found


def case_studies_match_the_panel_themes(facts: AgendaFacts) -> list[str]:
    found = []
    for item in facts.case_studies():
        assert item.participant_ref is not None
        consent = facts.consents.get(item.participant_ref)
        if consent is not None and not set(consent.themes) & set(facts.themes):
            found.append(f"{item.participant_ref}'s case matches none of the panel's themes")
    return found


def pre_recorded_items_have_their_recording(facts: AgendaFacts) -> list[str]:
    return [
        f"{item.participant_ref}'s pre-recorded testimony has no media reference"
        for item in facts.case_studies()
        if item.mode == ParticipationMode.PRE_RECORDED and not item.media_ref
    ]


def pre_recorded_victims_are_still_invited(facts: AgendaFacts) -> list[str]:
    return [
        f"{item.participant_ref} pre-recorded their testimony but is not invited"
        for item in facts.case_studies()
        if item.mode == ParticipationMode.PRE_RECORDED
        and item.participant_ref not in facts.invited_participant_refs
    ]


def case_studies_within_capacity(facts: AgendaFacts) -> list[str]:
    count = len(facts.case_studies())
    if count > facts.case_study_capacity:
        return [f"{count} case studies; the panel has room for {facts.case_study_capacity}"]
    return []


def opens_and_closes_around_questions_and_recognition(facts: AgendaFacts) -> list[str]:
    kinds = [item.kind for item in facts.items]
    found = []
    if not kinds or kinds[0] != AgendaItemKind.OPENING:
        found.append("the agenda starts with the opening")
    if not kinds or kinds[-1] != AgendaItemKind.CLOSE:
        found.append("the agenda ends with the close")
    if AgendaItemKind.QUESTIONS not in kinds:
        found.append("the agenda has an in-depth Q&A")
    if AgendaItemKind.RECOGNITION not in kinds:
        found.append("the agenda has a recognition item")
    return found


Rule = Callable[[AgendaFacts], list[str]]

RULES: tuple[Rule, ...] = (
    fits_the_event_length,
    every_commissioned_service_has_its_slot,
    case_study_modes_match_consent,
    case_studies_match_the_panel_themes,
    pre_recorded_items_have_their_recording,
    pre_recorded_victims_are_still_invited,
    case_studies_within_capacity,
    opens_and_closes_around_questions_and_recognition,
)


def broken_rules(facts: AgendaFacts) -> list[BrokenRule]:
    return [BrokenRule(rule.__name__, message) for rule in RULES for message in rule(facts)]
