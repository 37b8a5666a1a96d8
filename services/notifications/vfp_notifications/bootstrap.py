"""The one wiring point: settings → runtime (consumer + relay), dispatcher, retention purge,
channels, HTTP app."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from vfp_notifications.adapters.channels import Sender
from vfp_notifications.adapters.channels.notify import NotifySender
from vfp_notifications.adapters.channels.smtp import SmtpSender
from vfp_notifications.adapters.channels.teams import TeamsSender
from vfp_notifications.adapters.channels.webhooks import WebhookSender
from vfp_notifications.adapters.directory import Directory, SqlDirectory
from vfp_notifications.adapters.rendering import Renderer
from vfp_notifications.adapters.tables import BUS, subject_keys
from vfp_notifications.domain.model import Channel
from vfp_notifications.domain.policy import QuietHours
from vfp_notifications.entrypoints.events import event_handlers, lock_keys
from vfp_notifications.entrypoints.http import add_error_handlers, routers
from vfp_notifications.service_layer.dispatcher import Dispatcher, DispatchPolicy
from vfp_notifications.service_layer.handlers import utc_now
from vfp_notifications.service_layer.retention import RetentionPurge
from vfp_notifications.settings import NotificationsSettings
from vfp_shared.auth import TokenVerifier
from vfp_shared.contracts import DeliveryFailedV1, NotificationSentV1
from vfp_shared.crypto import Vault, master_key_from
from vfp_shared.runtime import ServiceRuntime
from vfp_shared.settings import PlatformSettings

MIGRATIONS = Path(__file__).parent / "migrations"


class Loop(Protocol):
    async def run(self) -> None: ...

    def stop(self) -> None: ...


@asynccontextmanager
async def in_background(loop: Loop, name: str) -> AsyncIterator[None]:
    """`loop.run()` as a task; on exit it finishes its current round (30 s at most)."""
    task = asyncio.create_task(loop.run(), name=name)
    try:
        yield
    finally:
        loop.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=30)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@dataclass
class Notifications:
    runtime: ServiceRuntime
    dispatcher: Dispatcher
    retention: RetentionPurge
    app: FastAPI
    http_client: httpx.AsyncClient
    directory_for: Callable[[AsyncSession], Directory]
    channels: frozenset[Channel]

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The runtime (migrations, consumer, relay) and, beside it, the dispatcher and the
        retention purge's timer."""
        async with self.runtime.running():
            try:
                async with (
                    in_background(self.dispatcher, "notifications-dispatcher"),
                    self.purging(),
                ):
                    yield
            finally:
                await self.http_client.aclose()

    def purging(self) -> AbstractAsyncContextManager[None]:
        """The retention purge's timer, unless its interval is 0 (then only on demand)."""
        if not self.retention.interval_s:
            return contextlib.nullcontext()
        return in_background(self.retention, "notifications-retention")


def senders(settings: NotificationsSettings, client: httpx.AsyncClient) -> dict[Channel, Sender]:
    """The channels that are configured; email and Teams always are."""
    found: dict[Channel, Sender] = {
        Channel.EMAIL: SmtpSender(
            host=settings.notifications_smtp_host,
            port=settings.notifications_smtp_port,
            mail_from=settings.notifications_mail_from,
            starttls=settings.notifications_smtp_starttls,
            username=settings.notifications_smtp_username,
            password=settings.notifications_smtp_password,
            timeout_s=settings.notifications_smtp_timeout_s,
        ),
        Channel.TEAMS: TeamsSender(client),
    }
    if settings.notifications_notify_api_key:
        found[Channel.NOTIFY] = NotifySender(
            api_key=settings.notifications_notify_api_key,
            base_url=settings.notifications_notify_base_url,
            template_id=settings.notifications_notify_template_id,
            timeout_s=settings.notifications_http_timeout_s,
        )
    if settings.notifications_webhook_secret:
        found[Channel.WEBHOOK] = WebhookSender(client, settings.notifications_webhook_secret)
    return found


def renderer_for(settings: NotificationsSettings) -> Renderer:
    return Renderer(
        {
            "portal": settings.notifications_portal_url,
            "recording": settings.notifications_recording_url,
            "survey": settings.notifications_survey_url,
        },
        organiser_email=_address_of(settings.notifications_mail_from),
    )


def dispatch_policy(settings: NotificationsSettings) -> DispatchPolicy:
    quiet = (
        QuietHours.parse(
            settings.notifications_quiet_hours_start,
            settings.notifications_quiet_hours_end,
            settings.notifications_timezone,
        )
        if settings.notifications_quiet_hours_enabled
        else None
    )
    return DispatchPolicy(
        quiet_hours=quiet,
        urgent_templates=frozenset(settings.notifications_urgent_templates),
        limit_per_hour=settings.notifications_rate_limit_per_hour,
        max_attempts=settings.notifications_max_attempts,
        retry_base_s=settings.notifications_retry_base_s,
        retry_max_s=settings.notifications_retry_max_s,
        batch_size=settings.notifications_dispatch_batch_size,
        lease_s=settings.notifications_claim_lease_s,
        poll_s=settings.notifications_dispatch_poll_s,
    )


def build(
    settings: NotificationsSettings,
    *,
    clock: Callable[[], datetime] = utc_now,
    group: str | None = None,
) -> Notifications:
    """The service; `group` overrides the consumer group (the service name by default)."""
    vault = Vault(subject_keys, master_key_from(settings.master_key))

    def directory_for(session: AsyncSession) -> Directory:
        return SqlDirectory(session, vault)

    client = httpx.AsyncClient(timeout=settings.notifications_http_timeout_s)
    channels = senders(settings, client)
    enabled = frozenset(channels)
    runtime = ServiceRuntime(
        name="notifications",
        description="Tells the right person, by the right channel, exactly once.",
        settings=settings,
        tables=BUS,
        migrations_dir=MIGRATIONS,
        handlers=event_handlers(directory_for, enabled, clock),
        lock_keys=lock_keys(),
        outgoing=[NotificationSentV1, DeliveryFailedV1],
        group=group,
    )
    retention = RetentionPurge(
        units_of_work=runtime.units_of_work,
        retention_days=settings.notifications_retention_days,
        interval_s=settings.notifications_retention_sweep_interval_s,
        clock=clock,
    )
    renderer = renderer_for(settings)
    dispatcher = Dispatcher(
        units_of_work=runtime.units_of_work,
        directory_for=directory_for,
        senders=channels,
        renderer=renderer,
        policy=dispatch_policy(settings),
        clock=clock,
    )
    app = runtime.http_app()
    verifier = TokenVerifier(
        settings.jwt_key, tuple(settings.jwt_algorithms), settings.jwt_audience
    )
    for router in routers(
        units_of_work=runtime.units_of_work,
        verifier=verifier,
        directory_for=directory_for,
        enabled=enabled,
        renderer=renderer,
        purge=retention.purge,
    ):
        app.include_router(router)
    add_error_handlers(app)
    service = Notifications(runtime, dispatcher, retention, app, client, directory_for, enabled)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with service.running():
            yield

    app.router.lifespan_context = lifespan
    return service


def _address_of(mailbox: str) -> str:
    """`Name <addr>` → `addr`."""
    return mailbox.rsplit("<", 1)[-1].rstrip(">").strip()


def build_runtime(settings: PlatformSettings) -> ServiceRuntime:
    """The bus side alone: what the AsyncAPI document is generated from."""
    return build(NotificationsSettings(**settings.model_dump())).runtime
