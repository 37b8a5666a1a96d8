"""The default span exporter keeps every span, whatever its attributes."""

import json

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanContext

from vfp_shared.telemetry import _json_line


def test_a_span_with_a_bytes_attribute_is_written_as_json_not_lost() -> None:
    context = SpanContext(trace_id=0x1234, span_id=0x5678, is_remote=False)
    span = ReadableSpan(name="dead letter publish", context=context, attributes={"key": b"case-1"})
    written = json.loads(_json_line(span))
    assert written["attributes"] == {"key": "b'case-1'"}
    assert written["context"]["trace_id"] == f"0x{0x1234:032x}"
