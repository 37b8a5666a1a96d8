"""Fixtures: one feedback service running for the whole folder on the real Kafka and
PostgreSQL, an HTTP client on its app, and builders for tokens and events."""

from collections.abc import AsyncIterator

import httpx
import pytest

from vfp_feedback.bootstrap import Feedback, build
from vfp_feedback.settings import FeedbackSettings
from vfp_shared.settings import PlatformSettings


@pytest.fixture(scope="session")
def settings(platform_settings: PlatformSettings) -> FeedbackSettings:
    return FeedbackSettings(**platform_settings.model_dump())


@pytest.fixture(scope="session")
async def feedback(settings: FeedbackSettings) -> AsyncIterator[Feedback]:
    service = build(settings)
    async with service.running():
        yield service


@pytest.fixture(scope="session")
async def client(feedback: Feedback) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=feedback.app), base_url="http://test"
    ) as http:
        yield http
