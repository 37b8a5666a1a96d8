"""`vfp dead-letters`: list, inspect and replay the records consumers gave up on.

A dead letter on ``<topic>.dlq`` carries the original value, key and headers plus ``dlq_*``
headers (vfp_shared.bus.dead_letters). Replaying republishes the original record to the
original topic, so the consumer tries it again; its inbox makes replaying an event that was
applied after all harmless.

What was replayed is kept in Kafka itself: the consumer group ``vfp-dlq-replay`` commits, per
DLQ partition, the offset below which everything was replayed ("replayed up to here"); an
offset replayed on its own above that mark is listed in the commit's metadata. So a second
``replay --all`` replays nothing again, and ``list`` tells pending from replayed.
"""

import asyncio
import base64
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, TypeAlias

import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from rich.markup import escape
from rich.table import Table

from vfp_ops.common import (
    Unreachable,
    console,
    kafka_admin,
    kafka_reader,
    offsets_between,
    print_json,
    run,
    topic_partitions,
)
from vfp_shared.bus import dead_letters as dlq
from vfp_shared.settings import PlatformSettings

REPLAY_GROUP = "vfp-dlq-replay"
_METADATA_PREFIX = "replayed:"
# Kafka's default offset.metadata.max.bytes is 4096.
_METADATA_MAX = 3500
READ_TIMEOUT_S = 15.0  # without any progress
PREVIEW = 20  # dead letters shown before asking to replay

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"
Confirm = Callable[[list["DeadLetter"]], bool]


class NotFound(Exception):
    """No such DLQ topic, partition or offset."""


@dataclass
class ReplayMark:
    """Per DLQ partition: every offset below `next_offset` is replayed, and so is each of `also`."""

    next_offset: int = 0
    also: set[int] = field(default_factory=set)

    def replayed(self, offset: int) -> bool:
        return offset < self.next_offset or offset in self.also

    def add(self, offset: int) -> None:
        if offset >= self.next_offset:
            self.also.add(offset)
        while self.next_offset in self.also:
            self.also.discard(self.next_offset)
            self.next_offset += 1

    def advance_to(self, offset: int) -> None:
        self.next_offset = max(self.next_offset, offset)
        self.also = {o for o in self.also if o >= self.next_offset}

    def metadata(self) -> str:
        text = _METADATA_PREFIX + ",".join(map(str, sorted(self.also)))
        return text[: text.rfind(",", 0, _METADATA_MAX)] if len(text) > _METADATA_MAX else text

    @classmethod
    def from_commit(cls, offset: int, metadata: str | None) -> "ReplayMark":
        also: set[int] = set()
        if metadata and metadata.startswith(_METADATA_PREFIX):
            also = {int(part) for part in metadata[len(_METADATA_PREFIX) :].split(",") if part}
        return cls(max(offset, 0), {o for o in also if o >= offset})

    def pending_between(self, beginning: int, end: int) -> int:
        start = max(self.next_offset, beginning)
        return max(end - start, 0) - sum(1 for o in self.also if start <= o < end)


@dataclass(frozen=True)
class DlqSummary:
    topic: str
    original_topic: str
    partitions: int
    total: int
    pending: int
    replayed: int


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    dead_lettered_at: str
    original_topic: str
    original_partition: str
    original_offset: str
    consumer_group: str
    error_class: str
    error_message: str
    ce_id: str
    ce_type: str
    key: str | None
    value_bytes: int
    replayed: bool
    headers: dict[str, str]  # the original record's headers (not the dlq_* ones)
    value: str | None = None  # only when asked for; base64 when not UTF-8
    value_encoding: str | None = None


@dataclass(frozen=True)
class Replayed:
    dlq_topic: str
    partition: int
    offset: int
    to_topic: str
    ce_id: str


def dlq_topic_name(topic: str) -> str:
    """Accept 'feedback.x' as well as 'feedback.x.dlq'."""
    return topic if topic.endswith(dlq.DLQ_SUFFIX) else dlq.dead_letter_topic(topic)


def original_topic_of(dlq_topic: str) -> str:
    return dlq_topic.removesuffix(dlq.DLQ_SUFFIX)


async def replay_marks(
    admin: AIOKafkaAdminClient, partitions: Sequence[TopicPartition]
) -> dict[TopicPartition, ReplayMark]:
    committed = await admin.list_consumer_group_offsets(REPLAY_GROUP, partitions=list(partitions))
    marks = {tp: ReplayMark() for tp in partitions}
    for tp, meta in committed.items():
        if tp in marks:
            marks[tp] = ReplayMark.from_commit(meta.offset, meta.metadata)
    return marks


