"""`vfp run` and `vfp demo`: bring the whole platform up as real processes and drive one
panel cycle through it. `run` then keeps the platform up until interrupted; `demo` exits,
with status 0 only when every stage of the cycle completed."""

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vfp_ops.platform import BASE_PORT, Platform, PortInUse
from vfp_ops.simulator.commands import FeedRate, FeedSize, print_result
from vfp_ops.simulator.outcome import CycleResult
from vfp_shared.settings import PlatformSettings

console = Console()
RUN_DIR = Path("var/run")

RunDir = Annotated[Path, typer.Option("--run-dir", help="where logs, traces and mail go")]
BasePort = Annotated[
    int,
    typer.Option(
        "--base-port",
        envvar="VFP_BASE_PORT",
        help="the services listen on this port and the next 3",
    ),
]


def run(
    size: FeedSize = 200,
    rate: FeedRate = 100.0,
    run_dir: RunDir = RUN_DIR,
    base_port: BasePort = BASE_PORT,
) -> None:
    """Start the platform, drive a panel cycle, then keep it up until Ctrl-C."""
    platform = Platform(PlatformSettings(), run_dir.absolute(), base_port=base_port)
    raise typer.Exit(_exit_code(platform, size, rate, keep_running=True))


def demo(
    size: FeedSize = 200,
    rate: FeedRate = 100.0,
    run_dir: RunDir = RUN_DIR,
    base_port: BasePort = BASE_PORT,
) -> None:
    """Start the platform, drive a panel cycle, stop; exit 0 only if every stage completed."""
    platform = Platform(PlatformSettings(), run_dir.absolute(), base_port=base_port)
    raise typer.Exit(_exit_code(platform, size, rate, keep_running=False))


def _exit_code(platform: Platform, size: int, rate: float, *, keep_running: bool) -> int:
    """0 when every stage completed; 1 when one failed; 2 when the platform could not start."""
    try:
        ok = asyncio.run(_main(platform, size, rate, keep_running=keep_running))
    except PortInUse as error:
        console.print(f"[bold red]Not started:[/] {error}")
        return 2
    return 0 if ok else 1


async def _main(platform: Platform, size: int, rate: float, *, keep_running: bool) -> bool:
    """The cycle's verdict. SIGTERM or SIGHUP at any point stops the services cleanly (as
    Ctrl-C does), so none is left running behind us."""
    from vfp_ops.simulator.cycle import CycleEnvironment, run_cycle
    from vfp_ops.simulator.reporting import ConsoleReport

    _stop_on_signals(asyncio.current_task())
    started = time.monotonic()
    result: CycleResult | None = None
    console.rule("[bold]Victim Feedback Panel platform")
    try:
        async with _starting(platform):
            _print_services(platform, time.monotonic() - started)
            env = CycleEnvironment.for_platform(platform)
            result = await run_cycle(
                env, feed_size=size, rate_per_s=rate, report=ConsoleReport(console)
            )
            print_result(console, result)
            _print_where_to_look(platform, result)
            if keep_running:
                state = (
                    "[bold green]The platform is up.[/]"
                    if result.ok
                    else ("[bold red]The cycle failed[/]; the platform stays up for you to look.")
                )
                console.print(f"\n{state} Ctrl-C stops it (each service drains and stops).")
                await asyncio.Event().wait()  # until a signal cancels us
    except asyncio.CancelledError:
        console.print("\n[yellow]interrupted[/]: the services were stopped cleanly")
    console.print(f"stopped after {time.monotonic() - started:.0f}s")
    return bool(result and result.ok)


@contextlib.asynccontextmanager
async def _starting(platform: Platform) -> AsyncIterator[None]:
    """The platform, with a spinner only while the services start."""
    status = console.status("starting the four services (migrations, consumers, relays) ...")
    status.start()
    try:
        async with platform.running():
            status.stop()
            yield
    finally:
        status.stop()


def _stop_on_signals(task: "asyncio.Task[object] | None") -> None:
    """The first SIGTERM or SIGHUP stops us (cleanly: the services drain); later ones are
    ignored, so they cannot cut that clean stop short."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGHUP)

    def stop() -> None:
        for signum in signals:
            loop.add_signal_handler(signum, lambda: console.print("[dim]already stopping ...[/]"))
        if task is not None:
            task.cancel()

    for signum in signals:
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop)


def _print_services(platform: Platform, took: float) -> None:
    table = Table(
        title=f"services ready in {took:.1f}s",
        caption="API docs at <url>/docs, their events at <url>/asyncapi.json",
    )
    for column in ("service", "url", "log"):
        table.add_column(column, overflow="fold")
    for name, service in platform.services.items():
        table.add_row(name, service.url, _shown(service.log_path))
    console.print(table)


def _print_where_to_look(platform: Platform, result: CycleResult) -> None:
    """Printed whatever the verdict: after a failed stage this is where to find out why."""
    table = Table(title="where to look", show_header=False)
    table.add_column("what")
    table.add_column("where", overflow="fold")
    for name, service in platform.services.items():
        table.add_row(f"{name} API", f"{service.url}/docs  (events: {service.url}/asyncapi.json)")
        table.add_row(f"{name} log", _shown(service.log_path))
    table.add_row("event catalogue", "docs/asyncapi/*.json")
    table.add_row("board report", result.board_report_path or "(not written)")
    table.add_row("mailbox", _shown(platform.run_dir / "mail"))
    table.add_row("traces", _shown(platform.traces_dir))
    console.print(table)


def _shown(path: Path) -> str:
    here = Path.cwd()
    return str(path.relative_to(here) if path.is_relative_to(here) else path)
