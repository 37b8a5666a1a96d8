"""The panel's lifecycle, agenda, withdrawal, exclusion and attendance (pure domain, time
passed in)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vfp_panels.domain.agenda import AgendaItem
from vfp_panels.domain.agenda_rules import AgendaFacts
from vfp_panels.domain.attendance import Attendee, summarise
from vfp_panels.domain.consent import Consent, counts
from vfp_panels.domain.errors import (
    AgendaDoesNotFit,
    AttendanceClosed,
    IllegalTransition,
    Invalid,
    NotYetStarted,
    RegistrationClosed,
)
from vfp_panels.domain.events import AgendaPublished, PanelHeld, PanelScheduled, ParticipantRemoved
from vfp_panels.domain.invitations import invite_victim
from vfp_panels.domain.model import Panel, PanelStatus
from vfp_shared.contracts.panels.vocabulary import AgendaItemKind as Kind
from vfp_shared.contracts.panels.vocabulary import PanelFormat
from vfp_shared.contracts.vocabulary import ContactRoute, FocusTheme, ParticipationMode

STARTS = datetime(2027, 5, 12, 10, tzinfo=UTC)
NEAR = timedelta(days=14)


def a_panel(**changes: Any) -> Panel:
    details: dict[str, Any] = {
        "ref": "panel-1",
        "organisation": "force-1",
        "title": "Spring panel",
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=3),
        "format": PanelFormat.ONLINE,
        "meeting_link": "https://meet.example.org/x",
        "themes": [FocusTheme.STALKING_AND_HARASSMENT],
        "lead_ref": "di-1",
        "case_study_capacity": 2,
    }
    details.update(changes)
    return Panel(**details)


def live(ref: str) -> AgendaItem:
    return AgendaItem(Kind.CASE_STUDY, 20, participant_ref=ref, mode=ParticipationMode.LIVE)


def test_each_format_needs_where_to_go() -> None:
    with pytest.raises(Invalid) as online:
        a_panel(meeting_link=None)
    with pytest.raises(Invalid) as in_person:
        a_panel(format=PanelFormat.IN_PERSON)
    with pytest.raises(Invalid) as hybrid:
        a_panel(format=PanelFormat.HYBRID, meeting_link=None, venue="HQ")
    assert (online.value.loc, in_person.value.loc, hybrid.value.loc) == (
        ("body", "meeting_link"),
        ("body", "venue"),
        ("body", "meeting_link"),
    )
    assert a_panel(format=PanelFormat.HYBRID, venue="HQ").location == (
        "HQ / https://meet.example.org/x"
    )


def test_a_panel_ends_after_it_starts() -> None:
    with pytest.raises(Invalid):
        a_panel(ends_at=STARTS)


def test_draft_to_scheduled_to_held_to_closed() -> None:
    panel = a_panel()
    panel.schedule()
    panel.mark_held("rec-1", summarise([]), STARTS + timedelta(hours=3))
    panel.close()
    assert panel.status == PanelStatus.CLOSED
    assert [type(e) for e in panel.events] == [PanelScheduled, PanelHeld]


def test_a_held_panel_cannot_be_cancelled_or_scheduled_again() -> None:
    panel = a_panel()
    panel.schedule()
    panel.mark_held("rec-1", summarise([]), STARTS)
    with pytest.raises(IllegalTransition):
        panel.cancel("operational_demand", STARTS)
    with pytest.raises(IllegalTransition):
        panel.schedule()


def test_a_panel_is_not_held_before_it_starts() -> None:
    panel = a_panel()
    panel.schedule()
    with pytest.raises(NotYetStarted):
        panel.mark_held("rec-1", summarise([]), STARTS - timedelta(minutes=1))


def test_a_draft_panel_is_not_held() -> None:
    with pytest.raises(IllegalTransition):
        a_panel().mark_held("rec-1", summarise([]), STARTS)


def test_registration_closes_when_the_panel_starts() -> None:
    panel = a_panel()
    with pytest.raises(IllegalTransition):
        panel.check_open_for_registration(STARTS - timedelta(days=1))
    panel.schedule()
    panel.check_open_for_registration(STARTS - timedelta(days=1))
    with pytest.raises(RegistrationClosed):
        panel.check_open_for_registration(STARTS)


def test_a_cancelled_panel_keeps_its_reason() -> None:
    panel = a_panel()
    panel.cancel("too_few_participants", STARTS - timedelta(days=30))
    assert (panel.status, panel.cancel_reason_code) == (
        PanelStatus.CANCELLED,
        "too_few_participants",
    )


def test_agenda_items_carry_what_their_kind_needs() -> None:
    panel = a_panel()
    consented = {"v-1"}
    with pytest.raises(Invalid) as no_mode:
        panel.replace_agenda([AgendaItem(Kind.CASE_STUDY, 20, participant_ref="v-1")], consented)
    with pytest.raises(Invalid) as no_service:
        panel.replace_agenda(
            [AgendaItem(Kind.OPENING, 5), AgendaItem(Kind.SERVICE_SLOT, 10)], consented
        )
    with pytest.raises(Invalid) as twice:
        panel.replace_agenda([live("v-1"), live("v-1")], consented)
    assert no_mode.value.loc == ("body", "items", 0, "participant_ref")
    assert no_service.value.loc == ("body", "items", 1, "service_ref")
    assert twice.value.loc == ("body", "items", 1, "participant_ref")


def test_a_case_study_names_a_victim_in_the_pool() -> None:
    panel = a_panel()
    with pytest.raises(Invalid) as not_in_pool:
        panel.replace_agenda([AgendaItem(Kind.OPENING, 5), live("v-1"), live("v-2")], {"v-1"})
    assert not_in_pool.value.loc == ("body", "items", 2, "participant_ref")
    assert panel.agenda == []


def test_a_new_agenda_must_be_published_again() -> None:
    panel = a_panel(agenda_published_at=STARTS - timedelta(days=20))
    panel.replace_agenda([live("v-1")], {"v-1"})
    assert panel.agenda_published_at is None


def test_a_withdrawal_near_the_panel_removes_the_case_study_and_alerts() -> None:
    panel = a_panel(status=PanelStatus.SCHEDULED, agenda=[live("v-1"), live("v-2")])
    panel.remove_participant("v-1", "consent_withdrawn", STARTS - timedelta(days=3), NEAR, "a-1")
    assert [i.participant_ref for i in panel.agenda] == ["v-2"]
    assert [a.ref for a in panel.alerts] == ["a-1"]
    assert panel.events == [
        ParticipantRemoved("panel-1", "v-1", "consent_withdrawn", STARTS - timedelta(days=3))
    ]


def test_a_withdrawal_well_before_the_panel_raises_no_alert() -> None:
    panel = a_panel(status=PanelStatus.SCHEDULED, agenda=[live("v-1")])
    panel.remove_participant("v-1", "consent_withdrawn", STARTS - timedelta(days=60), NEAR, "a-1")
    assert panel.agenda == [] and panel.alerts == []
    assert [type(e) for e in panel.events] == [ParticipantRemoved]


def test_a_withdrawal_erases_a_held_panels_case_study_without_announcing_it() -> None:
    panel = a_panel(status=PanelStatus.HELD, agenda=[live("v-1")])
    panel.remove_participant("v-1", "consent_withdrawn", STARTS, NEAR, "a-1")
    assert panel.agenda == [] and panel.events == [] and panel.alerts == []


def test_an_exclusion_takes_the_case_study_off_a_coming_panel_and_alerts_a_near_one() -> None:
    panel = a_panel(status=PanelStatus.SCHEDULED, agenda=[live("v-1"), live("v-2")])
    panel.exclude_participant("v-1", STARTS - timedelta(days=3), NEAR, "a-1")
    assert [i.participant_ref for i in panel.agenda] == ["v-2"]
    assert [(a.ref, a.kind) for a in panel.alerts] == [("a-1", "participant_excluded")]
    assert panel.events == [
        ParticipantRemoved("panel-1", "v-1", "candidate_excluded", STARTS - timedelta(days=3))
    ]


def test_an_exclusion_leaves_a_held_panel_as_it_was() -> None:
    panel = a_panel(status=PanelStatus.HELD, agenda=[live("v-1")])
    panel.exclude_participant("v-1", STARTS, NEAR, "a-1")
    assert panel.agenda == [live("v-1")] and panel.events == [] and panel.alerts == []


def test_only_a_consent_given_after_the_latest_withdrawal_or_exclusion_counts() -> None:
    consent = Consent(
        participant_ref="v-1",
        mode=ParticipationMode.LIVE,
        themes=(FocusTheme.STALKING_AND_HARASSMENT,),
        contact_route=ContactRoute.SUPPORT_WORKER,
        supporter_ref="sw-1",
        support_service_ref=None,
        given_at=STARTS,
    )
    assert counts(consent, None)
    assert counts(consent, STARTS - timedelta(seconds=1))
    assert not counts(consent, STARTS)
    assert not counts(consent, STARTS + timedelta(days=1))


def test_an_alert_is_acknowledged_once() -> None:
    panel = a_panel(status=PanelStatus.SCHEDULED, agenda=[live("v-1")])
    panel.remove_participant("v-1", "consent_withdrawn", STARTS, NEAR, "a-1")
    first = panel.acknowledge("a-1", "coord-1", STARTS)
    again = panel.acknowledge("a-1", "coord-2", STARTS + timedelta(hours=1))
    assert again is first and first is not None and first.acknowledged_by == "coord-1"
    assert panel.acknowledge("a-unknown", "coord-1", STARTS) is None


def test_attendance_is_counted_by_command_area_role_and_organisation() -> None:
    summary = summarise(
        [
            Attendee("s-2", "north", "sergeant", "force-1"),
            Attendee("s-1", "north", "constable", "force-1"),
            Attendee("c-1", None, "lawyer", "cps"),
        ]
    )
    assert summary.attendee_refs == ("c-1", "s-1", "s-2")
    assert summary.by_command_area == {"unknown": 1, "north": 2}
    assert summary.by_role == {"lawyer": 1, "constable": 1, "sergeant": 1}
    assert summary.by_organisation == {"cps": 1, "force-1": 2}


def test_publishing_the_same_agenda_twice_announces_it_once() -> None:
    standard = [AgendaItem(k, 5) for k in (Kind.OPENING, Kind.QUESTIONS, Kind.RECOGNITION)]
    panel = a_panel(status=PanelStatus.SCHEDULED, agenda=[*standard, AgendaItem(Kind.CLOSE, 5)])
    ready = AgendaFacts(panel.agenda, panel.minutes, panel.themes, 2, (), {}, frozenset())
    panel.publish_agenda(ready, STARTS - timedelta(days=9))
    panel.publish_agenda(ready, STARTS - timedelta(days=8))
    assert panel.agenda_published_at == STARTS - timedelta(days=9)
    assert [type(e) for e in panel.events] == [AgendaPublished]


def test_a_scheduled_panel_moved_is_announced_again() -> None:
    panel = a_panel()
    panel.move_to(STARTS + timedelta(days=1), STARTS + timedelta(days=1, hours=2))
    assert panel.events == []
    panel.schedule()
    panel.move_to(STARTS + timedelta(days=2), STARTS + timedelta(days=2, hours=2))
    assert [e.starts_at for e in panel.events if isinstance(e, PanelScheduled)] == [
        STARTS + timedelta(days=1),
        STARTS + timedelta(days=2),
    ]


def test_a_panel_with_a_published_agenda_is_not_moved_into_less_time_than_it_takes() -> None:
    agenda = [live("v-1"), live("v-2")]  # 40 minutes
    panel = a_panel(status=PanelStatus.SCHEDULED, agenda=agenda, agenda_published_at=STARTS)
    with pytest.raises(AgendaDoesNotFit) as refused:
        panel.move_to(STARTS, STARTS + timedelta(minutes=39))
    assert "40 minutes" in str(refused.value)
    panel.move_to(STARTS + timedelta(days=1), STARTS + timedelta(days=1, minutes=40))
    assert panel.minutes == 40
    draft_agenda = a_panel(agenda=agenda)  # checked when it is published
    draft_agenda.move_to(STARTS, STARTS + timedelta(minutes=30))


def test_attendance_is_recorded_once_started_and_until_marked_held() -> None:
    panel = a_panel()
    panel.schedule()
    with pytest.raises(NotYetStarted):
        panel.check_attendance_recordable(STARTS - timedelta(minutes=1))
    panel.check_attendance_recordable(STARTS)
    panel.mark_held("rec-1", summarise([]), STARTS + timedelta(hours=3))
    with pytest.raises(AttendanceClosed) as closed:
        panel.check_attendance_recordable(STARTS + timedelta(hours=4))
    assert "held" in str(closed.value)
    panel.close()
    with pytest.raises(IllegalTransition):
        panel.check_attendance_recordable(STARTS + timedelta(days=1))


def test_a_victim_is_invited_through_their_supporter_never_direct() -> None:
    def consent(route: ContactRoute, supporter: str | None) -> Consent:
        return Consent("v-1", ParticipationMode.LIVE, (), route, supporter, None, STARTS)

    invitation = invite_victim(
        "inv-1", "panel-1", consent(ContactRoute.OFFICER_IN_CASE, "oic-4"), STARTS
    )
    assert (invitation.contact_route, invitation.supporter_ref) == (
        ContactRoute.OFFICER_IN_CASE,
        "oic-4",
    )
    for route, supporter in ((ContactRoute.DIRECT, None), (ContactRoute.SUPPORT_WORKER, None)):
        with pytest.raises(Invalid):
            invite_victim("inv-2", "panel-1", consent(route, supporter), STARTS)
    with pytest.raises(Invalid):
        invite_victim("inv-3", "panel-1", None, STARTS)
