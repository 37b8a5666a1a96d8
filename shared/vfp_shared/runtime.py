"""What every service process is made of: the broker with its batch consumer, the outbox
relay and an HTTP app with /health, /ready, /metrics and the AsyncAPI document.
A service's bootstrap builds one `ServiceRuntime`; nothing connects until it starts."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.specification import AsyncAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from vfp_shared.bus.consumer import BatchConsumer, EventHandler, LockKeys
from vfp_shared.bus.relay import OutboxRelay, kafka_producer
from vfp_shared.contracts.base import Contract
from vfp_shared.settings import PlatformSettings
from vfp_shared.storage.bus_tables import BusTables
from vfp_shared.storage.engine import create_engine
from vfp_shared.storage.migrations import upgrade
from vfp_shared.storage.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)

RELAY_DRAIN_TIMEOUT_S = 10.0


class ServiceRuntime:
    def __init__(
        self,
        *,
        name: str,
        description: str,
        settings: PlatformSettings,
        tables: BusTables,
        migrations_dir: Path,
        handlers: Mapping[str, EventHandler],
        outgoing: Sequence[type[Contract]],
        group: str | None = None,
        lock_keys: Mapping[str, LockKeys] | None = None,
    ):
        self.name = name
        self.description = description
        self.settings = settings
        self.tables = tables
        self.migrations_dir = migrations_dir
        self.engine = create_engine(settings.database_url)
        self.units_of_work = UnitOfWorkFactory(self.engine, tables, source=f"/vfp/{name}")
        self.broker = KafkaBroker(
            settings.kafka_bootstrap_servers,
            middlewares=[KafkaTelemetryMiddleware()],
            # Its producer sends the dead letters: once the offset is committed, that copy is
            # the only one, so it is written as durably as the outbox relay writes.
            acks="all",
            enable_idempotence=True,
            logger=logging.getLogger(f"vfp.{name}.broker"),
        )
        self.consumer = BatchConsumer(
            service=name,
            handlers=handlers,
            units_of_work=self.units_of_work,
            settings=settings,
            group=group,
            lock_keys=lock_keys,
        )
        if handlers:
            self.consumer.subscribe(self.broker)
        for contract in outgoing:
            # Declared for the AsyncAPI document; the outbox relay does the publishing.
            self.broker.publisher(
                contract.TOPIC,
                title=contract.TOPIC,
                description=(contract.__doc__ or "").strip() or None,
                schema=contract,
            )
        self._relay_task: asyncio.Task[None] | None = None

    def asyncapi(self) -> AsyncAPI:
        return AsyncAPI(
            self.broker, title=f"vfp {self.name}", version="1", description=self.description
        )

    async def migrate(self) -> None:
        await asyncio.to_thread(
            upgrade, self.migrations_dir, self.settings.database_url, self.tables.schema
        )

    @asynccontextmanager
    async def running(self, *, migrate: bool = True) -> AsyncIterator[None]:
        """Migrate, connect, consume and relay; on exit stop taking events, then drain."""
        if migrate:
            await self.migrate()
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(self.engine.dispose)
            producer = kafka_producer(self.settings.kafka_bootstrap_servers)
            await producer.start()
            stack.push_async_callback(producer.stop)
            relay = await stack.enter_async_context(
                OutboxRelay(
                    service=self.name,
                    tables=self.tables,
                    producer=producer,
                    database_url=self.settings.database_url,
                    batch_size=self.settings.outbox_batch_size,
                    poll_interval_s=self.settings.outbox_poll_interval_s,
                )
            )
            self._relay_task = asyncio.create_task(relay.run(), name=f"{self.name}-outbox-relay")
            stack.push_async_callback(self._stop_relay, relay)
            await self.broker.start()
            stack.push_async_callback(self.broker.stop)
            log.info("service started", extra={"service_name": self.name})
            yield
        log.info("service stopped", extra={"service_name": self.name})

    async def _stop_relay(self, relay: OutboxRelay) -> None:
        """After the consumer stopped: the relay sends what the last batches wrote, then ends."""
        if self._relay_task is None:
            return
        relay.stop()
        try:
            await asyncio.wait_for(self._relay_task, RELAY_DRAIN_TIMEOUT_S)
        except TimeoutError:
            # Kafka unreachable: what is unsent stays in the outbox for the next start.
            log.warning("outbox relay did not drain in time", extra={"service_name": self.name})
        except Exception:
            log.exception("outbox relay failed while draining")

    async def ready(self) -> dict[str, bool]:
        checks = {"database": False, "kafka": False, "outbox_relay": False}
        with contextlib.suppress(Exception):
            async with self.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            checks["database"] = True
        with contextlib.suppress(Exception):
            checks["kafka"] = await self.broker.ping(timeout=2)
        checks["outbox_relay"] = self._relay_task is not None and not self._relay_task.done()
        return checks

    def http_app(self, **fastapi_options: Any) -> FastAPI:
        """The service's HTTP app; its lifespan runs the whole service."""

        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            async with self.running():
                yield

        app = FastAPI(
            title=f"vfp {self.name}",
            description=self.description,
            lifespan=lifespan,
            **fastapi_options,
        )

        @app.get("/health", tags=["operations"], summary="The process is alive")
        async def health() -> dict[str, str]:
            return {"status": "ok", "service": self.name}

        @app.get("/ready", tags=["operations"], summary="Database, Kafka and relay are usable")
        async def ready() -> JSONResponse:
            checks = await self.ready()
            return JSONResponse(checks, status_code=200 if all(checks.values()) else 503)

        @app.get("/metrics", tags=["operations"], include_in_schema=False)
        async def metrics() -> Response:
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

        @app.get("/asyncapi.json", tags=["operations"], summary="The events this service speaks")
        async def asyncapi() -> JSONResponse:
            return JSONResponse(self.asyncapi().to_specification().to_jsonable())

        return app
