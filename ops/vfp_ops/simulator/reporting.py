"""How a cycle tells what it does: a rich console (progress bar, a rule per stage, a mark per
outcome) for people; `PlainReporter` collects lines for tests."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from rich.console import Console
from rich.errors import LiveError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vfp_ops.simulator.outcome import StageOutcome


class Reporter(Protocol):
    def stage(self, number: int, name: str) -> None: ...
    def info(self, text: str) -> None: ...
    def outcome(self, outcome: StageOutcome) -> None: ...
    def progress(self, total: int, label: str) -> Callable[[int], None]: ...
    def done(self) -> None: ...


@dataclass
class PlainReporter:
    """Collects what a cycle says (tests, logs)."""

    lines: list[str] = field(default_factory=list)

    def stage(self, number: int, name: str) -> None:
        self.lines.append(f"[{number}] {name}")

    def info(self, text: str) -> None:
        self.lines.append(f"    {text}")

    def outcome(self, outcome: StageOutcome) -> None:
        mark = "ok" if outcome.ok else "FAILED"
        self.lines.append(f"  -> {mark}: {outcome.detail} ({outcome.seconds:.1f}s)")

    def progress(self, total: int, label: str) -> Callable[[int], None]:
        return lambda _: None

    def done(self) -> None:
        return None


@dataclass
class ConsoleReport:
    out: Console
    _bar: Progress | None = field(default=None)

    def stage(self, number: int, name: str) -> None:
        self._close()
        self.out.rule(f"[bold]{number}. {name.replace('_', ' ')}")

    def info(self, text: str) -> None:
        self.out.print(f"  {text}")

    def outcome(self, outcome: StageOutcome) -> None:
        self._close()
        mark = "[green]✔[/]" if outcome.ok else "[bold red]✘[/]"
        self.out.print(f"{mark} {outcome.detail} [dim]({outcome.seconds:.1f}s)[/]")

    def progress(self, total: int, label: str) -> Callable[[int], None]:
        self._close()
        bar = Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.out,
        )
        task = bar.add_task(label, total=total)
        try:
            bar.start()
        except LiveError:  # another live display (e.g. a status spinner) holds the console
            self.out.print(f"  {label}: {total} ...")
            return lambda _: None
        self._bar = bar
        return lambda n: bar.advance(task, n)

    def done(self) -> None:
        self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
