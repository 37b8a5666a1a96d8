"""Test fixtures shared by every test folder: the real Kafka and PostgreSQL.

The servers come from KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL when set (e.g. a Docker Compose
stack or a CI service); otherwise the project's own stack is started (deploy/stack.sh up).
"""

import os
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_shared.settings import PlatformSettings
from vfp_shared.storage.engine import create_engine
from vfp_shared.telemetry import configure_tracing

ROOT = Path(__file__).parent


def _reachable(host_port: str) -> bool:
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def platform_settings() -> PlatformSettings:
    settings = PlatformSettings(
        consumer_batch_timeout_ms=20, consumer_retry_backoff_s=0.05, outbox_poll_interval_s=0.2
    )
    db = urlsplit(settings.database_url)
    endpoints = [settings.kafka_bootstrap_servers.split(",")[0], f"{db.hostname}:{db.port}"]
    if not all(map(_reachable, endpoints)):
        if "KAFKA_BOOTSTRAP_SERVERS" in os.environ or "DATABASE_URL" in os.environ:
            pytest.exit(f"the configured servers {endpoints} do not answer", returncode=3)
        subprocess.run([ROOT / "deploy" / "stack.sh", "up"], check=True)
    return settings


@pytest.fixture(scope="session")
async def engine(platform_settings: PlatformSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(platform_settings.database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def tracing() -> None:
    """Spans are real in tests too (as in every service), so trace context really propagates."""
    configure_tracing("tests")
