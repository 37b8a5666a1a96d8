"""Real servers for the channels, started by the tests: an SMTP server (aiosmtpd) and one HTTP
server (uvicorn) standing in for GOV.UK Notify, Teams incoming webhooks and downstream systems."""

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, TypeVar

import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI, Request, Response

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def eventually(probe: Callable[[], Any], *, timeout_s: float = 20, what: str = "") -> Any:
    """Poll until `probe()` returns something truthy (awaiting it if needed)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if asyncio.iscoroutine(found):
            found = await found
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or probe}")
        await asyncio.sleep(0.05)


class Mailbox:
    """An SMTP handler that keeps what it accepts; `script` makes it answer an address with
    given replies first (e.g. "451 ..." once), to play a flaky or refusing server."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.scripts: dict[str, list[str]] = {}

    def script(self, address: str, *replies: str) -> None:
        self.scripts[address] = list(replies)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        for rcpt in envelope.rcpt_tos:
            replies = self.scripts.get(rcpt)
            if replies:
                return replies.pop(0)
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.received if address in rcpts]


@contextlib.contextmanager
def smtp_server() -> Any:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, mailbox
    finally:
        controller.stop()


@dataclass
class Captured:
    path: str
    headers: dict[str, str]
    body: bytes


NOTIFY_PATH = "/v2/notifications/email"
ERROR_BODY = b'{"errors": []}'


@dataclass
class HttpStandIn:
    """Records every request it does not answer by script; `answer(path, status, ...)` scripts
    the next replies for a path, `answer_notify(address, status, ...)` Notify's for an address."""

    port: int
    requests: list[Captured] = field(default_factory=list)
    scripts: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, path: str, *statuses: int, body: bytes = ERROR_BODY) -> None:
        self.scripts[path] = [(status, body) for status in statuses]

    def answer_notify(self, address: str, *statuses: int, body: bytes = ERROR_BODY) -> None:
        self.answer(f"{NOTIFY_PATH} to {address}", *statuses, body=body)

    def to(self, path: str) -> list[Captured]:
        return [r for r in self.requests if r.path == path]


@contextlib.asynccontextmanager
async def http_stand_in() -> AsyncIterator[HttpStandIn]:
    stand_in = HttpStandIn(port=free_port())
    app = FastAPI()

    @app.post("/{path:path}")
    async def anything(path: str, request: Request) -> Response:
        full = "/" + path
        body = await request.body()
        key = f"{full} to {json.loads(body)['email_address']}" if full == NOTIFY_PATH else full
        scripted = stand_in.scripts.get(key)
        if scripted:
            status, content = scripted.pop(0)
            return Response(status_code=status, content=content, media_type="application/json")
        stand_in.requests.append(Captured(full, dict(request.headers), body))
        if full == NOTIFY_PATH:
            return Response(
                status_code=201, content=b'{"id": "n-1"}', media_type="application/json"
            )
        return Response(status_code=200, content=b"1")

    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=stand_in.port, log_level="warning", lifespan="off"
        )
    )
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, timeout_s=10, what="the HTTP stand-in")
    try:
        yield stand_in
    finally:
        server.should_exit = True
        await task
