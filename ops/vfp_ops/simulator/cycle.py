"""One whole panel cycle driven against the running services, stage by stage, each verified
(polling with timeouts, never sleeping and hoping): from the force's feed to the board report
and a withdrawal. Output goes through a small `Reporter`; the figures come back in a
`CycleResult`.
"""

import asyncio
import contextlib
import json
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import httpx
import icalendar
from aiokafka import TopicPartition

from vfp_ops.platform import Platform
from vfp_ops.simulator.bus import (
    GROUP_TOPICS,
    BusWatch,
    dead_letter_offsets,
    end_offsets,
    publish_paced,
    wait_consumed,
)
from vfp_ops.simulator.feed import COMMAND_AREAS, SERVICES, Feed, build_feed
from vfp_shared.auth import Role, issue_token
from vfp_shared.settings import PlatformSettings
from vfp_shared.testing import publish, start_group_at_end

# The cycle's panel starts this long after it is created: staff register first (registration
# closes at the start), then it is held (not before its start).
PANEL_LEAD_S = 6.0
SERVICE_NAMES = ("participants", "panels", "feedback", "notifications")
WATCHED = (
    "participants.candidate-identified.v1",
    "participants.candidate-excluded.v1",
    "participants.consent-given.v1",
    "participants.consent-declined.v1",
    "participants.consent-withdrawn.v1",
    "panels.panel-scheduled.v1",
    "panels.agenda-published.v1",
    "panels.participant-invited.v1",
    "panels.participant-removed.v1",
    "panels.panel-held.v1",
    "feedback.theme-recurring.v1",
    "feedback.case-study-shared.v1",
    "learning.recognition-awarded.v1",
    "learning.action-raised.v1",
    "learning.action-completed.v1",
    "learning.endorsement-requested.v1",
    "learning.endorsement-recorded.v1",
    "notifications.sent.v1",
    "notifications.delivery-failed.v1",
)
# Screening's reason codes whose effect is to exclude (the others defer or add a requirement).
EXCLUDING = frozenset(
    {
        "do_not_contact",
        "not_finalised",
        "case_reopened",
        "open_complaint",
        "no_focus_theme",
        "safeguarding_without_support_worker",
        "no_contact_route",
    }
)
CONSENTING = ("live", "safeguarded", "child", "praise", "case_study")


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


