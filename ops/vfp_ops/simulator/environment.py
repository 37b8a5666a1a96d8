"""Where the running platform answers, for a cycle driven against it."""

from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from vfp_ops.platform import Platform


@dataclass
class CycleEnvironment:
    """Where the running platform answers."""

    participants_url: str = "http://127.0.0.1:8001"
    panels_url: str = "http://127.0.0.1:8002"
    feedback_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    jwt_key: str = "local-run-secret-0123456789abcdef-0123456789"
    kafka_bootstrap: str = "127.0.0.1:19092"
    run_dir: Path = Path("run")
    # The mailbox the notifications send to (e.g. `platform.mailbox.messages`), if readable.
    mailbox: Callable[[], list[EmailMessage]] | None = None
    # Where the services write their spans as JSON lines; default run_dir/traces.
    traces_dir: Path | None = None
    organisation: str | None = None  # default: a force per run, so panels never clash

    def url(self, service: str) -> str:
        return str(getattr(self, f"{service}_url")).rstrip("/")

    @classmethod
    def for_platform(cls, platform: Platform) -> "CycleEnvironment":
        """The environment of a `Platform` started with `platform.running()`."""
        mailbox = platform.mailbox
        return cls(
            participants_url=platform.url("participants"),
            panels_url=platform.url("panels"),
            feedback_url=platform.url("feedback"),
            notifications_url=platform.url("notifications"),
            jwt_key=platform.jwt_key,
            kafka_bootstrap=platform.settings.kafka_bootstrap_servers,
            run_dir=platform.run_dir,
            mailbox=mailbox.messages if mailbox is not None else None,
            traces_dir=platform.traces_dir,
        )
