"""The board report against a known fixture, in a period of its own (a random month far in the
future, so no other test's or run's data falls in it). Events arrive over Kafka; commands go
through a second instance of the service whose clock stands inside that period."""

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from feedback_builders import auth, consent, consents_arrived, eventually, panel_held, ref

from vfp_feedback.bootstrap import Feedback, build
from vfp_feedback.settings import FeedbackSettings
from vfp_shared.auth import Role
from vfp_shared.contracts import ReferralMadeV1
from vfp_shared.contracts.vocabulary import ConsentScope, ParticipationMode
from vfp_shared.testing import publish

# One of ~77,000 two-month periods: a stack kept between runs holds earlier runs' periods, and
# one overlapping this one (same year, a month apart) would change its counts.
START = datetime(random.randint(2200, 9900), random.randint(1, 10), 1, tzinfo=UTC)
END = (START + timedelta(days=62)).replace(day=1)  # two calendar months
NOW = START + timedelta(days=45)


def day(n: int) -> datetime:
    return START + timedelta(days=n, hours=12)


@pytest.fixture(scope="module")
async def in_period(
    settings: FeedbackSettings, feedback: Feedback
) -> AsyncIterator[httpx.AsyncClient]:
    """The service as it would answer on day 45 of the period (commands only: the running
    service of the session consumes the events)."""
    later = build(settings, clock=lambda: NOW)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=later.app), base_url="http://test"
    ) as http:
        yield http
    await later.runtime.engine.dispose()


