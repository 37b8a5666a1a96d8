"""Contract snapshots: the JSON schema of every published contract, checked in.

A contract, once published, never changes: a change is a new version (a new topic, side by
side). ``make contracts`` snapshots NEW contracts; it refuses to rewrite an existing one.
The test suite fails when a live contract no longer matches its snapshot.
"""

import json
import sys
from pathlib import Path
from typing import Any

from vfp_shared.contracts import REGISTRY, Contract

SNAPSHOTS = Path(__file__).parent / "schemas"


def published_contracts() -> dict[str, type[Contract]]:
    """The platform's own contracts (tools such as the benchmark may register private ones)."""
    return {t: m for t, m in REGISTRY.items() if m.__module__.startswith(__package__ or "")}


def schema_of(model: type[Contract]) -> dict[str, Any]:
    return model.model_json_schema(mode="serialization")


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def drifted() -> dict[str, str]:
    """Topics whose contract differs from its snapshot (or has none), with why."""
    problems = {}
    for topic, model in sorted(published_contracts().items()):
        path = SNAPSHOTS / f"{topic}.json"
        if not path.exists():
            problems[topic] = "no snapshot: run `make contracts` and commit it"
        elif path.read_text() != render(schema_of(model)):
            problems[topic] = (
                "changed since it was published: add a new version "
                f"(e.g. {model.EVENT_TYPE}.v{model.VERSION + 1}) instead of editing this one"
            )
    return problems


def main() -> int:
    SNAPSHOTS.mkdir(exist_ok=True)
    status = 0
    for topic, why in drifted().items():
        path = SNAPSHOTS / f"{topic}.json"
        if path.exists():
            print(f"refused  {topic}: {why}")
            status = 1
        else:
            path.write_text(render(schema_of(published_contracts()[topic])))
            print(f"snapshot {topic}")
    return status


if __name__ == "__main__":
    sys.exit(main())
