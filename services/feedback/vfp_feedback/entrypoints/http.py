"""The HTTP API: thin routes that parse, call the service layer in one unit of work, reply.

Roles: coordinators capture and tag; staff answer surveys; support services give feedback for
their own clients only; the board reads reports. Domain errors map to status codes here only.
"""

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from vfp_feedback.adapters import report_page
from vfp_feedback.domain.actions import ActionStatus
from vfp_feedback.domain.errors import Conflict, InvalidFeedback, NotFound
from vfp_feedback.domain.survey import Question
from vfp_feedback.domain.testimonies import TestimonyRoute
from vfp_feedback.domain.themes import ThemeTag
from vfp_feedback.entrypoints.schemas import (
    ActionStatusChange,
    EndorsementAnswer,
    EndorsementRequest,
    NewAction,
    NewCaseStudy,
    NewRecognition,
    NewTestimony,
    NewTheme,
    SupportFeedback,
    SurveyQuestions,
    SurveyResponse,
    Tags,
)
from vfp_feedback.service_layer import (
    actions,
    case_studies,
    endorsements,
    recognitions,
    referrals,
    report,
    retention,
    surveys,
    testimonies,
    themes,
)
from vfp_feedback.service_layer.context import Context
from vfp_shared.auth import Principal, Role, TokenVerifier, requires
from vfp_shared.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")


