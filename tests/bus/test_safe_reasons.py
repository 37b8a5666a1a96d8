"""What is kept of a failure (a dead letter's reason, a logged traceback) never repeats the data
it failed on: that data may be a victim's."""

import logging

import asyncpg
import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from vfp_shared.contracts import CaseClosedV1
from vfp_shared.logs import SafeJsonFormatter, safe_reason
from vfp_shared.settings import PlatformSettings
from vfp_shared.storage.engine import create_engine, libpq_dsn

CANARY = "Jane Doe, 1 High Street"


def test_a_validation_failure_names_the_field_not_the_input() -> None:
    with pytest.raises(ValidationError) as caught:
        CaseClosedV1.model_validate({"case_ref": [CANARY]})
    reason = safe_reason(caught.value)
    assert "case_ref" in reason
    assert "Jane" not in reason


async def test_a_database_failure_names_the_constraint_not_the_values(
    platform_settings: PlatformSettings,
) -> None:
    engine = create_engine(platform_settings.database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            await conn.execute(
                sa.text("CREATE TEMP TABLE people (name text CONSTRAINT one_name UNIQUE)")
            )
            insert = sa.text("INSERT INTO people VALUES (:name)")
            await conn.execute(insert, {"name": CANARY})
            with pytest.raises(IntegrityError) as caught:
                await conn.execute(insert, {"name": CANARY})
    finally:
        await engine.dispose()
    driver_error = caught.value.orig.__cause__ if caught.value.orig else None
    assert "Jane" in str(getattr(driver_error, "detail", ""))  # PostgreSQL's DETAIL has the value
    assert "Jane" not in str(caught.value)  # and hide_parameters keeps the statement's out
    reason = safe_reason(caught.value)
    assert "SQLSTATE 23505" in reason and "one_name" in reason
    assert "Jane" not in reason
    record = logging.LogRecord(
        "vfp", logging.ERROR, __file__, 1, "insert failed", None, exc_info=None
    )
    record.exc_info = (IntegrityError, caught.value, caught.value.__traceback__)
    logged = SafeJsonFormatter("%(message)s").format(record)
    assert "Jane" not in logged
    assert "IntegrityError: UniqueViolationError, SQLSTATE 23505, constraint one_name" in logged


async def test_asyncpgs_own_errors_are_told_without_the_value(
    platform_settings: PlatformSettings,
) -> None:
    conn = await asyncpg.connect(libpq_dsn(platform_settings.database_url))
    try:
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.execute(f"SELECT '{CANARY}'::uuid")
    finally:
        await conn.close()
    assert "Jane" in str(caught.value)  # PostgreSQL's message repeats the value
    reason = safe_reason(caught.value)
    assert reason == "InvalidTextRepresentationError, SQLSTATE 22P02"
