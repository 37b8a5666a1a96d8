"""The HTTP API: thin routes that parse, build a command, call the service layer and commit.
Domain errors become HTTP statuses here, in one place."""

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse

from vfp_panels.adapters.calendar_invite import render_ics
from vfp_panels.domain import commands
from vfp_panels.domain.attendance import Attendee
from vfp_panels.domain.dates import Window
from vfp_panels.domain.errors import AgendaRulesBroken, Conflict, Invalid, NotFound
from vfp_panels.domain.model import Panel, PanelStatus
from vfp_panels.domain.policy import PanelPolicy
from vfp_panels.entrypoints.schemas import (
    AgendaChecksOut,
    AgendaIn,
    AttendanceIn,
    AttendanceOut,
    AttendeeOut,
    BrokenRuleOut,
    CancelIn,
    HeldIn,
    InvitationIn,
    InvitationOut,
    PanelIn,
    PanelOut,
    PoolEntryOut,
    ProposalsOut,
    ProposedDate,
    RegistrationIn,
    RegistrationOut,
    ServiceSlotOut,
    TimesIn,
)
from vfp_panels.service_layer import handlers
from vfp_panels.service_layer.handlers import organisers
from vfp_shared.auth import Principal, Role, TokenVerifier, requires
from vfp_shared.contracts.vocabulary import FocusTheme, ParticipationMode
from vfp_shared.storage.unit_of_work import UnitOfWorkFactory

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"
tags_panels: list[str | Enum] = ["panels"]
tags_agenda: list[str | Enum] = ["agenda"]
tags_people: list[str | Enum] = ["invitations and attendance"]


