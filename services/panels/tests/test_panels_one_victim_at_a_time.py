"""A victim's changes apply one at a time (real PostgreSQL): an invitation or a case study asked
for while their withdrawal is being applied waits for it, then finds them gone, so nothing
outlives the erasure."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from panels_builders import People, agenda_body, consented, eventually, panel_body
from sqlalchemy.ext.asyncio import AsyncEngine

from vfp_panels.bootstrap import Panels
from vfp_panels.service_layer import handlers


async def someone_waits_for(engine: AsyncEngine, participant_ref: str) -> bool:
    """Another transaction waits for this victim's lock (see UnitOfWork.lock: a bigint key
    shows in pg_locks as its high and low 32 bits)."""
    async with engine.connect() as conn:
        waiting = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND objsubid = 1 AND classid::bigint = (hashtext(:key)::bigint >> 32)"
                " & 4294967295 AND objid::bigint = hashtext(:key)::bigint & 4294967295"
            ),
            {"key": f"panels:participant:{participant_ref}"},
        )
    return bool(waiting)


def invitation(victim: str) -> tuple[str, dict[str, Any], list[str | int]]:
    return "invitations", {"kind": "victim", "participant_ref": victim}, ["participant_ref"]


def case_study(victim: str) -> tuple[str, dict[str, Any], list[str | int]]:
    body = agenda_body({"participant_ref": victim, "mode": "live"})
    return "agenda", body, ["items", 1, "participant_ref"]


@pytest.mark.parametrize("request_for", [invitation, case_study])
async def test_a_request_naming_a_victim_waits_for_their_withdrawal_and_is_refused(
    client: httpx.AsyncClient, people: People, panels: Panels, engine: AsyncEngine, request_for: Any
) -> None:
    created = await client.post("/panels", json=panel_body(), headers=people.lead)
    ref = created.json()["panel_ref"]
    await client.post(f"/panels/{ref}/schedule", headers=people.lead)
    victim = await consented(panels)
    path, body, field = request_for(victim)
    method = "PUT" if path == "agenda" else "POST"

    async with panels.runtime.units_of_work() as withdrawal:
        now = datetime.now(UTC)
        await handlers.on_consent_withdrawn(withdrawal, panels.settings.policy(), victim, now, now)
        asked = asyncio.create_task(
            client.request(method, f"/panels/{ref}/{path}", json=body, headers=people.lead)
        )
        await eventually(lambda: _answered_or_waiting(asked, engine, victim), timeout_s=10)
        assert not asked.done(), "the request did not wait for the withdrawal being applied"
        await withdrawal.commit()
    response = await asked

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", *field]
    panel = (await client.get(f"/panels/{ref}", headers=people.lead)).json()
    assert victim not in [item["participant_ref"] for item in panel["agenda"]["items"]]
    invitations = await client.get(f"/panels/{ref}/invitations", headers=people.lead)
    assert invitations.json() == []


async def _answered_or_waiting(
    asked: "asyncio.Task[httpx.Response]", engine: AsyncEngine, victim: str
) -> bool:
    return asked.done() or await someone_waits_for(engine, victim)


async def test_publishing_waits_for_a_withdrawal_and_never_publishes_the_withdrawn_victim(
    client: httpx.AsyncClient, people: People, panels: Panels, engine: AsyncEngine
) -> None:
    created = await client.post("/panels", json=panel_body(), headers=people.lead)
    ref = created.json()["panel_ref"]
    await client.post(f"/panels/{ref}/schedule", headers=people.lead)
    staying, leaving = await consented(panels), await consented(panels)
    studies = ({"participant_ref": v, "mode": "live"} for v in (staying, leaving))
    put = await client.put(f"/panels/{ref}/agenda", json=agenda_body(*studies), headers=people.lead)
    assert put.status_code == 200, put.text

    async with panels.runtime.units_of_work() as withdrawal:
        now = datetime.now(UTC)
        await handlers.on_consent_withdrawn(withdrawal, panels.settings.policy(), leaving, now, now)
        asked = asyncio.create_task(
            client.post(f"/panels/{ref}/agenda/publish", headers=people.lead)
        )
        await eventually(lambda: _answered_or_waiting(asked, engine, leaving), timeout_s=10)
        assert not asked.done(), "publishing did not wait for the withdrawal being applied"
        await withdrawal.commit()
    response = await asked

    assert response.status_code == 200, response.text
    named = [item["participant_ref"] for item in response.json()["agenda"]["items"]]
    assert staying in named and leaving not in named
