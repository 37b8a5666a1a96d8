"""Fixtures of the panels tests: the service running once against the real Kafka and PostgreSQL,
an HTTP client and people with tokens (builders are in panels_builders)."""

from collections.abc import AsyncIterator

import httpx
import pytest
from panels_builders import People

from vfp_panels.bootstrap import Panels, build
from vfp_panels.settings import PanelsSettings
from vfp_shared.settings import PlatformSettings


@pytest.fixture(scope="session")
def panels_settings(platform_settings: PlatformSettings) -> PanelsSettings:
    return PanelsSettings(**platform_settings.model_dump())


@pytest.fixture(scope="session")
async def panels(panels_settings: PanelsSettings) -> AsyncIterator[Panels]:
    service = build(panels_settings)
    async with service.runtime.running():
        yield service


@pytest.fixture(scope="session")
async def client(panels: Panels) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=panels.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def people(panels_settings: PanelsSettings) -> People:
    return People(panels_settings.jwt_key)
