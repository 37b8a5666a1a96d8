"""Helpers for the operator command tests: run `vfp` as an operator would, against the real
Kafka and PostgreSQL, and make fresh topics that are deleted afterwards."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from uuid import uuid4

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from typer.testing import CliRunner, Result

from vfp_ops.cli import app
from vfp_shared.settings import PlatformSettings
from vfp_shared.testing import partitions_of

Vfp = Callable[..., Awaitable[Result]]
NewTopic = Callable[[str], Awaitable[str]]


def run_id() -> str:
    return uuid4().hex[:10]


@pytest.fixture
def vfp(platform_settings: PlatformSettings) -> Vfp:
    """`await vfp("lag", "--json")`: the CLI in a thread (it runs its own event loop), with the
    test's servers in its environment; `env` adds to it, `input` answers prompts."""
    runner = CliRunner()

    async def invoke(
        *args: str, env: dict[str, str] | None = None, input: str | None = None
    ) -> Result:
        environment = {
            "KAFKA_BOOTSTRAP_SERVERS": platform_settings.kafka_bootstrap_servers,
            "DATABASE_URL": platform_settings.database_url,
            "COLUMNS": "200",
            **(env or {}),
        }

        def call() -> Result:
            return runner.invoke(app, list(args), env=environment, input=input)

        return await asyncio.to_thread(call)

    return invoke


@pytest.fixture
async def new_topic(platform_settings: PlatformSettings) -> AsyncIterator[NewTopic]:
    """Creates fresh topics (3 partitions); deletes them after the test."""
    servers = platform_settings.kafka_bootstrap_servers
    created: list[str] = []

    async def create(name: str) -> str:
        await partitions_of(servers, name)
        created.append(name)
        return name

    yield create
    await delete_topics(servers, created)


async def delete_topics(servers: str, topics: Sequence[str]) -> None:
    if not topics:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        with contextlib.suppress(Exception):
            await admin.delete_topics(list(topics))
    finally:
        await admin.close()
