"""`vfp simulate` (publish a force feed) and `vfp cycle` (drive a whole panel cycle) against
services that are already running."""

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vfp_ops.common import console, run
from vfp_ops.mailbox import Mailbox
from vfp_ops.simulator.bus import publish_paced
from vfp_ops.simulator.cycle import CycleEnvironment, CycleResult, run_cycle
from vfp_ops.simulator.feed import build_feed
from vfp_ops.simulator.reporting import ConsoleReport

DEFAULT_JWT_KEY = "local-run-secret-0123456789abcdef-0123456789"  # = Platform's default

FeedSize = Annotated[
    int, typer.Option("--size", min=1, envvar="VFP_FEED_SIZE", help="About how many events")
]
FeedRate = Annotated[
    float,
    typer.Option("--rate", min=0.1, envvar="VFP_FEED_RATE", help="Events per second"),
]


def print_result(out: Console, result: CycleResult) -> None:
    table = Table(title=f"Panel cycle {result.run_id}: {result.wall_s:.1f}s")
    table.add_column("figure")
    table.add_column("value")
    rows = {
        "events published": result.events_published + result.later_events_published,
        "candidates (by status)": f"{result.candidates} {result.by_status}",
        "excluded by reason": result.excluded_by_reason,
        "consents / declines": f"{result.consents} / {result.declines}",
        "invitations (delivered)": f"{result.invitations} ({result.invitations_delivered})",
        "emails in the mailbox": result.emails_in_mailbox,
        "survey responses": result.survey_responses,
        "recurring themes published": result.recurring_published,
        "learning events": result.learning_events,
        "dead letters from the cycle": result.dead_letters or "none",
        "victim journey trace": f"{result.trace_id} → {result.trace_services}",
        "board report": result.board_report_path,
    }
    for name, value in rows.items():
        table.add_row(name, str(value))
    out.print(table)
    verdict = "[bold green]cycle complete[/]" if result.ok else "[bold red]cycle FAILED[/]"
    out.print(verdict)


def simulate(
    size: FeedSize = 200,
    rate: FeedRate = 100.0,
    seed: Annotated[int, typer.Option(help="The same seed gives the same feed")] = 2021,
    kafka: Annotated[str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS")] = "127.0.0.1:19092",
) -> None:
    """Publish a realistic force feed (case closures, nominations, flags, referrals, then
    complaints and reopenings) to a running platform."""
    out = console()
    run_id = uuid.uuid4().hex[:8]
    feed = build_feed(seed=seed, size=size, now=datetime.now(UTC), run_id=run_id)
    events = [*feed.stream(), *feed.later()]
    reporter = ConsoleReport(out)
    advance = reporter.progress(len(events), f"feed {run_id}")
    run(publish_paced(kafka, events, rate, advance))
    reporter.done()
    out.print(
        f"published {len(events)} events (run {run_id}; {len(feed.cases)} case closures, "
        f"first trace id {feed.cases[0].trace_id})"
    )


def cycle(
    size: FeedSize = 200,
    rate: FeedRate = 100.0,
    seed: Annotated[int, typer.Option()] = 2021,
    participants_url: Annotated[str, typer.Option()] = "http://127.0.0.1:8001",
    panels_url: Annotated[str, typer.Option()] = "http://127.0.0.1:8002",
    feedback_url: Annotated[str, typer.Option()] = "http://127.0.0.1:8003",
    notifications_url: Annotated[str, typer.Option()] = "http://127.0.0.1:8004",
    jwt_key: Annotated[str, typer.Option(envvar="JWT_KEY")] = DEFAULT_JWT_KEY,
    kafka: Annotated[str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS")] = "127.0.0.1:19092",
    run_dir: Annotated[
        Path, typer.Option(help="Where the report goes and the platform's mail and traces are")
    ] = Path("var/run"),
    fresh_groups: Annotated[
        bool, typer.Option(help="First move the services' consumer groups to the topics' end")
    ] = False,
) -> None:
    """Drive a whole panel cycle against running services, stage by stage, each verified."""
    out = console()
    mail = run_dir / "mail"
    env = CycleEnvironment(
        participants_url=participants_url,
        panels_url=panels_url,
        feedback_url=feedback_url,
        notifications_url=notifications_url,
        jwt_key=jwt_key,
        kafka_bootstrap=kafka,
        run_dir=run_dir,
        mailbox=Mailbox(mail, port=0).messages if mail.is_dir() else None,
    )
    result = run(
        run_cycle(
            env,
            feed_size=size,
            rate_per_s=rate,
            report=ConsoleReport(out),
            seed=seed,
            fresh_groups=fresh_groups,
        )
    )
    print_result(out, result)
    for name, where in result.where_to_look.items():
        out.print(f"{name}: {where}")
    if not result.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Adds `vfp simulate` and `vfp cycle` (one line in the CLI)."""
    app.command()(simulate)
    app.command()(cycle)