@dataclass(frozen=True)
class Wiring:
    """What the routes need, set on the app by bootstrap."""

    units_of_work: UnitOfWorkFactory
    ctx: Context
    verifier: TokenVerifier

    async def run(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """One transaction per request: reads commit too, for their audit entries."""
        async with self.units_of_work() as uow:
            result = await work(uow)
            await uow.commit()
            return result


def _wiring(request: Request) -> Wiring:
    wiring: Wiring = request.app.state.feedback
    return wiring


_bearer = HTTPBearer(auto_error=False)


def _needs(*roles: Role) -> Any:
    async def principal(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        return await requires(_wiring(request).verifier, *roles)(credentials)

    return Depends(principal)


Feedback = Annotated[Wiring, Depends(_wiring)]
Coordinator = Annotated[Principal, _needs(Role.COORDINATOR)]
Staff = Annotated[Principal, _needs(Role.STAFF)]
SupportService = Annotated[Principal, _needs(Role.SUPPORT_SERVICE)]
Reader = Annotated[Principal, _needs(Role.COORDINATOR, Role.PANEL_LEAD, Role.BOARD)]
ReportReader = Annotated[Principal, _needs(Role.BOARD, Role.COORDINATOR)]
Anyone = Annotated[Principal, _needs(*Role)]
Purger = Annotated[Principal, _needs(Role.OPERATOR, Role.COORDINATOR)]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _service_of(who: Principal) -> str | None:
    """None for a coordinator (sees every victim); a support service sees its own clients."""
    return None if who.has(Role.COORDINATOR) else who.organisation or ""


def _tags(tags: list[ThemeTag]) -> list[dict[str, str]]:
    return [{"theme_code": t.theme_code, "polarity": t.polarity.value} for t in tags]


# ---- routes -------------------------------------------------------------------------------

router = APIRouter()


@router.get("/themes", tags=["themes"], summary="The theme taxonomy")
async def list_themes(feedback: Feedback, _: Anyone) -> list[dict[str, Any]]:
    return await feedback.run(themes.list_themes)


@router.post(
    "/themes",
    tags=["themes"],
    status_code=status.HTTP_201_CREATED,
    summary="Add a service theme (optionally mapped to a Victims' Code right)",
)
async def add_theme(body: NewTheme, feedback: Feedback, who: Coordinator) -> dict[str, Any]:
    return await feedback.run(
        lambda uow: themes.add_theme(
            uow, feedback.ctx, body.code, body.label, body.victims_code_right, who
        )
    )


@router.post(
    "/testimonies",
    tags=["testimonies"],
    status_code=status.HTTP_201_CREATED,
    summary="Capture a testimony (any route) under the victim's consent",
)
async def capture(body: NewTestimony, feedback: Feedback, who: Coordinator) -> dict[str, Any]:
    command = testimonies.CaptureTestimony(
        participant_ref=body.participant_ref,
        panel_ref=body.panel_ref,
        route=body.route,
        worked_well=body.worked_well,
        could_be_better=body.could_be_better,
        tags=tuple(tag.domain() for tag in body.tags),
        given_at=_utc(body.given_at) if body.given_at else None,
    )
    captured = await feedback.run(
        lambda uow: testimonies.capture_testimony(uow, feedback.ctx, command, who)
    )
    return {
        "testimony_ref": captured.testimony_ref,
        "suggested_tags": _tags(captured.suggested_tags),
        "recurring": captured.recurring,
    }


@router.get("/testimonies", tags=["testimonies"], summary="List testimonies (without their text)")
async def list_testimonies(
    feedback: Feedback,
    who: Coordinator,
    panel_ref: str | None = None,
    participant_ref: str | None = None,
) -> list[dict[str, Any]]:
    return await feedback.run(
        lambda uow: testimonies.list_testimonies(
            uow, feedback.ctx, who, panel_ref=panel_ref, participant_ref=participant_ref
        )
    )


def _testimony(view: testimonies.TestimonyView) -> dict[str, Any]:
    body = asdict(view)
    body["tags"] = _tags(view.tags)
    return body


@router.get("/testimonies/{testimony_ref}", tags=["testimonies"], summary="Read a testimony")
async def read_testimony(
    testimony_ref: str, feedback: Feedback, who: Coordinator
) -> dict[str, Any]:
    view = await feedback.run(
        lambda uow: testimonies.read_testimony(uow, feedback.ctx, testimony_ref, who)
    )
    return _testimony(view)


@router.put(
    "/testimonies/{testimony_ref}/tags",
    tags=["testimonies"],
    summary="Set a testimony's theme tags (checks recurring themes)",
)
async def retag(
    testimony_ref: str, body: Tags, feedback: Feedback, who: Coordinator
) -> dict[str, Any]:
    recurring = await feedback.run(
        lambda uow: testimonies.retag_testimony(
            uow, feedback.ctx, testimony_ref, tuple(tag.domain() for tag in body.tags), who
        )
    )
    return {
        "testimony_ref": testimony_ref,
        "tags": [t.model_dump() for t in body.tags],
        "recurring": recurring,
    }


@router.get(
    "/testimonies/{testimony_ref}/suggested-tags",
    tags=["testimonies"],
    summary="Tags the phrase lexicon suggests from the testimony's text",
)
async def suggest(testimony_ref: str, feedback: Feedback, who: Coordinator) -> list[dict[str, str]]:
    return _tags(
        await feedback.run(
            lambda uow: testimonies.suggested_tags(uow, feedback.ctx, testimony_ref, who)
        )
    )


@router.post(
    "/support-feedback",
    tags=["support services"],
    status_code=status.HTTP_201_CREATED,
    summary="Feedback a support service gives for one of its own clients",
)
async def support_feedback(
    body: SupportFeedback, feedback: Feedback, who: SupportService
) -> dict[str, Any]:
    command = testimonies.CaptureTestimony(
        participant_ref=body.participant_ref,
        panel_ref=body.panel_ref,
        route=(
            TestimonyRoute.INFORMAL_SUPPORT_WORKER
            if body.informal
            else TestimonyRoute.SUPPORT_WORKER
        ),
        worked_well=body.worked_well,
        could_be_better=body.could_be_better,
        given_at=_utc(body.given_at) if body.given_at else None,
    )
    captured = await feedback.run(
        lambda uow: testimonies.capture_testimony(
            uow, feedback.ctx, command, who, for_support_service=who.organisation or ""
        )
    )
    return {"testimony_ref": captured.testimony_ref}


@router.get(
    "/support-feedback/{testimony_ref}",
    tags=["support services"],
    summary="Read feedback this support service gave",
)
async def read_support_feedback(
    testimony_ref: str, feedback: Feedback, who: SupportService
) -> dict[str, Any]:
    view = await feedback.run(
        lambda uow: testimonies.read_testimony(
            uow, feedback.ctx, testimony_ref, who, for_support_service=who.organisation or ""
        )
    )
    return _testimony(view)


@router.get("/survey/questions", tags=["staff survey"], summary="Questions of surveys to come")
async def survey_questions(feedback: Feedback, _: Coordinator) -> list[dict[str, Any]]:
    return [asdict(q) for q in await feedback.run(surveys.current_questions)]


@router.put("/survey/questions", tags=["staff survey"], summary="Define the survey questions")
async def define_questions(
    body: SurveyQuestions, feedback: Feedback, who: Coordinator
) -> list[dict[str, Any]]:
    questions = [Question(q.key, q.text, q.kind) for q in body.questions]
    await feedback.run(lambda uow: surveys.define_questions(uow, feedback.ctx, questions, who))
    return [asdict(q) for q in questions]


@router.get(
    "/panels/{panel_ref}/survey",
    tags=["staff survey"],
    summary="The survey of a panel you attended",
)
async def my_survey(panel_ref: str, feedback: Feedback, who: Staff) -> dict[str, Any]:
    return await feedback.run(lambda uow: surveys.survey_for(uow, panel_ref, who))


@router.post(
    "/panels/{panel_ref}/survey/responses",
    tags=["staff survey"],
    status_code=status.HTTP_201_CREATED,
    summary="Answer a panel's survey (once)",
)
async def respond(
    panel_ref: str, body: SurveyResponse, feedback: Feedback, who: Staff
) -> dict[str, str]:
    await feedback.run(lambda uow: surveys.respond(uow, feedback.ctx, panel_ref, body.answers, who))
    return {"panel_ref": panel_ref, "status": "recorded"}


@router.get(
    "/panels/{panel_ref}/survey/results", tags=["staff survey"], summary="A panel's survey scores"
)
async def survey_results(panel_ref: str, feedback: Feedback, _: Reader) -> dict[str, Any]:
    return await feedback.run(lambda uow: surveys.results(uow, panel_ref))


@router.get(
    "/panels/{panel_ref}/survey/comments",
    tags=["staff survey"],
    summary="A panel's free-text survey answers, without who gave them",
)
async def survey_comments(panel_ref: str, feedback: Feedback, who: Coordinator) -> dict[str, Any]:
    return await feedback.run(lambda uow: surveys.comments(uow, feedback.ctx, panel_ref, who))


@router.get("/surveys/trend", tags=["staff survey"], summary="Survey scores across panels")
async def survey_trend(
    feedback: Feedback,
    _: Reader,
    since: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="to")] = None,
) -> list[dict[str, Any]]:
    return await feedback.run(
        lambda uow: surveys.trend(
            uow, _utc(since) if since else None, _utc(until) if until else None
        )
    )


