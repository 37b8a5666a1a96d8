"""GOV.UK Notify, Teams and signed webhooks, each against a real local HTTP server; groups."""

import json
from dataclasses import replace
from typing import Any
from uuid import uuid4

import httpx
import jwt
import pytest
from notifications_checks import deliveries
from notifications_events import (
    action_raised,
    case_study_shared,
    endorsement_requested,
    panel_scheduled,
    recognition,
    ref,
)
from notifications_fixtures import Directory
from notifications_stand_ins import (
    NOTIFY_PATH,
    Captured,
    HttpStandIn,
    Mailbox,
    eventually,
    free_port,
)
from standardwebhooks import Webhook

from vfp_notifications.adapters.channels import Outgoing
from vfp_notifications.adapters.channels.smtp import SmtpSender
from vfp_notifications.adapters.channels.teams import TeamsSender
from vfp_notifications.adapters.rendering import Rendered
from vfp_notifications.domain.model import PermanentFailure, TransientFailure
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
    assert event.action_ref in verified["data"]["text"]
    assert verified["data"]["notification_ref"] == request.headers["webhook-id"]
    # The facts the message was rendered from stay here: the rendered text is all that goes.
    assert "context" not in verified["data"]


async def test_a_message_about_a_victim_goes_to_the_supporters_inbox_not_teams_or_a_webhook(
    settings: NotificationsSettings,
    directory: Directory,
    stand_in: HttpStandIn,
    mailbox: Mailbox,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    event = endorsement_requested()
    isva = event.supporter_ref or ""
    teams, hook = f"/teams/{isva}", f"/hooks/{isva}"
    await directory.add(
        isva,
        kind="support_worker",
        channels=["teams", "webhook", "email"],
        teams_webhook_url=stand_in.url + teams,
        webhook_url=stand_in.url + hook,
    )
    await publish(settings.kafka_bootstrap_servers, [event])

    [message] = await eventually(lambda: mailbox.to(f"{isva}@force.example"), what="the mail")
    assert event.participant_ref in message["Subject"]
    [logged] = await eventually(lambda: _sent(client, coordinator, isva), what="the log entry")
    assert logged["channel"] == "email"
    assert stand_in.to(teams) == [] and stand_in.to(hook) == []


async def test_a_webhook_answered_with_a_redirect_fails_at_once(
    settings: NotificationsSettings,
    directory: Directory,
    stand_in: HttpStandIn,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    system = ref("media-system")
    path = f"/hooks/{system}"
    stand_in.answer(path, 302)
    await directory.add(
        system, kind="system", email=None, channels=["webhook"], webhook_url=stand_in.url + path
    )
    await publish(settings.kafka_bootstrap_servers, [action_raised(owner_ref=system)])

    [logged] = await eventually(
        lambda: deliveries(client, coordinator, recipient_ref=system, status="failed"),
        what="the failure",
    )
    assert (logged["reason_code"], logged["attempts"]) == ("webhook_http_302", 1)
    assert stand_in.to(path) == []


async def test_notify_refusing_a_message_is_a_permanent_failure(
    settings: NotificationsSettings,
    directory: Directory,
    stand_in: HttpStandIn,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    event = action_raised()
    owner = await directory.add(event.owner_ref, channels=["notify"])
    stand_in.answer_notify(f"{owner}@force.example", 400)
    await publish(settings.kafka_bootstrap_servers, [event])

    [logged] = await eventually(
        lambda: deliveries(client, coordinator, recipient_ref=owner, status="failed"),
        what="the failure",
    )
    assert (logged["channel"], logged["reason_code"], logged["attempts"]) == (
        "notify",
        "notify_http_400",
        1,
    )


async def test_notify_unavailable_is_tried_again(
    settings: NotificationsSettings,
    directory: Directory,
    stand_in: HttpStandIn,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    event = action_raised()
    owner = await directory.add(event.owner_ref, channels=["notify"])
    stand_in.answer_notify(f"{owner}@force.example", 503)
    await publish(settings.kafka_bootstrap_servers, [event])

    [logged] = await eventually(lambda: _sent(client, coordinator, owner), what="the log entry")
    assert logged["attempts"] == 2
    assert len(_notify_requests(stand_in, f"{owner}@force.example")) == 1


async def test_notify_taking_a_message_with_an_unreadable_reply_counts_as_sent_once(
    settings: NotificationsSettings,
    directory: Directory,
    stand_in: HttpStandIn,
    client: Any,
    coordinator: dict[str, str],
) -> None:
    event = action_raised()
    owner = await directory.add(event.owner_ref, channels=["notify"])
    stand_in.answer_notify(f"{owner}@force.example", 201, body=b"<html>Created</html>")
    await publish(settings.kafka_bootstrap_servers, [event])

    [logged] = await eventually(lambda: _sent(client, coordinator, owner), what="the log entry")
    # Sent at the first attempt: a retry would have been a second message.
    assert logged["attempts"] == 1
    assert _notify_requests(stand_in, f"{owner}@force.example") == []


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
    officer = await directory.add(ref("pc"), name="PC Jo Bloggs", line_manager_ref=manager)
    await publish(
        settings.kafka_bootstrap_servers,
        [recognition(recipient_ref=officer, line_manager_ref=None)],
    )

    [to_manager] = await eventually(lambda: mailbox.to(f"{manager}@force.example"), what="mail")
    assert to_manager["Subject"] == "Recognition for PC Jo Bloggs from the Victim Feedback Panel"
    plain = to_manager.get_body(("plain",))
    assert plain is not None and "PC Jo Bloggs, whom you manage" in plain.get_content()
    assert officer not in plain.get_content()
    await eventually(lambda: mailbox.to(f"{officer}@force.example"), what="the officer's mail")


async def test_a_message_no_mail_header_can_carry_fails_permanently() -> None:
    sender = SmtpSender(host="127.0.0.1", port=free_port(), mail_from="vfp@force.example")
    outgoing = _outgoing("pc@force.example")
    broken = replace(outgoing, message=replace(outgoing.message, subject="Two\nlines"))
    with pytest.raises(PermanentFailure, match="smtp_invalid_message"):
        await sender.send(broken)


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


def _notify_requests(stand_in: HttpStandIn, address: str) -> list[Captured]:
    """Notify requests the stand-in answered as Notify does (not by script)."""
    return [r for r in stand_in.to(NOTIFY_PATH) if json.loads(r.body)["email_address"] == address]


async def _sent(client: Any, headers: dict[str, str], recipient: str) -> list[dict[str, Any]]:
    return await deliveries(client, headers, recipient_ref=recipient, status="sent")
