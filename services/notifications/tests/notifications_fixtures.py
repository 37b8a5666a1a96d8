"""Test helpers the fixtures hand out: a movable clock and a directory seeded over HTTP."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx


class Clock:
    """Real time, shifted when a test needs it to be night in London."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


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
