"""Random sequences of steps through the HTTP API on the real database: an illegal step is
refused with 409 and leaves the stored candidate and its outgoing events exactly as they were."""

from typing import Any

import httpx
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from participants_builders import ALLOWED_FROM, LEADS_TO, a_closed_case, bearer

from vfp_participants.adapters.tables import BUS
from vfp_participants.bootstrap import Participants
from vfp_participants.domain.model import Status
from vfp_shared.auth import Role
from vfp_shared.contracts import CaseClosedV1
from vfp_shared.testing import envelope

BODIES: dict[str, Any] = {
    "approach": {"via": "officer_in_case", "by_ref": "oic-prop"},
    "consent": {"mode": "live", "scopes": ["take_part"]},
    "decline": None,
    "no_response": None,
    "withdraw": None,
    "exclude": {"reason_code": "not_suitable_for_panel"},
}


async def _stored(participants: Participants, client: httpx.AsyncClient, ref: str) -> Any:
    detail = (
        await client.get(
            f"/candidates/{ref}", headers=bearer(participants.runtime.settings, Role.COORDINATOR)
        )
    ).json()
    async with participants.runtime.engine.connect() as conn:
        outgoing = await conn.scalar(
            sa.select(sa.func.count()).select_from(BUS.outbox).where(BUS.outbox.c.key == ref)
        )
    return detail, outgoing


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(st.sampled_from(sorted(BODIES)), min_size=1, max_size=6))
async def test_random_steps_over_http_are_applied_whole_or_not_at_all(
    participants: Participants, client: httpx.AsyncClient, steps: list[str]
) -> None:
    case = a_closed_case()
    handler = participants.runtime.consumer.handlers[CaseClosedV1.TOPIC]
    async with participants.runtime.units_of_work() as uow:
        await handler(uow, envelope(case))
        await uow.commit()
    async with participants.runtime.engine.connect() as conn:
        ref = await conn.scalar(
            sa.text("SELECT participant_ref FROM participants.candidates WHERE victim_ref = :v"),
            {"v": case.victim_ref},
        )
    coordinator = bearer(participants.runtime.settings, Role.COORDINATOR)
    status = Status.IDENTIFIED
    for step in steps:
        before = await _stored(participants, client, ref)
        path = step.replace("_", "-")
        response = await client.post(
            f"/candidates/{ref}/{path}", json=BODIES[step], headers=coordinator
        )
        if status in ALLOWED_FROM[step]:
            assert response.status_code == 200, (step, status, response.text)
            status = LEADS_TO[step]
            assert response.json()["status"] == status.value
        else:
            assert response.status_code == 409, (step, status, response.text)
            assert await _stored(participants, client, ref) == before
