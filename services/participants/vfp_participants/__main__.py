"""`python -m vfp_participants`: the participants service (HTTP API, consumer, relay)."""

from vfp_participants.bootstrap import build
from vfp_participants.settings import ParticipantsSettings
from vfp_shared.serve import serve


def main() -> None:
    settings = ParticipantsSettings()
    serve("participants", settings, lambda: build(settings).app)


if __name__ == "__main__":
    main()
