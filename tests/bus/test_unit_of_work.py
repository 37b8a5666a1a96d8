"""The unit of work on the real PostgreSQL: all of a batch's effects commit together or not."""

from uuid import uuid4

from tests.bus.test_outbox import unsent, upstream
from vfp_shared.settings import PlatformSettings


async def test_an_event_claimed_in_a_rolled_back_unit_of_work_is_claimable_again(
    platform_settings: PlatformSettings,
) -> None:
    service = await upstream(platform_settings)
    event = (uuid4(), "bench.case-closed.v1")
    async with service.units_of_work() as uow:
        assert await uow.claim([event]) == {event[0]}
        # no commit: e.g. the handler raised
    async with service.units_of_work() as uow:
        assert await uow.claim([event]) == {event[0]}
        await uow.commit()
    async with service.units_of_work() as uow:
        assert await uow.claim([event]) == set()
    assert await unsent(service) == 0
    await service.engine.dispose()
