"""Waiting for an outcome by checking it again and again, with a timeout."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from vfp_ops.simulator.outcome import StageFailed


async def poll(
    check: Callable[[], Awaitable[Any]], what: str, timeout_s: float = 30, every_s: float = 0.25
) -> Any:
    """Until `check()` returns something truthy; StageFailed naming `what` at the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise StageFailed(f"timed out after {timeout_s:.0f}s waiting for {what}")
        await asyncio.sleep(every_s)
