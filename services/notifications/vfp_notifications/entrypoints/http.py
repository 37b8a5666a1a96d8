"""The HTTP API: the directory (coordinators seed it), the delivery log, previews and the
retention purge."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from vfp_notifications.adapters import sends
from vfp_notifications.adapters.directory import Directory
from vfp_notifications.adapters.rendering import Renderer
from vfp_notifications.adapters.tables import audit
from vfp_notifications.domain import routing
from vfp_notifications.domain.model import (
    Channel,
    DirectoryEntry,
    NotRetryable,
    Status,
    Template,
    UnknownEntry,
    UnknownNotification,
)
from vfp_notifications.entrypoints.events import ROUTED
from vfp_notifications.service_layer import handlers
from vfp_notifications.service_layer.lookups import Lookups
from vfp_notifications.service_layer.retention import Purged
from vfp_shared.audit import record
from vfp_shared.auth import Principal, Role, TokenVerifier, requires
from vfp_shared.contracts import UnknownTopic, contract_for
from vfp_shared.envelope import Envelope
from vfp_shared.storage.unit_of_work import UnitOfWorkFactory

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class DirectoryEntryIn(BaseModel):
    kind: str = Field(
        min_length=1, description="staff, team, command_area, service, partner, cps, system..."
    )
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, pattern=EMAIL)
    teams_webhook_url: str | None = Field(default=None, pattern=r"^https?://")
    webhook_url: str | None = Field(default=None, pattern=r"^https?://")
    channels: list[Channel] = Field(
        default=[Channel.EMAIL], min_length=1, description="Preferred channels, first first"
    )
    line_manager_ref: str | None = None
    member_refs: list[str] = Field(
        default=[], description="A group without an address is reached through these"
    )
    organisation: str | None = None


class DirectoryEntryOut(DirectoryEntryIn):
    ref: str


class DeliveryOut(BaseModel):
    notification_ref: UUID
    source_event_id: UUID
    source_topic: str
    template: str
    recipient_ref: str
    channel: str | None
    status: Status
    reason_code: str | None
    attempts: int
    created_at: datetime
    due_at: datetime
    sent_at: datetime | None
    updated_at: datetime


class PurgedOut(BaseModel):
    notifications: int = Field(description="Finished sends deleted from the delivery log")
    participants: int = Field(description="Participant records (links, tombstones) forgotten")


class PreviewIn(BaseModel):
    topic: str = Field(description="The event's topic, e.g. panels.participant-invited.v1")
    data: dict[str, Any] = Field(description="A sample event, as its contract defines it")


class PreviewOut(BaseModel):
    recipient_ref: str
    template: Template
    channel: Channel | None
    unreachable_reason: str | None
    subject: str | None
    text: str | None
    html: str | None
    has_calendar_invite: bool


def _entry_out(entry: DirectoryEntry) -> DirectoryEntryOut:
    return DirectoryEntryOut(
        ref=entry.ref,
        kind=entry.kind,
        name=entry.name,
        email=entry.email,
        teams_webhook_url=entry.teams_webhook_url,
        webhook_url=entry.webhook_url,
        channels=list(entry.channels),
        line_manager_ref=entry.line_manager_ref,
        member_refs=list(entry.member_refs),
        organisation=entry.organisation,
    )


def routers(
    *,
    units_of_work: UnitOfWorkFactory,
    verifier: TokenVerifier,
    directory_for: Callable[[AsyncSession], Directory],
    enabled: frozenset[Channel],
    renderer: Renderer,
    purge: Callable[[Principal], Awaitable[Purged]],
) -> list[APIRouter]:
    coordinators = Depends(requires(verifier, Role.COORDINATOR, Role.OPERATOR))
    Coordinator = Annotated[Principal, coordinators]
    directory = APIRouter(prefix="/directory", tags=["directory"])
    log = APIRouter(prefix="/deliveries", tags=["delivery log"])
    previews = APIRouter(prefix="/previews", tags=["templates"])
    retention = APIRouter(prefix="/retention", tags=["retention"])

    @directory.put(
        "/{ref}", summary="Add or replace a directory entry", response_model=DirectoryEntryOut
    )
    async def put_entry(ref: str, body: DirectoryEntryIn, who: Coordinator) -> DirectoryEntryOut:
        entry = DirectoryEntry(ref=ref, **{**body.model_dump(), "channels": tuple(body.channels)})
        async with units_of_work() as uow:
            await directory_for(uow.session).put(entry)
            await record(uow.session, audit, who, "change", ref, "directory entry written")
            await uow.commit()
        return _entry_out(entry)

    @directory.get("/{ref}", summary="Read a directory entry", response_model=DirectoryEntryOut)
    async def get_entry(ref: str, who: Coordinator) -> DirectoryEntryOut:
        async with units_of_work() as uow:
            found = await directory_for(uow.session).find([ref])
            if ref not in found:
                raise UnknownEntry(ref)
            await record(uow.session, audit, who, "consult", ref, "directory entry read")
            await uow.commit()
        return _entry_out(found[ref])

    @directory.delete(
        "/{ref}",
        summary="Remove a directory entry (its contact details are erased)",
        status_code=status.HTTP_204_NO_CONTENT,
    )
    async def delete_entry(ref: str, who: Coordinator) -> Response:
        async with units_of_work() as uow:
            if not await directory_for(uow.session).remove(ref):
                raise UnknownEntry(ref)
            await record(uow.session, audit, who, "erase", ref, "directory entry removed")
            await uow.commit()
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @log.get(
        "",
        summary="What was sent to whom (by ref), when, how, and how it went",
        response_model=list[DeliveryOut],
    )
    async def delivery_log(
        _: Coordinator,
        recipient_ref: str | None = None,
        status: Status | None = None,
        template: Template | None = None,
        source_event_id: UUID | None = None,
        since: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        query = sends.LogQuery(recipient_ref, status, template, source_event_id, since, limit)
        async with units_of_work() as uow:
            return await sends.delivery_log(uow.session, query)

    @log.post(
        "/{notification_ref}/retry",
        summary="Send a failed notification again, e.g. once its recipient is in the directory",
        response_model=DeliveryOut,
    )
    async def retry(notification_ref: UUID, who: Coordinator) -> dict[str, Any]:
        async with units_of_work() as uow:
            lookups = Lookups(uow.session, directory_for(uow.session))
            await handlers.retry(uow, notification_ref, lookups, enabled, handlers.utc_now())
            await record(
                uow.session, audit, who, "change", str(notification_ref), "notification retried"
            )
            entry = await sends.log_entry(uow.session, notification_ref)
            await uow.commit()
        return entry

    @previews.post(
        "",
        summary="Render the messages a sample event would cause, without sending",
        response_model=list[PreviewOut],
    )
    async def preview(body: PreviewIn, _: Coordinator) -> list[PreviewOut]:
        model = contract_for(body.topic)
        if model not in ROUTED:
            raise UnknownTopic(body.topic)
        event = Envelope(model.model_validate(body.data), source="/vfp/notifications/preview")
        out = []
        async with units_of_work() as uow:  # read only: left without a commit
            lookups = Lookups(uow.session, directory_for(uow.session))
            planned = await handlers.plan(event, lookups, enabled)
            entries = await lookups.entries(
                {
                    ref
                    for intent, _, _ in planned
                    for ref in [intent.recipient_ref, *routing.staff_named(intent.context)]
                }
            )
        for intent, channel, reason in planned:
            entry = entries.get(intent.recipient_ref)
            names = routing.names_of_staff_named(intent.context, entries)
            message = renderer.render(
                intent.template,
                routing.context_json(intent),
                entry.name if entry else intent.recipient_ref,
                names,
            )
            out.append(
                PreviewOut(
                    recipient_ref=intent.recipient_ref,
                    template=intent.template,
                    channel=channel,
                    unreachable_reason=reason,
                    subject=message.subject,
                    text=message.text,
                    html=message.html,
                    has_calendar_invite=message.ics is not None,
                )
            )
        return out

    @retention.post(
        "/purge",
        summary="Delete what is past the retention period (also runs on a timer)",
        response_model=PurgedOut,
    )
    async def purge_now(who: Coordinator) -> PurgedOut:
        purged = await purge(who)
        return PurgedOut(notifications=purged.notifications, participants=purged.participants)

    return [directory, log, previews, retention]


def add_error_handlers(app: FastAPI) -> None:
    """Domain errors to HTTP, in one place."""

    async def not_found(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": f"not found: {error}"}, status_code=404)

    async def unknown_topic(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse(
            {
                "detail": [
                    {
                        "loc": ["body", "topic"],
                        "msg": f"no notifications for {error}",
                        "type": "value_error",
                    }
                ]
            },
            status_code=422,
        )

    async def invalid_event(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ValidationError)
        details = [
            {"loc": ["body", "data", *e["loc"]], "msg": e["msg"], "type": e["type"]}
            for e in error.errors(include_input=False)
        ]
        return JSONResponse({"detail": details}, status_code=422)

    async def conflict(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409)

    app.add_exception_handler(UnknownEntry, not_found)
    app.add_exception_handler(UnknownNotification, not_found)
    app.add_exception_handler(NotRetryable, conflict)
    app.add_exception_handler(UnknownTopic, unknown_topic)
    app.add_exception_handler(ValidationError, invalid_event)