async def test_the_board_report_matches_the_fixture(
    client: httpx.AsyncClient,
    in_period: httpx.AsyncClient,
    settings: FeedbackSettings,
    feedback: Feedback,
) -> None:
    coordinator = auth(settings, Role.COORDINATOR)
    p1, p2 = ref("panel"), ref("panel")
    a1, a2, a3, b1, b2 = (ref("officer") for _ in range(5))
    v1, v2, v3, v4 = (ref("victim") for _ in range(4))
    officer, svc_a, svc_b = ref("officer"), ref("service"), ref("service")
    await publish(
        settings.kafka_bootstrap_servers,
        [
            panel_held(p1, [a1, a2, a3], day(2), "Panel one"),
            panel_held(p2, [b1, b2], day(35), "Panel two"),
            panel_held(ref("panel"), [ref("officer")], START - timedelta(days=5), "Before"),
            ReferralMadeV1(referral_ref=ref("referral"), service_ref=svc_a, referred_at=day(3)),
            ReferralMadeV1(referral_ref=ref("referral"), service_ref=svc_a, referred_at=day(10)),
            ReferralMadeV1(referral_ref=ref("referral"), service_ref=svc_b, referred_at=day(40)),
            ReferralMadeV1(
                referral_ref=ref("referral"),
                service_ref=svc_a,
                referred_at=START - timedelta(hours=1),
            ),
            consent(
                v1,
                scopes=(ConsentScope.TAKE_PART, ConsentScope.PRAISE_TO_NAMED_OFFICERS),
                officers=(officer,),
            ),
            consent(v2),
            consent(v3),
            consent(v4, mode=ParticipationMode.PRE_RECORDED),
        ],
    )
    await consents_arrived(feedback, [v1, v2, v3, v4])
    theme = ref("theme").replace("-", "_")
    assert (
        await client.post(
            "/themes",
            headers=coordinator,
            json={
                "code": theme,
                "label": "Referral at first contact",
                "victims_code_right": 4,
            },
        )
    ).status_code == 201

    async def testify(victim: str, panel: str, given: datetime, tags: list[Any]) -> str:
        response = await in_period.post(
            "/testimonies",
            headers=coordinator,
            json={
                "participant_ref": victim,
                "panel_ref": panel,
                "route": "live",
                "could_be_better": "words",
                "given_at": given.isoformat(),
                "tags": tags,
            },
        )
        assert response.status_code == 201, response.text
        testimony_ref: str = response.json()["testimony_ref"]
        return testimony_ref

    negative = {"theme_code": theme, "polarity": "negative"}
    kind = {"theme_code": "compassion", "polarity": "positive"}
    await testify(v1, p1, day(2), [negative, kind])
    await testify(v2, p1, day(2), [negative])
    await testify(v3, p2, day(35), [negative])
    fourth = await testify(v4, p2, day(35), [kind])

    async def surveyed(panel: str, attendee: str) -> bool:
        found = await client.get(
            f"/panels/{panel}/survey", headers=auth(settings, Role.STAFF, attendee)
        )
        return found.status_code == 200

    await eventually(lambda: surveyed(p1, a1))
    await eventually(lambda: surveyed(p2, b1))
    for panel, attendee, answers in (
        (p1, a1, {"usefulness": 4, "understanding_before": 2, "understanding_after": 4}),
        (p1, a2, {"usefulness": 2, "understanding_before": 2, "understanding_after": 5}),
        (p2, b1, {"usefulness": 5, "understanding_before": 3, "understanding_after": 5}),
    ):
        assert (
            await in_period.post(
                f"/panels/{panel}/survey/responses",
                headers=auth(settings, Role.STAFF, attendee),
                json={"answers": answers},
            )
        ).status_code == 201
    first = await in_period.post(
        "/actions",
        headers=coordinator,
        json={
            "title": "Refer at first contact",
            "owner_ref": "l-and-d",
            "due_on": "2031-01-01",
            "theme_code": theme,
        },
    )
    await in_period.post(
        f"/actions/{first.json()['action_ref']}/status",
        headers=coordinator,
        json={"status": "completed"},
    )
    await in_period.post(
        "/actions",
        headers=coordinator,
        json={
            "title": "Thank the call handlers",
            "owner_ref": "comms",
            "due_on": "2031-01-01",
            "testimony_refs": [fourth],
        },
    )
    assert (
        await in_period.post(
            "/recognitions",
            headers=coordinator,
            json={
                "participant_ref": v1,
                "recipient_kind": "individual",
                "recipient_ref": officer,
            },
        )
    ).status_code == 201

    async def referrals_in() -> bool:
        counted = await client.get(
            "/referrals/per-month",
            headers=auth(settings, Role.BOARD),
            params={"from": START.isoformat(), "to": END.isoformat()},
        )
        return bool(sum(row["count"] for row in counted.json()) == 3)

    await eventually(referrals_in)
    board = auth(settings, Role.BOARD)
    period = {"from": START.isoformat(), "to": END.isoformat()}
    response = await client.get("/reports/board", headers=board, params=period)
    assert response.status_code == 200
    report = response.json()

    assert report["panels_held"]["count"] == 2
    assert [p["panel_ref"] for p in report["panels_held"]["panels"]] == [p1, p2]
    assert report["participants"]["total"] == 4
    # One pre-recorded victim (under k): shown beside the total, the live count would give it
    # away by subtraction, so it is hidden too.
    assert report["participants"]["by_mode"] == {"live": None, "pre_recorded": None}
    assert report["participants"]["by_theme"] == [
        {
            "theme_code": "compassion",
            "label": "Compassion and empathy",
            "victims_code_right": None,
            "positive": None,
            "negative": 0,
        },
        {
            "theme_code": theme,
            "label": "Referral at first contact",
            "victims_code_right": 4,
            "positive": 0,
            "negative": 3,
        },
    ]
    survey = report["survey"]
    assert [p["panel_ref"] for p in survey["panels"]] == [p1, p2]
    assert survey["responses"] == 3
    assert (
        survey["mean_usefulness"],
        survey["mean_understanding_before"],
        survey["mean_understanding_after"],
        survey["understanding_uplift"],
    ) == (3.67, 2.33, 4.67, 2.34)
    [recurring] = report["recurring_themes"]
    assert (
        recurring["theme_code"],
        recurring["polarity"],
        recurring["victims_code_right"],
        recurring["testimony_count"],
        recurring["victim_count"],
        recurring["panel_count"],
    ) == (theme, "negative", 4, 3, 3, 2)
    assert report["actions"] == {"raised": 2, "completed": 1}
    assert report["recognitions"] == {"total": 1, "by_recipient_kind": {"individual": 1}}
    month_1, month_2 = START.strftime("%Y-%m"), day(40).strftime("%Y-%m")
    assert report["referrals"] == {
        "total": 3,
        "per_service_per_month": [
            {"service_ref": svc_a, "month": month_1, "count": 2},
            {"service_ref": svc_b, "month": month_2, "count": 1},
        ],
    }

    page = await client.get("/reports/board.html", headers=board, params=period)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "report to the board" in page.text and page.text.count("<svg") == 3
    assert "&lt;3" in page.text
    staff = auth(settings, Role.STAFF)
    assert (await client.get("/reports/board", headers=staff, params=period)).status_code == 403
    naive = {"from": END.replace(tzinfo=None).isoformat(), "to": START.isoformat()}
    for backwards in ({"from": END.isoformat(), "to": START.isoformat()}, naive):
        for path in ("/reports/board", "/reports/board.html"):
            refused = await client.get(path, headers=board, params=backwards)
            assert refused.status_code == 422
            [error] = refused.json()["detail"]
            assert error["loc"] == ["query", "to"] and error["type"] == "invalid_feedback"


async def test_a_report_period_is_whole_days_and_naive_times_are_utc(
    client: httpx.AsyncClient, settings: FeedbackSettings
) -> None:
    board = auth(settings, Role.BOARD)
    naive_from = (START + timedelta(hours=9)).replace(tzinfo=None).isoformat()
    aware_to = (END - timedelta(hours=2)).astimezone(timezone(timedelta(hours=2))).isoformat()
    response = await client.get(
        "/reports/board", headers=board, params={"from": naive_from, "to": aware_to}
    )
    assert response.status_code == 200, response.text
    period = response.json()["period"]
    assert (datetime.fromisoformat(period["from"]), datetime.fromisoformat(period["to"])) == (
        START,
        END,
    )
