"""Which services a trace went through, read from the spans they wrote."""

import json
from pathlib import Path


def services_in_trace(traces: Path, trace_id: str) -> list[str]:
    """The services whose spans (JSON lines, OpenTelemetry's `to_json`) carry `trace_id`."""
    wanted = f"0x{trace_id}"
    found: set[str] = set()
    for path in traces.glob("*.jsonl*"):  # with the previous file of one that grew full
        with path.open() as lines:
            for line in lines:
                if wanted not in line:
                    continue
                try:
                    span = json.loads(line)
                except ValueError:
                    continue
                if span.get("context", {}).get("trace_id") == wanted:
                    name = span.get("resource", {}).get("attributes", {}).get("service.name", "")
                    found.add(str(name).removeprefix("vfp-"))
    return sorted(found)