@router.post(
    "/case-studies",
    tags=["learning"],
    status_code=status.HTTP_201_CREATED,
    summary="Share a case study with the teams the victim named",
)
async def share_case_study(
    body: NewCaseStudy, feedback: Feedback, who: Coordinator
) -> dict[str, str]:
    ref = await feedback.run(
        lambda uow: case_studies.share_case_study(
            uow,
            feedback.ctx,
            body.participant_ref,
            body.panel_ref,
            body.team_refs,
            body.write_up,
            who,
        )
    )
    return {"case_study_ref": ref}


@router.get(
    "/case-studies/{case_study_ref}",
    tags=["learning"],
    summary="Read a case study (coordinators, and staff of a named team)",
)
async def read_case_study(
    case_study_ref: str,
    feedback: Feedback,
    who: Annotated[Principal, _needs(Role.COORDINATOR, Role.STAFF)],
) -> dict[str, Any]:
    return await feedback.run(
        lambda uow: case_studies.read_case_study(uow, feedback.ctx, case_study_ref, who)
    )


@router.post(
    "/recognitions",
    tags=["learning"],
    status_code=status.HTTP_201_CREATED,
    summary="Pass on a victim's praise (only under their consent)",
)
async def recognise(body: NewRecognition, feedback: Feedback, who: Coordinator) -> dict[str, str]:
    ref = await feedback.run(
        lambda uow: recognitions.award_recognition(
            uow,
            feedback.ctx,
            body.participant_ref,
            body.recipient_kind,
            body.recipient_ref,
            body.line_manager_ref,
            body.panel_ref,
            body.message,
            who,
        )
    )
    return {"recognition_ref": ref}


@router.get(
    "/recognitions/{recognition_ref}",
    tags=["learning"],
    summary="Read a recognition with the victim's message",
)
async def read_recognition(
    recognition_ref: str, feedback: Feedback, who: Coordinator
) -> dict[str, Any]:
    return await feedback.run(
        lambda uow: recognitions.read_recognition(uow, feedback.ctx, recognition_ref, who)
    )


@router.post(
    "/endorsements",
    tags=["learning"],
    status_code=status.HTTP_201_CREATED,
    summary="Ask victims, through their supporter, to endorse a process or training",
)
async def request_endorsement(
    body: EndorsementRequest, feedback: Feedback, who: Coordinator
) -> dict[str, dict[str, str]]:
    refs = await feedback.run(
        lambda uow: endorsements.request_endorsement(
            uow, feedback.ctx, body.participant_refs, body.subject, who
        )
    )
    return {"endorsements": refs}


@router.get(
    "/endorsements/{endorsement_ref}",
    tags=["learning"],
    summary="Read an endorsement and its comments (coordinator or the victim's support service)",
)
async def read_endorsement(
    endorsement_ref: str,
    feedback: Feedback,
    who: Annotated[Principal, _needs(Role.COORDINATOR, Role.SUPPORT_SERVICE)],
) -> dict[str, Any]:
    return await feedback.run(
        lambda uow: endorsements.read_endorsement(
            uow, feedback.ctx, endorsement_ref, who, for_support_service=_service_of(who)
        )
    )


