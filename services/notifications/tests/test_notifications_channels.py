"""GOV.UK Notify, Teams and signed webhooks, each against a real local HTTP server; groups."""

import json
from typing import Any
from uuid import uuid4

import httpx
import jwt
import pytest
from notifications_checks import deliveries
from notifications_events import action_raised, case_study_shared, panel_scheduled, recognition, ref
from notifications_fixtures import Directory
from notifications_stand_ins import HttpStandIn, Mailbox, eventually, free_port
from standardwebhooks import Webhook

from vfp_notifications.adapters.channels import Outgoing
from vfp_notifications.adapters.channels.smtp import SmtpSender
from vfp_notifications.adapters.channels.teams import TeamsSender
from vfp_notifications.adapters.rendering import Rendered
from vfp_notifications.domain.model import TransientFailure
from vfp_notifications.settings import NotificationsSettings
from vfp_shared.testing import publish


async def test_a_notify_recipient_gets_the_message_through_gov_uk_notify(
    settings: NotificationsSettings,
    directory: Directory,
    stand_in: HttpStandIn,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    event = action_raised()
    owner = await directory.add(event.owner_ref, channels=["notify", "email"])
    await publish(settings.kafka_bootstrap_servers, [event])

    [request] = await eventually(
        lambda: [
            r
            for r in stand_in.to("/v2/notifications/email")
            if json.loads(r.body)["email_address"] == f"{owner}@force.example"
        ],
        what="the Notify request",
    )
    body = json.loads(request.body)
    assert body["template_id"] == settings.notifications_notify_template_id
    assert body["personalisation"]["subject"] == f"Learning action for you: {event.title}"
    assert event.action_ref in body["personalisation"]["body"]
    # Notify's authentication: an HS256 JWT signed with the key's secret, issued by the service.
    api_key = settings.notifications_notify_api_key or ""
    token = request.headers["authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, api_key[-36:], algorithms=["HS256"])
    assert claims["iss"] == api_key[-73:-37]
    [logged] = await eventually(lambda: _sent(client, coordinator, owner), what="the log entry")
    assert logged["channel"] == "notify" and body["reference"] == logged["notification_ref"]


async def test_a_team_with_a_teams_channel_gets_an_adaptive_card_after_a_503(
    settings: NotificationsSettings,
    directory: Directory,
    stand_in: HttpStandIn,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    team = ref("team")
    path = f"/teams/{team}"
    stand_in.answer(path, 503)
    await directory.add(
        team, kind="team", email=None, channels=["teams"], teams_webhook_url=stand_in.url + path
    )
    event = case_study_shared(team_refs=[team])
    await publish(settings.kafka_bootstrap_servers, [event])

    [request] = await eventually(lambda: stand_in.to(path), what="the Teams post")
    [attachment] = json.loads(request.body)["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    texts = [block["text"] for block in attachment["content"]["body"]]
    assert event.case_study_ref in texts[0]
    [logged] = await eventually(lambda: _sent(client, coordinator, team), what="the log entry")
    assert (logged["channel"], logged["attempts"]) == ("teams", 2)


async def test_a_downstream_system_gets_a_webhook_it_can_verify(
    settings: NotificationsSettings,
    directory: Directory,
    stand_in: HttpStandIn,
) -> None:
    system = ref("training-system")
    path = f"/hooks/{system}"
    await directory.add(
        system, kind="system", email=None, channels=["webhook"], webhook_url=stand_in.url + path
    )
    event = action_raised(owner_ref=system)
    await publish(settings.kafka_bootstrap_servers, [event])

    [request] = await eventually(lambda: stand_in.to(path), what="the webhook")
    verified = Webhook(settings.notifications_webhook_secret or "").verify(
        request.body, request.headers
    )
    assert verified["type"] == "vfp.notification.action_raised"
    assert verified["data"]["context"]["action_ref"] == event.action_ref
    assert verified["data"]["notification_ref"] == request.headers["webhook-id"]


async def test_a_webhook_answered_with_a_4xx_fails_at_once(
    settings: NotificationsSettings,
    directory: Directory,
    stand_in: HttpStandIn,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    system = ref("media-system")
    path = f"/hooks/{system}"
    stand_in.answer(path, 410)
    await directory.add(
        system, kind="system", email=None, channels=["webhook"], webhook_url=stand_in.url + path
    )
    await publish(settings.kafka_bootstrap_servers, [action_raised(owner_ref=system)])

    [logged] = await eventually(
        lambda: deliveries(client, coordinator, recipient_ref=system, status="failed"),
        what="the failure",
    )
    assert (logged["reason_code"], logged["attempts"]) == ("webhook_http_410", 1)


async def test_a_command_area_without_an_address_is_reached_through_its_members(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    first, second = await directory.add(ref("pc")), await directory.add(ref("ds"))
    area = await directory.add(
        ref("north"), kind="command_area", email=None, member_refs=[first, second, first]
    )
    cps = await directory.add(ref("cps"), kind="cps")
    unknown = ref("partner")
    event = panel_scheduled(command_area_refs=[area], organisation_refs=[cps, unknown])
    await publish(settings.kafka_bootstrap_servers, [event])

    for member in (first, second, cps):
        await eventually(lambda m=member: mailbox.to(f"{m}@force.example"), what=member)  # type: ignore[misc]
    assert len(mailbox.to(f"{first}@force.example")) == 1
    [failed] = await eventually(
        lambda: deliveries(client, coordinator, recipient_ref=unknown), what="the failure"
    )
    assert failed["reason_code"] == "recipient_not_in_directory"


async def test_recognition_reaches_the_officer_and_the_line_manager_from_the_directory(
    settings: NotificationsSettings,
    directory: Directory,
    mailbox: Mailbox,
) -> None:
    manager = await directory.add(ref("inspector"))
    officer = await directory.add(ref("pc"), line_manager_ref=manager)
    await publish(
        settings.kafka_bootstrap_servers,
        [recognition(recipient_ref=officer, line_manager_ref=None)],
    )

    [to_manager] = await eventually(lambda: mailbox.to(f"{manager}@force.example"), what="mail")
    assert officer in to_manager["Subject"]
    await eventually(lambda: mailbox.to(f"{officer}@force.example"), what="the officer's mail")


async def test_a_mail_server_that_is_down_is_a_transient_failure() -> None:
    sender = SmtpSender(host="127.0.0.1", port=free_port(), mail_from="vfp@force.example")
    with pytest.raises(TransientFailure):
        await sender.send(_outgoing("pc@force.example"))


async def test_a_teams_endpoint_that_is_down_is_a_transient_failure() -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(TransientFailure):
            await TeamsSender(http).send(_outgoing(f"http://127.0.0.1:{free_port()}/teams"))


def _outgoing(address: str) -> Outgoing:
    return Outgoing(
        notification_ref=str(uuid4()),
        address=address,
        recipient_name="Sam",
        message=Rendered("Subject", "Text", "<p>Text</p>"),
        metadata={},
    )


async def _sent(client: Any, headers: dict[str, str], recipient: str) -> list[dict[str, Any]]:
    return await deliveries(client, headers, recipient_ref=recipient, status="sent")
