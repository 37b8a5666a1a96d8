"""The AsyncAPI documents of every service, generated from the code into docs/asyncapi/.

``make contracts`` writes them; a test fails when a checked-in document is stale.
"""

import importlib
import json
import sys
from pathlib import Path

from vfp_shared.settings import PlatformSettings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "asyncapi"
SERVICES = ("participants", "panels", "feedback", "notifications")
# The documents name the local stack's broker, whatever this machine's settings say.
DOCUMENTED_BROKER = "127.0.0.1:19092"


def documents() -> dict[str, str]:
    """Service name → its AsyncAPI 3.0 document (JSON), for every service."""
    found = {}
    for name in SERVICES:
        bootstrap = importlib.import_module(f"vfp_{name}.bootstrap")
        runtime = bootstrap.build_runtime(
            PlatformSettings(kafka_bootstrap_servers=DOCUMENTED_BROKER)
        )
        spec = runtime.asyncapi().to_specification().to_jsonable()
        found[name] = json.dumps(spec, indent=2, sort_keys=True) + "\n"
    return found


def main() -> int:
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, document in documents().items():
        (DOCS / f"{name}.json").write_text(document)
        print(f"wrote docs/asyncapi/{name}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
