"""`vfp lag`: how far each consumer group is behind, per topic (summed over partitions)."""

import importlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Annotated

import typer
from aiokafka import TopicPartition
from rich.table import Table

from vfp_ops.common import (
    SERVICES,
    console,
    kafka_admin,
    kafka_reader,
    offsets_between,
    print_json,
    run,
    topic_partitions,
)
from vfp_shared.settings import PlatformSettings


@dataclass(frozen=True)
class TopicLag:
    group: str
    topic: str | None  # None: the group has no committed offsets at all
    partitions: int = 0
    committed: int = 0
    end: int = 0
    lag: int = 0


async def consumer_lag(
    bootstrap_servers: str, groups: Sequence[str] | None = None
) -> list[TopicLag]:
    """Lag of `groups` (every group of the cluster when None), one entry per group and topic."""
    async with kafka_admin(bootstrap_servers) as admin:
        if groups is None:
            groups = sorted(str(group[0]) for group in await admin.list_consumer_groups())
        committed: dict[str, dict[TopicPartition, int]] = {}
        for group in groups:
            offsets = await admin.list_consumer_group_offsets(group)
            committed[group] = {tp: meta.offset for tp, meta in offsets.items()}
        # A service's group also lags on a topic it has never committed on (a stuck consumer).
        subscribed = {group: subscribed_topics(group) for group in groups}
        topics = {tp.topic for offsets in committed.values() for tp in offsets}
        topics |= {topic for found in subscribed.values() for topic in found}
        partitions = await topic_partitions(admin, topics)
    every = [tp for tps in partitions.values() for tp in tps]
    beginning: dict[TopicPartition, int] = {}
    end: dict[TopicPartition, int] = {}
    if every:
        async with kafka_reader(bootstrap_servers) as consumer:
            beginning, end = await offsets_between(consumer, every)
    result: list[TopicLag] = []
    for group in groups:
        offsets = committed[group]
        group_topics = sorted({tp.topic for tp in offsets} | subscribed[group])
        if not group_topics:
            result.append(TopicLag(group, None))
        for topic in group_topics:
            tps = partitions.get(topic) or [tp for tp in offsets if tp.topic == topic]
            # A partition without a commit has consumed nothing (the services start at the
            # earliest record): all of it is lag.
            position = {tp: max(offsets.get(tp, -1), beginning.get(tp, 0)) for tp in tps}
            done = sum(max(offsets.get(tp, 0), 0) for tp in tps)
            ends = sum(end.get(tp, 0) for tp in tps)
            behind = sum(max(end.get(tp, 0) - position[tp], 0) for tp in tps)
            result.append(TopicLag(group, topic, len(tps), done, ends, behind))
    return result


def subscribed_topics(group: str) -> set[str]:
    """The topics a service's consumer group reads (none for a group that is not a service's)."""
    if group not in SERVICES:
        return set()
    bootstrap = importlib.import_module(f"vfp_{group}.bootstrap")
    return set(bootstrap.build_runtime(PlatformSettings()).consumer.handlers)


def lag(
    all_groups: Annotated[
        bool, typer.Option("--all", help="Every consumer group of the cluster.")
    ] = False,
    group: Annotated[
        list[str] | None,
        typer.Option("--group", "-g", help="A consumer group (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Consumer lag per group and topic: committed offset vs end offset, summed over partitions.

    By default the four services' groups (participants, panels, feedback, notifications).
    """
    settings = PlatformSettings()
    groups: Sequence[str] | None = None if all_groups else (group or list(SERVICES))
    lags = run(consumer_lag(settings.kafka_bootstrap_servers, groups))
    if as_json:
        print_json([asdict(entry) for entry in lags])
        return
    table = Table(title="Consumer lag", title_justify="left")
    table.add_column("Group", style="bold")
    table.add_column("Topic")
    table.add_column("Partitions", justify="right")
    table.add_column("Committed", justify="right")
    table.add_column("End", justify="right")
    table.add_column("Lag", justify="right")
    for entry in lags:
        if entry.topic is None:
            table.add_row(entry.group, "[dim]no committed offsets[/]", "", "", "", "")
            continue
        colour = "green" if entry.lag == 0 else "yellow" if entry.lag < 1000 else "bold red"
        table.add_row(
            entry.group,
            entry.topic,
            str(entry.partitions),
            f"{entry.committed:,}",
            f"{entry.end:,}",
            f"[{colour}]{entry.lag:,}[/]",
        )
    out = console()
    out.print(table)
    total = sum(entry.lag for entry in lags)
    out.print(f"Total lag: [{'green' if total == 0 else 'yellow'}]{total:,}[/]")
