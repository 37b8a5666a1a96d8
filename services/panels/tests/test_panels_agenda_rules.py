"""Each check an agenda passes before it is published, holding and broken (pure domain)."""

from dataclasses import replace
from datetime import UTC, datetime

from vfp_panels.domain import agenda_rules as rules
from vfp_panels.domain.agenda import AgendaItem
from vfp_panels.domain.agenda_rules import AgendaFacts, broken_rules
from vfp_panels.domain.consent import Consent
from vfp_panels.domain.errors import BrokenRule
from vfp_shared.contracts.panels.vocabulary import AgendaItemKind as Kind
from vfp_shared.contracts.vocabulary import ContactRoute, FocusTheme, ParticipationMode

SERVICES = ("svc-sexual-offences", "svc-domestic-abuse", "svc-victim-support")
THEME = FocusTheme.STALKING_AND_HARASSMENT


def consent(
    ref: str,
    mode: ParticipationMode = ParticipationMode.LIVE,
    themes: tuple[FocusTheme, ...] = (THEME,),
) -> Consent:
    return Consent(
        ref,
        mode,
        themes,
        ContactRoute.SUPPORT_WORKER,
        "sw-1",
        "svc-domestic-abuse",
        datetime(2026, 1, 1, tzinfo=UTC),
    )


def case_study(
    ref: str,
    mode: ParticipationMode = ParticipationMode.LIVE,
    media_ref: str | None = None,
    minutes: int = 20,
) -> AgendaItem:
    return AgendaItem(Kind.CASE_STUDY, minutes, participant_ref=ref, mode=mode, media_ref=media_ref)


def agenda(*studies: AgendaItem) -> list[AgendaItem]:
    return [
        AgendaItem(Kind.OPENING, 10),
        *studies,
        *(AgendaItem(Kind.SERVICE_SLOT, 10, service_ref=s) for s in SERVICES),
        AgendaItem(Kind.QUESTIONS, 30),
        AgendaItem(Kind.RECOGNITION, 10),
        AgendaItem(Kind.CLOSE, 5),
    ]


def facts(items: list[AgendaItem], **changes: object) -> AgendaFacts:
    base = AgendaFacts(
        items=items,
        event_minutes=180,
        themes=[THEME],
        case_study_capacity=3,
        commissioned_service_refs=SERVICES,
        consents={"v-1": consent("v-1"), "v-2": consent("v-2")},
        invited_participant_refs=frozenset(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def names(found: list[BrokenRule]) -> set[str]:
    return {b.rule for b in found}


def test_a_complete_agenda_breaks_no_rule() -> None:
    assert broken_rules(facts(agenda(case_study("v-1"), case_study("v-2")))) == []


def test_an_agenda_longer_than_the_event_does_not_fit() -> None:
    items = agenda(case_study("v-1", minutes=100))
    assert rules.fits_the_event_length(facts(items, event_minutes=120))
    assert not rules.fits_the_event_length(facts(items, event_minutes=195))


def test_every_commissioned_service_needs_its_slot() -> None:
    items = [i for i in agenda() if i.service_ref != "svc-domestic-abuse"]
    assert rules.every_commissioned_service_has_its_slot(facts(items)) == [
        "no timeslot for svc-domestic-abuse"
    ]


def test_each_commissioned_service_has_exactly_one_slot_and_no_one_else_has_one() -> None:
    twice = [*agenda(), AgendaItem(Kind.SERVICE_SLOT, 10, service_ref="svc-domestic-abuse")]
    stranger = [*agenda(), AgendaItem(Kind.SERVICE_SLOT, 10, service_ref="svc-unknown")]
    assert rules.every_commissioned_service_has_its_slot(facts(twice)) == [
        "2 timeslots for svc-domestic-abuse; each service has one"
    ]
    assert rules.every_commissioned_service_has_its_slot(facts(stranger)) == [
        "svc-unknown has a timeslot but is not a commissioned service"
    ]
    assert rules.every_commissioned_service_has_its_slot(facts(agenda())) == []


def test_the_commissioned_services_come_from_the_configuration() -> None:
    items = agenda()
    assert rules.every_commissioned_service_has_its_slot(
        facts(items, commissioned_service_refs=(*SERVICES, "svc-hate-crime"))
    ) == ["no timeslot for svc-hate-crime"]


def test_a_case_study_mode_must_match_the_victims_consent() -> None:
    camera_off = facts(agenda(case_study("v-1", ParticipationMode.LIVE_CAMERA_OFF)))
    assert rules.case_study_modes_match_consent(camera_off) == [
        "v-1 consented to live, not live_camera_off"
    ]


def test_a_case_study_without_consent_on_record_breaks_the_consent_rule() -> None:
    assert rules.case_study_modes_match_consent(facts(agenda(case_study("v-unknown"))))


def test_a_case_study_must_match_one_of_the_panel_themes() -> None:
    other = {"v-1": consent("v-1", themes=(FocusTheme.MINORITY_COMMUNITIES,))}
    assert rules.case_studies_match_the_panel_themes(
        facts(agenda(case_study("v-1")), consents=other)
    )


def test_a_pre_recorded_item_needs_its_recording() -> None:
    recorded = {"v-1": consent("v-1", ParticipationMode.PRE_RECORDED)}
    without = facts(
        agenda(case_study("v-1", ParticipationMode.PRE_RECORDED)),
        consents=recorded,
        invited_participant_refs=frozenset({"v-1"}),
    )
    with_media = facts(
        agenda(case_study("v-1", ParticipationMode.PRE_RECORDED, media_ref="media-9")),
        consents=recorded,
        invited_participant_refs=frozenset({"v-1"}),
    )
    assert names(broken_rules(without)) == {"pre_recorded_items_have_their_recording"}
    assert broken_rules(with_media) == []


def test_a_victim_who_pre_recorded_is_still_invited() -> None:
    recorded = {"v-1": consent("v-1", ParticipationMode.PRE_RECORDED)}
    items = agenda(case_study("v-1", ParticipationMode.PRE_RECORDED, media_ref="media-9"))
    assert names(broken_rules(facts(items, consents=recorded))) == {
        "pre_recorded_victims_are_still_invited"
    }


def test_case_studies_stay_within_the_panels_capacity() -> None:
    items = agenda(case_study("v-1"), case_study("v-2"))
    assert rules.case_studies_within_capacity(facts(items, case_study_capacity=1)) == [
        "2 case studies; the panel has room for 1"
    ]
    assert rules.case_studies_within_capacity(facts(items, case_study_capacity=2)) == []


def test_the_agenda_opens_and_closes_around_questions_and_recognition() -> None:
    items = [i for i in agenda() if i.kind not in (Kind.QUESTIONS, Kind.OPENING)]
    assert rules.opens_and_closes_around_questions_and_recognition(facts(items)) == [
        "the agenda starts with the opening",
        "the agenda has an in-depth Q&A",
    ]


def test_every_broken_rule_is_reported_by_name() -> None:
    items = [
        AgendaItem(Kind.CASE_STUDY, 500, participant_ref="v-x", mode=ParticipationMode.PRE_RECORDED)
    ] * 4
    assert names(broken_rules(facts(items, case_study_capacity=3))) == {
        "fits_the_event_length",
        "every_commissioned_service_has_its_slot",
        "case_study_modes_match_consent",
        "pre_recorded_items_have_their_recording",
        "pre_recorded_victims_are_still_invited",
        "case_studies_within_capacity",
        "opens_and_closes_around_questions_and_recognition",
    }
