"""Calls to the four services' HTTP APIs, as a given user (a bearer token)."""

from typing import Any

import httpx

from vfp_ops.simulator.environment import CycleEnvironment
from vfp_ops.simulator.outcome import StageFailed


class Http:
    def __init__(self, env: CycleEnvironment, client: httpx.AsyncClient):
        self.env = env
        self.client = client

    async def call(
        self,
        method: str,
        service: str,
        path: str,
        token: str,
        body: Any = None,
        *,
        expect: tuple[int, ...] = (200, 201),
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """The response, if its status is one of `expect`; StageFailed otherwise."""
        response = await self.client.request(
            method,
            f"{self.env.url(service)}{path}",
            json=body,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )
        if response.status_code not in expect:
            raise StageFailed(
                f"{method} {service}{path} → {response.status_code}: {response.text[:400]}"
            )
        return response

    async def json(
        self, method: str, service: str, path: str, token: str, body: Any = None, **kwargs: Any
    ) -> Any:
        return (await self.call(method, service, path, token, body, **kwargs)).json()
