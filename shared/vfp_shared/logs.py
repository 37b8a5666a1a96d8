"""Structured JSON logs. Log ids and counts only: never names, contact details or free text."""

import logging
import sys
import traceback
from types import TracebackType
from typing import TypeAlias

from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.exc import DBAPIError

ExcInfo: TypeAlias = (
    tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
)


def safe_reason(error: BaseException) -> str:
    """Why something failed, without the data it failed on (that may be personal): pydantic
    errors without their input; database errors (SQLAlchemy's or asyncpg's) as the driver's
    error class, SQLSTATE and constraint, never the statement, its parameters or PostgreSQL's
    message and DETAIL line (e.g. `invalid input syntax for type uuid: "<the value>"`)."""
    if isinstance(error, DBAPIError) or getattr(error, "sqlstate", None):
        # SQLAlchemy's error wraps the adapter's, which wraps asyncpg's own (the one that
        # carries the constraint's name); the relay and the tools meet asyncpg's directly.
        orig = error.orig if isinstance(error, DBAPIError) else error
        driver = getattr(orig, "__cause__", None) or orig
        parts = [type(driver).__name__ if driver is not None else type(error).__name__]
        for label, attribute in (("SQLSTATE", "sqlstate"), ("constraint", "constraint_name")):
            value = getattr(driver, attribute, None) or getattr(orig, attribute, None)
            if value:
                parts.append(f"{label} {value}")
        return ", ".join(parts)
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            found = [
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors(include_input=False)
            ]
            return "; ".join(found)[:500]
        except TypeError:
            pass
    return str(error)[:500]


class SafeJsonFormatter(JsonFormatter):
    """Tracebacks keep their frames (where it failed) but say why through `safe_reason`."""

    def formatException(self, ei: ExcInfo) -> str:
        kind, error, tb = ei
        if kind is None or error is None:
            return ""
        frames = "".join(traceback.format_tb(tb))
        return f"Traceback (most recent call last):\n{frames}{kind.__name__}: {safe_reason(error)}"


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        SafeJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiokafka is chatty about every rebalance at INFO.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
