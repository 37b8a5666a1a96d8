"""Event contracts: one module per event type and version; importing this package registers all.

To add an event type: write a module beside its siblings with an ``@event(...)`` model, import it
below, run ``make contracts`` to snapshot its schema, and commit the snapshot.
"""

from vfp_shared.contracts.base import REGISTRY, Contract, UnknownTopic, contract_for
from vfp_shared.contracts.feedback.case_study_shared_v1 import CaseStudySharedV1
from vfp_shared.contracts.feedback.theme_recurring_v1 import ThemeRecurringV1
from vfp_shared.contracts.force.case_closed_v1 import CaseClosedV1
from vfp_shared.contracts.force.case_reopened_v1 import CaseReopenedV1
from vfp_shared.contracts.force.complaint_opened_v1 import ComplaintOpenedV1
from vfp_shared.contracts.force.complaint_resolved_v1 import ComplaintResolvedV1
from vfp_shared.contracts.learning.action_completed_v1 import ActionCompletedV1
from vfp_shared.contracts.learning.action_raised_v1 import ActionRaisedV1
from vfp_shared.contracts.learning.endorsement_recorded_v1 import EndorsementRecordedV1
from vfp_shared.contracts.learning.endorsement_requested_v1 import EndorsementRequestedV1
from vfp_shared.contracts.learning.recognition_awarded_v1 import RecognitionAwardedV1
from vfp_shared.contracts.notifications.delivery_failed_v1 import DeliveryFailedV1
from vfp_shared.contracts.notifications.sent_v1 import NotificationSentV1
from vfp_shared.contracts.panels.agenda_published_v1 import AgendaItemV1, AgendaPublishedV1
from vfp_shared.contracts.panels.panel_cancelled_v1 import PanelCancelledV1
from vfp_shared.contracts.panels.panel_held_v1 import PanelHeldV1
from vfp_shared.contracts.panels.panel_scheduled_v1 import PanelScheduledV1
from vfp_shared.contracts.panels.participant_invited_v1 import ParticipantInvitedV1
from vfp_shared.contracts.panels.participant_removed_v1 import ParticipantRemovedV1
from vfp_shared.contracts.participants.candidate_excluded_v1 import CandidateExcludedV1
from vfp_shared.contracts.participants.candidate_identified_v1 import CandidateIdentifiedV1
from vfp_shared.contracts.participants.consent_declined_v1 import ConsentDeclinedV1
from vfp_shared.contracts.participants.consent_given_v1 import ConsentGivenV1
from vfp_shared.contracts.participants.consent_withdrawn_v1 import ConsentWithdrawnV1
from vfp_shared.contracts.staff.victim_flagged_v1 import VictimFlaggedV1
from vfp_shared.contracts.support.client_nominated_v1 import ClientNominatedV1
from vfp_shared.contracts.support.referral_made_v1 import ReferralMadeV1

__all__ = [
    "REGISTRY",
    "ActionCompletedV1",
    "ActionRaisedV1",
    "AgendaItemV1",
    "AgendaPublishedV1",
    "CandidateExcludedV1",
    "CandidateIdentifiedV1",
    "CaseClosedV1",
    "CaseReopenedV1",
    "CaseStudySharedV1",
    "ClientNominatedV1",
    "ComplaintOpenedV1",
    "ComplaintResolvedV1",
    "ConsentDeclinedV1",
    "ConsentGivenV1",
    "ConsentWithdrawnV1",
    "Contract",
    "DeliveryFailedV1",
    "EndorsementRecordedV1",
    "EndorsementRequestedV1",
    "NotificationSentV1",
    "PanelCancelledV1",
    "PanelHeldV1",
    "PanelScheduledV1",
    "ParticipantInvitedV1",
    "ParticipantRemovedV1",
    "RecognitionAwardedV1",
    "ReferralMadeV1",
    "ThemeRecurringV1",
    "UnknownTopic",
    "VictimFlaggedV1",
    "contract_for",
]
