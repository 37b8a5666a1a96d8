"""What the stages share: the platform, the run's cast and tokens, and what earlier stages
found that later ones build on."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from aiokafka import TopicPartition

from vfp_ops.simulator.bus import BusWatch, Seen
from vfp_ops.simulator.environment import CycleEnvironment
from vfp_ops.simulator.feed import Feed
from vfp_ops.simulator.http import Http
from vfp_ops.simulator.outcome import CycleResult, StageFailed
from vfp_ops.simulator.stages.cast import Cast
from vfp_shared.auth import Role, issue_token


@dataclass
class CycleState:
    env: CycleEnvironment
    http: Http
    watch: BusWatch
    feed: Feed
    result: CycleResult
    cast: Cast
    coordinator_token: str  # the tokens the stages act with
    lead_token: str
    board_token: str
    recurring_theme: str  # the theme three victims raise
    below_k_theme: str  # the theme only two victims raise: never published
    started_at: datetime
    # Found along the way.
    participant: dict[str, str] = field(default_factory=dict)  # showcase key -> participant ref
    testimony: dict[str, list[str]] = field(default_factory=dict)  # showcase key -> refs
    fed: dict[TopicPartition, int] = field(default_factory=dict)  # where the feed landed
    panel_starts: datetime | None = None
    panel_title: str = ""
    invitation_refs: list[str] = field(default_factory=list)
    invited_event_ids: set[str] = field(default_factory=set)
    undelivered: list[str] = field(default_factory=list)

    @classmethod
    def begin(
        cls, env: CycleEnvironment, http: Http, watch: BusWatch, feed: Feed, result: CycleResult
    ) -> "CycleState":
        run = feed.run_id
        cast = Cast.of_run(run, env.organisation)

        def token(ref: str, role: Role) -> str:
            return issue_token(env.jwt_key, ref, [role], cast.organisation)

        return cls(
            env=env,
            http=http,
            watch=watch,
            feed=feed,
            result=result,
            cast=cast,
            coordinator_token=token(cast.coordinator, Role.COORDINATOR),
            lead_token=token(cast.lead, Role.PANEL_LEAD),
            board_token=token(cast.board, Role.BOARD),
            recurring_theme=f"sim_{run}_single_point_of_contact",
            below_k_theme=f"sim_{run}_court_waiting_areas",
            started_at=datetime.now(UTC),
        )

    def staff_token(self, ref: str) -> str:
        return issue_token(self.env.jwt_key, ref, [Role.STAFF], self.cast.organisation)

    def supporter_of(self, key: str) -> str:
        """The support worker (or else the officer) of a showcase victim."""
        case = self.feed.showcase(key).event
        return case.support_worker_ref or case.oic_ref

    async def events(
        self,
        topic: str,
        match: Callable[[Any], bool] = lambda _: True,
        *,
        count: int = 1,
        timeout_s: float = 30,
    ) -> list[Seen]:
        """`BusWatch.wait`, failing the stage at the timeout."""
        try:
            return await self.watch.wait(topic, match, count=count, timeout_s=timeout_s)
        except TimeoutError as error:
            raise StageFailed(str(error)) from None

    def sent_for(self, event_ids: set[str], template: str | None = None) -> list[Any]:
        """The notifications sent for any of `event_ids` (with `template`, if given)."""
        return [
            s.envelope.data
            for s in self.watch.matching("notifications.sent.v1")
            if s.envelope.data.source_event_id in event_ids
            and (template is None or s.envelope.data.template == template)
        ]

    def mails(self) -> list[EmailMessage]:
        return self.env.mailbox() if self.env.mailbox else []

    async def pool(self) -> set[str]:
        """The participant refs in the panels pool."""
        pool = await self.http.json(
            "GET", "panels", "/pool", self.coordinator_token, params={"limit": 500}
        )
        return {e["participant_ref"] for e in pool}
