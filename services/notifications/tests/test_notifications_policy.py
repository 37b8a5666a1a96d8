"""When and how a send goes: channel choice, quiet hours, rate limit, backoff (pure)."""

from datetime import UTC, datetime, timedelta

from vfp_notifications.domain.model import Channel, DirectoryEntry
from vfp_notifications.domain.policy import QuietHours, choose_channel, deferral, retry_delay

NIGHT = QuietHours.parse("21:00", "07:00", "Europe/London")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_quiet_hours_span_midnight_in_london_time() -> None:
    assert NIGHT.contains(at("2026-01-10T22:30:00+00:00"))
    assert NIGHT.contains(at("2026-01-11T06:59:00+00:00"))
    assert not NIGHT.contains(at("2026-01-11T07:00:00+00:00"))
    # British Summer Time: 20:30 UTC is 21:30 in London.
    assert NIGHT.contains(at("2026-07-10T20:30:00+00:00"))


def test_a_send_in_quiet_hours_waits_until_they_end() -> None:
    wait = deferral(
        now=at("2026-07-10T22:00:00+01:00"),
        channel=Channel.EMAIL,
        urgent=False,
        quiet_hours=NIGHT,
        recent_sends=[],
        limit_per_hour=10,
    )
    assert wait is not None and wait.reason_code == "quiet_hours"
    assert wait.until == at("2026-07-11T07:00:00+01:00")


def test_urgent_sends_and_machine_channels_ignore_quiet_hours() -> None:
    late = at("2026-01-10T23:00:00+00:00")
    common = {"now": late, "quiet_hours": NIGHT, "recent_sends": [], "limit_per_hour": 10}
    assert deferral(channel=Channel.EMAIL, urgent=True, **common) is None  # type: ignore[arg-type]
    assert deferral(channel=Channel.WEBHOOK, urgent=False, **common) is None  # type: ignore[arg-type]


def test_the_rate_limit_defers_until_the_oldest_send_leaves_the_hour() -> None:
    now = at("2026-01-10T12:00:00+00:00")
    sent = [now - timedelta(minutes=m) for m in (50, 30, 10, 90)]
    wait = deferral(
        now=now,
        channel=Channel.EMAIL,
        urgent=False,
        quiet_hours=None,
        recent_sends=sent,
        limit_per_hour=3,
    )
    assert wait is not None and wait.reason_code == "rate_limited"
    assert wait.until == now + timedelta(minutes=10)
    assert (
        deferral(
            now=now,
            channel=Channel.EMAIL,
            urgent=False,
            quiet_hours=None,
            recent_sends=sent,
            limit_per_hour=4,
        )
        is None
    )


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    delays = [retry_delay(n, base_s=30, max_s=300).total_seconds() for n in (1, 2, 3, 4, 5)]
    assert delays == [30, 60, 120, 240, 300]


def test_the_first_preferred_channel_that_is_on_and_has_an_address_is_chosen() -> None:
    entry = DirectoryEntry(
        ref="team-1",
        kind="team",
        name="Team",
        email="team@force.example",
        teams_webhook_url=None,
        channels=(Channel.TEAMS, Channel.NOTIFY, Channel.EMAIL),
    )
    assert choose_channel(entry, {Channel.EMAIL, Channel.TEAMS}) is Channel.EMAIL
    assert choose_channel(entry, {Channel.EMAIL, Channel.NOTIFY}) is Channel.NOTIFY
    assert choose_channel(entry, {Channel.WEBHOOK}) is None


def test_a_message_about_a_victim_takes_only_a_channel_to_the_recipients_own_inbox() -> None:
    entry = DirectoryEntry(
        ref="isva-1",
        kind="support_worker",
        name="Alex",
        email="alex@service.example",
        teams_webhook_url="https://teams.example/hook",
        webhook_url="https://case-system.example/hook",
        channels=(Channel.TEAMS, Channel.WEBHOOK, Channel.NOTIFY, Channel.EMAIL),
    )
    every = set(Channel)
    assert choose_channel(entry, every) is Channel.TEAMS
    assert choose_channel(entry, every, about_victim=True) is Channel.NOTIFY
    assert choose_channel(entry, every - {Channel.NOTIFY}, about_victim=True) is Channel.EMAIL
    without_inbox = DirectoryEntry(
        ref="isva-2",
        kind="support_worker",
        name="Sam",
        teams_webhook_url="https://teams.example/hook",
        channels=(Channel.TEAMS, Channel.EMAIL),
    )
    assert choose_channel(without_inbox, every, about_victim=True) is None
