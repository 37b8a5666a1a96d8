"""Recurring themes over the real stack: the threshold, k-anonymity and the event out."""

from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from feedback_builders import auth, consent, consents_arrived, eventually, ref

from vfp_feedback.bootstrap import Feedback
from vfp_feedback.settings import FeedbackSettings
from vfp_shared.auth import Role
from vfp_shared.contracts import ConsentWithdrawnV1, ThemeRecurringV1
from vfp_shared.envelope import Envelope
from vfp_shared.testing import TopicReader, publish


async def new_theme(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    """A theme of the test's own, so no other test's or run's testimonies count towards it."""
    code = ref("theme").replace("-", "_")
    created = await client.post(
        "/themes",
        headers=headers,
        json={"code": code, "label": "Interpreter provided", "victims_code_right": 1},
    )
    assert created.status_code == 201
    return code


async def consenting(feedback: Feedback, settings: FeedbackSettings, n: int) -> list[str]:
    victims = [ref("victim") for _ in range(n)]
    await publish(settings.kafka_bootstrap_servers, [consent(v) for v in victims])
    await consents_arrived(feedback, victims)
    return victims


async def tell(
    client: httpx.AsyncClient, headers: dict[str, str], victim: str, panel: str, theme: str
) -> dict[str, Any]:
    response = await client.post(
        "/testimonies",
        headers=headers,
        json={
            "participant_ref": victim,
            "panel_ref": panel,
            "route": "pre_recorded",
            "could_be_better": "There was no interpreter at the first interview.",
            "tags": [{"theme_code": theme, "polarity": "negative"}],
        },
    )
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


def about(theme: str) -> Any:
    return lambda e: isinstance(e.data, ThemeRecurringV1) and e.data.theme_code == theme


async def test_a_theme_recurs_only_once_k_victims_across_two_panels_raised_it(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    coordinator = auth(settings, Role.COORDINATOR)
    theme = await new_theme(client, coordinator)
    v1, v2, v3 = await consenting(feedback, settings, 3)
    p1, p2 = ref("panel"), ref("panel")
    async with TopicReader(settings.kafka_bootstrap_servers, ThemeRecurringV1.TOPIC) as reader:
        # Four testimonies over two panels, but only k-1 = 2 victims: nothing is published.
        for victim, panel in ((v1, p1), (v1, p2), (v2, p1), (v2, p2)):
            assert (await tell(client, coordinator, victim, panel, theme))["recurring"] == []
        # The k-th victim makes it learning.
        assert (await tell(client, coordinator, v3, p2, theme))["recurring"] == [
            f"{theme}:negative"
        ]
        # Once per window: more testimonies do not publish it again.
        assert (await tell(client, coordinator, v3, p1, theme))["recurring"] == []
        events: list[Envelope[Any]] = await reader.events(about(theme), count=1)
    async with feedback.runtime.engine.connect() as conn:
        published_rows = await conn.scalar(
            sa.text("SELECT count(*) FROM feedback.outbox WHERE topic = :t AND key = :k"),
            {"t": ThemeRecurringV1.TOPIC, "k": theme},
        )
    assert published_rows == 1
    published = events[0].data
    assert (
        published.polarity,
        published.victims_code_right,
        published.testimony_count,
        published.victim_count,
        published.panel_count,
    ) == ("negative", 1, 5, 3, 2)


async def test_a_withdrawn_victim_no_longer_counts_towards_an_unpublished_theme(
    client: httpx.AsyncClient, settings: FeedbackSettings, feedback: Feedback
) -> None:
    coordinator = auth(settings, Role.COORDINATOR)
    theme = await new_theme(client, coordinator)
    leaving, v2, v3, v4 = await consenting(feedback, settings, 4)
    p1, p2 = ref("panel"), ref("panel")
    await tell(client, coordinator, leaving, p1, theme)
    await tell(client, coordinator, v2, p2, theme)
    await publish(
        settings.kafka_bootstrap_servers,
        [ConsentWithdrawnV1(participant_ref=leaving, withdrawn_at=datetime.now(UTC))],
    )

    async def erased() -> bool:
        listed = await client.get(
            "/testimonies", params={"participant_ref": leaving}, headers=coordinator
        )
        return bool(listed.json() == [])

    await eventually(erased)
    async with TopicReader(settings.kafka_bootstrap_servers, ThemeRecurringV1.TOPIC) as reader:
        # Three testimonies, but only two victims remain behind them.
        assert (await tell(client, coordinator, v3, p1, theme))["recurring"] == []
        assert (await tell(client, coordinator, v4, p1, theme))["recurring"] == [
            f"{theme}:negative"
        ]
        events = await reader.events(about(theme), count=1)
    assert events[0].data.victim_count == 3
    assert events[0].data.testimony_count == 3
