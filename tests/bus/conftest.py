from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from tests.bus.builders import run_id
from vfp_bench.probe import build_probe, create_schema
from vfp_shared.runtime import ServiceRuntime
from vfp_shared.settings import PlatformSettings
from vfp_shared.testing import start_group_at_end


@pytest.fixture
async def probe(platform_settings: PlatformSettings) -> AsyncIterator[ServiceRuntime]:
    """A fresh probe service (own schema, own consumer group), running."""
    name = f"probe_{run_id()}"
    runtime = build_probe(platform_settings, schema=name, group=name)
    await create_schema(runtime)
    await start_group_at_end(platform_settings, name, *runtime.consumer.handlers)
    async with runtime.running(migrate=False):
        yield runtime
    async with runtime.engine.begin() as conn:
        await conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
    await runtime.engine.dispose()
