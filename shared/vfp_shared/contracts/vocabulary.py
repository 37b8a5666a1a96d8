"""Words shared by several contracts."""

from enum import StrEnum


class FocusTheme(StrEnum):
    """The focus themes a panel picks from; a candidate's case must match one."""

    SEXUAL_VIOLENCE_AND_DOMESTIC_ABUSE = "sexual_violence_and_domestic_abuse"
    VIOLENCE_AGAINST_WOMEN_AND_GIRLS = "violence_against_women_and_girls"
    MINORITY_COMMUNITIES = "minority_communities"
    STALKING_AND_HARASSMENT = "stalking_and_harassment"
    OTHER_HIGH_HARM = "other_high_harm"


class JusticeStatus(StrEnum):
    FINALISED = "finalised"
    PENDING_CHARGE = "pending_charge"
    PENDING_COURT = "pending_court"
    PENDING_SENTENCE = "pending_sentence"
    PENDING_APPEAL = "pending_appeal"


class AgeBand(StrEnum):
    CHILD = "child"
    ADULT = "adult"


class CandidateSource(StrEnum):
    FORCE_CASE = "force_case"
    SUPPORT_NOMINATION = "support_nomination"
    STAFF_FLAG = "staff_flag"
    SELF_REFERRAL = "self_referral"


class ContactRoute(StrEnum):
    """Who reaches the victim: never cold, always through a supporter unless they asked us."""

    SUPPORT_WORKER = "support_worker"
    OFFICER_IN_CASE = "officer_in_case"
    DIRECT = "direct"


class ParticipationMode(StrEnum):
    LIVE = "live"
    LIVE_CAMERA_OFF = "live_camera_off"
    PRE_RECORDED = "pre_recorded"
    BY_SUPPORT_WORKER = "by_support_worker"


class ConsentScope(StrEnum):
    TAKE_PART = "take_part"
    RECORDING_IN_TRAINING = "recording_in_training"
    CASE_STUDY_TO_NAMED_TEAMS = "case_study_to_named_teams"
    PRAISE_TO_NAMED_OFFICERS = "praise_to_named_officers"