async def summaries(bootstrap_servers: str, topic: str | None = None) -> list[DlqSummary]:
    """Every DLQ topic (or one) with its counts of dead letters: total, pending, replayed."""
    async with kafka_admin(bootstrap_servers) as admin:
        if topic is None:
            names = sorted(t for t in await admin.list_topics() if t.endswith(dlq.DLQ_SUFFIX))
        else:
            names = [dlq_topic_name(topic)]
        partitions = await topic_partitions(admin, names)
        if topic is not None and not partitions:
            raise NotFound(f"no topic {names[0]}")
        all_partitions = [tp for tps in partitions.values() for tp in tps]
        marks = await replay_marks(admin, all_partitions)
    async with kafka_reader(bootstrap_servers) as consumer:
        beginning, end = await offsets_between(consumer, all_partitions)
    result = []
    for name, tps in sorted(partitions.items()):
        total = sum(end[tp] - beginning[tp] for tp in tps)
        pending = sum(marks[tp].pending_between(beginning[tp], end[tp]) for tp in tps)
        result.append(
            DlqSummary(name, original_topic_of(name), len(tps), total, pending, total - pending)
        )
    return result


async def read_dead_letters(
    bootstrap_servers: str,
    topic: str,
    *,
    partition: int | None = None,
    offset: int | None = None,
    limit: int = 50,
    pending_only: bool = False,
    with_value: bool = False,
) -> list[DeadLetter]:
    """Dead letters of one DLQ topic, oldest first: one (partition and offset), or up to
    `limit` (from the start, or from the replay mark when `pending_only`)."""
    name = dlq_topic_name(topic)
    async with kafka_admin(bootstrap_servers) as admin:
        partitions = (await topic_partitions(admin, [name])).get(name)
        if not partitions:
            raise NotFound(f"no topic {name}")
        marks = await replay_marks(admin, partitions)
    async with kafka_reader(bootstrap_servers) as consumer:
        beginning, end = await offsets_between(consumer, partitions)
        ranges = _ranges(name, partitions, beginning, end, marks, partition, offset, pending_only)
        records = await _read(consumer, ranges, limit)
    letters = [
        _dead_letter(r, marks[TopicPartition(r.topic, r.partition)], with_value)
        for r in records
        if not (pending_only and marks[TopicPartition(r.topic, r.partition)].replayed(r.offset))
    ]
    letters.sort(key=lambda d: (d.dead_lettered_at, d.partition, d.offset))
    return letters[:limit]


async def replay(
    bootstrap_servers: str,
    topic: str,
    *,
    partition: int | None = None,
    offset: int | None = None,
    confirm: Confirm | None = None,
) -> list[Replayed]:
    """Republish dead letters to their original topic: one (partition and offset), or every
    one not replayed yet; then record them as replayed. `confirm` sees what would be
    replayed and may say no (nothing happens then)."""
    name = dlq_topic_name(topic)
    async with kafka_admin(bootstrap_servers) as admin:
        partitions = (await topic_partitions(admin, [name])).get(name)
        if not partitions:
            raise NotFound(f"no topic {name}")
        marks = await replay_marks(admin, partitions)
    async with kafka_reader(bootstrap_servers, group_id=REPLAY_GROUP) as consumer:
        beginning, end = await offsets_between(consumer, partitions)
        pending_only = offset is None
        ranges = _ranges(name, partitions, beginning, end, marks, partition, offset, pending_only)
        records = [
            r
            for r in await _read(consumer, ranges, None)
            if not (pending_only and marks[TopicPartition(r.topic, r.partition)].replayed(r.offset))
        ]
        if not records:
            return []
        if confirm is not None:
            letters = [
                _dead_letter(r, marks[TopicPartition(r.topic, r.partition)], False) for r in records
            ]
            if not confirm(letters):
                return []
        replayed = await _republish(bootstrap_servers, records)
        # Only after every record is acknowledged: a crash before this replays them again
        # (harmless), never marks unsent ones as replayed.
        for tp, (_start, stop) in ranges.items():
            if pending_only:
                marks[tp].advance_to(stop)
        for record in records:
            marks[TopicPartition(record.topic, record.partition)].add(record.offset)
        consumer.assign(list(ranges))
        await consumer.commit({tp: (marks[tp].next_offset, marks[tp].metadata()) for tp in ranges})
    return replayed