def install_error_handlers(app: FastAPI) -> None:
    """Domain errors → 404 / 409 / 422 (422 in FastAPI's own shape, naming the field)."""

    async def not_found(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": f"not found: {error}"}, status_code=404)

    async def conflict(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409)

    async def invalid(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Invalid)
        detail = [{"loc": list(error.loc), "msg": error.message, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    async def agenda_rules_broken(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, AgendaRulesBroken)
        detail = [
            {"loc": ["agenda"], "rule": b.rule, "msg": b.message, "type": "agenda_rule"}
            for b in error.broken
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Conflict, conflict)
    app.add_exception_handler(Invalid, invalid)
    app.add_exception_handler(AgendaRulesBroken, agenda_rules_broken)


def panels_router(
    units_of_work: UnitOfWorkFactory,
    verifier: TokenVerifier,
    policy: PanelPolicy,
    clock: Callable[[], datetime],
) -> APIRouter:
    router = APIRouter()
    Organiser = Annotated[Principal, Depends(requires(verifier, Role.PANEL_LEAD, Role.COORDINATOR))]
    Reader = Annotated[
        Principal, Depends(requires(verifier, Role.PANEL_LEAD, Role.COORDINATOR, Role.STAFF))
    ]
    Service = Annotated[Principal, Depends(requires(verifier, Role.SUPPORT_SERVICE))]

    def panel_out(panel: Panel, who: Principal) -> PanelOut:
        return PanelOut.of(panel, organiser=organisers(who))

    @router.post(
        "/panels",
        tags=tags_panels,
        status_code=status.HTTP_201_CREATED,
        summary="Create a draft panel (409 when it clashes with another)",
    )
    async def create_panel(
        body: PanelIn,
        who: Organiser,
        response: Response,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> PanelOut:
        command = commands.CreatePanel(
            title=body.title,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            format=body.format,
            themes=body.themes,
            lead_ref=body.lead_ref,
            case_study_capacity=body.case_study_capacity,
            meeting_link=body.meeting_link,
            venue=body.venue,
            coordinator_refs=body.coordinator_refs,
            command_area_refs=body.command_area_refs,
            organisation_refs=body.organisation_refs,
            idempotency_key=idempotency_key,
        )
        async with units_of_work() as uow:
            panel, created = await handlers.create_panel(uow, command, who)
            await uow.commit()
        if not created:
            response.status_code = status.HTTP_200_OK
        return panel_out(panel, who)

    @router.get("/panels", tags=tags_panels, summary="Panels (staff: all but drafts)")
    async def list_panels(
        who: Reader,
        upcoming: bool = False,
        status_filter: Annotated[PanelStatus | None, Query(alias="status")] = None,
    ) -> list[PanelOut]:
        async with units_of_work() as uow:
            found = await handlers.list_panels(
                uow, who, clock(), upcoming=upcoming, status=status_filter
            )
            await uow.commit()
        return [panel_out(panel, who) for panel in found]

    @router.get(
        "/panels/proposed-dates",
        tags=tags_panels,
        summary="The next dates from the cadence (twice a year by default)",
    )
    async def proposed_dates(
        who: Organiser, count: Annotated[int, Query(ge=1, le=12)] = 2
    ) -> ProposalsOut:
        async with units_of_work() as uow:
            windows = await handlers.propose_dates(uow, policy, who, clock(), count)
        return ProposalsOut(
            per_year=policy.cadence.per_year,
            proposals=[ProposedDate(starts_at=w.starts_at, ends_at=w.ends_at) for w in windows],
        )

    @router.get("/panels/{panel_ref}", tags=tags_panels, summary="One panel with its agenda")
    async def get_panel(panel_ref: str, who: Reader) -> PanelOut:
        async with units_of_work() as uow:
            panel = await handlers.view_panel(uow, panel_ref, who)
            await uow.commit()
        return panel_out(panel, who)

    @router.post(
        "/panels/{panel_ref}/schedule",
        tags=tags_panels,
        summary="Draft → scheduled; announces the panel",
    )
    async def schedule(panel_ref: str, who: Organiser) -> PanelOut:
        async with units_of_work() as uow:
            panel = await handlers.schedule(uow, panel_ref, who)
            await uow.commit()
        return panel_out(panel, who)

    @router.post(
        "/panels/{panel_ref}/move",
        tags=tags_panels,
        summary="New times for a draft or scheduled panel (409 on a clash)",
    )
    async def move(panel_ref: str, body: TimesIn, who: Organiser) -> PanelOut:
        async with units_of_work() as uow:
            panel = await handlers.move(uow, panel_ref, Window(body.starts_at, body.ends_at), who)
            await uow.commit()
        return panel_out(panel, who)

    @router.post(
        "/panels/{panel_ref}/held",
        tags=tags_panels,
        summary="Scheduled → held, with the recording and attendance",
    )
    async def mark_held(panel_ref: str, body: HeldIn, who: Organiser) -> PanelOut:
        command = commands.MarkHeld(
            panel_ref, body.recording_ref, [a.to_domain() for a in body.attendees]
        )
        async with units_of_work() as uow:
            panel = await handlers.mark_held(uow, command, who, clock())
            await uow.commit()
        return panel_out(panel, who)

    @router.post("/panels/{panel_ref}/close", tags=tags_panels, summary="Held → closed")
    async def close(panel_ref: str, who: Organiser) -> PanelOut:
        async with units_of_work() as uow:
            panel = await handlers.close(uow, panel_ref, who)
            await uow.commit()
        return panel_out(panel, who)

    @router.post(
        "/panels/{panel_ref}/cancel",
        tags=tags_panels,
        summary="Draft or scheduled → cancelled, with a reason code",
    )
    async def cancel(panel_ref: str, body: CancelIn, who: Organiser) -> PanelOut:
        async with units_of_work() as uow:
            panel = await handlers.cancel(
                uow, commands.CancelPanel(panel_ref, body.reason_code), who, clock()
            )
            await uow.commit()
        return panel_out(panel, who)

    @router.post(
        "/panels/{panel_ref}/alerts/{alert_ref}/acknowledge",
        tags=tags_panels,
        summary="A coordinator has seen an alert",
    )
    async def acknowledge(panel_ref: str, alert_ref: str, who: Organiser) -> PanelOut:
        async with units_of_work() as uow:
            panel = await handlers.acknowledge_alert(uow, panel_ref, alert_ref, who, clock())
            await uow.commit()
        return panel_out(panel, who)

    @router.put(
        "/panels/{panel_ref}/agenda",
        tags=tags_agenda,
        summary="Replace the draft agenda (unpublishes it)",
    )
    async def replace_agenda(panel_ref: str, body: AgendaIn, who: Organiser) -> PanelOut:
        command = commands.ReplaceAgenda(panel_ref, [item.to_domain() for item in body.items])
        async with units_of_work() as uow:
            panel = await handlers.replace_agenda(uow, command, who)
            await uow.commit()
        return panel_out(panel, who)

    @router.get(
        "/panels/{panel_ref}/agenda/checks",
        tags=tags_agenda,
        summary="Run the publishing checks without publishing",
    )
    async def check_agenda(panel_ref: str, who: Organiser) -> AgendaChecksOut:
        async with units_of_work() as uow:
            broken = await handlers.check_agenda(uow, policy, panel_ref, who)
        return AgendaChecksOut(
            ready=not broken,
            broken=[BrokenRuleOut(rule=b.rule, message=b.message) for b in broken],
        )

    @router.post(
        "/panels/{panel_ref}/agenda/publish",
        tags=tags_agenda,
        summary="Publish the agenda (422 naming each broken check)",
    )
    async def publish_agenda(panel_ref: str, who: Organiser) -> PanelOut:
        async with units_of_work() as uow:
            panel = await handlers.publish_agenda(uow, policy, panel_ref, who, clock())
            await uow.commit()
        return panel_out(panel, who)

    @router.get("/pool", tags=tags_agenda, summary="Consented victims, by theme and mode")
    async def pool(
        who: Organiser,
        theme: FocusTheme | None = None,
        mode: ParticipationMode | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[PoolEntryOut]:
        async with units_of_work() as uow:
            found = await handlers.pool(uow, who, theme, mode, limit)
            await uow.commit()
        return [PoolEntryOut.of(consent) for consent in found]

    @router.get(
        "/service-slots",
        tags=tags_agenda,
        summary="A commissioned service's own timeslots (its token's org is its ref)",
    )
    async def service_slots(who: Service) -> list[ServiceSlotOut]:
        async with units_of_work() as uow:
            slots = await handlers.service_slots(uow, who, clock())
        return [ServiceSlotOut.of(slot) for slot in slots]

    @router.post(
        "/panels/{panel_ref}/invitations",
        tags=tags_people,
        status_code=status.HTTP_201_CREATED,
        summary="Invite (201; 200 with the first invitation when repeated)",
    )
    async def invite(
        panel_ref: str, body: InvitationIn, who: Organiser, response: Response
    ) -> InvitationOut:
        command = commands.Invite(
            panel_ref,
            body.kind,
            body.participant_ref,
            body.command_area_ref,
            body.role,
            body.recipient_ref,
        )
        async with units_of_work() as uow:
            invitation, created = await handlers.invite(uow, command, who, clock())
            await uow.commit()
        if not created:
            response.status_code = status.HTTP_200_OK
        return InvitationOut.of(invitation)

    @router.get("/panels/{panel_ref}/invitations", tags=tags_people, summary="Who is invited")
    async def invitations(panel_ref: str, who: Organiser) -> list[InvitationOut]:
        async with units_of_work() as uow:
            found = await handlers.invitations(uow, panel_ref, who)
            await uow.commit()
        return [InvitationOut.of(invitation) for invitation in found]

    @router.get(
        "/panels/{panel_ref}/invitations/{invitation_ref}.ics",
        tags=tags_people,
        summary="The invitation's calendar entry (iCalendar)",
        response_class=Response,
        responses={200: {"content": {"text/calendar": {}}}},
    )
    async def invitation_ics(panel_ref: str, invitation_ref: str, who: Reader) -> Response:
        async with units_of_work() as uow:
            invitation, panel = await handlers.invitation_with_panel(
                uow, panel_ref, invitation_ref, who
            )
            await uow.commit()
        return Response(
            render_ics(invitation, panel, clock()),
            media_type=ICS_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{invitation.ref}.ics"'},
        )

    @router.post(
        "/panels/{panel_ref}/registrations",
        tags=tags_people,
        status_code=status.HTTP_201_CREATED,
        summary="Register to attend (staff); a repeat books nothing more (200)",
    )
    async def register(
        panel_ref: str, body: RegistrationIn, who: Reader, response: Response
    ) -> RegistrationOut:
        attendee = Attendee(
            who.subject, body.command_area_ref, body.role, body.organisation_ref or who.organisation
        )
        command = commands.Register(panel_ref, attendee)
        async with units_of_work() as uow:
            created = await handlers.register(uow, command, who, clock())
            await uow.commit()
        if not created:
            response.status_code = status.HTTP_200_OK
        return RegistrationOut(panel_ref=panel_ref, attendee_ref=who.subject, new=created)

    @router.get("/panels/{panel_ref}/registrations", tags=tags_people, summary="Who registered")
    async def registrations(panel_ref: str, who: Organiser) -> list[AttendeeOut]:
        async with units_of_work() as uow:
            found = await handlers.registrations(uow, panel_ref, who)
        return [AttendeeOut.of(attendee) for attendee in found]

    @router.post(
        "/panels/{panel_ref}/attendance",
        tags=tags_people,
        summary="Record who attended (once it started, until held); repeats keep one row each",
    )
    async def record_attendance(
        panel_ref: str, body: AttendanceIn, who: Organiser
    ) -> AttendanceOut:
        command = commands.RecordAttendance(panel_ref, [a.to_domain() for a in body.attendees])
        async with units_of_work() as uow:
            summary = await handlers.record_attendance(uow, command, who, clock())
            await uow.commit()
        return AttendanceOut.of(panel_ref, summary)

    @router.get(
        "/panels/{panel_ref}/attendance",
        tags=tags_people,
        summary="Attendance counts by command area, rank/role and organisation",
    )
    async def attendance(panel_ref: str, who: Organiser) -> AttendanceOut:
        async with units_of_work() as uow:
            summary = await handlers.attendance(uow, panel_ref, who)
        return AttendanceOut.of(panel_ref, summary)

    return router
