"""`vfp run` as an operator starts it: the platform comes up, the panel cycle completes and the
verdict is printed; SIGTERM then stops every service cleanly, leaving none behind."""

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

from tests.e2e.test_panel_cycle import free_base_port
from vfp_ops.simulator.cycle import move_groups_to_end
from vfp_shared.settings import PlatformSettings


async def test_vfp_run_completes_a_cycle_and_stops_cleanly_on_sigterm(
    platform_settings: PlatformSettings, tmp_path: Path
) -> None:
    await move_groups_to_end(platform_settings.kafka_bootstrap_servers)
    base_port = free_base_port(18201)
    vfp = Path(sys.executable).parent / "vfp"
    process = await asyncio.create_subprocess_exec(
        str(vfp),
        "run",
        "--size=40",
        "--rate=200",
        f"--base-port={base_port}",
        f"--run-dir={tmp_path}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": platform_settings.kafka_bootstrap_servers,
            "DATABASE_URL": platform_settings.database_url,
            "COLUMNS": "200",
        },
    )
    assert process.stdout is not None
    output: list[str] = []
    try:
        async with asyncio.timeout(180):
            while "The platform is up." not in (line := (await process.stdout.readline()).decode()):
                assert line, "vfp run ended early:\n" + "".join(output)
                output.append(line)
                assert "cycle FAILED" not in line, "".join(output)
        process.send_signal(signal.SIGTERM)
        rest, _ = await asyncio.wait_for(process.communicate(), 90)
    finally:
        if process.returncode is None:  # failed: stop it cleanly so no service outlives it
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 60)
            except TimeoutError:
                process.kill()
    shown = "".join(output) + rest.decode()
    assert process.returncode == 0, shown
    assert "cycle complete" in shown and "where to look" in shown, shown
    assert "interrupted" in shown, shown
    for port in range(base_port, base_port + 4):  # every service stopped with it
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still served"
