"""Fixtures: the channel stand-ins and the notifications service, started once for the folder."""

import base64
import os
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import httpx
import pytest
from notifications_fixtures import Clock, Directory
from notifications_stand_ins import HttpStandIn, Mailbox, http_stand_in, smtp_server

from vfp_notifications.bootstrap import Notifications, build
from vfp_notifications.settings import NotificationsSettings
from vfp_shared.auth import Role, issue_token
from vfp_shared.settings import PlatformSettings
from vfp_shared.testing import start_group_at_end


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[int, Mailbox]]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="session")
def mailbox(smtp: tuple[int, Mailbox]) -> Mailbox:
    return smtp[1]


@pytest.fixture(scope="session")
async def stand_in() -> AsyncIterator[HttpStandIn]:
    async with http_stand_in() as server:
        yield server


@pytest.fixture(scope="session")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def settings(
    platform_settings: PlatformSettings, smtp: tuple[int, Mailbox], stand_in: HttpStandIn
) -> NotificationsSettings:
    # Quiet hours that cannot start during the run unless a test moves the clock into them.
    london = datetime.now(ZoneInfo("Europe/London"))
    start, end = london + timedelta(hours=6), london + timedelta(hours=9)
    return NotificationsSettings(
        **{
            **platform_settings.model_dump(),
            "notifications_smtp_port": smtp[0],
            "notifications_notify_api_key": f"vfp_test-{uuid4()}-{uuid4()}",
            "notifications_notify_base_url": stand_in.url,
            "notifications_webhook_secret": "whsec_" + base64.b64encode(os.urandom(24)).decode(),
            "notifications_quiet_hours_start": start.strftime("%H:%M"),
            "notifications_quiet_hours_end": end.strftime("%H:%M"),
            "notifications_rate_limit_per_hour": 3,
            "notifications_max_attempts": 3,
            "notifications_retry_base_s": 0.2,
            "notifications_dispatch_poll_s": 0.05,
            # The retention purge runs when a test asks (its timer is tested on its own).
            "notifications_retention_sweep_interval_s": 0,
        }
    )


# The tests' own consumer group, started at the end of every topic: what other suites (the
# bench publishes hundreds of thousands of candidate-identified events) left there is skipped.
TEST_GROUP = "notifications-tests"


@pytest.fixture(scope="session")
async def service(settings: NotificationsSettings, clock: Clock) -> AsyncIterator[Notifications]:
    service = build(settings, clock=clock, group=TEST_GROUP)
    await start_group_at_end(settings, TEST_GROUP, *service.runtime.consumer.handlers)
    async with service.running():
        yield service


@pytest.fixture(scope="session")
async def client(service: Notifications) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture(scope="session")
def coordinator(settings: NotificationsSettings) -> dict[str, str]:
    token = issue_token(settings.jwt_key, "coordinator-1", [Role.COORDINATOR], "force")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def directory(client: httpx.AsyncClient, coordinator: dict[str, str]) -> Directory:
    return Directory(client, coordinator)