@dataclass(frozen=True)
class StageOutcome:
    name: str
    ok: bool
    detail: str
    seconds: float = 0.0


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
class CycleResult:
    run_id: str
    wall_s: float = 0.0
    events_published: int = 0
    later_events_published: int = 0
    candidates: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    excluded_by_reason: dict[str, int] = field(default_factory=dict)
    deferred_by_reason: dict[str, int] = field(default_factory=dict)
    showcase: dict[str, dict[str, Any]] = field(default_factory=dict)
    excluded_later: dict[str, list[str]] = field(default_factory=dict)
    child_consent_without_guardian_status: int | None = None
    consents: int = 0
    declines: int = 0
    consent_modes: dict[str, str] = field(default_factory=dict)
    panel_ref: str | None = None
    earlier_panel_ref: str | None = None
    next_panel_ref: str | None = None
    agenda_items: list[str] = field(default_factory=list)
    agenda_published: bool = False
    invitations: int = 0
    invitations_delivered: int = 0
    ics_summary: str | None = None
    ics_matches_panel: bool = False
    emails_in_mailbox: int | None = None
    emails_by_subject: dict[str, int] = field(default_factory=dict)
    registrations: int = 0
    attendees: int = 0
    survey_opened: bool = False
    survey_responses: int = 0
    testimonies: int = 0
    recurring_theme: str | None = None
    recurring_published: list[str] = field(default_factory=list)
    below_k_theme: str | None = None
    below_k_published: bool = False
    learning_events: dict[str, int] = field(default_factory=dict)
    you_said_we_did_sent: int = 0
    board_report_path: str | None = None
    board_report: dict[str, Any] = field(default_factory=dict)
    withdrawn_participant: str | None = None
    withdrawal_checks: dict[str, bool] = field(default_factory=dict)
    cancelled_notifications: int | None = None
    dead_letters: dict[str, int] = field(default_factory=dict)
    delivery_failures: dict[str, int] = field(default_factory=dict)
    trace_id: str | None = None
    trace_services: list[str] = field(default_factory=list)
    where_to_look: dict[str, str] = field(default_factory=dict)
    stages: list[StageOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return len(self.stages) == 13 and all(s.ok for s in self.stages)

    def stage(self, name: str) -> StageOutcome:
        return next(s for s in self.stages if s.name == name)


class StageFailed(Exception):
    """A stage found something other than what it expected."""


class Http:
    def __init__(self, env: CycleEnvironment, client: httpx.AsyncClient):
        self.env = env
        self.client = client

    async def call(
        self,
        method: str,
        service: str,
        path: str,
        token: str,
        body: Any = None,
        *,
        expect: tuple[int, ...] = (200, 201),
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        response = await self.client.request(
            method,
            f"{self.env.url(service)}{path}",
            json=body,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )
        if response.status_code not in expect:
            raise StageFailed(
                f"{method} {service}{path} → {response.status_code}: {response.text[:400]}"
            )
        return response

    async def json(
        self, method: str, service: str, path: str, token: str, body: Any = None, **kwargs: Any
    ) -> Any:
        return (await self.call(method, service, path, token, body, **kwargs)).json()


async def poll(
    check: Callable[[], Awaitable[Any]], what: str, timeout_s: float = 30, every_s: float = 0.25
) -> Any:
    """Until `check()` returns something truthy; StageFailed naming `what` at the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise StageFailed(f"timed out after {timeout_s:.0f}s waiting for {what}")
        await asyncio.sleep(every_s)


async def move_groups_to_end(bootstrap: str) -> None:
    """Start the four services' consumer groups at the end of their topics (a fresh run that
    must not replay old events). Only while the services are stopped, or on request."""
    settings = PlatformSettings(kafka_bootstrap_servers=bootstrap)
    for group, topics in GROUP_TOPICS.items():
        await start_group_at_end(settings, group, *topics)


class Cycle:
    def __init__(
        self, env: CycleEnvironment, http: Http, watch: BusWatch, feed: Feed, result: CycleResult
    ) -> None:
        self.env, self.http, self.watch, self.feed, self.r = env, http, watch, feed, result
        run = feed.run_id
        self.p = f"sim-{run}"
        self.org = env.organisation or f"force-{run}"
        key = env.jwt_key
        self.coordinator = issue_token(key, f"{self.p}-coordinator", [Role.COORDINATOR], self.org)
        self.lead = issue_token(key, f"{self.p}-di-lead", [Role.PANEL_LEAD], self.org)
        self.board = issue_token(key, f"{self.p}-acc-board", [Role.BOARD], self.org)
        self.staff = [f"{self.p}-staff-{i:02d}" for i in range(1, 7)]
        self.areas = [f"{self.p}-area-{a}" for a in COMMAND_AREAS]
        self.cps = f"{self.p}-cps-east"
        self.partners = [f"{self.p}-partner-idva", f"{self.p}-partner-council-asb"]
        self.team = f"{self.p}-team-north-safeguarding"
        self.line_manager = f"{self.p}-sgt-line-manager"
        self.training = f"{self.p}-learning-development"
        self.media = f"{self.p}-corporate-comms"
        self.participant: dict[str, str] = {}  # showcase key -> participant ref
        self.testimony: dict[str, list[str]] = {}
        self.now = datetime.now(UTC)
        self.panel_starts: datetime | None = None
        self.panel_title = ""
        self.invitation_refs: list[str] = []
        self.invited_event_ids: set[str] = set()
        self.fed: dict[TopicPartition, int] = {}
        self.undelivered: list[str] = []
        self.t1 = f"sim_{run}_single_point_of_contact"
        self.t2 = f"sim_{run}_court_waiting_areas"

    # --- helpers -------------------------------------------------------------------------------

    def supporter_of(self, key: str) -> str:
        case = self.feed.showcase(key).event
        return case.support_worker_ref or case.oic_ref

    def email_of(self, ref: str) -> str:
        return f"{ref}@force.example"

    def staff_token(self, ref: str) -> str:
        return issue_token(self.env.jwt_key, ref, [Role.STAFF], self.org)

    async def my_candidates(self, expected: int) -> list[dict[str, Any]]:
        """This run's candidates (found by their supporter's run-prefixed ref), newest first."""
        mine: list[dict[str, Any]] = []
        offset = 0
        while len(mine) < expected:
            page = await self.http.json(
                "GET",
                "participants",
                "/candidates",
                self.coordinator,
                params={"limit": 500, "offset": offset, "purpose": "panel_cycle_screening"},
            )
            mine += [c for c in page if (c.get("supporter_ref") or "").startswith(self.p)]
            if len(page) < 500:
                break
            offset += 500
        return mine

    def mails(self) -> list[EmailMessage]:
        return self.env.mailbox() if self.env.mailbox else []

    def sent_for(self, event_ids: set[str], template: str | None = None) -> list[Any]:
        return [
            s.envelope.data
            for s in self.watch.matching("notifications.sent.v1")
            if s.envelope.data.source_event_id in event_ids
            and (template is None or s.envelope.data.template == template)
        ]

    # --- 1 ---------------------------------------------------------------------------------------

    async def directory(self) -> str:
        entries: dict[str, dict[str, Any]] = {}
        for ref, kind in self.feed.people.items():
            entries[ref] = {"kind": kind, "name": ref.removeprefix(f"{self.p}-")}
        for svc in SERVICES:
            # A service is reached through its panel contact (a member of its own): the
            # service refs are the same in every run, and the per-recipient rate limit
            # (20 an hour) would hold a busy stack's mail to them back.
            contact = f"{self.p}-{svc}-panel-contact"
            entries[contact] = {
                "kind": "staff",
                "name": f"Panel contact, {svc}",
                "email": f"{contact}@services.example",
                "organisation": svc,
            }
            entries[svc] = {"kind": "service", "name": svc, "member_refs": [contact], "email": None}
        for ref in self.staff:
            entries[ref] = {"kind": "staff", "name": ref, "line_manager_ref": self.line_manager}
        for i, ref in enumerate(self.areas):
            members = self.staff[i * 2 : i * 2 + 2]
            entries[ref] = {"kind": "command_area", "name": ref, "member_refs": members}
            # Panels names a staff audience `staff:<command area>:<role>`: a group whose
            # members are the area's staff (reached through them; no address of its own).
            entries[f"staff:{ref}:all"] = {
                "kind": "staff_audience",
                "name": f"All staff, {ref}",
                "member_refs": members,
                "email": None,
            }
        extra = {
            self.cps: "cps",
            self.partners[0]: "partner",
            self.partners[1]: "partner",
            self.team: "team",
            self.line_manager: "staff",
            self.training: "team",
            self.media: "team",
            f"{self.p}-di-lead": "staff",
            f"{self.p}-coordinator": "staff",
        }
        for ref, kind in extra.items():
            entries[ref] = {"kind": kind, "name": ref}
        praise_oic = self.feed.showcase("praise").event.oic_ref
        entries[praise_oic]["line_manager_ref"] = self.line_manager
        for ref, entry in entries.items():
            entry.setdefault("email", self.email_of(ref))
            if entry["email"] is None:
                del entry["email"]
        gate = asyncio.Semaphore(8)

        async def put(ref: str, entry: dict[str, Any]) -> None:
            async with gate:
                path = f"/directory/{ref}"
                await self.http.call("PUT", "notifications", path, self.coordinator, entry)

        await asyncio.gather(*(put(ref, entry) for ref, entry in entries.items()))
        probe = await self.http.json(
            "GET", "notifications", f"/directory/{self.areas[0]}", self.coordinator
        )
        if probe.get("member_refs") != self.staff[:2]:
            raise StageFailed(f"directory entry read back differently: {probe}")
        kinds = Counter(str(e["kind"]) for e in entries.values())
        return (
            f"{len(entries)} directory entries ({', '.join(f'{v} {k}' for k, v in kinds.items())})"
        )

    # --- 2 ---------------------------------------------------------------------------------------

    async def publish_feed(self, rate_per_s: float, report: Reporter) -> str:
        stream = self.feed.stream()
        report.info(
            f"{len(self.feed.cases)} case closures, {len(self.feed.nominations)} nominations, "
            f"{len(self.feed.flags)} staff flags, {len(self.feed.referrals)} referrals"
        )
        report.info("mix: " + ", ".join(f"{k} {v}" for k, v in self.feed.mix().items()))
        advance = report.progress(len(stream), "publishing the force feed")
        topics = GROUP_TOPICS["participants"]
        before = await end_offsets(self.env.kafka_bootstrap, topics)
        started = time.monotonic()
        await publish_paced(self.env.kafka_bootstrap, stream, rate_per_s, advance)
        took = time.monotonic() - started
        after = await end_offsets(self.env.kafka_bootstrap, topics)
        # Where the feed landed: screening is done once the participants group is past it.
        self.fed = {tp: end for tp, end in after.items() if end > before.get(tp, 0)}
        self.r.events_published = len(stream)
        return f"{len(stream)} events in {took:.1f}s ({len(stream) / max(took, 1e-6):.0f}/s)"

    # --- 3 ---------------------------------------------------------------------------------------

    async def screening(self) -> str:
        try:
            await wait_consumed(self.env.kafka_bootstrap, "participants", self.fed, 60)
        except TimeoutError as error:
            raise StageFailed(str(error)) from None
        expected = len(self.feed.victims())
        mine: list[dict[str, Any]] = await poll(
            lambda: self._all_mine(expected), f"{expected} candidates", 30
        )
        self.r.candidates = len(mine)
        self.r.by_status = dict(Counter(c["status"] for c in mine))
        reasons: Counter[str] = Counter()
        deferred: Counter[str] = Counter()
        for c in mine:
            if c["status"] == "excluded":
                reasons.update(r for r in c["reason_codes"] if r in EXCLUDING)
            elif c["status"] == "deferred":
                deferred.update(c["reason_codes"])
        self.r.excluded_by_reason = dict(reasons)
        self.r.deferred_by_reason = dict(deferred)
        by_supporter = {c["supporter_ref"]: c for c in mine}
        problems = []
        for fc in self.feed.cases:
            if fc.showcase is None:
                continue
            candidate = by_supporter.get(self.supporter_of(fc.showcase))
            if candidate is None:
                problems.append(f"{fc.showcase}: no candidate")
                continue
            self.participant[fc.showcase] = candidate["participant_ref"]
            self.r.showcase[fc.showcase] = {
                k: candidate[k]
                for k in (
                    "participant_ref",
                    "status",
                    "reason_codes",
                    "contact_route",
                    "child",
                    "safeguarding",
                    "themes",
                )
            }
        expectations: dict[str, Callable[[dict[str, Any]], bool]] = {
            "live": lambda c: c["status"] == "identified",
            "safeguarded": lambda c: (
                c["status"] == "identified"
                and c["contact_route"] == "support_worker"
                and "support_worker_only" in c["reason_codes"]
            ),
            "child": lambda c: (
                c["status"] == "identified"
                and c["child"]
                and "guardian_consent_required" in c["reason_codes"]
            ),
            "pending_court": lambda c: (
                c["status"] == "excluded" and "not_finalised" in c["reason_codes"]
            ),
            "vehicle": lambda c: (
                c["status"] == "excluded" and "no_focus_theme" in c["reason_codes"]
            ),
            "recent": lambda c: c["status"] == "deferred" and "cooling_off" in c["reason_codes"],
            "complaint": lambda c: c["status"] == "identified",
            "reopened": lambda c: c["status"] == "identified",
        }
        for key, holds in expectations.items():
            seen = self.r.showcase.get(key)
            if seen is not None and not holds(seen):
                problems.append(f"{key}: {seen['status']} {seen['reason_codes']}")
        # The identified victim's journey continues the force's trace.
        live = self.feed.showcase("live")
        try:
            await self.watch.wait(
                "participants.candidate-identified.v1",
                lambda d: d.participant_ref == self.participant.get("live"),
                timeout_s=15,
            )
        except TimeoutError:
            problems.append("no candidate-identified event for the live showcase")
        found = self.watch.matching(
            "participants.candidate-identified.v1",
            lambda d: d.participant_ref == self.participant.get("live"),
        )
        if found and found[0].trace_id != live.trace_id:
            problems.append("candidate-identified does not continue the case-closed trace")
        # Never identified: no candidate-identified event continues their case's trace.
        identified_traces = {
            s.trace_id for s in self.watch.matching("participants.candidate-identified.v1")
        }
        for key in ("pending_court", "vehicle", "recent"):
            announced = self.feed.showcase(key).trace_id in identified_traces
            if key in self.r.showcase:
                self.r.showcase[key]["identified_event"] = announced
            if announced:
                problems.append(f"{key} was announced as identified")
        if problems:
            raise StageFailed("; ".join(problems))
        excluded = ", ".join(f"{k} {v}" for k, v in reasons.most_common())
        return (
            f"{len(mine)} candidates: {self.r.by_status.get('identified', 0)} identified, "
            f"{self.r.by_status.get('excluded', 0)} excluded ({excluded}), "
            f"{self.r.by_status.get('deferred', 0)} deferred, "
            f"{self.r.by_status.get('pending', 0)} pending"
        )

    async def _all_mine(self, expected: int) -> list[dict[str, Any]] | None:
        mine = await self.my_candidates(expected)
        return mine if len(mine) >= expected else None

    # --- 4 ---------------------------------------------------------------------------------------

    async def later_events(self) -> str:
        later = self.feed.later()
        await publish(self.env.kafka_bootstrap, later)
        self.r.later_events_published = len(later)
        wanted = {"complaint": "open_complaint", "reopened": "case_reopened"}
        for key, reason in wanted.items():
            ref = self.participant[key]
            try:
                seen = await self.watch.wait(
                    "participants.candidate-excluded.v1",
                    lambda d, ref=ref: d.participant_ref == ref,  # type: ignore[misc]
                    timeout_s=30,
                )
            except TimeoutError as error:
                raise StageFailed(f"{key}: {error}") from None
            codes = list(seen[0].envelope.data.reason_codes)
            self.r.excluded_later[key] = codes
            if reason not in codes:
                raise StageFailed(f"{key} excluded for {codes}, expected {reason}")
            view = await self.http.json(
                "GET", "participants", f"/candidates/{ref}", self.coordinator
            )
            if view["status"] != "excluded":
                raise StageFailed(f"{key} is {view['status']} after the exclusion event")
        return (
            f"{len(later)} events: complaint → excluded {self.r.excluded_later['complaint']}, "
            f"reopening → excluded {self.r.excluded_later['reopened']}"
        )

    # --- 5 ---------------------------------------------------------------------------------------

    async def consent(self, report: Reporter) -> str:
        plans: dict[str, dict[str, Any]] = {
            "live": {"mode": "live", "scopes": ["take_part", "recording_in_training"]},
            "safeguarded": {"mode": "by_support_worker", "scopes": ["take_part"]},
            "child": {"mode": "pre_recorded", "scopes": ["take_part"], "guardian_consent": True},
            "praise": {
                "mode": "live_camera_off",
                "scopes": ["take_part", "praise_to_named_officers"],
                "praise_officer_refs": [self.feed.showcase("praise").event.oic_ref],
            },
            "case_study": {
                "mode": "live",
                "scopes": ["take_part", "case_study_to_named_teams"],
                "case_study_team_refs": [self.team],
            },
        }
        for key in (*CONSENTING, "declines"):
            ref = self.participant[key]
            seen = self.r.showcase[key]
            via = seen["contact_route"]
            await self.http.call(
                "POST",
                "participants",
                f"/candidates/{ref}/approach",
                self.coordinator,
                {"via": via, "by_ref": self.supporter_of(key)},
            )
            if key == "declines":
                await self.http.call(
                    "POST", "participants", f"/candidates/{ref}/decline", self.coordinator
                )
                self.r.declines += 1
                report.info(f"{key}: approached via {via}, declined")
                continue
            if key == "child":
                refused = await self.http.call(
                    "POST",
                    "participants",
                    f"/candidates/{ref}/consent",
                    self.coordinator,
                    {**plans[key], "guardian_consent": False},
                    expect=(409, 422),
                )
                self.r.child_consent_without_guardian_status = refused.status_code
            await self.http.call(
                "POST", "participants", f"/candidates/{ref}/consent", self.coordinator, plans[key]
            )
            self.r.consents += 1
            self.r.consent_modes[key] = plans[key]["mode"]
            report.info(f"{key}: approached via {via}, consented {plans[key]['mode']}")
        refs = {self.participant[k] for k in CONSENTING}
        try:
            await self.watch.wait(
                "participants.consent-given.v1", lambda d: d.participant_ref in refs, count=5
            )
            await self.watch.wait(
                "participants.consent-declined.v1",
                lambda d: d.participant_ref == self.participant["declines"],
            )
        except TimeoutError as error:
            raise StageFailed(str(error)) from None

        async def pooled() -> bool:
            pool = await self.http.json(
                "GET", "panels", "/pool", self.coordinator, params={"limit": 500}
            )
            return refs <= {e["participant_ref"] for e in pool}

        await poll(pooled, "the consented victims in the panels pool")
        return (
            f"{self.r.consents} consents ({', '.join(sorted(set(self.r.consent_modes.values())))})"
            f", {self.r.declines} declined; child without a guardian's consent → "
            f"{self.r.child_consent_without_guardian_status}; all in the panels pool"
        )

    # --- 6 ---------------------------------------------------------------------------------------

    async def schedule(self, report: Reporter) -> str:
        proposals = await self.http.json(
            "GET", "panels", "/panels/proposed-dates", self.lead, params={"count": 2}
        )
        first = proposals["proposals"][0]
        report.info(f"proposed dates: {[p['starts_at'] for p in proposals['proposals']]}")
        themes = [
            "sexual_violence_and_domestic_abuse",
            "stalking_and_harassment",
            "minority_communities",
            "other_high_harm",
        ]
        base = {
            "format": "online",
            "themes": themes,
            "lead_ref": f"{self.p}-di-lead",
            "coordinator_refs": [f"{self.p}-coordinator"],
            "case_study_capacity": 4,
        }
        # An earlier panel, held six months ago (recorded after the event).
        earlier_start = (self.now - timedelta(days=182)).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        earlier = await self.http.json(
            "POST",
            "panels",
            "/panels",
            self.lead,
            {
                **base,
                "title": f"Victim Feedback Panel (spring) {self.feed.run_id}",
                "starts_at": earlier_start.isoformat(),
                "ends_at": (earlier_start + timedelta(hours=3)).isoformat(),
                "meeting_link": f"https://meet.force.example/vfp-{self.feed.run_id}-spring",
            },
        )
        self.r.earlier_panel_ref = earlier["panel_ref"]
        await self.http.call(
            "POST", "panels", f"/panels/{earlier['panel_ref']}/schedule", self.lead
        )
        await self.http.call(
            "POST",
            "panels",
            f"/panels/{earlier['panel_ref']}/held",
            self.lead,
            {
                "recording_ref": f"{self.p}-recording-spring",
                "attendees": [
                    {"attendee_ref": s, "command_area_ref": self.areas[i % 3], "role": "pc"}
                    for i, s in enumerate(self.staff[:3])
                ],
            },
        )
        # This cycle's panel: starts in a few seconds (the cycle is a compressed six months).
        self.panel_starts = datetime.now(UTC) + timedelta(seconds=PANEL_LEAD_S)
        self.panel_title = f"Victim Feedback Panel (autumn) {self.feed.run_id}"
        panel = await self.http.json(
            "POST",
            "panels",
            "/panels",
            self.lead,
            {
                **base,
                "title": self.panel_title,
                "starts_at": self.panel_starts.isoformat(),
                "ends_at": (self.panel_starts + timedelta(hours=3)).isoformat(),
                "meeting_link": f"https://meet.force.example/vfp-{self.feed.run_id}-autumn",
                "command_area_refs": self.areas,
                "organisation_refs": [self.cps, *self.partners, *SERVICES],
            },
        )
        ref = panel["panel_ref"]
        self.r.panel_ref = ref
        await self.http.call("POST", "panels", f"/panels/{ref}/schedule", self.lead)
        # Staff register while it is still ahead.
        for i, staff in enumerate(self.staff):
            await self.http.call(
                "POST",
                "panels",
                f"/panels/{ref}/registrations",
                self.staff_token(staff),
                {"command_area_ref": self.areas[i % 3], "role": ("pc", "dc", "sergeant")[i % 3]},
            )
            self.r.registrations += 1
        # Victims are invited through their supporters (pre-recorded ones too).
        for key in CONSENTING:
            invitation = await self.http.json(
                "POST",
                "panels",
                f"/panels/{ref}/invitations",
                self.lead,
                {"kind": "victim", "participant_ref": self.participant[key]},
            )
            self.invitation_refs.append(invitation["invitation_ref"])
        minutes = {"opening": 10, "case_study": 20, "service_slot": 10, "questions": 30}
        items: list[dict[str, Any]] = [{"kind": "opening", "minutes": minutes["opening"]}]
        for key in ("live", "child", "safeguarded", "case_study"):
            item: dict[str, Any] = {
                "kind": "case_study",
                "minutes": minutes["case_study"],
                "participant_ref": self.participant[key],
                "mode": self.r.consent_modes[key],
            }
            if item["mode"] == "pre_recorded":
                item["media_ref"] = f"{self.p}-media-{key}"
            items.append(item)
        items += [{"kind": "service_slot", "minutes": 10, "service_ref": s} for s in SERVICES]
        items += [
            {"kind": "questions", "minutes": 30},
            {"kind": "recognition", "minutes": 10},
            {"kind": "close", "minutes": 5},
        ]
        await self.http.call("PUT", "panels", f"/panels/{ref}/agenda", self.lead, {"items": items})
        checks = await self.http.json("GET", "panels", f"/panels/{ref}/agenda/checks", self.lead)
        if not checks["ready"]:
            raise StageFailed(f"agenda checks broken: {checks['broken']}")
        await self.http.call("POST", "panels", f"/panels/{ref}/agenda/publish", self.lead)
        try:
            await self.watch.wait("panels.agenda-published.v1", lambda d: d.panel_ref == ref)
            await self.watch.wait("panels.panel-scheduled.v1", lambda d: d.panel_ref == ref)
        except TimeoutError as error:
            raise StageFailed(str(error)) from None
        self.r.agenda_items = [i["kind"] for i in items]
        self.r.agenda_published = True
        # The next panel, at the first proposed date: a draft naming the case-study victim.
        nxt = await self.http.json(
            "POST",
            "panels",
            "/panels",
            self.lead,
            {
                **base,
                "title": f"Victim Feedback Panel (next spring) {self.feed.run_id}",
                "starts_at": first["starts_at"],
                "ends_at": first["ends_at"],
                "meeting_link": f"https://meet.force.example/vfp-{self.feed.run_id}-next",
            },
        )
        self.r.next_panel_ref = nxt["panel_ref"]
        await self.http.call(
            "PUT",
            "panels",
            f"/panels/{nxt['panel_ref']}/agenda",
            self.lead,
            {
                "items": [
                    {"kind": "opening", "minutes": 10},
                    {
                        "kind": "case_study",
                        "minutes": 20,
                        "participant_ref": self.participant["case_study"],
                        "mode": "live",
                    },
                    {"kind": "close", "minutes": 5},
                ]
            },
        )
        return (
            f"panel {ref} online at {self.panel_starts:%H:%M:%S}Z, agenda of {len(items)} items "
            f"({sum(i['minutes'] for i in items)} min) checked and published; earlier panel "
            f"{earlier['panel_ref']} held; next panel {nxt['panel_ref']} drafted for "
            f"{first['starts_at'][:10]}"
        )

    # --- 7 ---------------------------------------------------------------------------------------

    async def invitations(self) -> str:
        ref = self.r.panel_ref
        bodies: list[dict[str, Any]] = [
            {"kind": "staff_audience", "command_area_ref": a, "role": "all"} for a in self.areas
        ]
        bodies += [{"kind": "cps", "recipient_ref": self.cps}]
        bodies += [{"kind": "partner", "recipient_ref": p} for p in self.partners]
        bodies += [{"kind": "support_service", "recipient_ref": s} for s in SERVICES]
        for body in bodies:
            invitation = await self.http.json(
                "POST", "panels", f"/panels/{ref}/invitations", self.lead, body
            )
            self.invitation_refs.append(invitation["invitation_ref"])
        self.r.invitations = len(self.invitation_refs)
        try:
            invited = await self.watch.wait(
                "panels.participant-invited.v1",
                lambda d: d.panel_ref == ref,
                count=len(self.invitation_refs),
            )
        except TimeoutError as error:
            raise StageFailed(str(error)) from None
        self.invited_event_ids = {str(s.envelope.id) for s in invited}
        try:
            await poll(self._delivered, "every invitation delivered", 45)
        except StageFailed as error:
            raise StageFailed(f"{error}; still undelivered: {self.undelivered}") from None
        self.r.invitations_delivered = len(self.sent_for(self.invited_event_ids))
        detail = f"{self.r.invitations} invitations, {self.r.invitations_delivered} delivered"
        if self.env.mailbox is not None:
            calendars = await poll(self._calendars, "the invitation emails with .ics", 30)
            cal = calendars[0]
            event = next(iter(cal.walk("VEVENT")))
            self.r.ics_summary = str(event.get("SUMMARY"))
            start = event.decoded("DTSTART")
            assert self.panel_starts is not None
            self.r.ics_matches_panel = (
                self.r.ics_summary == self.panel_title
                and abs((start - self.panel_starts).total_seconds()) < 1
            )
            if not self.r.ics_matches_panel:
                raise StageFailed(f"the .ics says {self.r.ics_summary} at {start}")
            detail += f"; {len(calendars)} emails with an .ics in the mailbox (UID = invitation)"
        return detail

    async def _delivered(self) -> bool:
        failed = [
            f"{s.envelope.data.recipient_ref}: {s.envelope.data.reason_code}"
            for s in self.watch.matching("notifications.delivery-failed.v1")
            if s.envelope.data.source_event_id in self.invited_event_ids
        ]
        if failed:
            raise StageFailed(f"invitations not delivered: {failed}")
        reached = {sent.source_event_id for sent in self.sent_for(self.invited_event_ids)}
        self.undelivered = sorted(
            s.envelope.data.recipient_ref or s.envelope.data.supporter_ref or "?"
            for s in self.watch.matching("panels.participant-invited.v1")
            if str(s.envelope.id) in self.invited_event_ids - reached
        )
        return reached >= self.invited_event_ids

    async def _calendars(self) -> list[icalendar.Calendar] | None:
        wanted = set(self.invitation_refs)
        found: dict[str, icalendar.Calendar] = {}
        for message in self.mails():
            for part in message.walk():
                if part.get_content_type() == "text/calendar":
                    payload = part.get_payload(decode=True)
                    if not isinstance(payload, bytes):
                        continue
                    cal = icalendar.Calendar.from_ical(payload)
                    for ev in cal.walk("VEVENT"):
                        uid = str(ev.get("UID"))
                        if uid in wanted:
                            found[uid] = cal
        return list(found.values()) if wanted <= set(found) else None

    # --- 8 ---------------------------------------------------------------------------------------

    async def held(self) -> str:
        ref = self.r.panel_ref
        assert self.panel_starts is not None

        opens = self.panel_starts + timedelta(seconds=0.5)

        async def started() -> bool:
            return datetime.now(UTC) >= opens

        await poll(started, "the panel's start", 60, 0.2)
        await self.http.call(
            "POST",
            "panels",
            f"/panels/{ref}/held",
            self.lead,
            {
                "recording_ref": f"{self.p}-recording-autumn",
                "attendees": [{"attendee_ref": s} for s in self.staff],
            },
        )
        try:
            held = await self.watch.wait("panels.panel-held.v1", lambda d: d.panel_ref == ref)
        except TimeoutError as error:
            raise StageFailed(str(error)) from None
        self.r.attendees = len(held[0].envelope.data.attendee_refs)
        first = self.staff[0]

        async def survey_open() -> Any:
            response = await self.http.call(
                "GET",
                "feedback",
                f"/panels/{ref}/survey",
                self.staff_token(first),
                expect=(200, 404),
            )
            return response.json() if response.status_code == 200 else None

        survey = await poll(survey_open, "the staff survey to open", 30)
        self.r.survey_opened = True
        for i, staff in enumerate(self.staff[:5]):
            answers: dict[str, Any] = {}
            for q in survey["questions"]:
                if q["kind"] == "scale_1_5":
                    answers[q["key"]] = 3 + (i + len(q["key"])) % 3
                elif q["kind"] == "yes_no":
                    answers[q["key"]] = i % 4 != 0
                else:
                    answers[q["key"]] = "Hearing it first-hand changed how I will update victims."
            await self.http.call(
                "POST",
                "feedback",
                f"/panels/{ref}/survey/responses",
                self.staff_token(staff),
                {"answers": answers},
            )
        results = await self.http.json(
            "GET", "feedback", f"/panels/{ref}/survey/results", self.coordinator
        )
        self.r.survey_responses = int(results["responses"])
        if self.r.survey_responses != 5:
            raise StageFailed(f"{self.r.survey_responses} survey responses, expected 5")
        return (
            f"held with {self.r.attendees} attendees ({self.r.registrations} registered); "
            f"survey opened in feedback; {self.r.survey_responses} responses, understanding "
            f"uplift {results.get('understanding_uplift')}"
        )

    # --- 9 ---------------------------------------------------------------------------------------

    async def testimonies(self) -> str:
        await self.http.call(
            "POST",
            "feedback",
            "/themes",
            self.coordinator,
            {"code": self.t1, "label": "A single point of contact", "victims_code_right": 6},
        )
        await self.http.call(
            "POST",
            "feedback",
            "/themes",
            self.coordinator,
            {"code": self.t2, "label": "Waiting areas at court", "victims_code_right": 8},
        )
        earlier, current = self.r.earlier_panel_ref, self.r.panel_ref
        assert earlier and current
        route = {
            "live": "live",
            "live_camera_off": "live",
            "pre_recorded": "pre_recorded",
            "by_support_worker": "support_worker",
        }
        # The below-k theme first: three testimonies, two panels, but two victims only.
        plan: list[tuple[str, str, str, str, str]] = [
            ("safeguarded", earlier, self.t2, "negative", "I sat across from his family at court."),
            ("safeguarded", current, self.t2, "negative", "The waiting room was shared again."),
            ("child", current, self.t2, "negative", "Court was scary and we waited all day."),
            ("live", earlier, self.t1, "positive", "My officer kept me informed every week."),
            ("praise", current, self.t1, "positive", "One named officer rang me back every time."),
            ("case_study", current, self.t1, "positive", "I always knew who to call."),
        ]
        responses = []
        for key, panel, theme, polarity, text in plan:
            body = {
                "participant_ref": self.participant[key],
                "panel_ref": panel,
                "route": route[self.r.consent_modes[key]],
                "worked_well" if polarity == "positive" else "could_be_better": text,
                "tags": [
                    {"theme_code": theme, "polarity": polarity},
                    {"theme_code": "compassion", "polarity": "positive"},
                ],
            }

            async def capture(body: dict[str, Any] = body) -> Any:
                # 409 until feedback has the consent (it arrives over Kafka).
                response = await self.http.call(
                    "POST", "feedback", "/testimonies", self.coordinator, body, expect=(201, 409)
                )
                return response.json() if response.status_code == 201 else None

            captured = await poll(capture, f"feedback to hold {key}'s consent", 30)
            responses.append(captured)
            self.testimony.setdefault(key, []).append(captured["testimony_ref"])
        self.r.testimonies = len(responses)
        self.r.recurring_theme, self.r.below_k_theme = self.t1, self.t2
        t1_key, t2_key = f"{self.t1}:positive", f"{self.t2}:negative"
        try:
            await self.watch.wait(
                "feedback.theme-recurring.v1", lambda d: d.theme_code == self.t1, timeout_s=30
            )
        except TimeoutError as error:
            raise StageFailed(f"{self.t1} did not recur: {error}") from None
        self.r.recurring_published = sorted(
            {s.envelope.data.theme_code for s in self.watch.matching("feedback.theme-recurring.v1")}
        )
        listed = {tag for r in responses for tag in r["recurring"]}
        self.r.below_k_published = t2_key in listed or bool(
            self.watch.matching("feedback.theme-recurring.v1", lambda d: d.theme_code == self.t2)
        )
        if t1_key not in listed:
            raise StageFailed(f"no capture reported {t1_key} as recurring: {listed}")
        if self.r.below_k_published:
            raise StageFailed(f"{self.t2} was published with only 2 distinct victims")
        return (
            f"{len(responses)} testimonies over 2 panels; {self.t1} recurs (3 victims) and was "
            f"published; {self.t2} (3 testimonies, 2 victims < k=3) was not"
        )

    # --- 10 --------------------------------------------------------------------------------------

    async def learning(self) -> str:
        praise_oic = self.feed.showcase("praise").event.oic_ref
        await self.http.call(
            "POST",
            "feedback",
            "/recognitions",
            self.coordinator,
            {
                "participant_ref": self.participant["praise"],
                "recipient_kind": "individual",
                "recipient_ref": praise_oic,
                "line_manager_ref": self.line_manager,
                "panel_ref": self.r.panel_ref,
                "message": "She never let me feel forgotten.",
            },
        )
        await self.http.call(
            "POST",
            "feedback",
            "/case-studies",
            self.coordinator,
            {
                "participant_ref": self.participant["case_study"],
                "panel_ref": self.r.panel_ref,
                "team_refs": [self.team],
                "write_up": "How a named contact kept a victim of serious violence engaged.",
            },
        )
        action = await self.http.json(
            "POST",
            "feedback",
            "/actions",
            self.coordinator,
            {
                "title": f"Single point of contact in every high-harm case ({self.feed.run_id})",
                "owner_ref": self.training,
                "due_on": (date.today() + timedelta(days=90)).isoformat(),
                "theme_code": self.t1,
            },
        )
        await self.http.call(
            "POST",
            "feedback",
            f"/actions/{action['action_ref']}/status",
            self.coordinator,
            {"status": "completed"},
        )
        endorsed = await self.http.json(
            "POST",
            "feedback",
            "/endorsements",
            self.coordinator,
            {
                "participant_refs": [self.participant["live"], self.participant["praise"]],
                "subject": "The new victim update training module",
            },
        )
        first = endorsed["endorsements"][self.participant["live"]]
        await self.http.call(
            "POST",
            "feedback",
            f"/endorsements/{first}/outcome",
            self.coordinator,
            {"outcome": "endorse_with_changes"},
        )
        action_ref = action["action_ref"]
        waits: list[tuple[str, Callable[[Any], bool], int]] = [
            (
                "learning.recognition-awarded.v1",
                lambda d: d.recipient_ref == praise_oic,
                1,
            ),
            ("feedback.case-study-shared.v1", lambda d: self.team in d.team_refs, 1),
            ("learning.action-raised.v1", lambda d: d.action_ref == action_ref, 1),
            ("learning.action-completed.v1", lambda d: d.action_ref == action_ref, 1),
            (
                "learning.endorsement-requested.v1",
                lambda d: d.endorsement_ref in endorsed["endorsements"].values(),
                2,
            ),
            ("learning.endorsement-recorded.v1", lambda d: d.endorsement_ref == first, 1),
        ]
        counts: dict[str, int] = {}
        for topic, match, count in waits:
            try:
                counts[topic] = len(await self.watch.wait(topic, match, count=count))
            except TimeoutError as error:
                raise StageFailed(str(error)) from None
        self.r.learning_events = counts
        completed = self.watch.matching(
            "learning.action-completed.v1", lambda d: d.action_ref == action_ref
        )[0]
        contributors = set(completed.envelope.data.participant_refs)
        expected = {self.participant[k] for k in ("live", "praise", "case_study")}
        if not expected <= contributors:
            raise StageFailed(f"action-completed names {contributors}, expected {expected}")
        completed_id = {str(completed.envelope.id)}
        await poll(
            lambda: self._some_sent(completed_id, "you_said_we_did"),
            "the 'you said, we did' messages",
            30,
        )
        self.r.you_said_we_did_sent = len(self.sent_for(completed_id, "you_said_we_did"))
        return (
            f"recognition, case study, action raised → completed ({len(contributors)} victims' "
            f"feedback), 2 endorsement requests, 1 outcome; 'you said, we did' sent to "
            f"{self.r.you_said_we_did_sent} supporters"
        )

    async def _some_sent(self, ids: set[str], template: str) -> bool:
        return bool(self.sent_for(ids, template))

    # --- 11 --------------------------------------------------------------------------------------

    async def board_report(self) -> str:
        params = {
            "from": (self.now - timedelta(days=365)).isoformat(),
            "to": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        }
        report = await self.http.json(
            "GET", "feedback", "/reports/board", self.board, params=params
        )
        html = await self.http.call(
            "GET", "feedback", "/reports/board.html", self.board, params=params
        )
        self.env.run_dir.mkdir(parents=True, exist_ok=True)
        path = self.env.run_dir / "board-report.html"
        path.write_text(html.text)
        (self.env.run_dir / "board-report.json").write_text(json.dumps(report, indent=2))
        self.r.board_report_path = str(path)
        self.r.board_report = report
        # The year's report lists the top recurring themes; this cycle's own window must
        # show the theme it made recur.
        window = {"from": (self.now - timedelta(minutes=1)).isoformat(), "to": params["to"]}
        cycle_report = await self.http.json(
            "GET", "feedback", "/reports/board", self.board, params=window
        )
        recurring = json.dumps(cycle_report.get("recurring_themes", []))
        if self.t1 not in recurring:
            raise StageFailed(f"{self.t1} is not among the cycle's recurring themes: {recurring}")
        if self.t2 in recurring:
            raise StageFailed(f"{self.t2} (below k) is in the report")
        if "<svg" not in html.text:
            raise StageFailed("the report page has no chart")
        held = report.get("panels_held", {}).get("count")
        return f"{path} ({len(html.text) // 1024} KiB, {held} panels held in the year)"

    # --- 12 --------------------------------------------------------------------------------------

    async def withdrawal(self) -> str:
        key = "case_study"
        ref = self.participant[key]
        self.r.withdrawn_participant = ref
        path = f"/candidates/{ref}/withdraw"
        await self.http.call("POST", "participants", path, self.coordinator)
        checks = self.r.withdrawal_checks
        try:
            await self.watch.wait(
                "participants.consent-withdrawn.v1", lambda d: d.participant_ref == ref
            )
            await self.watch.wait(
                "panels.participant-removed.v1",
                lambda d: d.participant_ref == ref and d.panel_ref == self.r.next_panel_ref,
            )
            checks["removed_event_for_next_panel"] = True
        except TimeoutError as error:
            raise StageFailed(str(error)) from None

        async def off_pool() -> bool:
            pool = await self.http.json(
                "GET", "panels", "/pool", self.coordinator, params={"limit": 500}
            )
            return ref not in {e["participant_ref"] for e in pool}

        await poll(off_pool, "the victim out of the panels pool")
        checks["out_of_pool"] = True
        for panel in (self.r.panel_ref, self.r.next_panel_ref):
            view = await self.http.json("GET", "panels", f"/panels/{panel}", self.lead)
            named = {i.get("participant_ref") for i in view["agenda"]["items"]}
            checks[f"off_agenda_{panel}"] = ref not in named

        async def erased() -> bool:
            for testimony in self.testimony.get(key, []):
                path = f"/testimonies/{testimony}"
                response = await self.http.call(
                    "GET", "feedback", path, self.coordinator, expect=(200, 404)
                )
                if response.status_code != 404:
                    return False
            return True

        await poll(erased, "the victim's testimonies erased in feedback")
        checks["testimonies_erased"] = True
        listed = await self.http.json(
            "GET", "feedback", "/testimonies", self.coordinator, params={"participant_ref": ref}
        )
        checks["no_testimony_listed"] = listed == []
        view = await self.http.json("GET", "participants", f"/candidates/{ref}", self.coordinator)
        checks["withdrawn_in_participants"] = view["status"] == "withdrawn"
        # Sends about the victim still pending are cancelled by the withdrawal (the delivery
        # log keeps no victim refs: the events that named them are the way in).
        about = {
            str(s.envelope.id)
            for s in self.watch.seen
            if getattr(s.envelope.data, "participant_ref", None) == ref
        }
        cancelled = await self.http.json(
            "GET",
            "notifications",
            "/deliveries",
            self.coordinator,
            params={"status": "cancelled", "limit": 500},
        )
        self.r.cancelled_notifications = sum(
            1 for d in cancelled if str(d["source_event_id"]) in about
        )
        failed = [k for k, v in checks.items() if not v]
        if failed:
            raise StageFailed(f"withdrawal checks failed: {failed}")
        return (
            f"{ref}: consent-withdrawn → out of the pool and off both agendas, "
            f"participant-removed for the draft panel, testimonies 404 in feedback; "
            f"{self.r.cancelled_notifications} of their pending sends cancelled (the rest had "
            f"gone)"
        )

    # --- 13 --------------------------------------------------------------------------------------

    async def summary(self, dead_before: dict[str, int], report: Reporter) -> str:
        after = await dead_letter_offsets(self.env.kafka_bootstrap)
        grown = {t: n - dead_before.get(t, 0) for t, n in after.items()}
        self.r.dead_letters = {t: n for t, n in grown.items() if n}
        messages = self.mails() if self.env.mailbox else None
        if messages is not None:
            self.r.emails_in_mailbox = len(messages)
            subjects: Counter[str] = Counter()
            for m in messages:
                subject = str(m.get("Subject", ""))
                subjects[subject.split(":")[0].split(" for ")[0][:40]] += 1
            self.r.emails_by_subject = dict(subjects.most_common())
        self.r.delivery_failures = dict(
            Counter(
                s.envelope.data.reason_code
                for s in self.watch.matching("notifications.delivery-failed.v1")
            )
        )
        learning = Counter(
            s.topic for s in self.watch.seen if s.topic.startswith(("learning.", "feedback."))
        )
        self.r.learning_events = {**dict(learning), **self.r.learning_events}
        live = self.feed.showcase("live")
        self.r.trace_id = live.trace_id
        traces = self.env.traces_dir or self.env.run_dir / "traces"
        if traces.is_dir():
            with contextlib.suppress(StageFailed):  # judged just below, with what was found
                await poll(
                    lambda: self._trace_everywhere(traces, live.trace_id),
                    "the victim's trace in all four services",
                    25,
                    0.5,
                )
        urls = {
            name: f"{self.env.url(name)}/docs  (AsyncAPI {self.env.url(name)}/asyncapi.json)"
            for name in SERVICE_NAMES
        }
        self.r.where_to_look = {
            **urls,
            "asyncapi_files": "docs/asyncapi/*.json",
            "board_report": self.r.board_report_path or "-",
            "mailbox": str(self.env.run_dir / "mail"),
            "traces": str(traces),
            "victim_journey_trace": f"{live.trace_id} in {', '.join(self.r.trace_services)}",
        }
        for name, where in self.r.where_to_look.items():
            report.info(f"{name}: {where}")
        problems = []
        if self.r.dead_letters:
            problems.append(f"dead letters: {self.r.dead_letters}")
        if traces.is_dir() and set(self.r.trace_services) < set(SERVICE_NAMES):
            problems.append(f"trace {live.trace_id} seen only in {self.r.trace_services}")
        if problems:
            raise StageFailed("; ".join(problems))
        return (
            f"{self.r.events_published + self.r.later_events_published} events published, "
            f"{self.r.emails_in_mailbox} emails, no dead letters, trace {live.trace_id} through "
            f"{len(self.r.trace_services)} services"
        )

    async def _trace_everywhere(self, traces: Path, trace_id: str) -> bool:
        self.r.trace_services = services_in_trace(traces, trace_id)
        return set(SERVICE_NAMES) <= set(self.r.trace_services)


def services_in_trace(traces: Path, trace_id: str) -> list[str]:
    """The services whose spans (JSON lines, OpenTelemetry's `to_json`) carry `trace_id`."""
    wanted = f"0x{trace_id}"
    found: set[str] = set()
    for path in traces.glob("*.jsonl"):
        with path.open() as lines:
            for line in lines:
                if wanted not in line:
                    continue
                try:
                    span = json.loads(line)
                except ValueError:
                    continue
                if span.get("context", {}).get("trace_id") == wanted:
                    name = span.get("resource", {}).get("attributes", {}).get("service.name", "")
                    found.add(str(name).removeprefix("vfp-"))
    return sorted(found)


async def run_cycle(
    env: CycleEnvironment,
    *,
    feed_size: int = 200,
    rate_per_s: float = 100.0,
    report: Reporter | None = None,
    seed: int = 2021,
    fresh_groups: bool = False,
    run_id: str | None = None,
) -> CycleResult:
    """Drive one whole panel cycle against the running services; every stage verified."""
    report = report or PlainReporter()
    started = time.monotonic()
    run = run_id or uuid.uuid4().hex[:8]
    result = CycleResult(run_id=run)
    if fresh_groups:
        await move_groups_to_end(env.kafka_bootstrap)
    feed = build_feed(seed=seed, size=feed_size, now=datetime.now(UTC), run_id=run)
    dead_before = await dead_letter_offsets(env.kafka_bootstrap)
    watch = BusWatch(env.kafka_bootstrap, WATCHED)
    await watch.start()
    try:
        async with httpx.AsyncClient(timeout=20) as client:
            cycle = Cycle(env, Http(env, client), watch, feed, result)
            stages: list[tuple[str, Callable[[], Awaitable[str]]]] = [
                ("directory", cycle.directory),
                ("feed", lambda: cycle.publish_feed(rate_per_s, report)),
                ("screening", cycle.screening),
                ("complaints_and_reopenings", cycle.later_events),
                ("consent", lambda: cycle.consent(report)),
                ("panel_and_agenda", lambda: cycle.schedule(report)),
                ("invitations", cycle.invitations),
                ("held_and_survey", cycle.held),
                ("testimonies_and_themes", cycle.testimonies),
                ("learning", cycle.learning),
                ("board_report", cycle.board_report),
                ("withdrawal", cycle.withdrawal),
                ("summary", lambda: cycle.summary(dead_before, report)),
            ]
            for number, (name, stage) in enumerate(stages, start=1):
                report.stage(number, name)
                began = time.monotonic()
                try:
                    detail, ok = await stage(), True
                except Exception as error:  # a stage's failure is its outcome, not a crash
                    detail, ok = f"{type(error).__name__}: {error}", False
                outcome = StageOutcome(name, ok, detail, time.monotonic() - began)
                result.stages.append(outcome)
                report.outcome(outcome)
                if not ok and name != "summary":
                    break  # later stages build on this one
    finally:
        await watch.stop()
        result.wall_s = time.monotonic() - started
        report.done()
    return result
