"""The participants service running once for the whole folder on the real Kafka and
PostgreSQL, and an HTTP client for its app."""

from collections.abc import AsyncIterator

import httpx
import pytest

from vfp_participants.bootstrap import Participants, build
from vfp_participants.settings import ParticipantsSettings
from vfp_shared.settings import PlatformSettings
from vfp_shared.testing import start_group_at_end

TEST_GROUP = "participants-tests"


@pytest.fixture(scope="session")
def participants_settings(platform_settings: PlatformSettings) -> ParticipantsSettings:
    return ParticipantsSettings(
        **platform_settings.model_dump(),
        participants_cooling_off_days=28,
        participants_contact_interval_days=180,
        participants_sweep_interval_s=0,
    )


@pytest.fixture(scope="session")
async def participants(participants_settings: ParticipantsSettings) -> AsyncIterator[Participants]:
    service = build(participants_settings, group=TEST_GROUP)
    # The shared topics hold every earlier run's events: the tests' group starts where the
    # topics end now, and reads only what the tests publish.
    await start_group_at_end(participants_settings, TEST_GROUP, *service.runtime.consumer.handlers)
    async with service.running():
        yield service


@pytest.fixture(scope="session")
async def client(participants: Participants) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=participants.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
