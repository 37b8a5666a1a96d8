"""The whole platform as real processes (four services, a local SMTP mailbox), driven through
one panel cycle by the simulator: every stage's outcome is checked here."""

import socket
from pathlib import Path

from vfp_ops.platform import Platform
from vfp_ops.simulator.bus import dead_letter_offsets
from vfp_ops.simulator.cycle import (
    CycleEnvironment,
    CycleResult,
    PlainReporter,
    move_groups_to_end,
    run_cycle,
)
from vfp_shared.settings import PlatformSettings

STAGES = (
    "directory",
    "feed",
    "screening",
    "complaints_and_reopenings",
    "consent",
    "panel_and_agenda",
    "invitations",
    "held_and_survey",
    "testimonies_and_themes",
    "learning",
    "board_report",
    "withdrawal",
    "summary",
)


def free_base_port(start: int = 18101) -> int:
    """The first of four consecutive free ports from `start` on."""
    for base in range(start, start + 400, 4):
        try:
            for port in range(base, base + 4):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no four free consecutive ports")


async def test_a_whole_panel_cycle_through_the_running_platform(
    platform_settings: PlatformSettings, tmp_path: Path
) -> None:
    # The services' groups may have a backlog from other suites: this run sees only its own.
    bootstrap = platform_settings.kafka_bootstrap_servers
    await move_groups_to_end(bootstrap)
    dead_before = await dead_letter_offsets(bootstrap)
    platform = Platform(platform_settings, tmp_path, base_port=free_base_port())
    reporter = PlainReporter()
    async with platform.running():
        result = await run_cycle(
            CycleEnvironment.for_platform(platform),
            feed_size=80,
            rate_per_s=100,
            report=reporter,
        )
    dead_after = await dead_letter_offsets(bootstrap)
    log = "\n".join(reporter.lines)
    assert [s.name for s in result.stages] == list(STAGES), log
    failed = [s for s in result.stages if not s.ok]
    assert not failed, log
    assert result.ok
    check_screening(result)
    check_panel(result)
    check_feedback_and_learning(result, tmp_path)
    check_withdrawal_dead_letters_and_trace(result)
    # Nothing dead-lettered from start-up to shutdown either.
    grown = {t: n - dead_before.get(t, 0) for t, n in dead_after.items()}
    assert not {t: n for t, n in grown.items() if n}, grown
    assert result.wall_s < 150, log


def check_screening(result: CycleResult) -> None:
    assert result.events_published >= 80
    assert result.candidates >= 56
    showcase = result.showcase
    # Still in the justice system: excluded, never identified.
    assert showcase["pending_court"]["status"] == "excluded"
    assert "not_finalised" in showcase["pending_court"]["reason_codes"]
    assert showcase["pending_court"]["identified_event"] is False
    assert result.excluded_by_reason["not_finalised"] >= 1
    assert "no_focus_theme" in showcase["vehicle"]["reason_codes"]
    assert showcase["recent"]["status"] == "deferred"
    # A child: identified, but consent needs a parent's or guardian's.
    assert showcase["child"]["child"] is True
    assert "guardian_consent_required" in showcase["child"]["reason_codes"]
    assert result.child_consent_without_guardian_status == 422
    # Safeguarding: only through the support worker.
    assert showcase["safeguarded"]["contact_route"] == "support_worker"
    assert "support_worker_only" in showcase["safeguarded"]["reason_codes"]
    # Later facts exclude again.
    assert "open_complaint" in result.excluded_later["complaint"]
    assert "case_reopened" in result.excluded_later["reopened"]
    assert result.consents == 5 and result.declines == 1


def check_panel(result: CycleResult) -> None:
    assert result.agenda_published
    assert result.agenda_items[0] == "opening" and result.agenda_items[-1] == "close"
    assert result.agenda_items.count("service_slot") == 3
    assert {"questions", "recognition"} <= set(result.agenda_items)
    assert result.invitations == 14
    assert result.invitations_delivered >= 14
    assert result.ics_matches_panel and result.ics_summary
    assert result.emails_in_mailbox is not None and result.emails_in_mailbox >= 14
    assert result.survey_opened
    assert result.attendees == 6
    assert result.survey_responses == 5


def check_feedback_and_learning(result: CycleResult, run_dir: Path) -> None:
    assert result.recurring_theme in result.recurring_published
    assert result.below_k_theme not in result.recurring_published
    assert not result.below_k_published
    for topic in (
        "learning.recognition-awarded.v1",
        "learning.action-raised.v1",
        "learning.action-completed.v1",
        "learning.endorsement-requested.v1",
        "feedback.case-study-shared.v1",
    ):
        assert result.learning_events.get(topic, 0) >= 1, topic
    assert result.you_said_we_did_sent >= 1
    report = run_dir / "board-report.html"
    assert result.board_report_path == str(report)
    assert "<svg" in report.read_text()


def check_withdrawal_dead_letters_and_trace(result: CycleResult) -> None:
    assert result.withdrawal_checks and all(result.withdrawal_checks.values())
    assert result.withdrawal_checks["testimonies_erased"]
    assert result.dead_letters == {}
    # One victim's journey: the force's case-closed trace runs through all four services.
    assert result.trace_id
    assert set(result.trace_services) >= {"participants", "panels", "feedback", "notifications"}
