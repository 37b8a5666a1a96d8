"""`python -m vfp_feedback`: the feedback service (HTTP API, event consumer, outbox relay)."""

from vfp_feedback.bootstrap import build
from vfp_feedback.settings import FeedbackSettings
from vfp_shared.serve import serve


def main() -> None:
    settings = FeedbackSettings()
    serve("feedback", settings, lambda: build(settings).app)


if __name__ == "__main__":
    main()
