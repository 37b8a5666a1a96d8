"""`vfp status`: is every service alive and ready, and do Kafka and PostgreSQL answer?"""

import asyncio
import time
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

import asyncpg
import httpx
import typer
from rich.table import Table

from vfp_ops.common import (
    CONNECT_TIMEOUT_S,
    OpsSettings,
    Unreachable,
    console,
    kafka_admin,
    print_json,
)
from vfp_shared.settings import PlatformSettings
from vfp_shared.storage.engine import libpq_dsn


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    address: str
    up: bool
    healthy: bool | None = None  # services only: GET /health answered 200
    ready: bool | None = None  # services only: GET /ready answered 200
    checks: dict[str, bool] = field(default_factory=dict)  # /ready's checks
    detail: str = ""
    elapsed_ms: int = 0


async def service_status(client: httpx.AsyncClient, name: str, base_url: str) -> ComponentStatus:
    started = time.monotonic()
    try:
        health = await client.get(f"{base_url}/health")
        ready = await client.get(f"{base_url}/ready")
    except httpx.HTTPError as error:
        return ComponentStatus(
            name, base_url, up=False, detail=_reason(error), elapsed_ms=_since(started)
        )
    checks: dict[str, bool] = {}
    detail = ""
    try:
        body: Any = ready.json()
        if isinstance(body, dict):
            checks = {str(key): bool(value) for key, value in body.items()}
    except ValueError:
        detail = f"/ready answered {ready.status_code} without JSON"
    healthy, is_ready = health.status_code == 200, ready.status_code == 200
    if not detail and not healthy:
        detail = f"/health answered {health.status_code}"
    elif not detail and not is_ready:
        failing = [check for check, ok in checks.items() if not ok]
        detail = "not ready: " + (", ".join(failing) or f"HTTP {ready.status_code}")
    return ComponentStatus(
        name,
        base_url,
        up=healthy and is_ready,
        healthy=healthy,
        ready=is_ready,
        checks=checks,
        detail=detail,
        elapsed_ms=_since(started),
    )


async def kafka_status(bootstrap_servers: str) -> ComponentStatus:
    started = time.monotonic()
    try:
        async with kafka_admin(bootstrap_servers) as admin:
            cluster = await asyncio.wait_for(admin.describe_cluster(), CONNECT_TIMEOUT_S)
    except (Unreachable, Exception) as error:
        return ComponentStatus(
            "kafka", bootstrap_servers, up=False, detail=_reason(error), elapsed_ms=_since(started)
        )
    brokers = len(cluster.get("brokers", []))
    return ComponentStatus(
        "kafka",
        bootstrap_servers,
        up=True,
        detail=f"{brokers} broker{'s' if brokers != 1 else ''}",
        elapsed_ms=_since(started),
    )


async def postgres_status(database_url: str) -> ComponentStatus:
    started = time.monotonic()
    dsn = libpq_dsn(database_url)
    address = _without_password(dsn)
    try:
        conn = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT_S)
        try:
            version = await conn.fetchval("SHOW server_version")
        finally:
            await conn.close()
    except Exception as error:
        return ComponentStatus(
            "postgres", address, up=False, detail=_reason(error), elapsed_ms=_since(started)
        )
    return ComponentStatus(
        "postgres", address, up=True, detail=f"PostgreSQL {version}", elapsed_ms=_since(started)
    )


async def platform_status(settings: PlatformSettings, ops: OpsSettings) -> list[ComponentStatus]:
    """Every service, then Kafka and PostgreSQL; all checked at once."""
    async with httpx.AsyncClient(timeout=ops.http_timeout_s) as client:
        services = [service_status(client, name, url) for name, url in ops.service_urls().items()]
        return list(
            await asyncio.gather(
                *services,
                kafka_status(settings.kafka_bootstrap_servers),
                postgres_status(settings.database_url),
            )
        )


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Health and readiness of every service, and whether Kafka and PostgreSQL answer.

    Exits with 1 when anything is down. Service URLs come from VFP_PARTICIPANTS_URL,
    VFP_PANELS_URL, VFP_FEEDBACK_URL and VFP_NOTIFICATIONS_URL.
    """
    components = asyncio.run(platform_status(PlatformSettings(), OpsSettings()))
    all_up = all(c.up for c in components)
    if as_json:
        print_json({"ok": all_up, "components": [asdict(c) for c in components]})
    else:
        _print_table(components, all_up)
    if not all_up:
        raise typer.Exit(1)


def _print_table(components: list[ComponentStatus], all_up: bool) -> None:
    table = Table(title="Victim Feedback Panel platform", title_justify="left")
    table.add_column("Component", style="bold")
    table.add_column("Address")
    table.add_column("Status")
    table.add_column("Health")
    table.add_column("Ready")
    table.add_column("Checks / detail")
    table.add_column("ms", justify="right", style="dim")
    for c in components:
        checks = "  ".join(f"{_mark(ok)} {name}" for name, ok in c.checks.items())
        detail = "  ".join(part for part in (checks, c.detail) if part)
        table.add_row(
            c.name,
            c.address,
            "[green]up[/]" if c.up else "[bold red]DOWN[/]",
            _flag(c.healthy),
            _flag(c.ready),
            detail,
            str(c.elapsed_ms),
        )
    out = console()
    out.print(table)
    down = [c.name for c in components if not c.up]
    if all_up:
        out.print("[green]All components are up.[/]")
    else:
        out.print(f"[bold red]Down:[/] {', '.join(down)}")


def _flag(value: bool | None) -> str:
    if value is None:
        return "[dim]-[/]"
    return "[green]ok[/]" if value else "[red]fail[/]"


def _mark(ok: bool) -> str:
    return "[green]✔[/]" if ok else "[red]✘[/]"


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    if isinstance(error, httpx.ConnectError | ConnectionRefusedError):
        return "connection refused" if "refused" in text.lower() or not text else text[:120]
    return f"{type(error).__name__}: {text}"[:160] if text else type(error).__name__


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _without_password(dsn: str) -> str:
    scheme, sep, rest = dsn.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return dsn
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}@{host}"
