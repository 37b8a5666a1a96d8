"""Run a service process: logs, traces, then the HTTP app (whose lifespan runs the service).
uvicorn turns SIGTERM into a graceful shutdown: the consumer stops taking batches, the one in
hand commits (or is redelivered), the relay sends what was written, then the process exits."""

import gc
import logging
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from vfp_shared.logs import configure_logging
from vfp_shared.settings import ServiceSettings
from vfp_shared.telemetry import configure_tracing


def serve(name: str, settings: ServiceSettings, build_app: Callable[[], FastAPI]) -> None:
    configure_logging(name, settings.log_level)
    if settings.uses_development_keys():
        logging.getLogger(__name__).warning(
            "development keys in use: set JWT_KEY and MASTER_KEY before real data arrives"
        )
    configure_tracing(
        name,
        otlp_endpoint=settings.otel_exporter_otlp_endpoint,
        trace_file=settings.trace_file(name),
        sample_ratio=settings.otel_sample_ratio,
    )
    app = build_app()
    freeze_what_lives_on()
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        # Access lines would record callers' addresses (a self-referring victim's among them).
        access_log=False,
        timeout_graceful_shutdown=20,
    )


def freeze_what_lives_on() -> None:
    """Once a process has imported and built what it keeps (modules, contracts, table metadata,
    routes), move it out of the collector's reach: its full passes would otherwise walk all of
    it again and again under load (a fifth of a busy consumer's time). Garbage goes first, so
    none is kept for good."""
    gc.collect()
    gc.freeze()
