"""`python -m vfp_notifications`: the notifications service (HTTP API, consumer, dispatcher)."""

from vfp_notifications.bootstrap import build
from vfp_notifications.settings import NotificationsSettings
from vfp_shared.serve import serve


def main() -> None:
    settings = NotificationsSettings()
    serve("notifications", settings, lambda: build(settings).app)


if __name__ == "__main__":
    main()
