"""What the operator commands share: settings, Kafka helpers, and the console."""

import asyncio
import json
from collections.abc import AsyncIterator, Coroutine, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg
import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pydantic_settings import BaseSettings, SettingsConfigDict
from rich.console import Console

T = TypeVar("T")

SERVICES = ("participants", "panels", "feedback", "notifications")
# Seconds to wait for a server before calling it unreachable.
CONNECT_TIMEOUT_S = 5.0


class OpsSettings(BaseSettings):
    """Where the services answer: VFP_PARTICIPANTS_URL, VFP_PANELS_URL, ... (env or .env)."""

    model_config = SettingsConfigDict(env_prefix="VFP_", env_file=".env", extra="ignore")

    participants_url: str = "http://127.0.0.1:8001"
    panels_url: str = "http://127.0.0.1:8002"
    feedback_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    http_timeout_s: float = 3.0

    def service_urls(self) -> dict[str, str]:
        return {name: str(getattr(self, f"{name}_url")).rstrip("/") for name in SERVICES}


class Unreachable(Exception):
    """A server the command needs does not answer."""


def console() -> Console:
    """A console on the current stdout (made per command, so test runners capture it)."""
    return Console(highlight=False)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; an unreachable server is a clear message and exit code 2."""
    try:
        return asyncio.run(coro)
    except (Unreachable, KafkaError, OSError, asyncpg.PostgresError, TimeoutError) as error:
        message = str(error) or type(error).__name__
        console().print(f"[bold red]error:[/] {message}")
        raise typer.Exit(2) from None


@asynccontextmanager
async def kafka_admin(bootstrap_servers: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    try:
        await asyncio.wait_for(admin.start(), CONNECT_TIMEOUT_S)
    except (KafkaError, OSError, TimeoutError) as error:
        await admin.close()
        raise Unreachable(f"Kafka at {bootstrap_servers} does not answer ({error!r})") from error
    try:
        yield admin
    finally:
        await admin.close()


@asynccontextmanager
async def kafka_reader(
    bootstrap_servers: str, group_id: str | None = None
) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer for offsets and assigned reads; never subscribes, never auto-commits."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        await asyncio.wait_for(consumer.start(), CONNECT_TIMEOUT_S)
    except (KafkaError, OSError, TimeoutError) as error:
        await consumer.stop()
        raise Unreachable(f"Kafka at {bootstrap_servers} does not answer ({error!r})") from error
    try:
        yield consumer
    finally:
        await consumer.stop()


async def topic_partitions(
    admin: AIOKafkaAdminClient, topics: Iterable[str]
) -> dict[str, list[TopicPartition]]:
    """The partitions of existing topics (missing topics are left out, not auto-created)."""
    existing = set(await admin.list_topics())
    topics = [topic for topic in topics if topic in existing]
    if not topics:
        return {}
    found: dict[str, list[TopicPartition]] = {}
    for description in await admin.describe_topics(topics):
        if description.get("error_code") or not description["partitions"]:
            continue
        topic = description["topic"]
        found[topic] = sorted(
            (TopicPartition(topic, p["partition"]) for p in description["partitions"]),
            key=lambda tp: tp.partition,
        )
    return found


async def offsets_between(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition]
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """(beginning, end) offsets of each partition."""
    if not partitions:
        return {}, {}
    beginning = await consumer.beginning_offsets(partitions)
    end = await consumer.end_offsets(partitions)
    return dict(beginning), dict(end)


def age(seconds: float | None) -> str:
    """3725 -> '1h 2m 5s'."""
    if seconds is None:
        return "-"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{seconds:.1f}s"
