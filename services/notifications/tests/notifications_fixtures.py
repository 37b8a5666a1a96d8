"""Test helpers the fixtures hand out: a movable clock and a directory seeded over HTTP."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from vfp_notifications.settings import NotificationsSettings


class Clock:
    """Real time, shifted when a test needs it to be night in London."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@contextmanager
def at_night(clock: Clock, settings: NotificationsSettings) -> Iterator[None]:
    """The service's clock inside quiet hours: what is sent now waits for the morning."""
    quiet_start = datetime.strptime(settings.notifications_quiet_hours_start, "%H:%M").time()
    london = datetime.now(ZoneInfo("Europe/London"))
    night = datetime.combine(london.date(), quiet_start, london.tzinfo) + timedelta(minutes=30)
    if night < london:
        night += timedelta(days=1)
    clock.offset = night.astimezone(UTC) - datetime.now(UTC)
    try:
        yield
    finally:
        clock.offset = timedelta()


class Directory:
    """Seeds the directory through the HTTP API, as a coordinator would."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]):
        self._client = client
        self._headers = headers

    async def add(self, ref: str, **entry: Any) -> str:
        body = {"kind": "staff", "name": f"Name of {ref}", "email": f"{ref}@force.example", **entry}
        response = await self._client.put(f"/directory/{ref}", json=body, headers=self._headers)
        assert response.status_code == 200, response.text
        return ref
