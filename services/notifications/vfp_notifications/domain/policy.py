"""When and how a send goes: channel choice, quiet hours, the rate limit and retry backoff."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from vfp_notifications.domain.model import PERSONAL_CHANNELS, Channel, DirectoryEntry


def choose_channel(
    entry: DirectoryEntry, enabled: Collection[Channel], *, about_victim: bool = False
) -> Channel | None:
    """The recipient's first preferred channel that is switched on and has an address; for a
    message about a victim, only one that reaches the recipient's own inbox."""
    allowed = PERSONAL_CHANNELS if about_victim else frozenset(Channel)
    for channel in entry.channels:
        if channel in enabled and channel in allowed and entry.address_for(channel):
            return channel
    return None


@dataclass(frozen=True)
class QuietHours:
    """A nightly window (local time) when non-urgent email waits; may span midnight."""

    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, start: str, end: str, zone: str) -> "QuietHours":
        return cls(time.fromisoformat(start), time.fromisoformat(end), ZoneInfo(zone))

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(self.zone).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, at: datetime) -> datetime:
        """The first end of the window after `at`, in `at`'s time zone."""
        local = at.astimezone(self.zone)
        end = datetime.combine(local.date(), self.end, tzinfo=self.zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=self.zone)
        return end.astimezone(at.tzinfo)


@dataclass(frozen=True)
class Deferral:
    until: datetime
    reason_code: str


def deferral(
    *,
    now: datetime,
    channel: Channel,
    urgent: bool,
    quiet_hours: QuietHours | None,
    recent_sends: Sequence[datetime],
    limit_per_hour: int,
) -> Deferral | None:
    """None to send now; else when to try again and why. `recent_sends` are this recipient's
    sends of the last hour (including those being sent in the same round)."""
    if quiet_hours and not urgent and channel in PERSONAL_CHANNELS and quiet_hours.contains(now):
        return Deferral(quiet_hours.ends_after(now), "quiet_hours")
    window = [at for at in recent_sends if at > now - timedelta(hours=1)]
    if len(window) >= limit_per_hour:
        oldest = sorted(window)[len(window) - limit_per_hour]
        return Deferral(oldest + timedelta(hours=1), "rate_limited")
    return None


def retry_delay(attempts: int, *, base_s: float, max_s: float) -> timedelta:
    """Exponential backoff after the `attempts`-th failed try (1 → base)."""
    return timedelta(seconds=min(max_s, base_s * 2 ** max(0, attempts - 1)))
