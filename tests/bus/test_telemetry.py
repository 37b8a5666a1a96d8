"""The default span exporter keeps every span, whatever its attributes, in bounded files."""

import json
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanContext

from vfp_shared.telemetry import JsonLinesSpanExporter, _json_line


def test_a_span_with_a_bytes_attribute_is_written_as_json_not_lost() -> None:
    context = SpanContext(trace_id=0x1234, span_id=0x5678, is_remote=False)
    span = ReadableSpan(name="dead letter publish", context=context, attributes={"key": b"case-1"})
    written = json.loads(_json_line(span))
    assert written["attributes"] == {"key": "b'case-1'"}
    assert written["context"]["trace_id"] == f"0x{0x1234:032x}"


def test_the_trace_file_moves_aside_when_full_and_a_new_one_begins(tmp_path: Path) -> None:
    path = tmp_path / "service.jsonl"
    exporter = JsonLinesSpanExporter(str(path), max_bytes=2_000)
    spans = [
        ReadableSpan(name=f"span {i}", context=SpanContext(i + 1, i + 1, is_remote=False))
        for i in range(12)
    ]
    for span in spans:
        exporter.export([span])
    exporter.shutdown()
    previous = path.with_name("service.jsonl.1")
    names = [
        json.loads(line)["name"]
        for file in (previous, path)
        for line in file.read_text().splitlines()
    ]
    assert previous.stat().st_size >= 2_000 > path.stat().st_size
    # The newest spans are kept, in their order, across the two files (older ones are dropped).
    assert names[-1] == "span 11" and set(names) <= {s.name for s in spans}
    assert names == sorted(names, key=lambda n: int(n.split()[1]))
