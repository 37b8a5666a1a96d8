"""The unit of work on the real PostgreSQL: all of a batch's effects commit together or not."""

import asyncio
from typing import Any
from uuid import uuid4

from sqlalchemy import event

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


async def test_units_of_work_locking_the_same_key_run_one_after_the_other(
    platform_settings: PlatformSettings,
) -> None:
    service = await upstream(platform_settings)
    async with service.units_of_work() as first:
        await first.lock("participant:p-1")
        second_done = asyncio.Event()

        async def second() -> None:
            async with service.units_of_work() as uow:
                await uow.lock("participant:p-1")
                second_done.set()

        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.3)
        assert not second_done.is_set()  # held until the first one ends
        await first.commit()
    await asyncio.wait_for(waiting, 5)
    assert second_done.is_set()
    await service.engine.dispose()


async def test_lock_many_takes_every_key_in_one_go_and_a_held_key_again_costs_nothing(
    platform_settings: PlatformSettings,
) -> None:
    service = await upstream(platform_settings)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])  # (conn, cursor, statement, ...)

    engine = service.engine.sync_engine
    async with service.units_of_work() as first:
        await first.session.connection()  # the transaction's own BEGIN is not counted
        event.listen(engine, "before_cursor_execute", count)
        try:
            locked = await first.lock_many(["participant:p-2", "participant:p-3"])
            assert locked == {"participant:p-2", "participant:p-3"}
            assert len(statements) == 1  # both keys in one round trip
            assert await first.lock_many(["participant:p-3"]) == set()  # held already
            assert len(statements) == 1  # no round trip
        finally:
            event.remove(engine, "before_cursor_execute", count)
        second_done = asyncio.Event()

        async def second() -> None:
            async with service.units_of_work() as uow:
                await uow.lock_many(["participant:p-1", "participant:p-3"])
                second_done.set()

        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.3)
        assert not second_done.is_set()  # p-3 is held until the first one ends
        await first.commit()
    await asyncio.wait_for(waiting, 5)
    await service.engine.dispose()
