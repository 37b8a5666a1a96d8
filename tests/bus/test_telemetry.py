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
        for i in range(13)
    ]
    for span in spans:
        exporter.export([span])
        if path.exists() and path.stat().st_size == 0:
            break  # just moved aside
    exporter.export([spans[-1]])  # and writing goes on, in the new file
    exporter.shutdown()
    previous = path.with_name("service.jsonl.1")
    before = [json.loads(line)["name"] for line in previous.read_text().splitlines()]
    after = [json.loads(line)["name"] for line in path.read_text().splitlines()]
    assert previous.stat().st_size >= 2_000
    assert after == ["span 12"]
    assert before == [f"span {i}" for i in range(len(before))]


def test_a_trace_file_removed_meanwhile_does_not_stop_the_spans(tmp_path: Path) -> None:
    path = tmp_path / "service.jsonl"
    exporter = JsonLinesSpanExporter(str(path), max_bytes=10)
    span = ReadableSpan(name="span", context=SpanContext(1, 1, is_remote=False))
    path.unlink()  # e.g. an operator cleaned the folder: moving it aside fails
    exporter.export([span])  # lost with the removed file; the move fails, a new file begins
    exporter.export([span])  # written there, and (full again) moved aside
    exporter.shutdown()
    kept = path.with_name("service.jsonl.1").read_text().splitlines()
    assert [json.loads(line)["name"] for line in kept] == ["span"]
