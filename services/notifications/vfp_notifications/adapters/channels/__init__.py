"""One adapter per channel, each speaking the real protocol. An adapter raises
TransientFailure (try again later) or PermanentFailure (give up), never anything else."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from vfp_notifications.adapters.rendering import Rendered


@dataclass(frozen=True)
class Outgoing:
    """One message ready to go: where, what, and the non-personal facts about it."""

    notification_ref: str
    address: str
    recipient_name: str
    message: Rendered
    metadata: Mapping[str, Any]


class Sender(Protocol):
    async def send(self, outgoing: Outgoing) -> None: ...
