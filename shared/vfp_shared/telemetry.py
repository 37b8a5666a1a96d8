"""OpenTelemetry tracing (W3C trace context in Kafka headers) and Prometheus metrics."""

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import Counter, Gauge

PROPAGATOR = TraceContextTextMapPropagator()
TRACER_NAME = "vfp"

EVENTS_HANDLED = Counter("vfp_events_handled", "Events applied", ["service", "topic"])
EVENTS_DUPLICATE = Counter("vfp_events_duplicate", "Redelivered events skipped", ["service"])
EVENTS_FAILED = Counter("vfp_events_failed", "Failed attempts to apply events", ["service"])
EVENTS_DEAD_LETTERED = Counter(
    "vfp_events_dead_lettered", "Events sent to a dead-letter topic", ["service", "topic"]
)
OUTBOX_PUBLISHED = Counter("vfp_outbox_published", "Outbox rows published", ["service"])
OUTBOX_FAILED = Counter(
    "vfp_outbox_failed", "Outbox rows Kafka refused for good (set aside)", ["service"]
)
OUTBOX_BACKLOG = Gauge("vfp_outbox_backlog", "Outbox rows not yet published", ["service"])


class JsonLinesSpanExporter(SpanExporter):
    """Writes finished spans as JSON lines: the default when no OTLP endpoint is configured.
    Past `max_bytes` the file is moved to `<path>.1` (replacing the one before) and a new one
    begins, so a service left running never fills the disk with its traces. One file per
    process: instances of one service need a file each (OTEL_TRACE_FILE) or an OTLP endpoint."""

    def __init__(self, path: str, max_bytes: int = 64 * 1024 * 1024):
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._max_bytes = max_bytes
        self._file: IO[str] = self._path.open("a", encoding="utf-8")

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        for span in spans:
            self._file.write(_json_line(span) + "\n")
        self._file.flush()
        if self._file.tell() >= self._max_bytes:
            self._file.close()
            # Moved or not (e.g. deleted meanwhile), the spans go on being written.
            with contextlib.suppress(OSError):
                self._path.replace(self._path.with_name(self._path.name + ".1"))
            self._file = self._path.open("a", encoding="utf-8")
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self._file.close()


def _json_line(span: ReadableSpan) -> str:
    try:
        return str(span.to_json(indent=None))
    except TypeError:
        # An attribute JSON cannot hold (a library's bytes Kafka key): keep the span, as text.
        clean = {name: str(value) for name, value in (span.attributes or {}).items()}
        copy = ReadableSpan(
            name=span.name,
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=clean,
            events=span.events,
            links=span.links,
            kind=span.kind,
            status=span.status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )
        return str(copy.to_json(indent=None))


def configure_tracing(
    service: str,
    *,
    otlp_endpoint: str | None = None,
    trace_file: str | None = None,
    sample_ratio: float = 1.0,
) -> TracerProvider:
    """Install the SDK tracer provider (always: trace context must flow even unexported).
    Traces started here are sampled at `sample_ratio`; a caller's sampling decision is kept."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"vfp-{service}"}),
        sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
    )
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter: SpanExporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint}/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter))
    if trace_file:
        provider.add_span_processor(BatchSpanProcessor(JsonLinesSpanExporter(trace_file)))
    trace.set_tracer_provider(provider)
    return provider


# A proxy until `configure_tracing` installs the provider, then the real tracer: fetched once,
# because `get_tracer` builds a new tracer on every call and spans start on every event.
_TRACER = trace.get_tracer(TRACER_NAME)
_ROOT = Context()


def tracer() -> trace.Tracer:
    return _TRACER


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span (what the propagator would inject), formatted
    directly: it is read for every event a service emits."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


@contextmanager
def span_from(
    name: str, traceparent: str | None, kind: SpanKind, attributes: Mapping[str, str] | None = None
) -> Iterator[Span]:
    """A span whose parent is the given W3C traceparent (from an event), made current."""
    # No traceparent: a new trace (the journey starts here), not a child of whatever is current.
    parent = PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else _ROOT
    span = _TRACER.start_span(name, context=parent, kind=kind, attributes=attributes)
    with trace.use_span(span, end_on_exit=True):
        yield span
