"""`python -m vfp_panels`: the panels service (HTTP API, event consumer, outbox relay)."""

from vfp_panels.bootstrap import build
from vfp_panels.settings import PanelsSettings
from vfp_shared.serve import serve


def main() -> None:
    settings = PanelsSettings()
    serve("panels", settings, lambda: build(settings).app)


if __name__ == "__main__":
    main()