def _ranges(
    name: str,
    partitions: list[TopicPartition],
    beginning: dict[TopicPartition, int],
    end: dict[TopicPartition, int],
    marks: dict[TopicPartition, ReplayMark],
    partition: int | None,
    offset: int | None,
    pending_only: bool,
) -> dict[TopicPartition, tuple[int, int]]:
    """Which offsets to read, per partition: [start, stop)."""
    if partition is not None and TopicPartition(name, partition) not in partitions:
        raise NotFound(f"{name} has no partition {partition}")
    if offset is not None:
        if partition is None:
            if len(partitions) > 1:
                raise NotFound(f"{name} has {len(partitions)} partitions: give --partition too")
            partition = partitions[0].partition
        tp = TopicPartition(name, partition)
        if not beginning[tp] <= offset < end[tp]:
            raise NotFound(
                f"{name} partition {partition} has offsets {beginning[tp]}..{end[tp] - 1}, "
                f"not {offset}"
            )
        return {tp: (offset, offset + 1)}
    chosen = [tp for tp in partitions if partition is None or tp.partition == partition]
    return {
        tp: (max(beginning[tp], marks[tp].next_offset) if pending_only else beginning[tp], end[tp])
        for tp in chosen
    }


async def _read(
    consumer: AIOKafkaConsumer,
    ranges: dict[TopicPartition, tuple[int, int]],
    limit: int | None,
) -> list[Record]:
    """The records in `ranges` (at most `limit` per partition), read by assignment."""
    todo = {tp: span for tp, span in ranges.items() if span[0] < span[1]}
    if not todo:
        return []
    consumer.assign(list(todo))
    for tp, (start, _stop) in todo.items():
        consumer.seek(tp, start)
    found: list[Record] = []
    counts = dict.fromkeys(todo, 0)
    deadline = time.monotonic() + READ_TIMEOUT_S
    while todo:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no progress reading {', '.join(map(str, todo))}")
        batches = await consumer.getmany(*todo, timeout_ms=500)
        for tp, records in batches.items():
            if tp not in todo or not records:
                continue
            deadline = time.monotonic() + READ_TIMEOUT_S  # progress: wait again
            stop = todo[tp][1]
            for record in records:
                if record.offset < stop and (limit is None or counts[tp] < limit):
                    found.append(record)
                    counts[tp] += 1
        for tp in list(todo):
            position = await consumer.position(tp)
            if position >= todo[tp][1] or (limit is not None and counts[tp] >= limit):
                del todo[tp]
    return found


async def _republish(bootstrap_servers: str, records: list[Record]) -> list[Replayed]:
    # Idempotent: a retried send never duplicates within a partition.
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True
    )
    try:
        await asyncio.wait_for(producer.start(), 10)
    except Exception as error:
        await producer.stop()
        raise Unreachable(f"cannot publish to Kafka at {bootstrap_servers}: {error!r}") from error
    try:
        pending = []
        replayed = []
        for record in records:
            headers = dict((name, value) for name, value in record.headers or ())
            to_topic = headers.get(dlq.ORIGINAL_TOPIC, b"").decode() or original_topic_of(
                record.topic
            )
            original_headers = [
                (name, value)
                for name, value in record.headers or ()
                if name not in dlq.DLQ_HEADERS and not name.startswith("dlq_")
            ]
            pending.append(
                await producer.send(
                    to_topic, record.value or b"", key=record.key, headers=original_headers
                )
            )
            ce_id = headers.get("ce_id", b"").decode(errors="replace")
            replayed.append(
                Replayed(record.topic, record.partition, record.offset, to_topic, ce_id)
            )
        await asyncio.gather(*pending)
        return replayed
    finally:
        await producer.stop()


