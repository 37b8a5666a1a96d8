"""HTTP outcomes as delivery outcomes, for every channel that speaks HTTP."""

from vfp_notifications.domain.model import PermanentFailure, TransientFailure


def check_status(status_code: int, what: str) -> None:
    """Raise for anything but a 2xx: 5xx, 408 and 429 are worth a retry; other 4xx are not,
    nor is a 3xx (redirects are not followed: the endpoint did not take the message)."""
    if 200 <= status_code < 300:
        return
    if status_code >= 500 or status_code in (408, 429):
        raise TransientFailure(f"{what}_http_{status_code}")
    raise PermanentFailure(f"{what}_http_{status_code}")
