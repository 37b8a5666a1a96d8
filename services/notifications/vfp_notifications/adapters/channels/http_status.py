"""HTTP outcomes as delivery outcomes, for every channel that speaks HTTP."""

from vfp_notifications.domain.model import PermanentFailure, TransientFailure


def check_status(status_code: int, what: str) -> None:
    """Raise for a failed response: 5xx, 408 and 429 are worth a retry, other 4xx are not."""
    if status_code < 400:
        return
    if status_code >= 500 or status_code in (408, 429):
        raise TransientFailure(f"{what}_http_{status_code}")
    raise PermanentFailure(f"{what}_http_{status_code}")
