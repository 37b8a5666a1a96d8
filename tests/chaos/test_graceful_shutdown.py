"""A service stopped with SIGTERM in the middle of a stream, then restarted by the platform's
supervisor: nothing is lost and nothing is doubled."""

import asyncio
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.test_panel_cycle import free_base_port
from vfp_ops.platform import Platform
from vfp_ops.simulator.cycle import move_groups_to_end
from vfp_shared.contracts import CandidateIdentifiedV1, CaseClosedV1
from vfp_shared.contracts.vocabulary import AgeBand, JusticeStatus
from vfp_shared.settings import PlatformSettings
from vfp_shared.testing import TopicReader, publish

EVENTS = 400


def closed_case(run: str, i: int) -> CaseClosedV1:
    return CaseClosedV1(
        case_ref=f"chaos-{run}-case-{i}",
        victim_ref=f"chaos-{run}-victim-{i}",
        oic_ref=f"chaos-{run}-oic",
        offence_category="stalking",
        stalking_harassment=True,
        outcome="convicted",
        justice_status=JusticeStatus.FINALISED,
        closed_at=datetime.now(UTC) - timedelta(days=90),
        age_band=AgeBand.ADULT,
        support_service_ref="svc-victim-support",
        support_worker_ref=f"chaos-{run}-worker",
    )


async def candidates_of(engine: AsyncEngine, run: str) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                sa.text("SELECT count(*) FROM participants.candidates WHERE victim_ref LIKE :p"),
                {"p": f"chaos-{run}-%"},
            )
            or 0
        )


async def test_sigterm_mid_stream_then_restart_loses_and_doubles_nothing(
    platform_settings: PlatformSettings, engine: AsyncEngine, tmp_path: Path
) -> None:
    bootstrap = platform_settings.kafka_bootstrap_servers
    await move_groups_to_end(bootstrap)
    run = uuid4().hex[:8]
    platform = Platform(platform_settings, tmp_path, base_port=free_base_port())
    async with (
        platform.running(),
        TopicReader(bootstrap, CandidateIdentifiedV1.TOPIC) as out,
    ):
        participants = platform.services["participants"]
        feed = asyncio.create_task(publish(bootstrap, [closed_case(run, i) for i in range(EVENTS)]))
        # Stop it once it is part-way through the stream (some applied, some not).
        deadline = time.monotonic() + 60
        while await candidates_of(engine, run) < 20:
            assert time.monotonic() < deadline, "the stream never started"
            await asyncio.sleep(0.05)
        assert participants.process is not None
        participants.process.send_signal(signal.SIGTERM)
        # uvicorn drains, then re-raises the signal: the exit says how it was asked to stop.
        assert await participants.process.wait() == -signal.SIGTERM
        assert "Application shutdown complete" in participants.log_path.read_text()
        await feed
        await platform.wait_ready()  # the supervisor brought it back

        identified = await out.records(
            lambda r: r.value is not None and f"chaos-{run}-worker".encode() in r.value,
            count=EVENTS,
            timeout_s=120,
        )
        # Count once more after a pause: a doubled event would arrive late.
        await asyncio.sleep(2)
        identified += await out.records(
            lambda r: r.value is not None and f"chaos-{run}-worker".encode() in r.value,
            count=EVENTS,
            timeout_s=1,
        )
    assert participants.restarts == 1
    assert await candidates_of(engine, run) == EVENTS
    event_ids = [dict(r.headers)["ce_id"] for r in identified]
    assert len(event_ids) == EVENTS
    assert len(set(event_ids)) == EVENTS