def _dead_letter(record: Record, mark: ReplayMark, with_value: bool) -> DeadLetter:
    headers = {name: value.decode(errors="replace") for name, value in record.headers or ()}
    value = record.value or b""
    text: str | None = None
    encoding: str | None = None
    if with_value:
        try:
            text, encoding = value.decode(), "utf-8"
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(value).decode(), "base64"
    return DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        dead_lettered_at=datetime.fromtimestamp(record.timestamp / 1000, UTC).isoformat(),
        original_topic=headers.get(dlq.ORIGINAL_TOPIC, original_topic_of(record.topic)),
        original_partition=headers.get(dlq.ORIGINAL_PARTITION, "?"),
        original_offset=headers.get(dlq.ORIGINAL_OFFSET, "?"),
        consumer_group=headers.get(dlq.CONSUMER_GROUP, "?"),
        error_class=headers.get(dlq.ERROR_CLASS, "?"),
        error_message=headers.get(dlq.ERROR_MESSAGE, ""),
        ce_id=headers.get("ce_id", ""),
        ce_type=headers.get("ce_type", ""),
        key=record.key.decode(errors="replace") if record.key is not None else None,
        value_bytes=len(value),
        replayed=mark.replayed(record.offset),
        headers={k: v for k, v in headers.items() if not k.startswith("dlq_")},
        value=text,
        value_encoding=encoding,
    )


# ----------------------------------------------------------------------------- commands

