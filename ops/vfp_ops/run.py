"""`vfp run` and `vfp demo`: bring the whole platform up as real processes and drive one
panel cycle through it. `run` then keeps the platform up until interrupted; `demo` exits,
with status 0 only when every stage of the cycle completed."""

import asyncio
import contextlib
import signal
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vfp_ops.platform import Platform
from vfp_shared.settings import PlatformSettings

console = Console()
RUN_DIR = Path("var/run")

FeedSize = Annotated[int, typer.Option("--size", help="case-closed events in the force feed")]
FeedRate = Annotated[float, typer.Option("--rate", help="events per second the force publishes")]
RunDir = Annotated[Path, typer.Option("--run-dir", help="where logs, traces and mail go")]


def run(size: FeedSize = 200, rate: FeedRate = 100.0, run_dir: RunDir = RUN_DIR) -> None:
    """Start the platform, drive a panel cycle, then keep it up until Ctrl-C."""
    ok = asyncio.run(_main(size, rate, run_dir.absolute(), keep_running=True))
    raise typer.Exit(0 if ok else 1)


def demo(size: FeedSize = 200, rate: FeedRate = 100.0, run_dir: RunDir = RUN_DIR) -> None:
    """Start the platform, drive a panel cycle, stop; exit 0 only if every stage completed."""
    ok = asyncio.run(_main(size, rate, run_dir.absolute(), keep_running=False))
    raise typer.Exit(0 if ok else 1)


async def _main(size: int, rate: float, run_dir: Path, *, keep_running: bool) -> bool:
    from vfp_ops.simulator.cycle import CycleEnvironment, run_cycle
    from vfp_ops.simulator.reporting import ConsoleReport

    settings = PlatformSettings()
    platform = Platform(settings, run_dir)
    started = time.monotonic()
    console.rule("[bold]Victim Feedback Panel platform")
    with console.status("starting the four services (migrations, consumers, relays) ..."):
        async with platform.running():
            took = time.monotonic() - started
            _print_services(platform, took)
            env = CycleEnvironment.for_platform(platform)
            result = await run_cycle(
                env, feed_size=size, rate_per_s=rate, report=ConsoleReport(console)
            )
            if keep_running:
                console.print(
                    "\n[bold green]The platform is up.[/] Ctrl-C stops it "
                    "(each service drains and stops cleanly)."
                )
                await _until_interrupted()
    console.print(f"stopped after {time.monotonic() - started:.0f}s")
    return bool(result.ok)


def _print_services(platform: Platform, took: float) -> None:
    table = Table(
        title=f"services ready in {took:.1f}s",
        caption="API docs at <url>/docs, their events at <url>/asyncapi.json",
    )
    for column in ("service", "url", "log"):
        table.add_column(column, overflow="fold")
    here = Path.cwd()
    for name, service in platform.services.items():
        log = service.log_path
        shown = log.relative_to(here) if log.is_relative_to(here) else log
        table.add_row(name, service.url, str(shown))
    console.print(table)


async def _until_interrupted() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    await stop.wait()