@router.post(
    "/endorsements/{endorsement_ref}/outcome",
    tags=["learning"],
    summary="Record a victim's endorsement (coordinator or their support service)",
)
async def record_endorsement(
    endorsement_ref: str,
    body: EndorsementAnswer,
    feedback: Feedback,
    who: Annotated[Principal, _needs(Role.COORDINATOR, Role.SUPPORT_SERVICE)],
) -> dict[str, str]:
    await feedback.run(
        lambda uow: endorsements.record_endorsement(
            uow,
            feedback.ctx,
            endorsement_ref,
            body.outcome,
            body.comments,
            who,
            for_support_service=_service_of(who),
        )
    )
    return {"endorsement_ref": endorsement_ref, "outcome": body.outcome.value}


@router.post(
    "/actions",
    tags=["learning"],
    status_code=status.HTTP_201_CREATED,
    summary="Raise a learning action from a theme or testimonies",
)
async def raise_action(body: NewAction, feedback: Feedback, who: Coordinator) -> dict[str, str]:
    ref = await feedback.run(
        lambda uow: actions.raise_action(
            uow,
            feedback.ctx,
            body.title,
            body.owner_ref,
            body.due_on,
            body.theme_code,
            body.testimony_refs,
            who,
            polarity=body.polarity,
        )
    )
    return {"action_ref": ref}


@router.get("/actions", tags=["learning"], summary="Learning actions")
async def list_actions(
    feedback: Feedback,
    _: Reader,
    in_status: Annotated[ActionStatus | None, Query(alias="status")] = None,
    owner_ref: str | None = None,
) -> list[dict[str, Any]]:
    return await feedback.run(lambda uow: actions.list_actions(uow, in_status, owner_ref))


@router.post(
    "/actions/{action_ref}/status",
    tags=["learning"],
    summary="Move an action on (open → in_progress → completed)",
)
async def change_action(
    action_ref: str, body: ActionStatusChange, feedback: Feedback, who: Coordinator
) -> dict[str, str]:
    await feedback.run(
        lambda uow: actions.change_status(uow, feedback.ctx, action_ref, body.status, who)
    )
    return {"action_ref": action_ref, "status": body.status.value}


@router.get(
    "/referrals/per-month", tags=["reports"], summary="Referrals to each support service per month"
)
async def referrals_per_month(
    feedback: Feedback,
    _: ReportReader,
    since: Annotated[datetime, Query(alias="from")],
    until: Annotated[datetime, Query(alias="to")],
) -> list[dict[str, Any]]:
    return await feedback.run(
        lambda uow: referrals.per_service_per_month(uow, _utc(since), _utc(until))
    )


async def _report(
    feedback: Wiring, since: datetime, until: datetime, who: Principal
) -> dict[str, Any]:
    since, until = _utc(since), _utc(until)
    if until <= since:
        raise InvalidFeedback("the period's end comes after its start", ("to",), source="query")
    return await feedback.run(lambda uow: report.board_report(uow, feedback.ctx, since, until, who))


@router.get("/reports/board", tags=["reports"], summary="The board report for a period (JSON)")
async def board_report(
    feedback: Feedback,
    who: ReportReader,
    since: Annotated[datetime, Query(alias="from")],
    until: Annotated[datetime, Query(alias="to")],
) -> dict[str, Any]:
    return await _report(feedback, since, until, who)


@router.get(
    "/reports/board.html",
    tags=["reports"],
    response_class=HTMLResponse,
    summary="The board report for a period, readable, with charts",
)
async def board_report_page(
    feedback: Feedback,
    who: ReportReader,
    since: Annotated[datetime, Query(alias="from")],
    until: Annotated[datetime, Query(alias="to")],
) -> HTMLResponse:
    return HTMLResponse(report_page.render(await _report(feedback, since, until, who)))


@router.post(
    "/retention/purge",
    tags=["retention"],
    summary="Purge what was recorded before the retention period (also runs on a timer)",
)
async def purge(feedback: Feedback, _: Purger) -> dict[str, int]:
    purged = await feedback.run(lambda uow: retention.purge(uow, feedback.ctx))
    return purged.as_dict()


def install(app: FastAPI, wiring: Wiring) -> None:
    """Mount the routes and map the domain's errors to status codes, in one place."""
    app.state.feedback = wiring
    app.include_router(router)

    def handler(code: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
        async def respond(_: Request, error: Exception) -> JSONResponse:
            return JSONResponse(
                {"detail": str(error), "error": type(error).__name__}, status_code=code
            )

        return respond

    async def invalid(_: Request, error: Exception) -> JSONResponse:
        # Shaped as FastAPI's own validation errors, so clients read both the same way.
        assert isinstance(error, InvalidFeedback)
        return JSONResponse(
            {
                "detail": [
                    {"loc": list(error.loc), "msg": error.message, "type": "invalid_feedback"}
                ]
            },
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )

    app.add_exception_handler(NotFound, handler(status.HTTP_404_NOT_FOUND))
    app.add_exception_handler(Conflict, handler(status.HTTP_409_CONFLICT))
    app.add_exception_handler(InvalidFeedback, invalid)