dead_letters_app = typer.Typer(
    name="dead-letters",
    help="Dead letters (`<topic>.dlq`): list them, look at them, replay them.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
PartitionOption = Annotated[
    int | None, typer.Option("--partition", "-p", help="The DLQ partition.")
]


def _call(coro: Any) -> Any:
    try:
        return run(coro)
    except NotFound as error:
        console().print(f"[bold red]error:[/] {error}")
        raise typer.Exit(1) from None


@dead_letters_app.command("list")
def list_command(
    topic: Annotated[
        str | None, typer.Argument(help="One DLQ topic (the .dlq suffix may be left out).")
    ] = None,
    show: Annotated[
        int, typer.Option("--show", help="Also list up to N dead letters of each topic.")
    ] = 0,
    as_json: JsonOption = False,
) -> None:
    """Every `*.dlq` topic with its dead letters: total, pending and already replayed."""
    bootstrap = _bootstrap()
    found: list[DlqSummary] = _call(summaries(bootstrap, topic))
    letters: dict[str, list[DeadLetter]] = {}
    if show > 0:
        for summary in found:
            if summary.total:
                letters[summary.topic] = _call(
                    read_dead_letters(bootstrap, summary.topic, limit=show)
                )
    if as_json:
        rows = []
        for summary in found:
            row: dict[str, Any] = asdict(summary)
            if show > 0:
                row["dead_letters"] = _jsonable(letters.get(summary.topic, []))
            rows.append(row)
        print_json(rows)
        return
    out = console()
    if not found:
        out.print("[green]No dead-letter topics.[/]")
        return
    table = Table(title="Dead letters", title_justify="left")
    table.add_column("DLQ topic", style="bold")
    table.add_column("Original topic")
    table.add_column("Partitions", justify="right")
    table.add_column("Dead letters", justify="right")
    table.add_column("Pending", justify="right")
    table.add_column("Replayed", justify="right")
    for s in found:
        table.add_row(
            s.topic,
            s.original_topic,
            str(s.partitions),
            f"{s.total:,}",
            f"[{'bold red' if s.pending else 'green'}]{s.pending:,}[/]",
            f"{s.replayed:,}",
        )
    out.print(table)
    for name, items in letters.items():
        _print_letters(name, items)


@dead_letters_app.command("show")
def show_command(
    topic: Annotated[str, typer.Argument(help="The DLQ topic (the .dlq suffix may be left out).")],
    offset: Annotated[
        int | None, typer.Option("--offset", "-o", help="Show this one dead letter in full.")
    ] = None,
    partition: PartitionOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many.")] = 50,
    pending: Annotated[
        bool, typer.Option("--pending", help="Only those not replayed yet.")
    ] = False,
    value: Annotated[
        bool, typer.Option("--value", help="Print the record value too (hidden by default).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Dead letters of one topic with their dlq_* headers (where from, which group, why).

    The record value is not printed unless --value is given.
    """
    letters: list[DeadLetter] = _call(
        read_dead_letters(
            _bootstrap(),
            topic,
            partition=partition,
            offset=offset,
            limit=limit,
            pending_only=pending,
            with_value=value,
        )
    )
    if as_json:
        print_json(_jsonable(letters))
    elif offset is not None and letters:
        _print_one(letters[0])
    else:
        _print_letters(dlq_topic_name(topic), letters)


@dead_letters_app.command("replay")
def replay_command(
    topic: Annotated[str, typer.Argument(help="The DLQ topic (the .dlq suffix may be left out).")],
    offset: Annotated[
        int | None, typer.Option("--offset", "-o", help="Replay this one dead letter.")
    ] = None,
    partition: PartitionOption = None,
    replay_all: Annotated[
        bool, typer.Option("--all", help="Replay every dead letter not replayed yet.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Republish dead letters to their original topic so the consumer tries them again.

    Give --offset (with --partition when the topic has several) for one, or --all for every
    pending one. Replayed ones are recorded (consumer group vfp-dlq-replay): a later --all
    skips them.
    """
    if (offset is None) == (not replay_all):
        console().print("[bold red]error:[/] give either --offset X or --all")
        raise typer.Exit(2)
    out = console()

    def ask(letters: list[DeadLetter]) -> bool:
        _print_letters(dlq_topic_name(topic), letters[:PREVIEW])
        if len(letters) > PREVIEW:
            out.print(f"[dim]... and {len(letters) - PREVIEW:,} more.[/]")
        again = sum(1 for d in letters if d.replayed)
        if again:
            out.print(f"[yellow]{again} of them were replayed before.[/]")
        if yes:
            return True
        targets = ", ".join(sorted({d.original_topic for d in letters}))
        return typer.confirm(f"Replay {len(letters):,} dead letter(s) to {targets}?")

    replayed: list[Replayed] = _call(
        replay(_bootstrap(), topic, partition=partition, offset=offset, confirm=ask)
    )
    if not replayed:
        out.print("Nothing replayed.")
        return
    for item in replayed[:PREVIEW]:
        out.print(
            f"[green]replayed[/] {item.dlq_topic} {item.partition}:{item.offset} "
            f"-> {item.to_topic}  [dim]ce_id {item.ce_id or '-'}[/]"
        )
    if len(replayed) > PREVIEW:
        out.print(f"[dim]... and {len(replayed) - PREVIEW:,} more.[/]")
    out.print(f"[bold green]{len(replayed):,} dead letter(s) replayed.[/]")


def _bootstrap() -> str:
    return PlatformSettings().kafka_bootstrap_servers


def _jsonable(letters: list[DeadLetter]) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in asdict(d).items() if k not in ("value", "value_encoding") or d.value}
        for d in letters
    ]


def _print_letters(name: str, letters: list[DeadLetter]) -> None:
    out = console()
    if not letters:
        out.print(f"[dim]{name}: no dead letters to show.[/]")
        return
    table = Table(title=name, title_justify="left", show_lines=True)
    table.add_column("Ref", style="bold", no_wrap=True)
    table.add_column("Dead-lettered (UTC)", no_wrap=True)
    table.add_column("From (topic partition:offset / group)")
    table.add_column("Error / ce_id")
    table.add_column("State", no_wrap=True)
    for d in letters:
        table.add_row(
            f"{d.partition}:{d.offset}",
            d.dead_lettered_at[:19].replace("T", " "),
            f"{escape(d.original_topic)} {d.original_partition}:{d.original_offset}\n"
            f"[dim]{escape(d.consumer_group)}[/]",
            f"[red]{escape(d.error_class)}[/] {escape(_short(d.error_message, 100))}\n"
            f"[dim]ce_id {escape(d.ce_id or '-')}[/]",
            "[green]replayed[/]" if d.replayed else "[yellow]pending[/]",
        )
    out.print(table)
    out.print("[dim]Ref = partition:offset. Values are hidden; use show --offset X --value.[/]")


def _print_one(d: DeadLetter) -> None:
    table = Table(show_header=False, title=f"{d.topic} {d.partition}:{d.offset}")
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("state", "[green]replayed[/]" if d.replayed else "[yellow]pending[/]"),
        ("dead-lettered at", d.dead_lettered_at),
        (
            "original",
            f"{d.original_topic} partition {d.original_partition} offset {d.original_offset}",
        ),
        ("consumer group", d.consumer_group),
        ("error", f"[red]{d.error_class}[/]"),
        ("message", escape(d.error_message)),
        ("ce_id", d.ce_id or "-"),
        ("ce_type", d.ce_type or "-"),
        ("key", d.key if d.key is not None else "-"),
        ("value", f"{d.value_bytes:,} bytes"),
    ]
    rows += [(f"header {name}", escape(text)) for name, text in sorted(d.headers.items())]
    for label, text in rows:
        table.add_row(label, text)
    out = console()
    out.print(table)
    if d.value is not None:
        out.print("[bold]value:[/]")
        if d.value_encoding == "utf-8":
            try:
                out.print_json(json.dumps(json.loads(d.value)))
            except ValueError:
                out.print(d.value, markup=False)
        else:
            out.print(f"(base64) {d.value}", markup=False)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
