"""The HTTP API: thin routes that parse, authorise, and call the service layer in one unit of
work each. Domain errors are mapped to status codes here, in one place."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request, status
from fastapi.responses import JSONResponse

from vfp_participants.adapters.repository import CandidateFilter
from vfp_participants.domain.errors import (
    CandidateNotFound,
    IllegalTransition,
    ListingKept,
    ListingNotFound,
    MergedAway,
    RuleViolation,
)
from vfp_participants.domain.model import Status
from vfp_participants.entrypoints.schemas import (
    AcceptedOut,
    ApproachIn,
    CandidateDetailOut,
    CandidateOut,
    ConsentIn,
    DoNotContactAddedOut,
    DoNotContactEntryOut,
    DoNotContactIn,
    ExcludeIn,
    FlagIn,
    HistoryEntryOut,
    NominationIn,
    NominationOut,
    SelfReferralContactOut,
    SelfReferralIn,
    SelfReferralOut,
    StepIn,
    SweepOut,
)
from vfp_participants.service_layer import lifecycle, retention, screening
from vfp_participants.service_layer.commands import FlagVictim, NominateClient, SelfRefer
from vfp_participants.service_layer.unit import Services
from vfp_shared.auth import Principal, Role, TokenVerifier, requires
from vfp_shared.contracts.vocabulary import CandidateSource, ContactRoute, FocusTheme
from vfp_shared.storage.unit_of_work import UnitOfWorkFactory

Purpose = Annotated[str, Query(max_length=200, description="why the record is consulted (audited)")]


def add_error_handlers(app: FastAPI) -> None:
    async def not_found(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": "candidate not found"}, status.HTTP_404_NOT_FOUND)

    async def conflict(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, IllegalTransition)
        body = {"detail": str(error), "status": error.status, "step": error.step}
        if isinstance(error, MergedAway):
            body["merged_into"] = error.merged_into  # the candidate to act on instead
        return JSONResponse(body, status.HTTP_409_CONFLICT)

    async def listing_not_found(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": "entry not found"}, status.HTTP_404_NOT_FOUND)

    async def listing_kept(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status.HTTP_409_CONFLICT)

    async def rule_violation(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RuleViolation)
        return JSONResponse(
            {
                "detail": [
                    {"loc": ["body", error.field], "msg": error.message, "type": "rule_violation"}
                ]
            },
            422,
        )

    app.add_exception_handler(CandidateNotFound, not_found)
    app.add_exception_handler(IllegalTransition, conflict)
    app.add_exception_handler(ListingNotFound, listing_not_found)
    app.add_exception_handler(ListingKept, listing_kept)
    app.add_exception_handler(RuleViolation, rule_violation)


def router(
    units_of_work: UnitOfWorkFactory, services: Services, verifier: TokenVerifier
) -> APIRouter:
    api = APIRouter()
    coordinator = Depends(requires(verifier, Role.COORDINATOR, Role.PANEL_LEAD))
    reader = Depends(requires(verifier, Role.COORDINATOR, Role.PANEL_LEAD, Role.SUPPORT_SERVICE))
    support = Depends(requires(verifier, Role.SUPPORT_SERVICE))
    staff = Depends(requires(verifier, Role.STAFF))
    sweeper = Depends(requires(verifier, Role.COORDINATOR, Role.PANEL_LEAD, Role.OPERATOR))

    # --- candidates ----------------------------------------------------------------------------

    @api.get(
        "/candidates",
        tags=["candidates"],
        summary="List candidates (a support service sees only its own clients)",
        response_model=list[CandidateOut],
    )
    async def list_candidates(
        theme: FocusTheme | None = None,
        status_: Annotated[Status | None, Query(alias="status")] = None,
        source: CandidateSource | None = None,
        route: ContactRoute | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
        purpose: Purpose = "coordination",
        principal: Principal = reader,
    ) -> list[CandidateOut]:
        where = CandidateFilter(theme, status_, source, route, None, limit, offset)
        async with units_of_work() as uow:
            found = await lifecycle.list_candidates(uow, services, principal, where, purpose)
            await uow.commit()
        return [CandidateOut.of(record) for record in found]

    @api.get(
        "/candidates/{participant_ref}",
        tags=["candidates"],
        summary="One candidate with its decision history",
        response_model=CandidateDetailOut,
    )
    async def get_candidate(
        participant_ref: str, purpose: Purpose = "coordination", principal: Principal = reader
    ) -> CandidateDetailOut:
        async with units_of_work() as uow:
            view = await lifecycle.view_candidate(
                uow, services, principal, participant_ref, purpose
            )
            await uow.commit()
        return CandidateDetailOut(
            **CandidateOut.of(view.record).model_dump(),
            history=[HistoryEntryOut.model_validate(row._mapping) for row in view.history],
            self_referral=SelfReferralContactOut(**view.self_referral)
            if view.self_referral
            else None,
        )

    def step(summary: str, path: str) -> Callable[[Callable[..., object]], Callable[..., object]]:
        return api.post(
            f"/candidates/{{participant_ref}}/{path}",
            tags=["consent"],
            summary=summary,
            response_model=CandidateOut,
            responses={
                404: {},
                409: {
                    "description": "not allowed from the current status, or merged into another "
                    "candidate (`merged_into`: act on that one)"
                },
            },
        )

    @step("Record the approach (identified → approached)", "approach")
    async def approach(
        participant_ref: str, body: ApproachIn, principal: Principal = coordinator
    ) -> CandidateOut:
        async with units_of_work() as uow:
            record = await lifecycle.record_approach(
                uow,
                services,
                principal,
                participant_ref,
                via=body.via,
                by_ref=body.by_ref,
                at=body.approached_at,
                reason=body.reason,
            )
            await uow.commit()
        return CandidateOut.of(record)

    @step("Record consent, participation mode and scopes (approached → consented)", "consent")
    async def consent(
        participant_ref: str, body: ConsentIn, principal: Principal = coordinator
    ) -> CandidateOut:
        async with units_of_work() as uow:
            record = await lifecycle.record_consent(
                uow,
                services,
                principal,
                participant_ref,
                mode=body.mode,
                scopes=frozenset(body.scopes),
                case_study_team_refs=tuple(body.case_study_team_refs),
                praise_officer_refs=tuple(body.praise_officer_refs),
                guardian_consent=body.guardian_consent,
                reason=body.reason,
            )
            await uow.commit()
        return CandidateOut.of(record)

    @step("Record a decline (approached → declined)", "decline")
    async def decline(
        participant_ref: str, body: StepIn | None = None, principal: Principal = coordinator
    ) -> CandidateOut:
        reason = body.reason if body else None
        async with units_of_work() as uow:
            record = await lifecycle.record_decline(
                uow, services, principal, participant_ref, reason
            )
            await uow.commit()
        return CandidateOut.of(record)

    @step("Record no response (approached → no_response)", "no-response")
    async def no_response(
        participant_ref: str, body: StepIn | None = None, principal: Principal = coordinator
    ) -> CandidateOut:
        reason = body.reason if body else None
        async with units_of_work() as uow:
            record = await lifecycle.record_no_response(
                uow, services, principal, participant_ref, reason
            )
            await uow.commit()
        return CandidateOut.of(record)

    @step("Withdraw consent: erases this service's personal data and tells the others", "withdraw")
    async def withdraw(
        participant_ref: str, body: StepIn | None = None, principal: Principal = coordinator
    ) -> CandidateOut:
        reason = body.reason if body else None
        async with units_of_work() as uow:
            record = await lifecycle.withdraw(uow, services, principal, participant_ref, reason)
            await uow.commit()
        return CandidateOut.of(record)

    @step("Exclude the candidate with a reason code", "exclude")
    async def exclude(
        participant_ref: str, body: ExcludeIn, principal: Principal = coordinator
    ) -> CandidateOut:
        async with units_of_work() as uow:
            record = await lifecycle.exclude(
                uow, services, principal, participant_ref, body.reason_code
            )
            await uow.commit()
        return CandidateOut.of(record)

    # --- do not contact ------------------------------------------------------------------------

    @api.get(
        "/do-not-contact",
        tags=["do-not-contact"],
        summary="The do-not-contact list (withdrawn participants appear without a ref)",
        response_model=list[DoNotContactEntryOut],
    )
    async def list_do_not_contact(
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
        purpose: Purpose = "coordination",
        principal: Principal = coordinator,
    ) -> list[DoNotContactEntryOut]:
        async with units_of_work() as uow:
            rows = await lifecycle.list_do_not_contact(
                uow, services, principal, limit=limit, offset=offset, purpose=purpose
            )
            await uow.commit()
        return [DoNotContactEntryOut.model_validate(row._mapping) for row in rows]

    @api.post(
        "/do-not-contact",
        tags=["do-not-contact"],
        summary="Put a candidate or a force victim on the do-not-contact list",
        status_code=status.HTTP_201_CREATED,
        response_model=DoNotContactAddedOut,
        responses={409: {"description": "merged into another candidate (`merged_into`)"}},
    )
    async def add_do_not_contact(
        body: DoNotContactIn, principal: Principal = coordinator
    ) -> DoNotContactAddedOut:
        async with units_of_work() as uow:
            ref = await lifecycle.add_to_do_not_contact(
                uow,
                services,
                principal,
                participant_ref=body.participant_ref,
                victim_ref=body.victim_ref,
                reason_code=body.reason_code.value,
            )
            await uow.commit()
        return DoNotContactAddedOut(participant_ref=ref)

    @api.delete(
        "/do-not-contact/{participant_ref}",
        tags=["do-not-contact"],
        summary="Take a candidate off the do-not-contact list (they are screened again)",
        response_model=CandidateOut,
        responses={409: {"description": "merged into another candidate (`merged_into`)"}},
    )
    async def remove_do_not_contact(
        participant_ref: str, principal: Principal = coordinator
    ) -> CandidateOut:
        async with units_of_work() as uow:
            record = await lifecycle.remove_from_do_not_contact(
                uow, services, principal, participant_ref
            )
            await uow.commit()
        return CandidateOut.of(record)

    @api.delete(
        "/do-not-contact/entries/{entry_id}",
        tags=["do-not-contact"],
        summary="Take an entry off the do-not-contact list by its id (a withdrawal's stays: 409)",
        status_code=status.HTTP_204_NO_CONTENT,
        responses={404: {}, 409: {"description": "a withdrawal's entry is never taken off"}},
    )
    async def remove_do_not_contact_entry(
        entry_id: Annotated[str, Path(pattern="^[0-9a-f]{64}$")],
        principal: Principal = coordinator,
    ) -> None:
        async with units_of_work() as uow:
            await lifecycle.remove_do_not_contact_entry(uow, services, principal, entry_id)
            await uow.commit()

    # --- sourcing ------------------------------------------------------------------------------

    @api.post(
        "/nominations",
        tags=["sourcing"],
        summary="A commissioned service nominates a client (its organisation from the token)",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=NominationOut,
    )
    async def nominate(body: NominationIn, principal: Principal = support) -> NominationOut:
        if not principal.organisation:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "the token names no organisation")
        async with units_of_work() as uow:
            record = await screening.nominate_client(
                uow,
                services,
                NominateClient(
                    body.victim_ref,
                    principal.organisation,
                    body.support_worker_ref,
                    body.age_band,
                    case_ref=body.case_ref,
                ),
                actor=principal,
            )
            await uow.commit()
        # Accepted either way; the record only if the caller may see it (not another
        # service's client), so a nomination reveals nothing about who supports the victim.
        if record is None or not lifecycle.may_see(principal, record):
            return NominationOut(participant_ref=None, status=None)
        return NominationOut(
            participant_ref=record.candidate.participant_ref, status=record.candidate.status
        )

    @api.post(
        "/flags",
        tags=["sourcing"],
        summary="An officer or team flags a victim who might take part",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=AcceptedOut,
    )
    async def flag(body: FlagIn, principal: Principal = staff) -> AcceptedOut:
        async with units_of_work() as uow:
            await screening.flag_victim(
                uow,
                services,
                FlagVictim(
                    body.victim_ref, body.case_ref, principal.subject, team_ref=body.team_ref
                ),
                actor=principal,
            )
            await uow.commit()
        return AcceptedOut()

    @api.post(
        "/self-referrals",
        tags=["sourcing"],
        summary="A victim refers themself (public, no token)",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=SelfReferralOut,
    )
    async def self_refer(body: SelfReferralIn) -> SelfReferralOut:
        async with units_of_work() as uow:
            await screening.self_refer(
                uow,
                services,
                SelfRefer(
                    name=body.name,
                    email=body.email,
                    phone=body.phone,
                    case_ref=body.case_ref,
                    age_band=body.age_band,
                    themes=frozenset(body.themes),
                ),
            )
            await uow.commit()
        return SelfReferralOut()

    @api.post(
        "/screening/sweep",
        tags=["screening"],
        summary=(
            "Re-screen deferred candidates whose wait is over and purge final candidates past "
            "the retention period (also runs on a timer)"
        ),
        response_model=SweepOut,
    )
    async def sweep(principal: Principal = sweeper) -> SweepOut:
        async with units_of_work() as uow:
            result = await retention.sweep_and_purge(uow, services)
            await uow.commit()
        return SweepOut(rescreened=result.rescreened, purged=result.purged)

    return api
