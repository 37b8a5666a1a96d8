"""A Microsoft Teams incoming webhook: an Adaptive Card in a message attachment."""

from typing import Any

import httpx

from vfp_notifications.adapters.channels import Outgoing
from vfp_notifications.adapters.channels.http_status import check_status
from vfp_notifications.domain.model import TransientFailure


class TeamsSender:
    def __init__(self, client: httpx.AsyncClient):
        self._client = client

    async def send(self, outgoing: Outgoing) -> None:
        try:
            response = await self._client.post(outgoing.address, json=adaptive_card(outgoing))
        except httpx.HTTPError as error:
            raise TransientFailure(f"teams_unavailable:{type(error).__name__}") from None
        check_status(response.status_code, "teams")


def adaptive_card(outgoing: Outgoing) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": outgoing.message.subject,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
    ]
    body += [
        {"type": "TextBlock", "text": paragraph, "wrap": True}
        for paragraph in outgoing.message.text.split("\n\n")
        if paragraph.strip()
    ]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": body,
                },
            }
        ],
    }
