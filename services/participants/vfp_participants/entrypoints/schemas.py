"""The HTTP API's request and response bodies."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from vfp_participants.adapters.repository import CandidateRecord
from vfp_participants.domain.model import ExclusionReason, Status
from vfp_shared.contracts.vocabulary import (
    AgeBand,
    CandidateSource,
    ConsentScope,
    ContactRoute,
    FocusTheme,
    ParticipationMode,
)

Ref = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:/-]+$")]
# Suggested codes for a step's `reason`; a service may use its own of the same shape.
SUGGESTED_REASON_CODES = (
    "victim_request",
    "support_worker_advice",
    "safeguarding_concern",
    "no_contact_possible",
    "other",
)
# A code, never the coordinator's own words: the audit log it goes to is kept after erasure.
Reason = Annotated[
    str | None,
    Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]{0,59}$",
        description=(
            "a reason code (lowercase snake_case, never free text), kept in the audit log only;"
            f" e.g. {', '.join(SUGGESTED_REASON_CODES)}"
        ),
        examples=list(SUGGESTED_REASON_CODES),
    ),
]
# How far ahead of ours a client's clock may be when it says when an approach happened.
CLOCK_SKEW = timedelta(minutes=5)


def _set_by_hand(reason: ExclusionReason) -> ExclusionReason:
    if reason is ExclusionReason.MERGED_DUPLICATE:
        raise ValueError("merged_duplicate is set only by merging one victim's candidates")
    return reason


# The exclusion reasons a coordinator may give.
CoordinatorReasonCode = Annotated[ExclusionReason, AfterValidator(_set_by_hand)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests --------------------------------------------------------------------------------


class ApproachIn(Body):
    via: ContactRoute = Field(
        description="support_worker, officer_in_case, or direct (self-referrals the force"
        " does not know)"
    )
    by_ref: Ref = Field(description="the support worker's or officer's ref who made the approach")
    approached_at: AwareDatetime | None = Field(
        default=None,
        description="with its time zone; not in the future (5 minutes' skew); defaults to now",
    )
    reason: Reason

    @field_validator("approached_at")
    @classmethod
    def not_in_the_future(cls, value: datetime | None) -> datetime | None:
        # A future approach would hold the victim back from the next one for too long.
        if value is not None and value > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError("an approach cannot be recorded before it happens")
        return value


class ConsentIn(Body):
    mode: ParticipationMode
    scopes: list[ConsentScope] = Field(min_length=1, description="must include take_part")
    case_study_team_refs: list[Ref] = Field(
        default=[], description="with case_study_to_named_teams"
    )
    praise_officer_refs: list[Ref] = Field(default=[], description="with praise_to_named_officers")
    guardian_consent: bool = Field(default=False, description="required for a child")
    reason: Reason


class StepIn(Body):
    """The optional body of a decline, no response or withdrawal."""

    reason: Reason


class ExcludeIn(Body):
    reason_code: CoordinatorReasonCode


class DoNotContactIn(Body):
    participant_ref: Ref | None = None
    victim_ref: Ref | None = Field(
        default=None, validate_default=True, description="a force victim ref, if not a candidate"
    )
    reason_code: CoordinatorReasonCode = ExclusionReason.VICTIM_ASKED_NOT_TO_BE_CONTACTED

    @field_validator("victim_ref")
    @classmethod
    def exactly_one_ref(cls, value: str | None, info: ValidationInfo) -> str | None:
        if (value is None) == (info.data.get("participant_ref") is None):
            raise ValueError("give exactly one of participant_ref and victim_ref")
        return value


class NominationIn(Body):
    victim_ref: Ref
    support_worker_ref: Ref
    case_ref: Ref | None = None
    age_band: AgeBand = AgeBand.ADULT


class FlagIn(Body):
    victim_ref: Ref
    case_ref: Ref
    team_ref: Ref | None = None


class SelfReferralIn(Body):
    """A victim refers themself (public): the only route where a name and contact details
    arrive; they are encrypted at once."""

    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, validate_default=True, pattern=r"^\+?[0-9 ()-]{7,20}$")
    case_ref: Ref = Field(description="the crime reference the force gave you")
    age_band: AgeBand = AgeBand.ADULT
    themes: list[FocusTheme] = Field(default=[], description="what your experience was about")

    @field_validator("phone")
    @classmethod
    def some_way_to_reach(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("email") is None:
            raise ValueError("give an email address or a phone number")
        return value


# --- responses -------------------------------------------------------------------------------


class ApproachOut(BaseModel):
    via: ContactRoute
    by_ref: str
    at: datetime


class ConsentOut(BaseModel):
    mode: ParticipationMode
    scopes: list[ConsentScope]
    case_study_team_refs: list[str]
    praise_officer_refs: list[str]
    guardian_consent: bool
    given_at: datetime


class CandidateOut(BaseModel):
    participant_ref: str
    status: Status
    sources: list[CandidateSource]
    themes: list[FocusTheme]
    contact_route: ContactRoute | None
    supporter_ref: str | None
    support_service_ref: str | None
    child: bool
    safeguarding: bool
    reason_codes: list[str]
    deferred_until: datetime | None
    policy_version: str | None
    approach: ApproachOut | None
    consent: ConsentOut | None
    updated_at: datetime | None

    @classmethod
    def of(cls, record: CandidateRecord) -> "CandidateOut":
        c = record.candidate
        return cls(
            participant_ref=c.participant_ref,
            status=c.status,
            sources=list(c.sources),
            themes=sorted(c.themes),
            contact_route=c.contact_route,
            supporter_ref=c.supporter_ref,
            support_service_ref=c.support_service_ref,
            child=c.child,
            safeguarding=c.safeguarding,
            reason_codes=list(c.reason_codes),
            deferred_until=c.deferred_until,
            policy_version=c.policy_version,
            approach=ApproachOut(via=c.approach.via, by_ref=c.approach.by_ref, at=c.approach.at)
            if c.approach
            else None,
            consent=ConsentOut(
                mode=c.consent.mode,
                scopes=sorted(c.consent.scopes),
                case_study_team_refs=list(c.consent.case_study_team_refs),
                praise_officer_refs=list(c.consent.praise_officer_refs),
                guardian_consent=c.consent.guardian_consent,
                given_at=c.consent.given_at,
            )
            if c.consent
            else None,
            updated_at=record.updated_at,
        )


class HistoryEntryOut(BaseModel):
    at: datetime
    kind: str
    from_status: Status
    to_status: Status
    reason_codes: list[str]
    policy_version: str | None
    trigger: str
    detail: dict[str, Any]


class SelfReferralContactOut(BaseModel):
    name: str | None
    email: str | None
    phone: str | None


class CandidateDetailOut(CandidateOut):
    history: list[HistoryEntryOut]
    self_referral: SelfReferralContactOut | None = Field(
        default=None, description="only for coordinators, only for self-referrals"
    )


class NominationOut(BaseModel):
    participant_ref: str | None = Field(description="null when the victim is not to be contacted")
    status: Status | None


class AcceptedOut(BaseModel):
    accepted: bool = True


class SelfReferralOut(BaseModel):
    """Names no candidate: the caller is unauthenticated, and a ref would tell them whether the
    force already holds a candidate for the case."""

    message: str = "Thank you. A member of the panel team will be in touch."


class DoNotContactEntryOut(BaseModel):
    entry_id: str = Field(
        validation_alias="digest", description="for DELETE /do-not-contact/entries/{entry_id}"
    )
    participant_ref: str | None
    reason_code: str
    added_by: str
    added_at: datetime


class DoNotContactAddedOut(BaseModel):
    participant_ref: str | None


class SweepOut(BaseModel):
    rescreened: int
    # Final candidates erased because they had not changed for the retention period.
    purged: int
