"""Builders of the events this service consumes, with fresh refs so tests can rerun."""

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from vfp_shared.contracts import (
    ActionCompletedV1,
    ActionRaisedV1,
    CandidateExcludedV1,
    CandidateIdentifiedV1,
    CaseStudySharedV1,
    ConsentGivenV1,
    ConsentWithdrawnV1,
    EndorsementRequestedV1,
    PanelHeldV1,
    PanelScheduledV1,
    ParticipantInvitedV1,
    ParticipantRemovedV1,
    RecognitionAwardedV1,
)
from vfp_shared.contracts.panels.vocabulary import InviteeKind, PanelFormat
from vfp_shared.contracts.vocabulary import (
    CandidateSource,
    ConsentScope,
    ContactRoute,
    FocusTheme,
    ParticipationMode,
)

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def ref(kind: str) -> str:
    return f"{kind}-{uuid4().hex[:12]}"


def candidate_identified(**changes: object) -> CandidateIdentifiedV1:
    values: dict[str, object] = {
        "participant_ref": ref("victim"),
        "themes": [FocusTheme.STALKING_AND_HARASSMENT],
        "source": CandidateSource.FORCE_CASE,
        "contact_route": ContactRoute.OFFICER_IN_CASE,
        "supporter_ref": ref("oic"),
        "policy_version": "test",
        "identified_at": NOW,
    }
    return CandidateIdentifiedV1.model_validate({**values, **changes})


def invited(**changes: object) -> ParticipantInvitedV1:
    values: dict[str, object] = {
        "invitation_ref": ref("invitation"),
        "panel_ref": ref("panel"),
        "invitee_kind": InviteeKind.STAFF_AUDIENCE,
        "recipient_ref": ref("staff"),
        "title": "Spring Victim Feedback Panel",
        "starts_at": NOW + timedelta(days=30),
        "ends_at": NOW + timedelta(days=30, hours=2),
        "format": PanelFormat.ONLINE,
        "location": "https://meet.force.example/vfp-spring",
    }
    return ParticipantInvitedV1.model_validate({**values, **changes})


def victim_invited(**changes: object) -> ParticipantInvitedV1:
    return invited(
        **{
            "invitee_kind": InviteeKind.VICTIM,
            "recipient_ref": None,
            "participant_ref": ref("victim"),
            "contact_route": ContactRoute.SUPPORT_WORKER,
            "supporter_ref": ref("isva"),
            **changes,
        }
    )


def participant_removed(**changes: object) -> ParticipantRemovedV1:
    values: dict[str, object] = {
        "panel_ref": ref("panel"),
        "participant_ref": ref("victim"),
        "reason_code": "consent_withdrawn",
        "removed_at": NOW,
    }
    return ParticipantRemovedV1.model_validate({**values, **changes})


def panel_scheduled(**changes: object) -> PanelScheduledV1:
    values: dict[str, object] = {
        "panel_ref": ref("panel"),
        "title": "Spring Victim Feedback Panel",
        "starts_at": NOW + timedelta(days=30),
        "ends_at": NOW + timedelta(days=30, hours=2),
        "format": PanelFormat.ONLINE,
        "themes": [FocusTheme.VIOLENCE_AGAINST_WOMEN_AND_GIRLS],
        "lead_ref": ref("di"),
        "command_area_refs": [ref("north"), ref("south")],
        "organisation_refs": [ref("cps"), ref("service")],
    }
    return PanelScheduledV1.model_validate({**values, **changes})


def panel_held(**changes: object) -> PanelHeldV1:
    values: dict[str, object] = {
        "panel_ref": ref("panel"),
        "title": "Spring Victim Feedback Panel",
        "held_at": NOW,
        "recording_ref": ref("recording"),
        "attendee_refs": [ref("staff"), ref("staff")],
    }
    return PanelHeldV1.model_validate({**values, **changes})


def case_study_shared(**changes: object) -> CaseStudySharedV1:
    values: dict[str, object] = {
        "case_study_ref": ref("case-study"),
        "panel_ref": ref("panel"),
        "team_refs": [ref("team"), ref("team")],
        "shared_at": NOW,
    }
    return CaseStudySharedV1.model_validate({**values, **changes})


def recognition(**changes: object) -> RecognitionAwardedV1:
    values: dict[str, object] = {
        "recognition_ref": ref("recognition"),
        "recipient_kind": "officer",
        "recipient_ref": ref("officer"),
        "line_manager_ref": ref("sergeant"),
        "awarded_at": NOW,
    }
    return RecognitionAwardedV1.model_validate({**values, **changes})


def action_raised(**changes: object) -> ActionRaisedV1:
    values: dict[str, object] = {
        "action_ref": ref("action"),
        "title": "Update the stalking risk-assessment training",
        "owner_ref": ref("l-and-d"),
        "due_on": date(2026, 6, 30),
        "theme_code": "updates_on_investigation",
        "raised_at": NOW,
    }
    return ActionRaisedV1.model_validate({**values, **changes})


def endorsement_requested(**changes: object) -> EndorsementRequestedV1:
    values: dict[str, object] = {
        "endorsement_ref": ref("endorsement"),
        "subject": "The new victim update letter",
        "participant_ref": ref("victim"),
        "contact_route": ContactRoute.SUPPORT_WORKER,
        "supporter_ref": ref("isva"),
        "requested_at": NOW,
    }
    return EndorsementRequestedV1.model_validate({**values, **changes})


def action_completed(participant_refs: list[str], **changes: object) -> ActionCompletedV1:
    values: dict[str, object] = {
        "action_ref": ref("action"),
        "title": "Victims now get a named contact",
        "participant_refs": participant_refs,
        "completed_at": NOW,
    }
    return ActionCompletedV1.model_validate({**values, **changes})


def consent_given(
    participant_ref: str, supporter_ref: str | None, **changes: object
) -> ConsentGivenV1:
    values: dict[str, object] = {
        "participant_ref": participant_ref,
        "mode": ParticipationMode.LIVE_CAMERA_OFF,
        "scopes": [ConsentScope.TAKE_PART],
        "themes": [FocusTheme.STALKING_AND_HARASSMENT],
        "contact_route": ContactRoute.SUPPORT_WORKER,
        "supporter_ref": supporter_ref,
        "given_at": NOW,
    }
    return ConsentGivenV1.model_validate({**values, **changes})


def consent_withdrawn(participant_ref: str, at: datetime = NOW) -> ConsentWithdrawnV1:
    return ConsentWithdrawnV1(participant_ref=participant_ref, withdrawn_at=at)


def candidate_excluded(
    participant_ref: str, *reason_codes: str, at: datetime = NOW
) -> CandidateExcludedV1:
    return CandidateExcludedV1(
        participant_ref=participant_ref,
        reason_codes=list(reason_codes or ["complaint_open"]),
        policy_version="test",
        excluded_at=at,
    )
